// Package safefile writes output files without ever destroying an input or leaving a half
// file behind.
//
// A missing or regular target is written to a temporary file in its folder and renamed
// over it on Commit, so readers see the old file or the new one, never a mix; on Linux the
// temporary file is unnamed (O_TMPFILE) until Commit, so a process killed by any signal
// (Ctrl-C, SIGTERM, a closed pipe, SIGKILL) leaves nothing behind. A symlink, a device, a
// FIFO or any other non-regular target is written through (opened and truncated where
// that applies), never replaced: `-w /dev/stdout` streams and a link keeps pointing where
// it did. New files get the mode the caller asks for, less the umask.
package safefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ErrInput is wrapped by the error of CheckNotInput: the output would replace an input.
var ErrInput = errors.New("output would overwrite an input")

// CheckNotInput returns an error wrapping ErrInput when out names one of inputs: the same
// path, a hard link to it, or a symlink that leads to it (or to which it leads). Inputs
// that do not exist ("-" for stdin) are skipped.
func CheckNotInput(out string, inputs []string) error {
	if out == "" || out == "-" {
		return nil
	}
	ost, err := os.Stat(out)
	if err != nil {
		return nil // nothing there yet: nothing to destroy
	}
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		ist, err := os.Stat(in)
		if err != nil {
			continue
		}
		if os.SameFile(ost, ist) {
			if filepath.Clean(out) == filepath.Clean(in) {
				return fmt.Errorf("%s: %w", out, ErrInput)
			}
			return fmt.Errorf("%s is %s: %w", out, in, ErrInput)
		}
	}
	return nil
}

// File is an output being written: write to it, then Commit (or Abort).
type File struct {
	*os.File
	path    string // the target
	tmp     string // the named temporary file ("" when unnamed or written through)
	anon    bool   // unnamed temporary file, linked in at Commit
	through bool   // writing through a symlink or special file
	done    bool
}

// Create opens path for writing (see the package doc). perm is the mode of a new file
// (less the umask); a replaced regular file gets perm too.
func Create(path string, perm os.FileMode) (*File, error) {
	if lst, err := os.Lstat(path); err == nil && !lst.Mode().IsRegular() {
		if lst.IsDir() {
			return nil, fmt.Errorf("%s: is a directory", path)
		}
		flag := os.O_WRONLY | os.O_CREATE
		if st, err := os.Stat(path); err != nil || st.Mode().IsRegular() {
			flag |= os.O_TRUNC // a link to a regular file (or a dangling link)
		}
		f, err := os.OpenFile(path, flag, perm)
		if err != nil {
			return nil, err
		}
		return &File{File: f, path: path, through: true}, nil
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if f, ok := createAnon(dir, perm); ok {
		return &File{File: f, path: path, anon: true}, nil
	}
	for try := 0; ; try++ {
		tmp := tempName(dir, base, try)
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if err == nil {
			return &File{File: f, path: path, tmp: tmp}, nil
		}
		if !os.IsExist(err) || try > 100 {
			return nil, err
		}
	}
}

// tempName is a hidden name beside the target: .BASE.tmp-PID-NNN.
func tempName(dir, base string, try int) string {
	n := uint64(time.Now().UnixNano()) + uint64(try)*7919
	return filepath.Join(dir, "."+base+".tmp-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(n%1e9, 10))
}

// Path returns the target path.
func (f *File) Path() string { return f.path }

// WritesThrough reports whether the target is a symlink or special file written in place.
func (f *File) WritesThrough() bool { return f.through }

// Commit finishes the file: for a replaced file, sync, then the temporary file takes the
// target's name atomically (and the folder is synced); for a written-through target, close.
// On error nothing replaced the target.
func (f *File) Commit() error {
	if f.done {
		return errors.New("safefile: commit after commit or abort")
	}
	f.done = true
	if f.through {
		return f.File.Close()
	}
	err := f.File.Sync()
	if err != nil && !errors.Is(err, os.ErrInvalid) {
		f.abort()
		return fmt.Errorf("sync %s: %w", f.path, err)
	}
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	if f.anon {
		for try := 0; ; try++ {
			tmp := tempName(dir, base, try)
			err := linkAnon(f.File, tmp)
			if err == nil {
				f.tmp = tmp
				break
			}
			if !os.IsExist(err) || try > 100 {
				f.abort()
				return fmt.Errorf("link %s: %w", f.path, err)
			}
		}
	}
	if err := f.File.Close(); err != nil {
		f.abort()
		return fmt.Errorf("close %s: %w", f.path, err)
	}
	if err := os.Rename(f.tmp, f.path); err != nil {
		os.Remove(f.tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system supports it
		d.Close()
	}
	return nil
}

// Abort discards the file: the temporary file is removed and the target left as it was (a
// written-through target keeps what was written). Safe after Commit (it then does nothing).
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.abort()
}

func (f *File) abort() {
	f.File.Close()
	if f.tmp != "" {
		os.Remove(f.tmp)
	}
}
