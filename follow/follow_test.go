package follow

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/index"
)

// fakeClock is the follower's clock in the tests: it moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// presentFiles lists the capture files on disk in the order they were written.
func presentFiles(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	type f struct {
		path  string
		first int64
	}
	var fs []f
	for _, e := range ents {
		if e.Type().IsRegular() {
			p := filepath.Join(dir, e.Name())
			ts, _ := firstTS(p)
			fs = append(fs, f{p, ts})
		}
	}
	slices.SortFunc(fs, func(a, b f) int { return int(a.first - b.first) })
	var out []string
	for _, x := range fs {
		out = append(out, x.path)
	}
	return out
}

// checkSealed checks the follow directory on disk: a valid manifest whose index holds
// exactly the committed packets of the files it says it indexed, each committed offset a
// record boundary inside its file.
func checkSealed(t *testing.T, dir string, prev map[string]int64) {
	m, err := ReadManifest(dir)
	if os.IsNotExist(err) || err != nil && bytes.Contains([]byte(err.Error()), []byte("no such file")) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var want uint64
	for _, e := range m.Files {
		if !e.Indexed {
			continue
		}
		want += e.Packets
		key := fmt.Sprintf("%d/%d/%s", e.Dev, e.Ino, e.Head[:8])
		if c, ok := prev[key]; ok && e.Committed < c && !e.Gone {
			t.Fatalf("%s: committed went back from %d to %d", e.Path, c, e.Committed)
		}
		prev[key] = e.Committed
	}
	if m.Index == "" {
		if want != 0 {
			t.Fatalf("no index for %d packets", want)
		}
		return
	}
	r, err := index.Open(m.IndexPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pk, err := r.Table(index.TablePackets)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(pk.NumRows()) != want {
		t.Fatalf("generation %d: index holds %d packets, the manifest committed %d", m.Generation, pk.NumRows(), want)
	}
}

func runFollow(t *testing.T, style string, seed uint64, kills int) {
	capDir := t.TempDir()
	fdir := filepath.Join(t.TempDir(), "follow")
	w := &rotWriter{style: style, dir: capDir, perFile: 150, pkts: genTraffic(seed, 80, 1_700_000_000e9)}
	rng := rand.New(rand.NewPCG(seed, 2))
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	crashAt := ""
	opt := Options{Inputs: []string{capDir}, Dir: fdir, Settle: 5 * time.Second, SealEvery: time.Second, Workers: 2,
		Now: clock.now, crash: func(p string) bool { return p == crashAt }}
	f, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	points := []string{"scan", "index-written", "manifest-encoded", "manifest-renamed"}
	prev := map[string]int64{}
	killed := 0
	for !w.done() {
		if err := w.write(1 + rng.IntN(20)); err != nil {
			t.Fatal(err)
		}
		clock.t = clock.t.Add(time.Duration(rng.IntN(800)) * time.Millisecond)
		if killed < kills && rng.IntN(3) == 0 {
			crashAt = points[rng.IntN(len(points))]
		}
		_, err := f.Step()
		if err == nil && f.SealDue() {
			err = f.Seal()
		}
		if err == errCrash {
			// Killed: drop the follower's memory and start again from the directory.
			f.Close()
			killed++
			crashAt = ""
			checkSealed(t, fdir, prev)
			if f, err = Open(opt); err != nil {
				t.Fatal(err)
			}
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		crashAt = ""
	}
	if killed < kills {
		t.Fatalf("only %d kills happened, want %d", killed, kills)
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		clock.t = clock.t.Add(time.Minute)
		if _, err := f.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Seal(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	checkSealed(t, fdir, prev)

	// The follow index is the index `pcapdex index` builds over the finished files.
	files := presentFiles(t, capDir)
	m, err := ReadManifest(fdir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Files {
		if e.Indexed {
			got = append(got, e.Path)
			if !e.Closed {
				t.Errorf("%s not closed after the settle time", e.Path)
			}
		}
	}
	if !slices.Equal(got, files) {
		t.Fatalf("follow indexed\n%q\nthe files on disk are\n%q", got, files)
	}
	want := filepath.Join(t.TempDir(), "want.pcapdex")
	if _, err := index.BuildFiles(want, files, index.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(m.IndexPath(fdir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("follow index (%d bytes) differs from pcapdex index over the finished files (%d bytes)", len(b), len(a))
	}
	t.Logf("%s: %d packets in %d files, %d kills, generation %d", style, len(w.pkts), len(files), killed, m.Generation)
}

// TestFollowKills follows a writer in each rotation style (tcpdump -C/-W, -G, dumpcap
// ring), killing the follower at random points of its scan and seal (50 times over the
// three), and checks that it loses and doubles nothing: after each kill the sealed index
// holds exactly the committed packets, and at the end it is byte for byte the index
// pcapdex index builds over the finished files.
func TestFollowKills(t *testing.T) {
	for i, style := range []string{"tcpdump-C", "tcpdump-G", "dumpcap"} {
		t.Run(style, func(t *testing.T) { runFollow(t, style, uint64(100+i), []int{17, 17, 16}[i]) })
	}
}
