package decodebench

import (
	"runtime"
	"testing"

	"github.com/pcapdex/pcapdex/bench/peers"
	"github.com/pcapdex/pcapdex/fastparse"
)

// BenchmarkRatio measures both decoders in alternating passes over the whole mix, on one
// locked thread, and keeps each decoder's fastest pass by thread CPU time: on a shared,
// loaded machine neighbours slow single passes down, rarely all of them. It reports
// fastparse-cpu-ns and dlp-cpu-ns per packet, cold and warm (see the package doc), and
// their ratios. b.N counts rounds of four passes.
func BenchmarkRatio(b *testing.B) {
	m := loadMix(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := peers.NewLayers()
	var p fastparse.Packet
	var s uint64
	fp := func(warm bool) int64 {
		t0 := threadCPU()
		for i := range m {
			pk := &m[i]
			s += readerTouch(pk, warm)
			fastparse.Decode(&p, pk.Link, pk.Data, pk.OrigLen)
			s += fastparseFields(&p)
		}
		return threadCPU() - t0
	}
	dl := func(warm bool) int64 {
		t0 := threadCPU()
		for i := range m {
			pk := &m[i]
			s += readerTouch(pk, warm)
			s += decodeDLP(d, pk.Data)
		}
		return threadCPU() - t0
	}
	const inf = int64(1) << 62
	best := [4]int64{inf, inf, inf, inf} // fastparse cold, dlp cold, fastparse warm, dlp warm
	b.ResetTimer()
	for range max(b.N, 20) {
		for k, t := range [4]int64{fp(false), dl(false), fp(true), dl(true)} {
			if t > 0 && t < best[k] {
				best[k] = t
			}
		}
	}
	sink = s
	n := float64(len(m))
	if best[0] == inf || best[1] == inf {
		b.Skip("no thread CPU clock on this system")
	}
	b.ReportMetric(float64(best[0])/n, "fastparse-cold-cpu-ns")
	b.ReportMetric(float64(best[1])/n, "dlp-cold-cpu-ns")
	b.ReportMetric(float64(best[1])/float64(best[0]), "cold-x")
	b.ReportMetric(float64(best[2])/n, "fastparse-warm-cpu-ns")
	b.ReportMetric(float64(best[3])/n, "dlp-warm-cpu-ns")
	b.ReportMetric(float64(best[3])/float64(best[2]), "warm-x")
}
