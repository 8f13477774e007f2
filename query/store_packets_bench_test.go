package query

import (
	"math"
	"testing"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/index"
)

// BenchmarkIndexPackets reads packets of the big capture's index (bigIndex) through
// IndexStore.Packets in steady state: the store is opened once, so an iteration is block
// decoding only (flow ids, the columns of the Need, and with NeedTCP the seq/ack chains;
// with the tcp filter, on the kept rows of each block).
//
//	go test ./query/ -run '^$' -bench BenchmarkIndexPackets -benchmem
func BenchmarkIndexPackets(b *testing.B) {
	idx, _ := bigIndex(b)
	r, err := index.Open(idx)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	// The store, and the flows of the tcp filter.
	st, err := NewIndexStore(r)
	var plan *Plan
	var tcp Selection
	if err == nil {
		plan, err = CompileFlows(filter.MustParse("tcp"))
	}
	if err == nil {
		tcp, err = Select(st, plan, math.MinInt64, math.MaxInt64)
	}
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		need   Need
		filter bool
	}{{"basic", NeedBasic, false}, {"tcp", NeedTCP, false}, {"tcp-filter", NeedTCP, true}} {
		b.Run(c.name, func(b *testing.B) {
			rows := tcp.Rows
			if !c.filter {
				rows = nil
			}
			var n int64
			count := func(p *PacketRow) error { n++; return nil }
			b.ReportAllocs()
			for b.Loop() {
				if err := st.Packets(rows, math.MinInt64, math.MaxInt64, c.need, count); err != nil {
					b.Fatal(err)
				}
			}
			if n == 0 {
				b.Fatal("no packets")
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Mpkt/s")
		})
	}
}
