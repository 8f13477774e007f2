package decodebench

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/pcapdex/pcapdex/bench/peers"
	"github.com/pcapdex/pcapdex/fastparse"
)

// BenchmarkHot decodes single packets of the mix over and over (all in L1 cache), with both
// decoders in alternating rounds, and reports each one's fastest round by thread CPU time:
// the pure compute cost per packet, without memory stalls.
func BenchmarkHot(b *testing.B) {
	m := loadMix(b)
	var p fastparse.Packet
	d := peers.NewLayers()
	for _, idx := range []int{0, 100, 5000, 9000} {
		if idx >= len(m) {
			continue
		}
		pk := &m[idx]
		fastparse.Decode(&p, pk.Link, pk.Data, pk.OrigLen)
		name := fmt.Sprintf("pkt%d-proto%d-opts%#x-len%d", idx, p.Proto, p.TCPOpts, len(pk.Data))
		b.Run(name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const reps = 20000
			bestF, bestD := int64(1<<62), int64(1<<62)
			for range max(b.N, 30) {
				t0 := threadCPU()
				for range reps {
					fastparse.Decode(&p, pk.Link, pk.Data, pk.OrigLen)
				}
				t1 := threadCPU()
				for range reps {
					_ = d.Parser.DecodeLayers(pk.Data, &d.Decoded)
				}
				t2 := threadCPU()
				bestF, bestD = min(bestF, t1-t0), min(bestD, t2-t1)
			}
			if bestF <= 0 {
				b.Skip("no thread CPU clock on this system")
			}
			b.ReportMetric(float64(bestF)/reps, "fastparse-cpu-ns")
			b.ReportMetric(float64(bestD)/reps, "dlp-cpu-ns")
			b.ReportMetric(float64(bestD)/float64(bestF), "x")
		})
	}
}
