package follow

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Options tune a Follower. Inputs and Dir are required.
type Options struct {
	// Inputs are what to follow: capture files, directories of captures, globs (matched
	// again on every scan, so rotated files are found).
	Inputs []string
	// Dir is the follow directory (created if missing).
	Dir string
	// Settle is how long a file may stay the same size before it counts as closed (the
	// last file of a set that no writer appends to any more); default 10 s.
	Settle time.Duration
	// SealEvery is the shortest time between two seals (default 2 s); a seal also waits
	// until four times the last seal's duration has passed.
	SealEvery time.Duration
	// Workers are the pipeline's goroutines when sealing (0: GOMAXPROCS).
	Workers int
	// Now is the clock (default time.Now); tests drive it.
	Now func() time.Time
	// Rules are the alert rules (ParseRules), evaluated by a live pass over the files as
	// they grow (Step); OnAlert receives each state change once, in order, during the Step
	// that finds it; the next seal's manifest records it (a crash before that prints it
	// again after the restart: at least once).
	Rules   []*Rule
	OnAlert func(Alert) error
	// Consumers, if not nil, returns more consumers of each seal's pass (the alerting
	// evaluates there); called once per seal.
	Consumers func() []flowhash.Consumer

	crash func(point string) bool // tests: stop dead at a point, as kill -9 would
}

// errCrash is what a Follower returns when a test's crash hook stopped it.
var errCrash = errors.New("follow: crashed (test)")

// Follower keeps the follow directory of a set of captures current. It is not safe for
// concurrent use.
type Follower struct {
	opt   Options
	dir   string
	m     Manifest
	live  map[int]*liveFile // by index in m.Files, for files not closed or gone
	dirty bool              // the manifest in memory differs from the one on disk

	lastSeal  time.Time
	sealCost  time.Duration
	lastStats Stats
	firing    int

	// With rules, one pipeline reads every file as it grows (the live pass the alerts are
	// evaluated on); after a restart it first replays the files up to where they are.
	pl  *flowhash.Pipeline
	eng *Engine
	cnt *counter
	fed map[int]bool // files the live pass has read from their start
}

// counter is the live pass's consumer that counts the current file's packets.
type counter struct{ e *FileEntry }

func (c *counter) BeginFile(*pcapng.Reader) error  { return nil }
func (c *counter) EndFile(*flowhash.FileEnd) error { return nil }
func (c *counter) Batch(b *flowhash.Batch) error {
	e := c.e
	for i := range b.Packets {
		ts := b.Packets[i].TS
		if e.Packets == 0 {
			e.First = ts
		}
		e.Packets++
		e.Last = ts
	}
	return nil
}

type liveFile struct {
	tail *pcapng.Tail
	size int64
	grew time.Time
}

// Stats describe the follower's state after a Step or Seal.
type Stats struct {
	Files, Gone  int
	Packets      uint64 // committed packets of the files on disk
	Pending      int64  // bytes written and not yet committed (partial records, unread growth)
	Indexed      uint64 // packets in the sealed index
	Generation   uint64
	LastTS       int64 // Unix ns of the newest committed packet
	SealDuration time.Duration
	// Lag is how long committed packets have waited for the index: the time since the
	// last seal while something is not sealed yet, else 0.
	Lag time.Duration
}

// Open opens (creating if needed) the follow directory and resumes from its manifest.
// Leftovers of a follower killed mid-seal (temporary files, an index no manifest names)
// are removed.
func Open(opt Options) (*Follower, error) {
	if len(opt.Inputs) == 0 || opt.Dir == "" {
		return nil, errors.New("follow: no input or no follow directory")
	}
	if opt.Settle <= 0 {
		opt.Settle = 10 * time.Second
	}
	if opt.SealEvery <= 0 {
		opt.SealEvery = 2 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	f := &Follower{opt: opt, dir: dir, live: map[int]*liveFile{}}
	m, err := ReadManifest(dir)
	switch {
	case err == nil:
		f.m = *m
	case errors.Is(err, os.ErrNotExist):
	default:
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	if len(opt.Rules) > 0 {
		f.eng, f.cnt, f.fed = NewEngine(opt.Rules), &counter{}, map[int]bool{}
		f.pl = flowhash.NewPipeline(flowhash.Options{Workers: opt.Workers}, f.cnt, f.eng)
		for i := range f.m.Files {
			if e := &f.m.Files[i]; !e.Gone {
				e.Packets, e.First, e.Last = 0, 0, 0 // the replay counts them again
			}
		}
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") && strings.Contains(n, ".tmp-") || strings.HasPrefix(n, "index-") && n != f.m.Index {
			os.Remove(filepath.Join(dir, n))
		}
	}
	return f, nil
}

// Dir returns the follow directory (absolute).
func (f *Follower) Dir() string { return f.dir }

// Manifest returns the follower's current manifest (not necessarily sealed yet).
func (f *Follower) Manifest() *Manifest { return &f.m }

func (f *Follower) crashed(point string) bool {
	return f.opt.crash != nil && f.opt.crash(point)
}

// Step scans once: finds new files, checks the identity of known ones, commits the whole
// records written since the last scan (with rules: runs them through the live pass and
// hands new alerts to OnAlert), and closes files that a newer file follows or that have
// not grown for Settle. It reports whether the follower holds changes no seal has written.
func (f *Follower) Step() (bool, error) {
	now := f.opt.Now()
	paths, err := candidates(f.opt.Inputs, f.dir)
	if err != nil {
		return false, fmt.Errorf("follow: %w", err)
	}
	known := map[string]bool{}
	for i := range f.m.Files {
		e := &f.m.Files[i]
		if e.Gone {
			continue
		}
		same, upd, _, err := sameFile(e)
		if err != nil {
			return false, fmt.Errorf("follow: %s: %w", e.Path, err)
		}
		if !same {
			f.markGone(i)
			continue
		}
		if upd {
			f.dirty = true
		}
		known[e.Path] = true
	}
	var fresh []string
	for _, p := range paths {
		if !known[p] {
			fresh = append(fresh, p)
		}
	}
	sortNew(fresh)
	for _, p := range fresh {
		e, _, err := identify(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return false, fmt.Errorf("follow: %s: %w", p, err)
		}
		f.m.Files = append(f.m.Files, e)
		f.dirty = true
	}
	if f.crashed("scan") {
		return false, errCrash
	}
	lastOpen := -1
	for i := range f.m.Files {
		if !f.m.Files[i].Gone {
			lastOpen = i
		}
	}
	for i := range f.m.Files {
		e := &f.m.Files[i]
		if e.Gone {
			continue
		}
		if e.Closed {
			if f.pl != nil && !f.fed[i] {
				if err := f.replayClosed(i); err != nil {
					return false, err
				}
			}
			continue
		}
		lf, err := f.open(i)
		if err != nil {
			return false, err
		}
		if err := f.drain(e, lf); err != nil {
			return false, err
		}
		st, err := os.Stat(e.Path)
		if err != nil {
			continue // gone: the next scan marks it
		}
		if st.Size() != lf.size {
			lf.size, lf.grew = st.Size(), now
		}
		if i < lastOpen || now.Sub(lf.grew) >= f.opt.Settle {
			lf.tail.SetClosed()
			if err := f.drain(e, lf); err != nil {
				return false, err
			}
			e.Closed, e.Truncated = true, lf.tail.Truncated()
			lf.tail.Close()
			delete(f.live, i)
			f.dirty = true
		}
	}
	if f.eng != nil {
		ts, seq := f.m.AlertTS, f.m.AlertSeq
		if err := f.emit(&f.m, f.eng.Alerts()); err != nil {
			return false, err
		}
		if f.m.AlertTS != ts || f.m.AlertSeq != seq {
			f.dirty = true
		}
		f.firing = f.eng.Firing()
	}
	return f.dirty, nil
}

// replayClosed feeds closed file i, whole, to the live pass (after a restart).
func (f *Follower) replayClosed(i int) error {
	e := &f.m.Files[i]
	f.fed[i] = true
	t, err := pcapng.OpenTail(e.Path, pcapng.TailOptions{Limit: e.Committed})
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	defer t.Close()
	t.SetClosed()
	if ok, err := t.Ready(); err != nil || !ok {
		return err
	}
	f.cnt.e = e
	defer func() { f.cnt.e = nil }()
	if err := f.pl.Run(t.Reader()); err != nil {
		return fmt.Errorf("follow: replay: %w", err)
	}
	return nil
}

func (f *Follower) markGone(i int) {
	e := &f.m.Files[i]
	e.Gone, f.dirty = true, true
	if lf := f.live[i]; lf != nil {
		lf.tail.Close()
		delete(f.live, i)
	}
}

// open returns file i's tail, opening it at its committed offset.
func (f *Follower) open(i int) (*liveFile, error) {
	if lf := f.live[i]; lf != nil {
		return lf, nil
	}
	e := &f.m.Files[i]
	t, err := pcapng.OpenTail(e.Path, pcapng.TailOptions{})
	if err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	if f.fed != nil {
		f.fed[i] = true // the live pass reads it from its start
	} else if e.Committed > 0 {
		if err := t.SkipTo(e.Committed); err != nil {
			t.Close()
			return nil, fmt.Errorf("follow: resume: %w", err)
		}
	}
	lf := &liveFile{tail: t, size: -1, grew: f.opt.Now()}
	f.live[i] = lf
	return lf, nil
}

// drain commits the whole records there are.
func (f *Follower) drain(e *FileEntry, lf *liveFile) error {
	if f.pl != nil {
		return f.feed(e, lf)
	}
	var p pcapng.Packet
	for {
		err := lf.tail.Next(&p)
		if err != nil {
			if c := lf.tail.Committed(); c != e.Committed {
				e.Committed, f.dirty = c, true
			}
			if err == pcapng.ErrPending || err == io.EOF {
				return nil
			}
			return fmt.Errorf("follow: %w", err)
		}
		if e.Packets == 0 {
			e.First = p.TS
		}
		e.Packets++
		e.Last = p.TS
	}
}

// feed runs the live pass over the whole records the file has now.
func (f *Follower) feed(e *FileEntry, lf *liveFile) error {
	ok, err := lf.tail.Ready()
	if err != nil || !ok {
		return err
	}
	lf.tail.Resume()
	f.cnt.e = e
	err = f.pl.Run(lf.tail.Reader())
	f.cnt.e = nil
	if c := lf.tail.Committed(); c > e.Committed {
		e.Committed, f.dirty = c, true
	}
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	return nil
}

// Stats returns the follower's counts now.
func (f *Follower) Stats() Stats {
	s := Stats{Generation: f.m.Generation, SealDuration: f.sealCost, Indexed: f.lastStats.Indexed}
	if f.dirty && !f.lastSeal.IsZero() {
		s.Lag = f.opt.Now().Sub(f.lastSeal)
	}
	for i := range f.m.Files {
		e := &f.m.Files[i]
		if e.Gone {
			s.Gone++
			continue
		}
		s.Files++
		s.Packets += e.Packets
		s.LastTS = max(s.LastTS, e.Last)
		if lf := f.live[i]; lf != nil && lf.size > e.Committed {
			s.Pending += lf.size - e.Committed
		}
	}
	return s
}

// SealDue reports whether Seal would write now: something changed and the spacing has
// passed.
func (f *Follower) SealDue() bool {
	if !f.dirty {
		return false
	}
	wait := max(f.opt.SealEvery, 4*f.sealCost)
	return f.lastSeal.IsZero() || f.opt.Now().Sub(f.lastSeal) >= wait
}

// Seal writes a new index over the committed records of the files on disk and the
// manifest naming it, atomically; then removes the previous index. Nothing happens when
// nothing changed.
func (f *Follower) Seal() error {
	j := f.startSeal()
	if j == nil {
		return nil
	}
	j.build()
	return f.finishSeal(j)
}

// sealJob is one seal: a snapshot of the manifest, built into an index by build (which
// touches nothing else, so it may run on another goroutine while Step goes on), then
// committed by finishSeal.
type sealJob struct {
	next    Manifest
	ents    []*FileEntry
	old     string
	dir     string
	workers int
	more    []flowhash.Consumer
	start   time.Time
	indexed uint64
	err     error
}

// startSeal snapshots the manifest for a seal (nil when nothing changed).
func (f *Follower) startSeal() *sealJob {
	if !f.dirty {
		return nil
	}
	j := &sealJob{next: f.m, old: f.m.Index, dir: f.dir, workers: f.opt.Workers, start: time.Now()}
	j.next.Files = append([]FileEntry(nil), f.m.Files...)
	j.next.Generation++
	for i := range j.next.Files {
		e := &j.next.Files[i]
		e.Indexed = !e.Gone && e.Committed > 0
		if e.Indexed {
			j.ents = append(j.ents, e)
		}
	}
	j.next.Index = ""
	if len(j.ents) > 0 {
		j.next.Index = fmt.Sprintf("index-%d.pcapdex", j.next.Generation)
	}
	if f.opt.Consumers != nil {
		j.more = f.opt.Consumers()
	}
	f.dirty = false // a change from now on is for the next seal
	return j
}

// build writes the job's index.
func (j *sealJob) build() {
	if j.next.Index == "" {
		return
	}
	st, err := buildIndex(filepath.Join(j.dir, j.next.Index), j.ents, j.workers, j.more)
	if err != nil {
		j.err = err
		return
	}
	j.indexed = uint64(st.Packets)
}

// finishSeal writes the job's manifest and removes the index it replaces.
func (f *Follower) finishSeal(j *sealJob) error {
	if j.err != nil {
		f.dirty = true
		if errors.Is(j.err, errChanged) {
			return nil // a file changed under the build: the next scan sees it
		}
		return j.err
	}
	if f.crashed("index-written") {
		return errCrash
	}
	b, err := AppendManifest(nil, &j.next)
	if err != nil {
		f.dirty = true
		return fmt.Errorf("follow: manifest: %w", err)
	}
	if f.crashed("manifest-encoded") {
		return errCrash
	}
	if err := writeAtomic(f.dir, ManifestName, b); err != nil {
		f.dirty = true
		return err
	}
	if f.crashed("manifest-renamed") {
		return errCrash
	}
	if j.old != "" && j.old != j.next.Index {
		os.Remove(filepath.Join(f.dir, j.old))
	}
	f.m.Generation, f.m.Index = j.next.Generation, j.next.Index
	for i := range j.next.Files {
		f.m.Files[i].Indexed = j.next.Files[i].Indexed
	}
	f.lastSeal = f.opt.Now()
	f.sealCost = time.Since(j.start)
	f.lastStats.Indexed = j.indexed
	return nil
}

// emit hands the alerts past the manifest's watermark to OnAlert and moves the watermark.
func (f *Follower) emit(m *Manifest, alerts []Alert) error {
	seq := 0
	for i := range alerts {
		a := &alerts[i]
		if i > 0 && a.Last == alerts[i-1].Last {
			seq++
		} else {
			seq = 1
		}
		if a.Last < m.AlertTS || a.Last == m.AlertTS && seq <= m.AlertSeq {
			continue
		}
		if f.opt.OnAlert != nil {
			if err := f.opt.OnAlert(*a); err != nil {
				return err
			}
		}
		m.AlertTS, m.AlertSeq = a.Last, seq
	}
	return nil
}

// Firing returns how many rule keys were firing at the end of the last seal.
func (f *Follower) Firing() int { return f.firing }

// Close releases the open files (the follow directory stays as the last Seal left it).
func (f *Follower) Close() error {
	var err error
	for i, lf := range f.live {
		err = errors.Join(err, lf.tail.Close())
		delete(f.live, i)
	}
	return err
}
