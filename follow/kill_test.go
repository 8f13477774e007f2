//go:build unix

package follow

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/index"
)

// TestFollowKill9 runs the follower in a child process (this test binary) and kills it
// with SIGKILL 50 times at moments drawn from a seeded generator while a dumpcap-style
// writer goes on; the last follower's index must equal pcapdex index over the finished
// files, and after every kill the directory must hold a manifest whose index has exactly
// the packets it says it committed.
func TestFollowKill9(t *testing.T) {
	if dir := os.Getenv("PCAPDEX_FOLLOW_CHILD_DIR"); dir != "" {
		f, err := Open(Options{Inputs: []string{os.Getenv("PCAPDEX_FOLLOW_CHILD_IN")}, Dir: dir,
			Settle: 400 * time.Millisecond, SealEvery: 10 * time.Millisecond, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("\nfollower-ready\n")
		err = f.Run(context.Background(), RunOptions{Poll: 5 * time.Millisecond})
		t.Fatal("child follower returned: ", err)
	}
	if testing.Short() {
		t.Skip("kills 50 child processes")
	}
	capDir := t.TempDir()
	fdir := filepath.Join(t.TempDir(), "follow")
	w := &rotWriter{style: "dumpcap", dir: capDir, perFile: 400, pkts: genTraffic(11, 150, 1_700_000_000e9)}
	rng := rand.New(rand.NewPCG(14, 9))
	start := func() *exec.Cmd {
		c := exec.Command(os.Args[0], "-test.run=^TestFollowKill9$")
		c.Env = append(os.Environ(), "PCAPDEX_FOLLOW_CHILD_DIR="+fdir, "PCAPDEX_FOLLOW_CHILD_IN="+capDir)
		out, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill only a follower that is running (a test binary takes a while to start).
		sc := bufio.NewScanner(out)
		for sc.Scan() && sc.Text() != "follower-ready" {
		}
		go io.Copy(io.Discard, out)
		return c
	}
	prev := map[string]int64{}
	gens := map[uint64]bool{}
	leftovers := 0
	perKill := len(w.pkts)/50 + 1
	for kill := 0; kill < 50; kill++ {
		c := start()
		for range 4 {
			if err := w.write(perKill / 4); err != nil {
				t.Fatal(err)
			}
			d := time.Duration(5+rng.IntN(40)) * time.Millisecond
			if raceOn {
				d *= 5
			}
			time.Sleep(d)
		}
		c.Process.Kill()
		c.Wait()
		checkSealed(t, fdir, prev)
		if m, err := ReadManifest(fdir); err == nil {
			gens[m.Generation] = true
		}
		ents, _ := os.ReadDir(fdir)
		leftovers += len(ents) - 2 // beyond the manifest and its index: a seal was cut
	}
	t.Logf("50 kills: %d distinct sealed generations seen, %d leftovers of cut seals", len(gens), leftovers)
	if len(gens) < 5 {
		t.Errorf("only %d generations sealed between 50 kills: the kills did not test much", len(gens))
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	files := presentFiles(t, capDir)
	want := filepath.Join(t.TempDir(), "want.pcapdex")
	if _, err := index.BuildFiles(want, files, index.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	c := start()
	defer func() { c.Process.Kill(); c.Wait() }()
	var b []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		m, err := ReadManifest(fdir)
		if err != nil || m.Index == "" {
			continue
		}
		b, _ = os.ReadFile(m.IndexPath(fdir))
		if bytes.Equal(a, b) {
			return
		}
	}
	t.Fatalf("after 50 kills the follow index (%d bytes) never equalled pcapdex index over the finished files (%d bytes)", len(b), len(a))
}
