package follow

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// RunOptions tune Run.
type RunOptions struct {
	// Poll is the longest time between two scans (default 1 s): file-system notifications
	// (fsnotify) wake the follower sooner; where they are not available, polling is all.
	Poll time.Duration
	// StatusEvery is how often Status is called (default 5 s).
	StatusEvery time.Duration
	// Status, if not nil, receives the follower's counts every StatusEvery.
	Status func(Stats)
}

// watchDirs returns the directories whose changes can add or grow an input's files.
func watchDirs(inputs []string) []string {
	var dirs []string
	for _, in := range inputs {
		if st, err := os.Stat(in); err == nil && st.IsDir() {
			dirs = append(dirs, in)
			continue
		}
		d := filepath.Dir(in)
		for strings.ContainsAny(d, "*?[") {
			d = filepath.Dir(d)
		}
		dirs = append(dirs, d)
	}
	return dirs
}

// Run follows the inputs until ctx is done: it scans (Step) when a watched directory
// changes and at least every Poll, seals when due (SealDue), and seals what is committed
// before it returns.
func (f *Follower) Run(ctx context.Context, opt RunOptions) error {
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.StatusEvery <= 0 {
		opt.StatusEvery = 5 * time.Second
	}
	var events <-chan fsnotify.Event
	if w, err := fsnotify.NewWatcher(); err == nil {
		defer w.Close()
		for _, d := range watchDirs(f.opt.Inputs) {
			_ = w.Add(d) // a directory that cannot be watched is polled
		}
		events = w.Events
		go func() {
			for range w.Errors { // overflow and the like: polling catches up
			}
		}()
	}
	poll := time.NewTicker(opt.Poll)
	defer poll.Stop()
	status := time.NewTicker(opt.StatusEvery)
	defer status.Stop()
	// Seals are built on another goroutine so that scanning (and alerting) goes on.
	var sealing *sealJob
	sealDone := make(chan *sealJob, 1)
	for {
		if _, err := f.Step(); err != nil {
			return err
		}
		if sealing == nil && f.SealDue() {
			if sealing = f.startSeal(); sealing != nil {
				go func(j *sealJob) { j.build(); sealDone <- j }(sealing)
			}
		}
		select {
		case j := <-sealDone:
			sealing = nil
			if err := f.finishSeal(j); err != nil {
				return err
			}
		case <-ctx.Done():
			if sealing != nil {
				if err := f.finishSeal(<-sealDone); err != nil {
					return err
				}
			}
			return f.Seal()
		case <-poll.C:
		case <-status.C:
			if opt.Status != nil {
				opt.Status(f.Stats())
			}
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if strings.HasPrefix(ev.Name, f.dir) {
				continue // our own writes
			}
			// Let a burst of writes settle into one scan.
			time.Sleep(50 * time.Millisecond)
			for len(events) > 0 {
				<-events
			}
		}
	}
}
