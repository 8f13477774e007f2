package stagebench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

var sink [][]byte

// TestMeasureCountsAllocations pins measure's allocation accounting: nothing of its own
// (the sampler, rusage) shows up, and fn's allocations all do.
// Mallocs is process-wide and the test binary's own goroutines allocate now and then, so
// the smallest count of a few tries is checked.
func TestMeasureCountsAllocations(t *testing.T) {
	least := ^uint64(0)
	for range 5 {
		s, err := measure(func() error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		least = min(least, s.mallocs)
	}
	if least != 0 {
		t.Errorf("empty stage: %d allocations, want 0", least)
	}
	const n, size = 1000, 256
	var s sample
	for try := range 3 {
		var err error
		s, err = measure(func() error {
			sink = make([][]byte, 0, n) // 1 allocation
			for range n {
				sink = append(sink, make([]byte, size))
			}
			return nil
		})
		sink = nil
		if err != nil {
			t.Fatal(err)
		}
		if s.mallocs == n+1 || try == 2 {
			break
		}
	}
	if s.mallocs < n+1 || s.mallocs > n+5 {
		t.Errorf("%d allocations counted, want %d (+ at most 4 by the runtime)", s.mallocs, n+1)
	}
	if s.allocBytes < n*size {
		t.Errorf("%d bytes allocated counted, want at least %d", s.allocBytes, n*size)
	}
}

// TestMeasurePeaks: a stage that holds 64 MB for a while shows it in the heap peak and, on
// Linux, in the peak RSS; a later small stage does not inherit the mark.
func TestMeasurePeaks(t *testing.T) {
	const big = 64 << 20
	s, err := measure(func() error {
		b := make([]byte, big)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		time.Sleep(10 * heapInterval)
		runtime.KeepAlive(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.heapPeak < big {
		t.Errorf("heap peak %d, want at least %d", s.heapPeak, big)
	}
	if s.wall < 10*heapInterval {
		t.Errorf("wall %v, shorter than the sleep", s.wall)
	}
	if runtime.GOOS != "linux" {
		return
	}
	if s.rssPeak < big {
		t.Errorf("peak RSS %d, want at least %d", s.rssPeak, big)
	}
	small, err := measure(func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if small.rssPeak == 0 || small.rssPeak >= s.rssPeak {
		t.Errorf("peak RSS of an empty stage after a 64 MB one: %d (the 64 MB stage: %d); the mark was not reset", small.rssPeak, s.rssPeak)
	}
	if small.heapPeak >= big {
		t.Errorf("heap peak of an empty stage after a 64 MB one: %d", small.heapPeak)
	}
}

// TestMeasureCPU: CPU time of a busy stage is counted and cannot exceed what the
// process's threads could have used.
func TestMeasureCPU(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no getrusage")
	}
	var x uint64
	s, err := measure(func() error {
		for i := range uint64(200_000_000) {
			x += i * i
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.cpu <= 0 {
		t.Errorf("cpu %v for a busy loop", s.cpu)
	}
	// One thread was busy; the runtime's threads add little. Allow clock granularity.
	if lim := s.wall*time.Duration(runtime.GOMAXPROCS(0)) + 20*time.Millisecond; s.cpu > lim {
		t.Errorf("cpu %v exceeds wall %v x GOMAXPROCS", s.cpu, s.wall)
	}
	_ = x
}

// sampleCapture is the repository's sample capture (testdata/sample.pcapng).
func sampleCapture(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../testdata/sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("sample capture missing: %v", err)
	}
	return p
}

// TestRunSelectedStages runs the read and flows stages only, twice each, and checks the
// report's shape and the JSON's stable keys.
func TestRunSelectedStages(t *testing.T) {
	tmp := t.TempDir()
	rep, err := Run(sampleCapture(t), Options{Stages: []string{StageFlows, StageRead}, Workers: []int{2, 1}, Repeat: 2, TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range rep.Stages {
		names = append(names, s.Name)
		if s.Runs != 2 || s.WallMin > s.Wall || s.Wall > s.WallMax {
			t.Errorf("%s: runs %d, wall min %v median %v max %v", s.Name, s.Runs, s.WallMin, s.Wall, s.WallMax)
		}
		if s.RSSPeak > rep.MaxRSS {
			t.Errorf("%s: peak RSS %d above the process's max RSS %d", s.Name, s.RSSPeak, rep.MaxRSS)
		}
		if s.Packets != rep.Packets || s.Bytes != rep.StreamBytes {
			t.Errorf("%s: %d packets %d bytes, warm-up read %d packets %d bytes", s.Name, s.Packets, s.Bytes, rep.Packets, rep.StreamBytes)
		}
	}
	if want := []string{"read/raw", "read/mmap", "read/plain", "flows/2", "flows/1"}; !slices.Equal(names, want) {
		t.Fatalf("stages %v, want %v (run order, workers as given)", names, want)
	}
	if one := rep.Stages[4]; one.Speedup != 1 {
		t.Errorf("flows/1 speedup %v, want 1", one.Speedup)
	}
	if two := rep.Stages[3]; two.Speedup <= 0 || two.Flows != rep.Stages[4].Flows || two.Flows == 0 {
		t.Errorf("flows/2: speedup %v, %d flows (1 worker: %d)", two.Speedup, two.Flows, rep.Stages[4].Flows)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temporary directory not empty: %v", ents)
	}

	var j struct {
		Stages []json.RawMessage `json:"stages"`
	}
	if err := json.Unmarshal(rep.AppendJSON(nil), &j); err != nil {
		t.Fatal(err)
	}
	var first []string
	for i, raw := range j.Stages {
		keys := jsonKeys(t, raw)
		if i == 0 {
			first = keys
		} else if !slices.Equal(keys, first) {
			t.Errorf("stage %d keys %v, stage 0 keys %v", i, keys, first)
		}
	}
	if len(first) != 26 || first[0] != "stage" || first[len(first)-1] != "speedup" {
		t.Errorf("keys %v", first)
	}
}

// jsonKeys returns the keys of a JSON object in document order.
func jsonKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(sampleCapture(t), Options{Stages: []string{"parse"}}); err == nil || !strings.Contains(err.Error(), `"parse"`) {
		t.Errorf("unknown stage: %v", err)
	}
	if _, err := Run(sampleCapture(t), Options{Workers: []int{0}}); err == nil {
		t.Error("0 workers accepted")
	}
	if _, err := Run(filepath.Join(t.TempDir(), "none.pcap"), Options{}); err == nil {
		t.Error("missing capture accepted")
	}
	notCap := filepath.Join(t.TempDir(), "x.pcap")
	os.WriteFile(notCap, []byte("this is not a capture file at all"), 0o644)
	if _, err := Run(notCap, Options{}); err == nil {
		t.Error("non-capture accepted")
	}
}

// TestRunNoMmap: with NoMmap the decode and flows stages read with plain reads, see the same
// packets and find the same flows.
func TestRunNoMmap(t *testing.T) {
	var reps [2]*Report
	for i, noMmap := range []bool{false, true} {
		rep, err := Run(sampleCapture(t), Options{Stages: []string{StageDecode, StageFlows}, Workers: []int{1}, NoMmap: noMmap, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Stages) != 2 || rep.NoMmap != noMmap {
			t.Fatalf("no-mmap %v: %d stages, report says %v", noMmap, len(rep.Stages), rep.NoMmap)
		}
		for _, s := range rep.Stages {
			if got := strings.Contains(s.Detail, "plain reads"); got != noMmap {
				t.Errorf("no-mmap %v: %s detail %q", noMmap, s.Name, s.Detail)
			}
		}
		reps[i] = rep
	}
	for i := range reps[0].Stages {
		a, b := reps[0].Stages[i], reps[1].Stages[i]
		if a.Packets != b.Packets || a.Flows != b.Flows || a.Packets == 0 {
			t.Errorf("%s: mapped %d packets %d flows, plain %d packets %d flows", a.Name, a.Packets, a.Flows, b.Packets, b.Flows)
		}
	}
}
