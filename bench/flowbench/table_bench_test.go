package flowbench

import (
	"os"
	"runtime"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// loadDecoded decodes the first limit IP packets of the big capture into memory.
func loadDecoded(tb testing.TB, limit int) []decoded {
	path := bigPath(tb)
	r, err := pcapng.Open(path, pcapng.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	pkts := make([]decoded, 0, limit)
	var p pcapng.Packet
	for len(pkts) < limit && r.Next(&p) == nil {
		var x decoded
		fastparse.Decode(&x.d, p.LinkType, p.Data, p.OrigLen)
		var ok bool
		if x.k, x.dir, ok = flowhash.KeyOf(&x.d); !ok {
			continue
		}
		x.frame, x.ts = p.Ordinal, p.TS
		pkts = append(pkts, x)
	}
	return pkts
}

type decoded struct {
	d     fastparse.Packet
	k     flowhash.Key
	dir   flowhash.Dir
	frame uint64
	ts    int64
}

// TestFlowBytes reports heap bytes per live flow after feeding the first 2M packets of the
// big capture to one Table (flows of every protocol, as they come). FLOWBENCH=1 runs it.
func TestFlowBytes(t *testing.T) {
	if os.Getenv("FLOWBENCH") == "" {
		t.Skip("set FLOWBENCH=1")
	}
	pkts := loadDecoded(t, 2_000_000)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	tab := flowhash.NewTable(flowhash.Options{UDPTimeout: -1})
	for i := range pkts {
		tab.Add(&pkts[i].k, pkts[i].dir, &pkts[i].d, pkts[i].frame, pkts[i].ts)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	live := tab.Live()
	t.Logf("%d packets, %d live flows, %.0f heap bytes per live flow (finished flows' records included)",
		len(pkts), live, float64(m1.HeapAlloc-m0.HeapAlloc)/float64(live))
	runtime.KeepAlive(tab)
	runtime.KeepAlive(pkts)
}

// BenchmarkTableAdd isolates flow tracking: the first $FLOWBENCH_TABLE_PACKETS (default
// 400k) packets of the big capture are decoded once, then each op runs all of them through a
// fresh Table (flow creation included, as in a real pass). Reports ns/packet.
func BenchmarkTableAdd(b *testing.B) {
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
	pkts := loadDecoded(b, limit)
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
