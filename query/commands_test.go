package query

import (
	"bytes"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestGapsTelescope: with --min 0 the silences between consecutive matching packets,
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
		var b bytes.Buffer
		if err := WriteGaps(st, sel, 0, &b, Options{Format: FormatCSV}); err != nil {
			t.Fatal(err)
		}
		var sum int64
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		for _, l := range lines[1:] {
			c := strings.Split(l, ",")
			d, err := strconv.ParseInt(c[2], 10, 64)
			if err != nil || d <= 0 {
				t.Fatalf("%q: gap line %q", f, l)
			}
			sum += d
		}
		if sum != last-first {
			t.Errorf("%q: gaps sum to %d ns, span is %d", f, sum, last-first)
		}
		b.Reset()
		if err := WriteGaps(st, sel, 2e9, &b, Options{Format: FormatCSV}); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
			d, _ := strconv.ParseInt(strings.Split(l, ",")[2], 10, 64)
			if d < 2e9 {
				t.Errorf("%q: gap %q shorter than --min 2s", f, l)
			}
		}
	}
}

// TestTimelineSums: every packet lands in exactly one bucket, whatever the width.
func TestTimelineSums(t *testing.T) {
	st := openIndexStore(t, filepath.Join(corpusDir(t), "gnutella.pcap"))
	sel := selectFilter(t, st, "tcp")
	want, err := ComputeSizes(st, sel)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int64{1e8, 1e9, 60e9, 3600e9} {
		var b bytes.Buffer
		if err := WriteTimeline(st, sel, TimelineOptions{Bucket: w}, &b, Options{Format: FormatCSV}); err != nil {
			t.Fatal(err)
		}
		var pk, by uint64
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
			c := strings.Split(l, ",")
			p, _ := strconv.ParseUint(c[1], 10, 64)
			n, _ := strconv.ParseUint(c[2], 10, 64)
			pk, by = pk+p, by+n
		}
		if pk != want.Packets || by != want.Bytes {
			t.Errorf("bucket %d ns: %d packets %d bytes, want %d and %d", w, pk, by, want.Packets, want.Bytes)
		}
	}
}

// TestPacketsRelTime: rel from the first packet met (no window) equals rel from the flows
// table's start times (a window covering the whole capture).
func TestPacketsRelTime(t *testing.T) {
	for _, name := range []string{"gnutella.pcap", "example.pcap", "ip4_fragments.pcap"} {
		st := openIndexStore(t, filepath.Join(corpusDir(t), name))
		first, last := st.Span()
		var a, b bytes.Buffer
		if err := WritePackets(st, Selection{Since: math.MinInt64, Until: math.MaxInt64}, PacketsOptions{}, &a, Options{Format: FormatCSV}); err != nil {
			t.Fatal(err)
		}
		if err := WritePackets(st, Selection{Since: first, Until: last}, PacketsOptions{}, &b, Options{Format: FormatCSV}); err != nil {
			t.Fatal(err)
		}
		if a.Len() < 1000 || a.String() != b.String() {
			t.Errorf("%s: %d bytes without a window, %d with: %s", name, a.Len(), b.Len(), firstDiff(a.String(), b.String()))
		}
	}
}

// TestFlowsLimitStreams: in id order, flows are written as the store yields them; --limit N
// gives the first N rows of the full output, from the index and from the stream alike.
func TestFlowsLimitStreams(t *testing.T) {
	ix, st, ok := openBoth(t, []string{filepath.Join(corpusDir(t), "example.pcap")})
	if !ok {
		t.Skip("example.pcap not indexable")
	}
	out := Options{Format: FormatCSV}
	all := Selection{Since: math.MinInt64, Until: math.MaxInt64}
	for _, s := range []Store{ix, st} {
		var full, lim bytes.Buffer
		if err := WriteFlows(s, all, FlowsOptions{}, &full, out); err != nil {
			t.Fatal(err)
		}
		if err := WriteFlows(s, all, FlowsOptions{Sort: "id", Limit: 4}, &lim, out); err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(full.String(), "\n")
		if len(lines) < 8 {
			t.Fatalf("%d lines of flows", len(lines))
		}
		if want := strings.Join(lines[:5], ""); lim.String() != want {
			t.Errorf("%T: --limit 4 gave\n%s\nwant the header and the first 4 rows\n%s", s, lim.String(), want)
		}
	}
}
