package flowbench

import (
	"os"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// BenchmarkTableAdd isolates flow tracking: the first $FLOWBENCH_TABLE_PACKETS (default
// 400k) packets of the big capture are decoded once, then each op runs all of them through a
// fresh Table (flow creation included, as in a real pass). Reports ns/packet.
func BenchmarkTableAdd(b *testing.B) {
	path := bigPath(b)
	limit := 400_000
	if v := os.Getenv("FLOWBENCH_TABLE_PACKETS"); v != "" {
		for _, c := range v {
			if c < '0' || c > '9' {
				b.Fatalf("FLOWBENCH_TABLE_PACKETS=%q", v)
			}
		}
		limit = 0
		for _, c := range v {
			limit = limit*10 + int(c-'0')
		}
	}
	r, err := pcapng.Open(path, pcapng.Options{})
	if err != nil {
		b.Fatal(err)
	}
	type pk struct {
		d     fastparse.Packet
		k     flowhash.Key
		dir   flowhash.Dir
		frame uint64
		ts    int64
	}
	pkts := make([]pk, 0, limit)
	var p pcapng.Packet
	for len(pkts) < limit && r.Next(&p) == nil {
		var x pk
		fastparse.Decode(&x.d, p.LinkType, p.Data, p.OrigLen)
		var ok bool
		if x.k, x.dir, ok = flowhash.KeyOf(&x.d); !ok {
			continue
		}
		x.frame, x.ts = p.Ordinal, p.TS
		pkts = append(pkts, x)
	}
	r.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t := flowhash.NewTable(flowhash.Options{})
		for i := range pkts {
			t.Add(&pkts[i].k, pkts[i].dir, &pkts[i].d, pkts[i].frame, pkts[i].ts)
		}
		t.Finish()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pkts)), "ns/packet")
}
