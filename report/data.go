package report

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/textenc"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

// Options say what a report shows besides the selection's data.
type Options struct {
	Command  string   // the command line that made the report (shown in the summary)
	Filter   string   // the filter text
	Files    []string // the captures
	Warnings []string // problems met reading them
	// Drops are the packets the interfaces dropped, from pcapng interface statistics
	// blocks (ISB if_drop), summed over the captures; HasDrops says whether any capture
	// recorded them.
	Drops    uint64
	HasDrops bool
	// Host, when valid, adds the section of that address's TCP connections.
	Host netip.Addr
	// HostPlan selects Host's TCP connections (the filter and "tcp and host ADDR"); nil: none.
	HostPlan *query.Plan
	// Flows are the flow ids of the per-flow sections; none: the Worst worst problem flows.
	Flows []uint64
	Worst int // per-flow sections when Flows is empty (0: 3, negative: none)
	TopN  int // rows of the top tables (0: 20)
	// Columns is the pixel width series are reduced to (0: 2000, so at most about 4,000
	// points a series).
	Columns int
	// MaxEvents bounds the events drawn on the event timeline (0: 20,000); the counts
	// per flow and per bucket cover all of them.
	MaxEvents int
	// MaxHostFlows bounds the connections of the host section (0: 2,000).
	MaxHostFlows int
}

func (o *Options) defaults() {
	if o.Worst == 0 {
		o.Worst = 3
	}
	if o.TopN == 0 {
		o.TopN = 20
	}
	if o.Columns == 0 {
		o.Columns = 2000
	}
	if o.MaxEvents == 0 {
		o.MaxEvents = 20000
	}
	if o.MaxHostFlows == 0 {
		o.MaxHostFlows = 2000
	}
}

// niceBuckets are the I/O graph's bucket widths, the first giving at most maxBuckets
// buckets over the span wins.
var niceBuckets = []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond,
	time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute,
	10 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

const maxBuckets = 2000

// BucketFor returns the I/O graph's bucket width for a span of ns nanoseconds: the
// narrowest of 1ms, 10ms, 100ms, 1s, 5s, 10s, 30s, 1m, 5m, 10m, 30m, 1h, 6h, 1d, 7d giving
// at most 2,000 buckets.
func BucketFor(span int64) time.Duration {
	for _, b := range niceBuckets {
		if span/int64(b) < maxBuckets {
			return b
		}
	}
	return niceBuckets[len(niceBuckets)-1]
}

// MaxDays bounds the days of the activity section (the first ones of the span).
const MaxDays = 31

// overlay are the event types drawn over the I/O graph, in the order of Data's overlay.
var overlay = []flowhash.EventType{flowhash.EvRetransmission, flowhash.EvRST, flowhash.EvZeroWindow}

// Gather computes the report's data from st and sel through the query package, as the
// query commands do, and returns it as one JSON object (see the package doc for its keys).
func Gather(st query.Store, sel query.Selection, o Options) ([]byte, error) {
	o.defaults()
	g := gatherer{st: st, sel: sel, o: o, jopt: output.Options{Format: output.FormatJSON}}
	b := []byte{'{'}
	steps := []struct {
		key string
		fn  func([]byte) ([]byte, error)
	}{
		{"summary", g.summary}, {"timeline", g.timeline}, {"activity", g.activity},
		{"sizes", g.sizes}, {"top", g.top}, {"host", g.host}, {"problems", g.problems},
		{"flows", g.flows}, {"events", g.events},
	}
	// Events feed the I/O overlay, the problem scores and the event section: read them
	// once, first.
	if err := g.readEvents(); err != nil {
		return nil, err
	}
	for _, s := range steps {
		b = textenc.AppendKey(b, s.key)
		var err error
		if b, err = s.fn(b); err != nil {
			return nil, fmt.Errorf("report %s: %w", s.key, err)
		}
	}
	return append(b, '}'), nil
}

type gatherer struct {
	st   query.Store
	sel  query.Selection
	o    Options
	jopt output.Options

	first, last int64 // the span drawn (the capture's, clipped to the window)
	bucket      time.Duration

	ev     []evPoint // the first MaxEvents events
	nev    int
	counts map[uint64]*[numTypes]uint32 // per flow and type
	byType [numTypes]uint64
	bucks  [][]float64 // per overlay type, per I/O bucket (set by timeline)
	allEv  []evPoint   // overlay events, all (times only matter)
	scored []scoredFlow
}

const numTypes = 32

type evPoint struct {
	ts   int64
	flow uint64
	typ  flowhash.EventType
}

// appendJSON appends what write writes (one output.Write* in JSON), without its final
// newline.
func appendJSON(b []byte, write func(*bytes.Buffer) error) ([]byte, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return b, err
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...), nil
}

func appendFloats(b []byte, key string, v []float64, prec int) []byte {
	b = textenc.AppendKey(b, key)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, x, 'f', prec, 64)
		if prec > 0 { // trim zeros: 1.500 -> 1.5, 2.000 -> 2
			k := len(b)
			for b[k-1] == '0' {
				k--
			}
			if b[k-1] == '.' {
				k--
			}
			b = b[:k]
		}
	}
	return append(b, ']')
}

func appendUints(b []byte, key string, v []uint64) []byte {
	b = textenc.AppendKey(b, key)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, x, 10)
	}
	return append(b, ']')
}

func (g *gatherer) span() {
	first, last := g.st.Span()
	g.first, g.last = max(first, g.sel.Since), min(last, g.sel.Until)
	if g.st.NumPackets() == 0 || g.first > g.last {
		g.first, g.last = 0, 0
	}
	g.bucket = BucketFor(g.last - g.first)
}

func (g *gatherer) readEvents() error {
	g.span()
	g.counts = map[uint64]*[numTypes]uint32{}
	for e, err := range query.Events(g.st, g.sel, query.EventsOptions{}) {
		if err != nil {
			return err
		}
		if g.nev < g.o.MaxEvents {
			g.ev = append(g.ev, evPoint{e.TS, e.FlowID, e.Type})
		}
		g.nev++
		c := g.counts[e.FlowID]
		if c == nil {
			c = new([numTypes]uint32)
			g.counts[e.FlowID] = c
		}
		if int(e.Type) < numTypes {
			c[e.Type]++
			g.byType[e.Type]++
		}
		if slices.Contains(overlay, e.Type) {
			g.allEv = append(g.allEv, evPoint{e.TS, e.FlowID, e.Type})
		}
	}
	return nil
}

func (g *gatherer) summary(b []byte) ([]byte, error) {
	b = append(b, '{')
	b = textenc.AppendKeyString(b, "command", g.o.Command)
	b = textenc.AppendKeyString(b, "filter", g.o.Filter)
	b = textenc.AppendKeyStrings(b, "files", g.o.Files)
	b = textenc.AppendKeyStrings(b, "warnings", append([]string{}, g.o.Warnings...))
	b = textenc.AppendKey(b, "first")
	b = textenc.AppendString(b, string(output.AppendRFC3339(nil, g.first, 9)))
	b = textenc.AppendKey(b, "last")
	b = textenc.AppendString(b, string(output.AppendRFC3339(nil, g.last, 9)))
	b = textenc.AppendKeyInt(b, "span_ns", g.last-g.first)
	s, err := query.Sizes(g.st, g.sel)
	if err != nil {
		return b, err
	}
	b = textenc.AppendKeyUint(b, "packets", s.Packets)
	b = textenc.AppendKeyUint(b, "bytes", s.Bytes)
	nflows := uint64(g.st.NumFlows())
	if rows, err := g.sel.FlowRows(g.st); err != nil {
		return b, err
	} else if rows != nil {
		nflows = rows.GetCardinality()
	}
	b = textenc.AppendKeyUint(b, "flows", nflows)
	b = textenc.AppendKeyUint(b, "events", uint64(g.nev))
	b = textenc.AppendKeyUint(b, "capture_packets", uint64(g.st.NumPackets()))
	b = textenc.AppendKey(b, "if_drops")
	if g.o.HasDrops {
		b = strconv.AppendUint(b, g.o.Drops, 10)
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}'), nil
}

func (g *gatherer) timeline(b []byte) ([]byte, error) {
	tl, err := query.Timeline(g.st, g.sel, query.TimelineOptions{Bucket: g.bucket})
	if err != nil {
		return b, err
	}
	gaps, err := query.Gaps(g.st, g.sel, max(g.bucket*2, time.Second))
	if err != nil {
		return b, err
	}
	b = append(b, '{')
	b = textenc.AppendKeyInt(b, "bucket_ns", int64(g.bucket))
	b = textenc.AppendKeyInt(b, "gap_min_ns", int64(max(g.bucket*2, time.Second)))
	b = textenc.AppendKey(b, "rows")
	if b, err = appendJSON(b, func(w *bytes.Buffer) error { return output.WriteTimeline(w, g.jopt, tl) }); err != nil {
		return b, err
	}
	b = textenc.AppendKey(b, "gaps")
	if b, err = appendJSON(b, func(w *bytes.Buffer) error { return output.WriteGaps(w, g.jopt, gaps) }); err != nil {
		return b, err
	}
	// Overlay: events per bucket of the timeline, one array per type.
	b = textenc.AppendKey(b, "overlay")
	b = append(b, '{')
	for _, t := range overlay {
		n := make([]uint64, len(tl.Packets))
		for _, e := range g.allEv {
			if e.typ != t || len(n) == 0 {
				continue
			}
			i := (e.ts - tl.First) / int64(tl.Width)
			if i >= 0 && i < int64(len(n)) {
				n[i]++
			}
		}
		b = appendUints(b, t.String(), n)
	}
	b = append(b, '}')
	return append(b, '}'), nil
}

// ActivityWindow returns sel clipped to the first days UTC days of its span (from the
// midnight before its first packet), and whether that cut anything off.
func ActivityWindow(st query.Store, sel query.Selection, days int) (query.Selection, bool) {
	first, last := st.Span()
	first, last = max(first, sel.Since), min(last, sel.Until)
	d0 := first - ((first%86400e9)+86400e9)%86400e9
	end := d0 + int64(days)*86400e9 - 1
	if last <= end || st.NumPackets() == 0 {
		return sel, false
	}
	sel.Until = end
	return sel, true
}

func (g *gatherer) activity(b []byte) ([]byte, error) {
	sel, cut := ActivityWindow(g.st, g.sel, MaxDays)
	tl, err := query.Timeline(g.st, sel, query.TimelineOptions{Bucket: time.Minute})
	if err != nil {
		return b, err
	}
	b = append(b, '{')
	b = textenc.AppendKey(b, "days")
	b = append(b, '[')
	const day = 1440
	var days int
	for i := 0; i < len(tl.Packets) && days < MaxDays; days++ {
		start := tl.Start(i)
		d0 := start - ((start%86400e9)+86400e9)%86400e9 // the UTC midnight before
		m0 := int((start - d0) / 60e9)
		pk := make([]uint64, day)
		by := make([]uint64, day)
		for m := m0; m < day && i < len(tl.Packets); m, i = m+1, i+1 {
			pk[m], by[m] = tl.Packets[i], tl.Bytes[i]
		}
		if days > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = textenc.AppendKey(b, "date")
		b = textenc.AppendString(b, string(output.AppendRFC3339(nil, d0, 0)[:10]))
		b = appendUints(b, "packets", pk)
		b = appendUints(b, "bytes", by)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = textenc.AppendKeyBool(b, "truncated", cut)
	return append(b, '}'), nil
}

func (g *gatherer) sizes(b []byte) ([]byte, error) {
	s, err := query.Sizes(g.st, g.sel)
	if err != nil {
		return b, err
	}
	b = append(b, '{')
	b = textenc.AppendKey(b, "summary")
	if b, err = appendJSON(b, func(w *bytes.Buffer) error { return output.WriteSizes(w, g.jopt, s) }); err != nil {
		return b, err
	}
	b = textenc.AppendKey(b, "histogram")
	if b, err = appendJSON(b, func(w *bytes.Buffer) error { return output.WriteSizeHistogram(w, g.jopt, s) }); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// TopTables are the top talker tables of the report, in order: (grouping, metric).
var TopTables = []struct {
	By     query.TopBy
	Metric query.TopMetric
}{
	{query.TopHost, query.TopBytes}, {query.TopHost, query.TopPackets},
	{query.TopPort, query.TopBytes}, {query.TopPort, query.TopPackets},
	{query.TopPair, query.TopBytes}, {query.TopPair, query.TopPackets},
}

func (g *gatherer) top(b []byte) ([]byte, error) {
	b = append(b, '[')
	for i, t := range TopTables {
		rows, err := query.Top(g.st, g.sel, query.TopOptions{By: t.By, Metric: t.Metric, N: g.o.TopN})
		if err != nil {
			return b, err
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = textenc.AppendKeyString(b, "by", t.By.String())
		b = textenc.AppendKeyString(b, "metric", t.Metric.String())
		b = textenc.AppendKey(b, "rows")
		if b, err = appendJSON(b, func(w *bytes.Buffer) error { return output.WriteTop(w, g.jopt, t.By, rows) }); err != nil {
			return b, err
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// HostColumns are the columns of the host section's connections.
var HostColumns = []string{"flow_id", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "ts", "duration",
	"orig_bytes", "resp_bytes", "conn_state"}

func (g *gatherer) host(b []byte) ([]byte, error) {
	if !g.o.Host.IsValid() || g.o.HostPlan == nil {
		return append(b, "null"...), nil
	}
	sel, err := query.Select(g.st, g.o.HostPlan, g.sel.Since, g.sel.Until)
	if err != nil {
		return b, err
	}
	cols, err := output.PickFlowColumns(HostColumns, output.FormatJSON)
	if err != nil {
		return b, err
	}
	b = append(b, '{')
	b = textenc.AppendKeyString(b, "addr", g.o.Host.String())
	b = textenc.AppendKeyInt(b, "limit", int64(g.o.MaxHostFlows))
	b = textenc.AppendKey(b, "rows")
	flows := query.Flows(g.st, sel, query.FlowsOptions{Limit: g.o.MaxHostFlows, Need: output.FlowColumnsNeed(cols)})
	if b, err = appendJSON(b, func(w *bytes.Buffer) error { return output.WriteFlows(w, g.jopt, cols, flows) }); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// ProblemColumns are the columns of the problem flows table.
var ProblemColumns = []string{"flow_id", "orig_h", "orig_p", "resp_h", "resp_p", "ts", "duration",
	"conn_state", "syn_rtt", "retransmissions", "dup_acks", "zero_windows", "lost_segments"}

// MaxProblems bounds the problem flows listed.
const MaxProblems = 50

type scoredFlow struct {
	f       flowhash.Flow
	score   float64
	reasons []string
}

// Score rates a TCP flow's trouble: a point per retransmission, lost segment and duplicate
// ACK's third, three per zero window, five per reset, and a handshake slower than 200 ms
// one point per 100 ms. Zero means no trouble seen.
func Score(f *flowhash.Flow, rsts uint32) (float64, []string) {
	t := &f.TCP
	var s float64
	var why []string
	add := func(v float64, format string, a ...any) {
		if v > 0 {
			s += v
			why = append(why, fmt.Sprintf(format, a...))
		}
	}
	add(float64(t.Retransmissions), "%d retransmissions", t.Retransmissions)
	add(float64(t.LostSegments), "%d lost segments", t.LostSegments)
	add(float64(t.DupAcks)/3, "%d duplicate ACKs", t.DupAcks)
	add(3*float64(t.ZeroWindows), "%d zero windows", t.ZeroWindows)
	add(5*float64(rsts), "%d resets", rsts)
	if t.SynRTT > 200e6 {
		add(float64(t.SynRTT)/100e6, "handshake %v", time.Duration(t.SynRTT).Round(time.Millisecond))
	}
	return s, why
}

func (g *gatherer) problems(b []byte) ([]byte, error) {
	cols, err := output.PickFlowColumns(ProblemColumns, output.FormatJSON)
	if err != nil {
		return b, err
	}
	for f, err := range query.Flows(g.st, g.sel, query.FlowsOptions{Need: query.FlowAll}) {
		if err != nil {
			return b, err
		}
		if f.Key.Proto != fastparse.ProtoTCP {
			continue
		}
		var rsts uint32
		if c := g.counts[f.ID]; c != nil {
			rsts = c[flowhash.EvRST]
		}
		if s, why := Score(f, rsts); s > 0 {
			g.scored = append(g.scored, scoredFlow{*f, s, why})
		}
	}
	slices.SortStableFunc(g.scored, func(a, b scoredFlow) int { return cmp.Compare(b.score, a.score) })
	list := g.scored[:min(len(g.scored), MaxProblems)]
	b = append(b, '{')
	b = textenc.AppendKeyInt(b, "total", int64(len(g.scored)))
	b = textenc.AppendKey(b, "rows")
	seq := func(yield func(*flowhash.Flow, error) bool) {
		for i := range list {
			if !yield(&list[i].f, nil) {
				return
			}
		}
	}
	if b, err = appendJSON(b, func(w *bytes.Buffer) error { return output.WriteFlows(w, g.jopt, cols, seq) }); err != nil {
		return b, err
	}
	b = textenc.AppendKey(b, "scores")
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = textenc.AppendKeyFloat(b, "score", s.score, 1)
		b = textenc.AppendKeyStrings(b, "reasons", s.reasons)
		b = append(b, '}')
	}
	b = append(b, ']')
	// Client resets, each with the connections open at that instant.
	rsts, err := query.RSTs(g.st, g.sel, query.SenderOrig)
	if err != nil {
		return b, err
	}
	b = textenc.AppendKeyInt(b, "client_rsts_total", int64(len(rsts)))
	b = textenc.AppendKey(b, "client_rsts")
	rsts = rsts[:min(len(rsts), MaxProblems)]
	if b, err = appendJSON(b, func(w *bytes.Buffer) error { return output.WriteRSTs(w, g.jopt, rsts) }); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (g *gatherer) flowIDs() []uint64 {
	if len(g.o.Flows) > 0 {
		return g.o.Flows
	}
	if g.o.Worst < 0 {
		return nil
	}
	var ids []uint64
	for _, s := range g.scored {
		if len(ids) == g.o.Worst {
			break
		}
		ids = append(ids, s.f.ID)
	}
	return ids
}

func (g *gatherer) flows(b []byte) ([]byte, error) {
	b = append(b, '[')
	for i, id := range g.flowIDs() {
		if i > 0 {
			b = append(b, ',')
		}
		fs, err := FlowSeries(g.st, g.sel, id, g.o.Columns)
		if err != nil {
			return b, err
		}
		b = fs.appendJSON(b)
	}
	return append(b, ']'), nil
}

func (g *gatherer) events(b []byte) ([]byte, error) {
	b = append(b, '{')
	b = textenc.AppendKeyInt(b, "total", int64(g.nev))
	var names []string
	for t := flowhash.EventType(1); t.String() != "unknown"; t++ {
		names = append(names, t.String())
	}
	b = textenc.AppendKeyStrings(b, "types", names)
	ts := make([]float64, len(g.ev))
	fl := make([]uint64, len(g.ev))
	ty := make([]uint64, len(g.ev))
	for i, e := range g.ev {
		ts[i], fl[i], ty[i] = float64(e.ts)/1e9, e.flow, uint64(e.typ)
	}
	b = appendFloats(b, "ts", ts, 6)
	b = appendUints(b, "flow", fl)
	b = appendUints(b, "type", ty)
	// Per-flow counts, flows with most events first, at most MaxProblems.
	ids := make([]uint64, 0, len(g.counts))
	tot := func(id uint64) (n uint64) {
		for _, c := range g.counts[id] {
			n += uint64(c)
		}
		return n
	}
	for id := range g.counts {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uint64) int {
		if c := cmp.Compare(tot(b), tot(a)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	ids = ids[:min(len(ids), MaxProblems)]
	b = textenc.AppendKey(b, "per_flow")
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = textenc.AppendKeyUint(b, "flow_id", id)
		b = textenc.AppendKey(b, "counts")
		b = append(b, '{')
		for t, c := range g.counts[id] {
			if c > 0 {
				b = textenc.AppendKeyUint(b, flowhash.EventType(t).String(), uint64(c))
			}
		}
		b = append(b, "}}"...)
	}
	b = append(b, ']')
	return append(b, '}'), nil
}
