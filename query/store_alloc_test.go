package query

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/index"
)

// TestPacketsAllocs: reading packets from the index allocates per call (selection tables,
// block lists), never per packet or per block once the buffers have grown.
func TestPacketsAllocs(t *testing.T) {
	// Small packet blocks, so a run crosses many of them.
	out := filepath.Join(t.TempDir(), "x.pcapdex")
	if _, err := index.BuildFiles(out, []string{filepath.Join(corpusDir(t), "example.pcap")}, index.BuildOptions{BlockRows: 256}); err != nil {
		t.Fatal(err)
	}
	r, err := index.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, err := NewIndexStore(r)
	if err != nil {
		t.Fatal(err)
	}
	if st.pk.NumBlocks() < 10 {
		t.Fatalf("%d packet blocks", st.pk.NumBlocks())
	}
	if st.NumPackets() < 4000 {
		t.Fatalf("example.pcap: %d packets", st.NumPackets())
	}
	sel := selectFilter(t, st, "tcp")
	var n int64
	count := func(p *PacketRow) error { n++; return nil }
	for _, need := range []Need{NeedBasic, NeedTCP, NeedRecord, NeedTCP | NeedRecord} {
		for _, rows := range []bool{false, true} {
			r := sel.Rows
			if !rows {
				r = nil
			}
			st.Packets(r, math.MinInt64, math.MaxInt64, need, count) // grow buffers
			n = 0
			allocs := testing.AllocsPerRun(5, func() {
				if err := st.Packets(r, math.MinInt64, math.MaxInt64, need, count); err != nil {
					t.Fatal(err)
				}
			})
			if n == 0 {
				t.Fatal("no packets")
			}
			// Allowed: a few per call, and the zero-copy bitmap headers of each long flow's
			// block list (post.flow.blocks) — nothing per packet or per block.
			wide := 0
			if r != nil {
				first, last, err := st.blockRanges(r)
				if err != nil {
					t.Fatal(err)
				}
				for i := range first {
					if last[i] >= first[i] && last[i]-first[i] > index.WideFlowBlocks {
						wide++
					}
				}
			}
			limit := float64(8 + 4*wide)
			t.Logf("need %d filter %v: %.0f allocs for %d packets in %d blocks, %d long flows", need, rows, allocs, n/6, st.pk.NumBlocks(), wide)
			if allocs > limit && !raceEnabled {
				t.Errorf("need %d, filter %v: %.0f allocations, want at most %.0f", need, rows, allocs, limit)
			}
		}
	}
}
