package query

import (
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestGapsTelescope: with no minimum the silences between consecutive matching packets,
// plus the edges, add up to exactly the capture's span; with a larger minimum every
// reported gap is at least that long.
func TestGapsTelescope(t *testing.T) {
	st := openIndexStore(t, filepath.Join(corpusDir(t), "example.pcap"))
	first, last := st.Span()
	for _, f := range []string{"", "host 212.199.202.53", "udp"} {
		sel := selectFilter(t, st, f)
		if f == "" {
			sel = Selection{Since: math.MinInt64, Until: math.MaxInt64}
		}
		gaps, err := Gaps(st, sel, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(gaps) == 0 {
			t.Fatalf("%q: no gaps", f)
		}
		var sum int64
		for _, g := range gaps {
			if g.Duration() <= 0 {
				t.Fatalf("%q: gap %+v", f, g)
			}
			sum += int64(g.Duration())
		}
		if sum != last-first {
			t.Errorf("%q: gaps sum to %d ns, span is %d", f, sum, last-first)
		}
		gaps, err = Gaps(st, sel, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gaps {
			if g.Duration() < 2*time.Second {
				t.Errorf("%q: gap %+v shorter than the minimum of 2s", f, g)
			}
		}
	}
}

// TestTimelineSums: every packet lands in exactly one bucket, whatever the width.
func TestTimelineSums(t *testing.T) {
	st := openIndexStore(t, filepath.Join(corpusDir(t), "gnutella.pcap"))
	sel := selectFilter(t, st, "tcp")
	want, err := Sizes(st, sel)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []time.Duration{100 * time.Millisecond, time.Second, time.Minute, time.Hour} {
		tl, err := Timeline(st, sel, TimelineOptions{Bucket: w})
		if err != nil {
			t.Fatal(err)
		}
		var pk, by uint64
		for i := range tl.Packets {
			pk, by = pk+tl.Packets[i], by+tl.Bytes[i]
		}
		if pk != want.Packets || by != want.Bytes {
			t.Errorf("bucket %v: %d packets %d bytes, want %d and %d", w, pk, by, want.Packets, want.Bytes)
		}
		if tl.First%int64(w) != 0 || tl.Width != w {
			t.Errorf("bucket %v: first bucket at %d, width %v", w, tl.First, tl.Width)
		}
	}
}

// packetRow is what a Packet says, copied out of the reused row.
type packetRow struct {
	PacketRow
	HasFlow bool
	Rel     int64
}

func collectPacketRows(t *testing.T, st Store, sel Selection, o PacketsOptions) []packetRow {
	t.Helper()
	var out []packetRow
	for p, err := range Packets(st, sel, o) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, packetRow{*p.PacketRow, p.HasFlow, p.Rel})
	}
	return out
}

// TestPacketsRelTime: rel from the first packet met (no window) equals rel from the flows
// table's start times (a window covering the whole capture).
func TestPacketsRelTime(t *testing.T) {
	for _, name := range []string{"gnutella.pcap", "example.pcap", "ip4_fragments.pcap"} {
		st := openIndexStore(t, filepath.Join(corpusDir(t), name))
		first, last := st.Span()
		a := collectPacketRows(t, st, Selection{Since: math.MinInt64, Until: math.MaxInt64}, PacketsOptions{})
		b := collectPacketRows(t, st, Selection{Since: first, Until: last}, PacketsOptions{})
		if len(a) < 20 || !slices.Equal(a, b) {
			t.Errorf("%s: %d packets without a window, %d with, or they differ", name, len(a), len(b))
		}
		if lim := collectPacketRows(t, st, Selection{Since: math.MinInt64, Until: math.MaxInt64}, PacketsOptions{Limit: 7}); !slices.Equal(lim, a[:7]) {
			t.Errorf("%s: a limit of 7 gave %d packets, not the first 7", name, len(lim))
		}
	}
}

// TestFlowsLimitStreams: in id order, flows come as the store yields them; a limit of N
// gives the first N of them, from the index and from the stream alike; a consumer that
// stops early stops the store.
func TestFlowsLimitStreams(t *testing.T) {
	ix, st, ok := openBoth(t, []string{filepath.Join(corpusDir(t), "example.pcap")})
	if !ok {
		t.Skip("example.pcap not indexable")
	}
	all := Selection{Since: math.MinInt64, Until: math.MaxInt64}
	ids := func(s Store, o FlowsOptions, stopAfter int) []uint64 {
		var out []uint64
		for f, err := range Flows(s, all, o) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, f.ID)
			if len(out) == stopAfter {
				break
			}
		}
		return out
	}
	for _, s := range []Store{ix, st} {
		full := ids(s, FlowsOptions{}, 0)
		if len(full) < 8 {
			t.Fatalf("%d flows", len(full))
		}
		if lim := ids(s, FlowsOptions{Sort: SortID, Limit: 4}, 0); !slices.Equal(lim, full[:4]) {
			t.Errorf("%T: a limit of 4 gave %v, want the first 4 flows %v", s, lim, full[:4])
		}
		if part := ids(s, FlowsOptions{}, 3); !slices.Equal(part, full[:3]) {
			t.Errorf("%T: stopping after 3 gave %v", s, part)
		}
		if part := ids(s, FlowsOptions{Sort: SortBytes}, 2); len(part) != 2 {
			t.Errorf("%T: stopping a sorted list after 2 gave %v", s, part)
		}
	}
}

func TestParseOptions(t *testing.T) {
	for i, name := range FlowSortNames() {
		if k, err := ParseFlowSort(name); err != nil || k != FlowSort(i) || k.String() != name {
			t.Errorf("ParseFlowSort(%q) = %v, %v", name, k, err)
		}
	}
	if k, err := ParseFlowSort(""); err != nil || k != SortID {
		t.Errorf(`ParseFlowSort("") = %v, %v`, k, err)
	}
	for _, name := range TopByNames() {
		if b, err := ParseTopBy(name); err != nil || b.String() != name {
			t.Errorf("ParseTopBy(%q) = %v, %v", name, b, err)
		}
	}
	if b, err := ParseTopBy("host"); err != nil || b != TopHost {
		t.Errorf("ParseTopBy(host) = %v, %v", b, err)
	}
	for s, want := range map[string]TopMetric{"bytes": TopBytes, "packets": TopPackets} {
		if m, err := ParseTopMetric(s); err != nil || m != want || m.String() != s {
			t.Errorf("ParseTopMetric(%q) = %v, %v", s, m, err)
		}
	}
	for s, want := range map[string]Align{"epoch": AlignEpoch, "start": AlignStart} {
		if a, err := ParseAlign(s); err != nil || a != want || a.String() != s {
			t.Errorf("ParseAlign(%q) = %v, %v", s, a, err)
		}
	}
	for s, want := range map[string]Sender{"": SenderAny, "orig": SenderOrig, "resp": SenderResp} {
		if x, err := ParseSender(s); err != nil || x != want || x.String() != s {
			t.Errorf("ParseSender(%q) = %v, %v", s, x, err)
		}
	}
	for _, bad := range []func() error{
		func() error { _, err := ParseFlowSort("size"); return err },
		func() error { _, err := ParseTopBy("mac"); return err },
		func() error { _, err := ParseTopMetric("flows"); return err },
		func() error { _, err := ParseAlign("local"); return err },
		func() error { _, err := ParseSender("both"); return err },
	} {
		if bad() == nil {
			t.Error("a bad name was accepted")
		}
	}
}
