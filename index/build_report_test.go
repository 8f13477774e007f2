package index

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// TestBuildReport measures an index build against the flow pipeline alone on a big capture
// ($PCAPDEX_BIG, default /tmp/pcapdex-big/big.pcap), runs interleaved and best of 3 since
// the machine is shared: wall and CPU time, GB/s, allocations per packet. Set
// PCAPDEX_BUILD_REPORT=1 to run it.
func TestBuildReport(t *testing.T) {
	if os.Getenv("PCAPDEX_BUILD_REPORT") == "" {
		t.Skip("set PCAPDEX_BUILD_REPORT=1 (and PCAPDEX_BIG) to run the build report")
	}
	in := os.Getenv("PCAPDEX_BIG")
	if in == "" {
		in = "/tmp/pcapdex-big/big.pcap"
	}
	st, err := os.Stat(in)
	if err != nil {
		t.Skip(err)
	}
	out := filepath.Join(t.TempDir(), "x.pcapdex")
	type stats struct {
		wall, cpu time.Duration
		mallocs   uint64
		packets   uint64
	}
	measure := func(f func() uint64) stats {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		t0, c0 := time.Now(), cpuTime()
		n := f()
		s := stats{wall: time.Since(t0), cpu: cpuTime() - c0, packets: n}
		runtime.ReadMemStats(&m1)
		s.mallocs = m1.Mallocs - m0.Mallocs
		return s
	}
	flows := func(w int) func() uint64 {
		return func() uint64 {
			r, err := pcapng.Open(in, pcapng.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			res, err := flowhash.Process(r, flowhash.Options{Workers: w})
			if err != nil {
				t.Fatal(err)
			}
			return res.Packets
		}
	}
	build := func(w int) func() uint64 {
		return func() uint64 {
			bs, err := BuildFiles(out, []string{in}, BuildOptions{Flow: flowhash.Options{Workers: w}})
			if err != nil {
				t.Fatal(err)
			}
			return uint64(bs.Packets)
		}
	}
	names := []string{"flows workers=1", "flows workers=2", "index workers=1", "index workers=2"}
	runs := []func() uint64{flows(1), flows(2), build(1), build(2)}
	best := make([]stats, len(runs))
	for range 3 {
		for i, f := range runs {
			s := measure(f)
			if best[i].packets == 0 || s.wall < best[i].wall {
				best[i].wall = s.wall
			}
			if best[i].packets == 0 || s.cpu < best[i].cpu {
				best[i].cpu = s.cpu
			}
			best[i].packets, best[i].mallocs = s.packets, s.mallocs
		}
	}
	gb := float64(st.Size()) / 1e9
	t.Logf("%s: %d bytes, %d packets; GOMAXPROCS=%d; best of 3 interleaved", in, st.Size(), best[0].packets, runtime.GOMAXPROCS(0))
	for i, s := range best {
		t.Logf("%-16s wall %5.2fs %5.2f GB/s | cpu %5.2fs %5.2f GB/cpu-s | %.4f allocs/packet",
			names[i], s.wall.Seconds(), gb/s.wall.Seconds(), s.cpu.Seconds(), gb/s.cpu.Seconds(), float64(s.mallocs)/float64(s.packets))
	}
	t.Logf("index/flows (wall): workers=1 %.2f, workers=2 %.2f; index scaling workers=2/1: %.2fx",
		best[0].wall.Seconds()/best[2].wall.Seconds(), best[1].wall.Seconds()/best[3].wall.Seconds(), best[2].wall.Seconds()/best[3].wall.Seconds())
}
