package decodebench

import (
	"runtime"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
)

func TestDbgHot(t *testing.T) {
	m := loadMix(t)
	runtime.LockOSThread()
	var p fastparse.Packet
	d := newDLP()
	for _, idx := range []int{0, 100, 5000, 9000} {
		pk := &m[idx]
		bestF, bestD := int64(1<<62), int64(1<<62)
		for r := 0; r < 30; r++ {
			t0 := threadCPU()
			for i := 0; i < 20000; i++ {
				fastparse.Decode(&p, pk.Link, pk.Data, pk.OrigLen)
			}
			t1 := threadCPU()
			for i := 0; i < 20000; i++ {
				_ = d.parser.DecodeLayers(pk.Data, &d.decoded)
			}
			t2 := threadCPU()
			bestF = min(bestF, t1-t0)
			bestD = min(bestD, t2-t1)
		}
		t.Logf("pkt %d len %d proto %d opts %#x: fastparse %.1f ns, dlp %.1f ns", idx, len(pk.Data), p.Proto, p.TCPOpts, float64(bestF)/20000, float64(bestD)/20000)
	}
}
