package follow

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/index"
)

// TestRunLive follows a writer on another goroutine through Run (notifications and
// polling, the real clock) and checks the sealed index once the writer is done.
func TestRunLive(t *testing.T) {
	capDir := t.TempDir()
	fdir := filepath.Join(t.TempDir(), "follow")
	w := &rotWriter{style: "dumpcap", dir: capDir, perFile: 400, pkts: genTraffic(3, 40, 1_700_000_000e9)}
	f, err := Open(Options{Inputs: []string{filepath.Join(capDir, "cap_*.pcapng")}, Dir: fdir, Settle: 300 * time.Millisecond, SealEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var seen []Stats
	go func() {
		done <- f.Run(ctx, RunOptions{Poll: 20 * time.Millisecond, StatusEvery: 30 * time.Millisecond, Status: func(s Stats) { seen = append(seen, s) }})
	}()
	for !w.done() {
		if err := w.write(25); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond) // past the settle time: the last file closes
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 {
		t.Error("no status reported")
	}
	files := presentFiles(t, capDir)
	want := filepath.Join(t.TempDir(), "want.pcapdex")
	if _, err := index.BuildFiles(want, files, index.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(fdir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(want)
	b, _ := os.ReadFile(m.IndexPath(fdir))
	if !bytes.Equal(a, b) {
		t.Fatalf("live follow index (%d bytes) differs from the index of the finished files (%d bytes)", len(b), len(a))
	}
}
