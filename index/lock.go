package index

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// Two processes that need the same missing index (two first queries at once) build it once:
// the builder holds an advisory lock on a hidden file beside the index, .NAME.lock, and
// the other waits for it, then finds the index up to date (ErrBuiltByOther). The lock dies
// with its holder, so a killed builder is taken over at once; a live builder that makes no
// progress (stopped, stuck on a dead disk) stops refreshing the lock file's mtime, and after
// BuildOptions.LockStale the waiter builds on its own. Nothing waits forever.

// ErrBuiltByOther is returned by BuildFiles when it waited for another process building
// the same index and then found that index up to date: open it, nothing was built.
var ErrBuiltByOther = errors.New("index: built by another process meanwhile")

// DefaultLockStale is how long a build lock may go without a sign of progress before a
// waiter stops waiting (BuildOptions.LockStale).
const DefaultLockStale = 2 * time.Minute

// lockPoll is how often a waiter tries the lock again.
const lockPoll = 50 * time.Millisecond

// heartbeat is how often a builder refreshes its lock file's mtime.
const heartbeat = time.Second

// buildLock is a held build lock.
type buildLock struct {
	f    *os.File
	path string
	beat time.Time
}

func lockPath(out string) string {
	dir, base := filepath.Split(out)
	return filepath.Join(dir, "."+base+".lock")
}

// acquireBuildLock takes the build lock of index out, waiting while another process holds
// it and shows progress. It returns nil (build without a lock) when no lock file can be
// made or the holder went stale; waited says whether another process held it.
func acquireBuildLock(out string, stale time.Duration, onWait func()) (l *buildLock, waited bool) {
	if stale <= 0 {
		stale = DefaultLockStale
	}
	path := lockPath(out)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, waited
		}
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, waited
		}
		if ok {
			// The holder before us may have removed the file as it finished: the lock is
			// ours only if path still names the file we locked.
			fst, err1 := f.Stat()
			pst, err2 := os.Stat(path)
			if err1 == nil && err2 == nil && os.SameFile(fst, pst) {
				l := &buildLock{f: f, path: path}
				l.touch()
				return l, waited
			}
			f.Close()
			continue
		}
		f.Close()
		if !waited && onWait != nil {
			onWait()
		}
		waited = true
		if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) > stale {
			return nil, true // the builder shows no progress: build without it
		}
		time.Sleep(lockPoll)
	}
}

// touch tells waiters the build makes progress (at most once per heartbeat).
func (l *buildLock) touch() {
	if l == nil {
		return
	}
	now := time.Now()
	if now.Sub(l.beat) < heartbeat {
		return
	}
	l.beat = now
	os.Chtimes(l.path, now, now)
}

// release removes the lock file and drops the lock.
func (l *buildLock) release() {
	if l == nil {
		return
	}
	os.Remove(l.path)
	l.f.Close()
}
