package query

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

// bigStore opens the store of the big capture's index (when built; see BenchmarkCommand),
// closed when the test ends. The error says why there is none; a store that fails to open
// over an index that does fails the test.
func bigStore(t *testing.T) (*IndexStore, error) {
	t.Helper()
	path := bigIndexPath()
	r, err := index.Open(path)
	if err != nil {
		return nil, fmt.Errorf("no index of the big capture at %s (set PCAPDEX_BIG_INDEX): %w", path, err)
	}
	t.Cleanup(func() { r.Close() })
	st, err := NewIndexStore(r)
	if err != nil {
		t.Fatal(err)
	}
	return st, nil
}

// openSmallBlocks indexes a corpus capture with small packet blocks, so that flows and
// key slots cross block edges.
func openSmallBlocks(t *testing.T, name string, blockRows int) *IndexStore {
	t.Helper()
	out := filepath.Join(t.TempDir(), "x.pcapdex")
	if _, err := index.BuildFiles(out, []string{filepath.Join(corpusDir(t), name)}, index.BuildOptions{BlockRows: blockRows}); err != nil {
		t.Fatal(err)
	}
	r, err := index.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	st, err := NewIndexStore(r)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPacketsColumnsMatchReadBlock: the column-by-column reader (flow ids first, kept rows
// only, seq/ack chains resolved on the kept rows) gives exactly the packets that
// index.Packets.ReadBlock decodes whole, for selective and broad filters and every Need.
func TestPacketsColumnsMatchReadBlock(t *testing.T) {
	for _, file := range []string{"example.pcap", "retransmit-fast009.pcap", "gnutella.pcap"} {
		for _, blockRows := range []int{64, 1000} {
			st := openSmallBlocks(t, file, blockRows)
			// Reference: every packet, all fields, from ReadBlock.
			var ref []PacketRow
			var blk index.PacketBlock
			for b := range st.pk.NumBlocks() {
				if err := st.pk.ReadBlock(b, &blk); err != nil {
					t.Fatal(err)
				}
				for i := range blk.TS {
					ref = append(ref, PacketRow{Frame: blk.First + int64(i) + 1, File: blk.File[i], Off: blk.Off[i], TS: blk.TS[i],
						CapLen: blk.CapLen[i], OrigLen: blk.OrigLen[i], Flow: blk.Flow[i], Flags: blk.Flags[i], Seq: blk.Seq[i],
						Ack: blk.Ack[i], Win: blk.Win[i], PLen: blk.PLen[i], Analysis: blk.Analysis[i], FromOrig: blk.Dir[i] == 0})
				}
			}
			// The originator side of each flow, from the flow records.
			origB := map[uint32]bool{}
			if err := st.Flows(nil, 0, func(f *flowhash.Flow) error { origB[uint32(f.ID)] = f.Orig == flowhash.DirBA; return nil }); err != nil {
				t.Fatal(err)
			}
			for i := range ref {
				if ref[i].Flow != 0 && origB[ref[i].Flow] {
					ref[i].FromOrig = !ref[i].FromOrig
				}
			}
			nf := 0
			for _, filter := range []string{"", "tcp", "udp", "port 80", "host 212.199.202.53", "syn_rtt > 0", "not tcp"} {
				sel := selectFilter(t, st, filter)
				if filter == "" {
					sel.Rows = nil
				}
				for _, need := range []Need{NeedBasic, NeedTCP, NeedRecord, NeedTCP | NeedRecord} {
					var got []PacketRow
					err := st.Packets(sel.Rows, math.MinInt64, math.MaxInt64, need, func(p *PacketRow) error { got = append(got, *p); return nil })
					if err != nil {
						t.Fatal(err)
					}
					var want []PacketRow
					for _, p := range ref {
						if sel.Rows != nil && (p.Flow == 0 || !sel.Rows.Contains(p.Flow-1)) {
							continue
						}
						if sel.Rows == nil && need&(NeedTCP|NeedRecord) == 0 {
							p.Flow = 0
						}
						if need&NeedTCP == 0 {
							p.Flags, p.Seq, p.Ack, p.Win, p.PLen, p.Analysis, p.FromOrig = 0, 0, 0, 0, 0, 0, false
						} else if p.Flow == 0 {
							p.FromOrig = false
						}
						if need&NeedRecord == 0 {
							p.File, p.Off = 0, 0
						}
						want = append(want, p)
					}
					if len(want) == 0 && (filter == "" || filter == "tcp") {
						t.Fatalf("%s %q: no packets to compare", file, filter)
					}
					nf += len(want)
					if !slices.Equal(got, want) {
						n := min(len(got), len(want))
						for i := range n {
							if got[i] != want[i] {
								t.Fatalf("%s blocks of %d, %q need %d: packet %d:\n got %+v\nwant %+v", file, blockRows, filter, need, i, got[i], want[i])
							}
						}
						t.Fatalf("%s blocks of %d, %q need %d: %d packets, want %d", file, blockRows, filter, need, len(got), len(want))
					}
				}
			}
			if nf == 0 {
				t.Fatalf("%s: nothing compared", file)
			}
		}
	}
}

// TestOpenAtBrute: IndexStore.OpenAt (block skipping, end-only blocks) counts what a scan
// of every flow's first and last packet times counts, at instants inside, between and
// outside the flows.
func TestOpenAtBrute(t *testing.T) {
	st := openSmallBlocks(t, "example.pcap", 256)
	start, end, err := st.FlowTimes()
	if err != nil {
		t.Fatal(err)
	}
	first, last := st.Span()
	ts := []int64{first - 1, first, last, last + 1, (first + last) / 2}
	for i := 0; i < len(start); i += 7 {
		ts = append(ts, start[i], end[i], start[i]-1, end[i]+1)
	}
	got, err := st.OpenAt(ts)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for k, x := range ts {
		want := 0
		for i := range start {
			if start[i] <= x && x <= end[i] {
				want++
			}
		}
		if got[k] != want {
			t.Errorf("instant %d: %d open, want %d", x, got[k], want)
		}
		if want > 0 {
			nonzero++
		}
	}
	if nonzero < len(ts)/2 {
		t.Fatalf("only %d of %d instants have open flows", nonzero, len(ts))
	}
	if got, _ := st.OpenAt(nil); len(got) != 0 {
		t.Errorf("no instants: %v", got)
	}
}

// TestFlowsNeedsAlternate: Flows keeps the selected rows of each column in buffers reused
// from call to call, and views of zeros for skipped columns; calls with different needs on
// one store give the same records as a fresh store.
func TestFlowsNeedsAlternate(t *testing.T) {
	st := openSmallBlocks(t, "example.pcap", 256)
	fresh := openSmallBlocks(t, "example.pcap", 256)
	collect := func(s *IndexStore, filter string, need FlowNeed) []flowhash.Flow {
		var out []flowhash.Flow
		sel := selectFilter(t, s, filter)
		if filter == "" {
			sel.Rows = nil
		}
		if err := s.Flows(sel.Rows, need, func(f *flowhash.Flow) error { out = append(out, *f); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, c := range []struct {
		filter string
		need   FlowNeed
	}{{"", FlowAll}, {"tcp", 0}, {"", FlowTimes}, {"port 80", FlowAll}, {"", 0}, {"tcp", FlowAll}, {"", FlowAll}} {
		got, want := collect(st, c.filter, c.need), collect(fresh, c.filter, c.need)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("%q need %x: %d flows, fresh store %d (or they differ)", c.filter, c.need, len(got), len(want))
		}
		if c.need == FlowAll && want[0].LastTS == 0 {
			t.Fatalf("%q: FlowAll left LastTS zero", c.filter)
		}
	}
}

// TestEventsSkipBlocksBig: on the big capture's index (when built; see BenchmarkCommand),
// events of a selection read with time-range block skipping equal the events of all flows
// filtered by flow, for selections in one, two and many flows blocks.
func TestEventsSkipBlocksBig(t *testing.T) {
	st, err := bigStore(t)
	if err != nil {
		t.Skip(err)
	}
	var all []flowhash.Event
	if err := st.Events(nil, nil, func(e *flowhash.Event) error { all = append(all, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, rows := range []*roaring.Bitmap{
		roaring.BitmapOf(0), roaring.BitmapOf(uint32(st.NumFlows() / 2)), roaring.BitmapOf(uint32(st.NumFlows() - 1)),
		func() *roaring.Bitmap {
			b := roaring.New()
			b.AddRange(1000, 1200)
			b.AddRange(200000, 200050)
			return b
		}(),
		func() *roaring.Bitmap { b := roaring.New(); b.AddRange(150000, 150000+maxSpanFlows); return b }(),
	} {
		for _, types := range [][]flowhash.EventType{nil, {flowhash.EvRST}} {
			var got, want []flowhash.Event
			if err := st.Events(rows, types, func(e *flowhash.Event) error { got = append(got, *e); return nil }); err != nil {
				t.Fatal(err)
			}
			for _, e := range all {
				if rows.Contains(uint32(e.FlowID-1)) && (types == nil || e.Type == types[0]) {
					want = append(want, e)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("rows %v types %v: %d events, want %d", rows.Minimum(), types, len(got), len(want))
			}
			checked += len(want)
		}
	}
	if checked == 0 {
		t.Fatal("no events compared")
	}
}

func TestOverlapsAny(t *testing.T) {
	spans := [][2]int64{{10, 20}, {30, 40}, {50, 50}}
	for _, c := range []struct {
		lo, hi int64
		want   bool
	}{{0, 9, false}, {0, 10, true}, {20, 29, true}, {21, 29, false}, {41, 49, false}, {45, 55, true}, {50, 50, true}, {51, 99, false}, {0, 99, true}, {35, 36, true}} {
		if got := overlapsAny(spans, c.lo, c.hi); got != c.want {
			t.Errorf("[%d, %d]: %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
	if overlapsAny(nil, 0, 1) {
		t.Error("no spans overlap")
	}
}

// TestOpenAtBig: on the big capture's index (when built), OpenAt over several flows blocks
// (skipped, end-only and full blocks) equals openAt over every
// flow's times.
func TestOpenAtBig(t *testing.T) {
	st, err := bigStore(t)
	if err != nil {
		t.Skip(err)
	}
	if st.flows.NumBlocks() < 3 {
		t.Skipf("%d flows blocks", st.flows.NumBlocks())
	}
	start, end, err := st.FlowTimes()
	if err != nil {
		t.Fatal(err)
	}
	first, last := st.Span()
	nonzero := 0
	for _, ts := range [][]int64{
		{first + (last-first)/2},
		{first, last},
		{first + (last-first)/3, first + (last-first)/3 + 1e9, first + 2*(last-first)/3},
		{start[len(start)-1], end[0], start[len(start)/2]},
	} {
		got, err := st.OpenAt(ts)
		if err != nil {
			t.Fatal(err)
		}
		want := openAt(start, end, ts)
		if !slices.Equal(got, want) {
			t.Errorf("instants %v: %v, want %v", ts, got, want)
		}
		for _, n := range want {
			nonzero += min(n, 1)
		}
	}
	if nonzero < 4 {
		t.Errorf("only %d instants with open flows", nonzero)
	}
}

// TestWindowBrute: Window (blocks skipped, end times only where every flow started in
// time) selects exactly the flows whose [first, last] packet times meet the window, on the
// big capture's index when built and on a corpus file.
func TestWindowBrute(t *testing.T) {
	stores := []*IndexStore{openSmallBlocks(t, "example.pcap", 256)}
	if st, err := bigStore(t); err == nil {
		stores = append(stores, st)
	}
	for _, st := range stores {
		start, end, err := st.FlowTimes()
		if err != nil {
			t.Fatal(err)
		}
		first, last := st.Span()
		span := last - first
		total := uint64(0)
		for _, w := range [][2]int64{{first, first}, {last, last}, {first + span/2, first + span/2}, {first + span/3, first + span/2},
			{first - 10, first - 1}, {last + 1, last + 10}, {first, last}, {start[len(start)/2], start[len(start)/2]}} {
			got, err := st.Window(w[0], w[1])
			if err != nil {
				t.Fatal(err)
			}
			want := roaring.New()
			for i := range start {
				if start[i] <= w[1] && end[i] >= w[0] {
					want.Add(uint32(i))
				}
			}
			if !got.Equals(want) {
				t.Errorf("window %v: %d flows, want %d", w, got.GetCardinality(), want.GetCardinality())
			}
			total += want.GetCardinality()
		}
		if total == 0 {
			t.Fatal("every window empty")
		}
	}
}
