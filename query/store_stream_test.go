package query

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
)

// basicFields are the PacketRow fields a NeedBasic caller reads (Flow only with a selection).
func basicFields(p *PacketRow, sel bool) PacketRow {
	q := PacketRow{Frame: p.Frame, TS: p.TS, CapLen: p.CapLen, OrigLen: p.OrigLen}
	if sel {
		q.Flow = p.Flow
	}
	return q
}

func collectPackets(t *testing.T, s *StreamStore, rows *roaring.Bitmap, since, until int64, need Need) []PacketRow {
	t.Helper()
	var out []PacketRow
	if err := s.Packets(rows, since, until, need, func(p *PacketRow) error { out = append(out, *p); return nil }); err != nil {
		t.Fatalf("Packets(need %d) kept %+v: %v", need, s.Keep(), err)
	}
	return out
}

// TestStreamKeep: a stream store keeps per-packet rows and events only when asked. Without
// them it holds no row memory and says ErrNotKept; with short (NeedBasic) rows it returns
// the same frames, times, lengths and flows as the full rows, over a set of captures (frames
// count across files).
func TestStreamKeep(t *testing.T) {
	dir := corpusDir(t)
	set := []string{filepath.Join(dir, "one_http_stream_rst.pcap"), filepath.Join(dir, "retransmit-fast009.pcap"), filepath.Join(dir, "gnutella.pcap")}
	open := func(k StreamKeep) *StreamStore {
		s, err := NewStreamStoreOptions(set, false, flowhash.Options{}, k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	all := open(StreamKeepAll)
	n := all.NumPackets()
	if n < 100 || all.NumFlows() < 3 || len(all.events) == 0 {
		t.Fatalf("set: %d packets, %d flows, %d events; want a few of each", n, all.NumFlows(), len(all.events))
	}
	chunks := (n + streamChunk - 1) / streamChunk
	if got, want := all.RowBytes(), chunks*streamChunk*72; got != want {
		t.Errorf("keep all: %d bytes of rows, want %d", got, want)
	}
	for _, k := range []StreamKeep{{}, {Events: true}, StreamKeepFor("flows"), StreamKeepFor("concurrent")} {
		s := open(k)
		if s.NumPackets() != n || s.NumFlows() != all.NumFlows() || s.RowBytes() != 0 || s.pkts.c != nil || s.basic.c != nil {
			t.Errorf("kept %+v: %d packets, %d flows, %d bytes of rows; want %d, %d, none", k, s.NumPackets(), s.NumFlows(), s.RowBytes(), n, all.NumFlows())
		}
		if a0, a1 := all.Span(); true {
			if b0, b1 := s.Span(); a0 != b0 || a1 != b1 {
				t.Errorf("kept %+v: span [%d,%d], want [%d,%d]", k, b0, b1, a0, a1)
			}
		}
		if err := s.Packets(nil, math.MinInt64, math.MaxInt64, NeedBasic, func(*PacketRow) error { return nil }); !errors.Is(err, ErrNotKept) {
			t.Errorf("kept %+v: Packets error %v, want ErrNotKept", k, err)
		}
		var ev []flowhash.Event
		err := s.Events(nil, nil, func(e *flowhash.Event) error { ev = append(ev, *e); return nil })
		if k.Events && (err != nil || !slices.Equal(ev, all.events)) {
			t.Errorf("kept %+v: %d events (error %v), want the %d of keep all", k, len(ev), err, len(all.events))
		}
		if !k.Events && !errors.Is(err, ErrNotKept) {
			t.Errorf("kept %+v: Events error %v, want ErrNotKept", k, err)
		}
		if !slices.Equal(s.flows, all.flows) || !slices.Equal(s.ff, all.ff) {
			t.Errorf("kept %+v: flows differ from keep all", k)
		}
	}

	basic := open(StreamKeepFor("timeline"))
	if got, want := basic.RowBytes(), chunks*streamChunk*24; got != want {
		t.Errorf("NeedBasic rows: %d bytes, want %d", got, want)
	}
	if err := basic.Packets(nil, math.MinInt64, math.MaxInt64, NeedTCP, func(*PacketRow) error { return nil }); !errors.Is(err, ErrNotKept) {
		t.Errorf("NeedBasic rows asked for NeedTCP: error %v, want ErrNotKept", err)
	}
	// Windows from packet times: the set's captures are years apart.
	var ts []int64
	for _, p := range collectPackets(t, all, nil, math.MinInt64, math.MaxInt64, NeedBasic) {
		ts = append(ts, p.TS)
	}
	slices.Sort(ts)
	a0, a1, a2 := ts[len(ts)/4], ts[len(ts)/2], ts[len(ts)-1]
	sel := roaring.BitmapOf(0, 2, uint32(all.NumFlows()-1))
	for _, c := range []struct {
		rows         *roaring.Bitmap
		since, until int64
	}{
		{nil, math.MinInt64, math.MaxInt64},
		{sel, math.MinInt64, math.MaxInt64},
		{nil, a0, a1},
		{sel, a1, a2},
	} {
		want := collectPackets(t, all, c.rows, c.since, c.until, NeedBasic)
		got := collectPackets(t, basic, c.rows, c.since, c.until, NeedBasic)
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("rows %v [%d,%d]: %d short rows, %d full", c.rows, c.since, c.until, len(got), len(want))
		}
		for i := range want {
			if w, g := basicFields(&want[i], c.rows != nil), basicFields(&got[i], c.rows != nil); g != w || got[i] != g {
				t.Fatalf("rows %v [%d,%d] row %d: short %+v, full %+v", c.rows, c.since, c.until, i, got[i], w)
			}
		}
	}
}

// BenchmarkStreamStoreKeep reads the big capture (PCAPDEX_BIG, default
// /tmp/pcapdex-big/big.pcap) into a stream store per StreamKeep and reports the heap the
// store holds after a collection: live-MB, and row-B/pkt in packet rows (flows and events
// hold the rest).
func BenchmarkStreamStoreKeep(b *testing.B) {
	capture := os.Getenv("PCAPDEX_BIG")
	if capture == "" {
		capture = "/tmp/pcapdex-big/big.pcap"
	}
	if _, err := os.Stat(capture); err != nil {
		b.Skipf("no big capture: %v", err)
	}
	for _, name := range []string{"flows", "events", "timeline", "packets"} {
		b.Run(name, func(b *testing.B) {
			var live, rows, pkts float64
			for range b.N {
				runtime.GC()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				s, err := NewStreamStoreOptions([]string{capture}, false, flowhash.Options{}, StreamKeepFor(name))
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&m1)
				live += float64(int64(m1.HeapAlloc) - int64(m0.HeapAlloc))
				rows += float64(s.RowBytes())
				pkts += float64(s.NumPackets())
				runtime.KeepAlive(s)
			}
			b.ReportMetric(live/float64(b.N)/1e6, "live-MB")
			b.ReportMetric(rows/pkts, "row-B/pkt")
		})
	}
}
