package query

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

// IndexStore is a Store over an index file written by index.Builder.
type IndexStore struct {
	*IndexSource
	r       *index.Reader
	files   []string
	pk      *index.Packets
	pc      pktCols
	pb      pktBuf
	fr, fr2 flowReader // for Packets' goroutine and a second one
	ecols   [6]index.Column
	esel    []uint32                          // Events' wanted rows of a block
	fcols   [len(flowRecordCols)]index.Column // Flows' kept rows per column
	zcols   [len(flowRecordCols)]index.Column // Flows' views of zeros for skipped columns
	scr     index.Scratch
	hscr    index.Scratch // for the history column, whose values are views

	first, last  int64
	spanDone     bool
	start, end   []int64
	flowCols     map[string]int
	events       *index.Table
	eventsLoaded bool

	// Shared zero values for skipped flow columns (see zeroColumn).
	zeroI64   []int64
	zeroU32   []uint32
	zeroU16   []uint16
	zeroU8    []uint8
	zeroBytes [][]byte
	zeroAddr  [][16]byte
}

// NewIndexStore opens the tables of r. The Store does not close r.
func NewIndexStore(r *index.Reader) (*IndexStore, error) {
	src, err := NewIndexSource(r)
	if err != nil {
		return nil, err
	}
	caps, err := r.Captures()
	if err != nil {
		return nil, err
	}
	s := &IndexStore{IndexSource: src, r: r, flowCols: map[string]int{}}
	s.pb.flowReader = &s.fr
	for _, c := range caps {
		s.files = append(s.files, c.Path)
	}
	if s.pk, err = r.Packets(); err != nil {
		return nil, err
	}
	pk, pf, c := s.pk.Table(), s.pk.FlowTable(), &s.pc
	for _, x := range []struct {
		t    *index.Table
		name string
		dst  *int
	}{{pk, "ts", &c.ts}, {pk, "file", &c.file}, {pk, "off", &c.off}, {pk, "caplen", &c.caplen}, {pk, "trunc", &c.trunc},
		{pk, "dir", &c.dir}, {pk, "tcp_flags", &c.flags}, {pk, "seq", &c.seq}, {pk, "ack", &c.ack}, {pk, "win", &c.win},
		{pk, "plen", &c.plen}, {pk, "kslot", &c.kslot}, {pf, "flow", &c.flow}, {pf, "analysis", &c.analysis}} {
		if *x.dst = x.t.ColumnIndex(x.name); *x.dst < 0 {
			return nil, fmt.Errorf("query: %s: %s table has no column %q", r.Path(), x.t.Name(), x.name)
		}
	}
	for i, c := range s.flows.Columns() {
		s.flowCols[c.Name] = i
	}
	for _, name := range append(flowRecordCols[:], "pblk_first", "pblk_last") {
		if _, ok := s.flowCols[name]; !ok {
			return nil, fmt.Errorf("query: %s: flows table has no column %q", r.Path(), name)
		}
	}
	return s, nil
}

// Reader returns the index the Store reads.
func (s *IndexStore) Reader() *index.Reader { return s.r }

func (s *IndexStore) Files() []string   { return s.files }
func (s *IndexStore) NumPackets() int64 { return s.pk.NumRows() }
func (s *IndexStore) Close() error      { return nil }

// Span reads the packet table's block time ranges (no packet data).
func (s *IndexStore) Span() (int64, int64) {
	if !s.spanDone {
		s.spanDone = true
		s.first, s.last = math.MaxInt64, math.MinInt64
		t := s.pk.Table()
		for b := range t.NumBlocks() {
			if lo, hi, ok := t.BlockTimeRange(b); ok {
				s.first, s.last = min(s.first, lo), max(s.last, hi)
			}
		}
		if s.first > s.last {
			s.first, s.last = 0, 0
		}
	}
	return s.first, s.last
}

func (s *IndexStore) FlowTimes() ([]int64, []int64, error) {
	if s.start != nil {
		return s.start, s.end, nil
	}
	n := s.flows.NumRows()
	start, end := make([]int64, n), make([]int64, n)
	var c index.Column
	for b := range s.flows.NumBlocks() {
		rows, first := s.flows.Block(b)
		if first < 0 || first+int64(rows) > n {
			return nil, nil, fmt.Errorf("query: flows block %d: rows %d..%d past the table's %d", b, first, first+int64(rows), n)
		}
		for _, x := range []struct {
			name string
			dst  []int64
		}{{"ts", start}, {"ts_end", end}} {
			// Decode straight into the result when the decoder appends in place.
			dst := x.dst[first : first+int64(rows)]
			c.I64 = dst[:0]
			if err := s.flows.ReadColumn(b, s.flowCols[x.name], &c, &s.scr); err != nil {
				return nil, nil, err
			}
			if len(c.I64) != rows {
				return nil, nil, fmt.Errorf("query: flows block %d: %d %s values, want %d", b, len(c.I64), x.name, rows)
			}
			if rows > 0 && &c.I64[0] != &dst[0] {
				copy(dst, c.I64)
			}
			c.I64 = nil
		}
	}
	s.start, s.end = start, end
	return start, end, nil
}

// flowRecordCols are the flows-table columns a flowhash.Flow is rebuilt from.
var flowRecordCols = [...]string{
	"ts", "ts_end", "first_frame", "proto", "ipver", "orig_h", "orig_p", "resp_h", "resp_p",
	"orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_ip_bytes", "resp_ip_bytes",
	"conn_state", "history", "syn_rtt", "ack_rtt", "rtt_min", "rtt_avg", "rtt_max",
	"retransmissions", "fast_retransmissions", "spurious_retransmissions", "out_of_order",
	"dup_acks", "zero_windows", "lost_segments", "acked_unseen", "orig_mss", "resp_mss",
	"orig_wscale", "resp_wscale", "icmp_type", "icmp_code", "has_l4",
}

// Flows rebuilds flowhash.Flow records from the flows table, reading only the blocks that
// hold selected rows. Fields the index does not keep are zero: TCP.SYNs, RSTs, KeepAlives,
// WindowFull, ZeroWindowProbes; RTTSamples is 1 when any RTT sample time is stored.
//
// Each needed column is decoded into one scratch and only the selected rows' values are
// kept, so a few selected flows cost one block's column of memory, not one per column.
func (s *IndexStore) Flows(rows *roaring.Bitmap, need FlowNeed, fn func(f *flowhash.Flow) error) error {
	var cols [len(flowRecordCols)]*index.Column
	var f flowhash.Flow
	kinds := s.flows.Columns()
	return s.flowBlocks(&s.fr, rows, func(b, n int, lo uint32, sel []uint32) error {
		m := n
		if sel != nil {
			m = len(sel)
		}
		for i, name := range flowRecordCols {
			if !flowKeyCols[name] && need&(1<<i) == 0 {
				// A view of shared zeros, kept apart: never appended to.
				cols[i] = &s.zcols[i]
				s.zeroColumn(cols[i], kinds[s.flowCols[name]].Kind, m)
				continue
			}
			cols[i] = &s.fcols[i]
			// Bytes values are views into the scratch buffer: history gets its own.
			scr := &s.fr.scr
			if name == "history" {
				scr = &s.hscr
			}
			sc := &s.fr.sc
			if err := s.flows.ReadColumn(b, s.flowCols[name], sc, scr); err != nil {
				return err
			}
			if sc.Len() != n {
				return fmt.Errorf("query: flows block %d: column %s has %d values, want %d", b, name, sc.Len(), n)
			}
			gatherColumn(cols[i], sc, sel)
		}
		c := func(name string) *index.Column {
			for i, x := range flowRecordCols {
				if x == name {
					return cols[i]
				}
			}
			panic("query: unknown flows column " + name)
		}
		ts, tsEnd, ff := c("ts").I64, c("ts_end").I64, c("first_frame").I64
		proto, ipver := c("proto").U8, c("ipver").U8
		oh, op, rh, rp := c("orig_h").Addr, c("orig_p").U16, c("resp_h").Addr, c("resp_p").U16
		opk, rpk, ob, rb, oib, rib := c("orig_pkts").I64, c("resp_pkts").I64, c("orig_bytes").I64, c("resp_bytes").I64, c("orig_ip_bytes").I64, c("resp_ip_bytes").I64
		state, hist := c("conn_state").U8, c("history")
		synRTT, ackRTT, rmin, ravg, rmax := c("syn_rtt").I64, c("ack_rtt").I64, c("rtt_min").I64, c("rtt_avg").I64, c("rtt_max").I64
		u32 := func(name string) []uint32 { return c(name).U32 }
		retr, fast, spur, ooo, dup, zw, lost, unseen := u32("retransmissions"), u32("fast_retransmissions"), u32("spurious_retransmissions"), u32("out_of_order"), u32("dup_acks"), u32("zero_windows"), u32("lost_segments"), u32("acked_unseen")
		omss, rmss, ows, rws := c("orig_mss").U16, c("resp_mss").U16, c("orig_wscale").U8, c("resp_wscale").U8
		ityp, icode, hasL4 := c("icmp_type").U8, c("icmp_code").U8, c("has_l4").U8
		for i := 0; i < m; i++ {
			row := lo + uint32(i)
			if sel != nil {
				row = lo + sel[i]
			}
			f = flowhash.Flow{
				ID: uint64(row) + 1, FirstFrame: uint64(max(ff[i], 0)), FirstTS: ts[i], LastTS: tsEnd[i],
				OrigPkts: uint64(max(opk[i], 0)), RespPkts: uint64(max(rpk[i], 0)),
				OrigBytes: uint64(max(ob[i], 0)), RespBytes: uint64(max(rb[i], 0)),
				OrigIPBytes: uint64(max(oib[i], 0)), RespIPBytes: uint64(max(rib[i], 0)),
				ICMPType: ityp[i], ICMPCode: icode[i], HasL4: hasL4[i] != 0,
				ConnState: flowhash.ConnState(state[i]),
			}
			setKey(&f, proto[i], ipver[i], &oh[i], op[i], &rh[i], rp[i])
			h := hist.Bytes[i]
			f.HistLen = uint8(copy(f.Hist[:], h))
			t := &f.TCP
			t.SynRTT, t.AckRTT, t.RTTMin, t.RTTAvg, t.RTTMax = synRTT[i], ackRTT[i], rmin[i], ravg[i], rmax[i]
			if t.RTTMin != 0 || t.RTTAvg != 0 || t.RTTMax != 0 {
				t.RTTSamples = 1
			}
			t.Retransmissions, t.FastRetransmissions, t.SpuriousRetransmissions = retr[i], fast[i], spur[i]
			t.OutOfOrder, t.DupAcks, t.ZeroWindows, t.LostSegments, t.AckedUnseen = ooo[i], dup[i], zw[i], lost[i], unseen[i]
			t.MSS = [2]uint16{omss[i], rmss[i]}
			t.WScale = [2]int8{int8(ows[i]), int8(rws[i])}
			if err := fn(&f); err != nil {
				return err
			}
		}
		return nil
	})
}

// gatherColumn sets dst to the values of src at the offsets sel; with sel nil (every row)
// the two swap buffers instead.
func gatherColumn(dst, src *index.Column, sel []uint32) {
	if sel == nil {
		*dst, *src = *src, *dst
		return
	}
	dst.Kind = src.Kind
	dst.Reset()
	switch src.Kind {
	case index.KindInt64:
		dst.I64 = gather(dst.I64, src.I64, sel)
	case index.KindUint32:
		dst.U32 = gather(dst.U32, src.U32, sel)
	case index.KindUint16:
		dst.U16 = gather(dst.U16, src.U16, sel)
	case index.KindUint8:
		dst.U8 = gather(dst.U8, src.U8, sel)
	case index.KindBytes:
		dst.Bytes = gather(dst.Bytes, src.Bytes, sel)
	case index.KindAddr:
		dst.Addr = gather(dst.Addr, src.Addr, sel)
	}
}

// gather appends the values of src at the offsets sel to dst.
func gather[T any](dst, src []T, sel []uint32) []T {
	for _, r := range sel {
		dst = append(dst, src[r])
	}
	return dst
}

// FlowNeed says which flows-table columns a Flows caller reads: bit i for flowRecordCols[i]
// (see NeedFlowColumns). The flow key (endpoints, protocol, ICMP type/code, has_l4) is
// always read; fields of columns not asked for are zero.
type FlowNeed uint64

// NeedFlowColumns returns the FlowNeed of the named flows-table columns (unknown names
// are ignored).
func NeedFlowColumns(names ...string) FlowNeed {
	var n FlowNeed
	for _, name := range names {
		for i, c := range flowRecordCols {
			if c == name {
				n |= 1 << i
			}
		}
	}
	return n
}

// Column groups for callers that want a kind of field.
var (
	FlowTimes  = NeedFlowColumns("ts", "ts_end", "first_frame")
	FlowCounts = NeedFlowColumns("orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_ip_bytes", "resp_ip_bytes")
	FlowState  = NeedFlowColumns("conn_state", "history")
	FlowAll    = ^FlowNeed(0)
)

// flowKeyCols are read for every Flows call.
var flowKeyCols = map[string]bool{"proto": true, "ipver": true, "orig_h": true, "orig_p": true,
	"resp_h": true, "resp_p": true, "icmp_type": true, "icmp_code": true, "has_l4": true}

// zeroColumn makes c a view of n zero values of kind k (for fields a caller skipped), over
// buffers shared by every skipped column and never written.
func (s *IndexStore) zeroColumn(c *index.Column, k index.Kind, n int) {
	if len(s.zeroI64) < n {
		s.zeroI64, s.zeroU32, s.zeroU16 = make([]int64, n), make([]uint32, n), make([]uint16, n)
		s.zeroU8, s.zeroBytes, s.zeroAddr = make([]uint8, n), make([][]byte, n), make([][16]byte, n)
	}
	*c = index.Column{Kind: k}
	switch k {
	case index.KindInt64:
		c.I64 = s.zeroI64[:n:n]
	case index.KindUint32:
		c.U32 = s.zeroU32[:n:n]
	case index.KindUint16:
		c.U16 = s.zeroU16[:n:n]
	case index.KindUint8:
		c.U8 = s.zeroU8[:n:n]
	case index.KindBytes:
		c.Bytes = s.zeroBytes[:n:n]
	case index.KindAddr:
		c.Addr = s.zeroAddr[:n:n]
	}
}

// setKey rebuilds f's Key and Orig from the originator and responder endpoints, ordering
// the endpoints as flowhash.KeyOf does (address bytes, then port; A is the lesser).
func setKey(f *flowhash.Flow, proto, ipver uint8, oh *[16]byte, op uint16, rh *[16]byte, rp uint16) {
	k := &f.Key
	k.Proto, k.IPVersion = proto, ipver
	if endpointLE(oh, op, rh, rp) {
		k.A, k.PortA, k.B, k.PortB = *oh, op, *rh, rp
		f.Orig = flowhash.DirAB
	} else {
		k.A, k.PortA, k.B, k.PortB = *rh, rp, *oh, op
		f.Orig = flowhash.DirBA
	}
}

func endpointLE(a *[16]byte, ap uint16, b *[16]byte, bp uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return ap <= bp
}

// rangeCardinality counts the members of bm in [lo, hi).
func rangeCardinality(bm *roaring.Bitmap, lo, hi uint32) uint64 {
	if lo >= hi {
		return 0
	}
	n := bm.Rank(hi - 1)
	if lo > 0 {
		n -= bm.Rank(lo - 1)
	}
	return n
}

// eventSet returns the event types of types as a table (nil: every type).
func eventSet(types []flowhash.EventType) *[256]bool {
	var want [256]bool
	for _, t := range types {
		want[t] = true
	}
	if types == nil {
		for i := range want {
			want[i] = true
		}
	}
	return &want
}

// Events reads the events table's type column first, then the flow column, and the other
// columns only of blocks holding a wanted event of a selected flow.
func (s *IndexStore) Events(rows *roaring.Bitmap, types []flowhash.EventType, fn func(e *flowhash.Event) error) error {
	if !s.eventsLoaded {
		s.eventsLoaded = true
		if _, ok := s.r.Lookup(index.TableEvents + ".meta"); ok {
			t, err := s.r.Table(index.TableEvents)
			if err != nil {
				return err
			}
			s.events = t
		}
	}
	t := s.events
	if t == nil {
		return nil
	}
	const cFrame, cTS, cFlow, cType, cFromOrig, cDetail = 0, 1, 2, 3, 4, 5
	var idx [6]int
	for i, name := range []string{"frame", "ts", "flow", "type", "from_orig", "detail"} {
		if idx[i] = t.ColumnIndex(name); idx[i] < 0 {
			return fmt.Errorf("query: %s: events table has no column %q", s.r.Path(), name)
		}
	}
	want := eventSet(types)
	m := newMatcher(rows, s.NumFlows())
	spans, err := s.eventSpans(rows, t)
	if err != nil {
		return err
	}
	c := &s.ecols
	var e flowhash.Event
	for b := range t.NumBlocks() {
		if lo, hi, ok := t.BlockTimeRange(b); ok && spans != nil && !overlapsAny(spans, lo, hi) {
			continue
		}
		n, _ := t.Block(b)
		// Type and flow first: skip the block when none of its events is wanted.
		any := false
		for _, i := range []int{cType, cFlow} {
			if err := t.ReadColumn(b, idx[i], &c[i], &s.fr.scr); err != nil {
				return err
			}
			if c[i].Len() != n {
				return fmt.Errorf("query: events block %d: column of %d values, want %d", b, c[i].Len(), n)
			}
			if i == cType && types == nil {
				continue
			}
			any = false
			for j := range n {
				if want[c[cType].U8[j]] && (i == cType || m.flow(c[cFlow].U32[j])) {
					any = true
					break
				}
			}
			if !any {
				break
			}
		}
		if !any {
			continue
		}
		// The wanted rows; the other columns are decoded into one scratch and only those
		// rows kept (all of them: the buffers swap).
		var sel []uint32
		if rows != nil || types != nil {
			s.esel = s.esel[:0]
			for i := range n {
				if m.flow(c[cFlow].U32[i]) && want[c[cType].U8[i]] {
					s.esel = append(s.esel, uint32(i))
				}
			}
			if len(s.esel) < n {
				sel = s.esel
			}
		}
		for _, i := range []int{cFrame, cTS, cFromOrig, cDetail} {
			if err := readN(t, b, idx[i], n, &s.fr.sc, &s.fr.scr); err != nil {
				return err
			}
			gatherColumn(&c[i], &s.fr.sc, sel)
		}
		flow, typ := c[cFlow].U32, c[cType].U8
		for j := range c[cFrame].I64 {
			i := j
			if sel != nil {
				i = int(sel[j])
			}
			e = flowhash.Event{Frame: uint64(max(c[cFrame].I64[j], 0)), TS: c[cTS].I64[j], FlowID: uint64(flow[i]),
				Type: flowhash.EventType(typ[i]), FromOrig: c[cFromOrig].U8[j] != 0, Detail: c[cDetail].I64[j]}
			if err := fn(&e); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxSpanFlows bounds the selections whose events are located by time (eventSpans).
const maxSpanFlows = 4096

// eventSpans returns, for a small selection, sorted disjoint time intervals holding every
// packet of the selected flows, so event blocks outside them can be skipped: an event is
// stamped with one of its flow's packets, which lie in the flow's packet blocks
// pblk_first..pblk_last, whose time ranges the packet table keeps. nil: no skipping (no
// selection, a large one, or events spread over few blocks anyway).
func (s *IndexStore) eventSpans(rows *roaring.Bitmap, events *index.Table) ([][2]int64, error) {
	if rows == nil || rows.GetCardinality() > maxSpanFlows || events.NumBlocks() < 3 {
		return nil, nil
	}
	// Reading the ranges costs two columns per flows block holding the selection: worth it
	// only when that is well below the event blocks it can save.
	nfb := 0
	s.flowBlocks(&s.fr, rows, func(int, int, uint32, []uint32) error { nfb++; return nil })
	if 4*nfb > events.NumBlocks() {
		return nil, nil
	}
	first, last, err := s.blockRanges(rows)
	if err != nil {
		return nil, err
	}
	pk := s.pk.Table()
	nb := uint32(pk.NumBlocks())
	spans := make([][2]int64, 0, len(first))
	for j := range first {
		lo, hi := first[j], min(last[j], nb-1)
		if lo > hi {
			return nil, nil // no packets known: do not skip
		}
		sp := [2]int64{math.MaxInt64, math.MinInt64}
		for b := lo; b <= hi; b++ {
			bl, bh, ok := pk.BlockTimeRange(int(b))
			if !ok {
				return nil, nil
			}
			sp[0], sp[1] = min(sp[0], bl), max(sp[1], bh)
		}
		spans = append(spans, sp)
	}
	slices.SortFunc(spans, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	out := spans[:0]
	for _, sp := range spans {
		if k := len(out) - 1; k >= 0 && sp[0] <= out[k][1] {
			out[k][1] = max(out[k][1], sp[1])
			continue
		}
		out = append(out, sp)
	}
	return out, nil
}

// overlapsAny reports whether [lo, hi] meets one of the sorted disjoint spans.
func overlapsAny(spans [][2]int64, lo, hi int64) bool {
	// The first span ending at or after lo.
	i, j := 0, len(spans)
	for i < j {
		m := int(uint(i+j) >> 1)
		if spans[m][1] < lo {
			i = m + 1
		} else {
			j = m
		}
	}
	return i < len(spans) && spans[i][0] <= hi
}

// OpenAt skips the flows blocks whose first packets all come after the latest instant, and
// reads only the end times of blocks whose first packets all come before the earliest.
// (Counting half the blocks on a second goroutine was slower as a whole process: its own
// fresh buffers cost more page faults than it saved.)
func (s *IndexStore) OpenAt(ts []int64) ([]int, error) {
	oc := newOpenCounter(ts)
	tmin, tmax, ok := oc.span()
	if !ok {
		return oc.counts(), nil
	}
	var blocks []int
	for b := range s.flows.NumBlocks() {
		if lo, _, ranged := s.flows.BlockTimeRange(b); !ranged || lo <= tmax {
			blocks = append(blocks, b)
		}
	}
	count := func(fr *flowReader, oc *openCounter, blocks []int) error {
		for _, b := range blocks {
			n, _ := s.flows.Block(b)
			if err := readN(s.flows, b, s.flowCols["ts_end"], n, &fr.sc, &fr.scr); err != nil {
				return err
			}
			if fr.sc.Kind != index.KindInt64 {
				return fmt.Errorf("query: flows column ts_end is %v", fr.sc.Kind)
			}
			end := fr.sc.I64
			if _, hi, ranged := s.flows.BlockTimeRange(b); ranged && hi <= tmin {
				// Every flow of the block started by the earliest instant.
				for _, e := range end {
					if e >= tmin {
						oc.add(tmin, e)
					}
				}
				continue
			}
			if err := readN(s.flows, b, s.flowCols["ts"], n, &fr.sc2, &fr.scr); err != nil {
				return err
			}
			if fr.sc2.Kind != index.KindInt64 {
				return fmt.Errorf("query: flows column ts is %v", fr.sc2.Kind)
			}
			start := fr.sc2.I64
			for i, e := range end {
				if e >= tmin {
					oc.add(start[i], e)
				}
			}
		}
		return nil
	}
	if err := count(&s.fr, oc, blocks); err != nil {
		return nil, err
	}
	return oc.counts(), nil
}

// Series calls fn for each second of the index's per-second counters (packets and frame
// bytes, every packet of the set), in time order. It reports false when the index has no
// series table.
func (s *IndexStore) Series(fn func(sec, pkts, bytes int64) error) (bool, error) {
	if _, ok := s.r.Lookup(index.TableSeries + ".meta"); !ok {
		return false, nil
	}
	t, err := s.r.Table(index.TableSeries)
	if err != nil {
		return false, err
	}
	var idx [3]int
	for i, name := range []string{"sec", "packets", "bytes"} {
		if idx[i] = t.ColumnIndex(name); idx[i] < 0 {
			return false, fmt.Errorf("query: %s: series table has no column %q", s.r.Path(), name)
		}
	}
	var c [3]index.Column
	for b := range t.NumBlocks() {
		n, _ := t.Block(b)
		for i := range idx {
			if err := t.ReadColumn(b, idx[i], &c[i], &s.scr); err != nil {
				return false, err
			}
			if len(c[i].I64) != n {
				return false, fmt.Errorf("query: series block %d: column of %d values, want %d", b, len(c[i].I64), n)
			}
		}
		for i := 0; i < n; i++ {
			if err := fn(c[0].I64[i], c[1].I64[i], c[2].I64[i]); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}
