package index

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// countPasses is a consumer counting the captures read.
type countPasses struct {
	n       *atomic.Int32
	release chan struct{} // BeginFile waits for it (nil: no wait)
}

func (c countPasses) BeginFile(*pcapng.Reader) error {
	c.n.Add(1)
	if c.release != nil {
		<-c.release
	}
	return nil
}
func (c countPasses) Batch(*flowhash.Batch) error     { return nil }
func (c countPasses) EndFile(*flowhash.FileEnd) error { return nil }

func sampleCapture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/sample.pcap")
	if err != nil {
		t.Skip(err)
	}
	p := filepath.Join(t.TempDir(), "s.pcap")
	os.WriteFile(p, b, 0o644)
	return p
}

// TestSecondBuildWaits is issue 19 row 6: a build that starts while another is under way
// waits for it and finds the index built (one pass, not two).
func TestSecondBuildWaits(t *testing.T) {
	capPath := sampleCapture(t)
	out := capPath + Suffix
	var passes atomic.Int32
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := BuildFiles(out, []string{capPath}, BuildOptions{Consumers: []flowhash.Consumer{countPasses{&passes, release}}})
		first <- err
	}()
	for passes.Load() == 0 { // the first build holds the lock and is reading
		time.Sleep(time.Millisecond)
	}
	waiting := make(chan struct{})
	second := make(chan error, 1)
	go func() {
		_, err := BuildFiles(out, []string{capPath}, BuildOptions{Consumers: []flowhash.Consumer{countPasses{&passes, nil}},
			lockWait: func() { close(waiting) }})
		second <- err
	}()
	<-waiting // deterministic: the second build is waiting on the first
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; !errors.Is(err, ErrBuiltByOther) {
		t.Fatalf("second build: %v, want ErrBuiltByOther", err)
	}
	if n := passes.Load(); n != 1 {
		t.Errorf("%d passes over the capture, want 1", n)
	}
	if _, err := os.Stat(lockPath(out)); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
}

// TestStalledBuilderIsTakenOver: a lock holder that shows no progress (a deterministic
// stall: the lock taken and never refreshed) is waited for LockStale, then the waiter
// builds on its own; nothing blocks forever.
func TestStalledBuilderIsTakenOver(t *testing.T) {
	capPath := sampleCapture(t)
	out := capPath + Suffix
	l, waited := acquireBuildLock(out, 0, nil)
	if l == nil || waited {
		t.Fatalf("lock %v waited %v", l, waited)
	}
	defer l.release()
	old := time.Now().Add(-time.Hour)
	os.Chtimes(l.path, old, old) // the holder stalled an hour ago
	start := time.Now()
	res, err := BuildFiles(out, []string{capPath}, BuildOptions{LockStale: 100 * time.Millisecond})
	if err != nil || res == nil {
		t.Fatalf("build past a stalled lock: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %v", el)
	}
	if ok, why := UpToDate(out, []string{capPath}); !ok {
		t.Errorf("index not up to date: %s", why)
	}
}
