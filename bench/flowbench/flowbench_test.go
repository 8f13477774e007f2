package flowbench

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pcapdex/pcapdex/bench/peers"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

func bigPath(tb testing.TB) string {
	p := os.Getenv("PCAPDEX_BIG")
	if p == "" {
		p = "/tmp/pcapdex-big/big.pcap"
	}
	st, err := os.Stat(p)
	if err != nil {
		tb.Skipf("big capture %s missing (make it with ../shared/tools/make-big-capture (from the repository root) /tmp/pcapdex-big): %v", p, err)
	}
	if st.Size() < 1<<30 {
		tb.Logf("warning: %s is %d bytes, less than 1 GiB", p, st.Size())
	}
	return p
}

type runStats struct {
	packets, flows uint64
	elapsed        time.Duration
	cpu            time.Duration // user+system CPU time of the process during the run
	mallocs        uint64
}

func (s runStats) pps() float64 { return float64(s.packets) / s.elapsed.Seconds() }

// cpuPPS is packets per CPU-second: on a shared, overloaded machine wall time mostly measures
// the neighbours; CPU time measures the work.
func (s runStats) cpuPPS() float64 { return float64(s.packets) / s.cpu.Seconds() }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runPipeline is one pass of pcapdex's pipeline with w workers over a memory-mapped file.
func runPipeline(tb testing.TB, path string, w int) runStats {
	return runPipelineOpt(tb, path, w, false)
}

// runReadOnly is one pass of the reader alone (Next until EOF), for the cost split.
func runReadOnly(tb testing.TB, path string, noMmap bool) runStats {
	start, c0 := time.Now(), cpuTime()
	r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
	if err != nil {
		tb.Fatal(err)
	}
	var p pcapng.Packet
	var n uint64
	for r.Next(&p) == nil {
		n++
	}
	r.Close()
	return runStats{packets: n, elapsed: time.Since(start), cpu: cpuTime() - c0}
}

func runPipelineOpt(tb testing.TB, path string, w int, noMmap bool) runStats {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start, c0 := time.Now(), cpuTime()
	r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := flowhash.Process(r, flowhash.Options{Workers: w})
	r.Close()
	if err != nil {
		tb.Fatal(err)
	}
	el, cpu := time.Since(start), cpuTime()-c0
	runtime.ReadMemStats(&m1)
	return runStats{packets: res.Packets, flows: uint64(len(res.Flows)), elapsed: el, cpu: cpu, mallocs: m1.Mallocs - m0.Mallocs}
}

// baseline flow key: ordered endpoints, comparable, as a gopacket user would write it.
type gpKey struct {
	a, b   [16]byte
	pa, pb uint16
	proto  uint8
}

type gpFlow struct {
	pkts, bytes [2]uint64
	first, last time.Time
}

// runGopacket is one pass of the baseline: pcapgo reader (zero-copy reads), one
// DecodingLayerParser with preallocated layers, and a map of flows keyed symmetrically.
func runGopacket(tb testing.TB, path string) runStats {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start, c0 := time.Now(), cpuTime()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		tb.Fatal(err)
	}
	l := peers.NewLayers()
	flows := map[gpKey]*gpFlow{}
	var n uint64
	for {
		data, ci, err := rd.ZeroCopyReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
		_ = l.Parser.DecodeLayers(data, &l.Decoded)
		var k gpKey
		var src, dst [16]byte
		var sp, dp uint16
		ok := false
		for _, lt := range l.Decoded {
			switch lt {
			case layers.LayerTypeIPv4:
				copy(src[:], l.IP4.SrcIP.To4())
				copy(dst[:], l.IP4.DstIP.To4())
				k.proto = uint8(l.IP4.Protocol)
				ok = true
			case layers.LayerTypeIPv6:
				copy(src[:], l.IP6.SrcIP)
				copy(dst[:], l.IP6.DstIP)
				k.proto = uint8(l.IP6.NextHeader)
				ok = true
			case layers.LayerTypeTCP:
				sp, dp = uint16(l.TCP.SrcPort), uint16(l.TCP.DstPort)
			case layers.LayerTypeUDP:
				sp, dp = uint16(l.UDP.SrcPort), uint16(l.UDP.DstPort)
			}
		}
		if !ok {
			continue
		}
		d := 0
		if string(src[:]) < string(dst[:]) || (src == dst && sp <= dp) {
			k.a, k.b, k.pa, k.pb = src, dst, sp, dp
		} else {
			k.a, k.b, k.pa, k.pb = dst, src, dp, sp
			d = 1
		}
		fl := flows[k]
		if fl == nil {
			fl = &gpFlow{first: ci.Timestamp}
			flows[k] = fl
		}
		fl.pkts[d]++
		fl.bytes[d] += uint64(ci.Length)
		fl.last = ci.Timestamp
	}
	el, cpu := time.Since(start), cpuTime()-c0
	runtime.ReadMemStats(&m1)
	return runStats{packets: n, flows: uint64(len(flows)), elapsed: el, cpu: cpu, mallocs: m1.Mallocs - m0.Mallocs}
}

// TestFlowReport runs pcapdex with 1 and 2 workers and the gopacket baseline once each on
// the big capture and logs packets/s, the 2-worker scaling ratio, the speedup over the
// baseline and allocations per packet. Set FLOWBENCH=1 to run it (it reads > 1 GB).
func TestFlowReport(t *testing.T) {
	if os.Getenv("FLOWBENCH") == "" {
		t.Skip("set FLOWBENCH=1 to run the big-capture report")
	}
	path := bigPath(t)
	st, _ := os.Stat(path)
	// Interleave the three runs `rounds` times and keep each one's best: the machine is shared.
	rounds := 3
	best := func(old, cur runStats) runStats {
		if old.packets == 0 || cur.elapsed < old.elapsed {
			old.elapsed = cur.elapsed
		}
		if old.packets == 0 || cur.cpu < old.cpu {
			old.cpu = cur.cpu
		}
		old.packets, old.flows, old.mallocs = cur.packets, cur.flows, cur.mallocs
		return old
	}
	var gp, w1, w2, w1p, w2p, rdm, rdp runStats
	for range rounds {
		gp = best(gp, runGopacket(t, path))
		w1 = best(w1, runPipeline(t, path, 1))
		w2 = best(w2, runPipeline(t, path, 2))
		w1p = best(w1p, runPipelineOpt(t, path, 1, true))
		w2p = best(w2p, runPipelineOpt(t, path, 2, true))
		rdm = best(rdm, runReadOnly(t, path, false))
		rdp = best(rdp, runReadOnly(t, path, true))
	}
	t.Logf("capture %s: %d bytes, %d packets; GOMAXPROCS=%d NumCPU=%d; best of %d interleaved rounds", path, st.Size(), w1.packets, runtime.GOMAXPROCS(0), runtime.NumCPU(), rounds)
	for _, r := range []struct {
		name string
		s    runStats
	}{{"gopacket DLP + map", gp}, {"pcapdex workers=1", w1}, {"pcapdex workers=2", w2},
		{"pcapdex w=1 no-mmap", w1p}, {"pcapdex w=2 no-mmap", w2p},
		{"reader only, mmap", rdm}, {"reader only, no-mmap", rdp}} {
		t.Logf("%-20s wall %7.2fs %9.0f packets/s %7.1f MB/s | cpu %7.2fs %9.0f packets/cpu-s | %8d flows %.4f allocs/packet",
			r.name, r.s.elapsed.Seconds(), r.s.pps(), float64(st.Size())/r.s.elapsed.Seconds()/1e6,
			r.s.cpu.Seconds(), r.s.cpuPPS(), r.s.flows, float64(r.s.mallocs)/float64(r.s.packets))
	}
	t.Logf("scaling workers=2 / workers=1 (wall): %.2fx", w2.pps()/w1.pps())
	t.Logf("speedup over gopacket (wall): workers=1 %.2fx, workers=2 %.2fx", w1.pps()/gp.pps(), w2.pps()/gp.pps())
	t.Logf("speedup over gopacket (per CPU-second): workers=1 %.2fx, workers=2 %.2fx", w1.cpuPPS()/gp.cpuPPS(), w2.cpuPPS()/gp.cpuPPS())
	t.Logf("no-mmap: scaling %.2fx; over gopacket (wall) w=1 %.2fx, w=2 %.2fx; per CPU-second w=1 %.2fx",
		w2p.pps()/w1p.pps(), w1p.pps()/gp.pps(), w2p.pps()/gp.pps(), w1p.cpuPPS()/gp.cpuPPS())
	if w1.packets != gp.packets {
		t.Errorf("packet counts differ: pcapdex %d, gopacket %d", w1.packets, gp.packets)
	}
}

func BenchmarkPipelineWorkers1(b *testing.B) { benchPipeline(b, 1) }
func BenchmarkPipelineWorkers2(b *testing.B) { benchPipeline(b, 2) }

func benchPipeline(b *testing.B, w int) {
	path := bigPath(b)
	var s runStats
	for range b.N {
		r := runPipeline(b, path, w)
		s.packets += r.packets
		s.elapsed += r.elapsed
		s.mallocs += r.mallocs
	}
	b.ReportMetric(s.pps(), "packets/s")
	b.ReportMetric(float64(s.mallocs)/float64(s.packets), "allocs/packet")
}

func BenchmarkGopacketMap(b *testing.B) {
	path := bigPath(b)
	var s runStats
	for range b.N {
		r := runGopacket(b, path)
		s.packets += r.packets
		s.elapsed += r.elapsed
		s.mallocs += r.mallocs
	}
	b.ReportMetric(s.pps(), "packets/s")
	b.ReportMetric(float64(s.mallocs)/float64(s.packets), "allocs/packet")
}
