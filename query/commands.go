package query

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/internal/intmath"
)

// Selection is what a command's filter and time window chose.
type Selection struct {
	// Rows are the matching flow rows; nil when there is no filter, in which case packet
	// commands see every packet, with or without IP.
	Rows *roaring.Bitmap
	// Since and Until bound packet times (inclusive, Unix ns); flows must be active in
	// [Since, Until] to match. math.MinInt64 / math.MaxInt64 when not given.
	Since, Until int64
}

// Windowed reports whether --since or --until narrowed the selection.
func (s *Selection) Windowed() bool { return s.Since != math.MinInt64 || s.Until != math.MaxInt64 }

func (s *Selection) inTime(ts int64) bool { return ts >= s.Since && ts <= s.Until }

// Select evaluates plan (nil: no filter) over st and applies the time window.
func Select(st Store, plan *Plan, since, until int64) (Selection, error) {
	sel := Selection{Since: since, Until: until}
	if plan != nil && plan.root.kind != pAll {
		rows, err := plan.Eval(st)
		if err != nil {
			return sel, err
		}
		sel.Rows = rows
	}
	if sel.Windowed() && sel.Rows != nil {
		w, err := st.Window(since, until)
		if err != nil {
			return sel, err
		}
		sel.Rows = roaring.And(sel.Rows, w)
	}
	return sel, nil
}

// FlowRows returns the flows the selection names: its Rows, or with no filter the flows
// active in the window (nil: all).
func (s *Selection) FlowRows(st Store) (*roaring.Bitmap, error) {
	if s.Rows != nil || !s.Windowed() {
		return s.Rows, nil
	}
	return st.Window(s.Since, s.Until)
}

// ---- flows ----

// FlowColumn is one column of the flows command, named as in Zeek's conn.log where Zeek
// has the field.
type FlowColumn struct {
	Col
	set func(t *Table, f *flowhash.Flow)
}

// flowColumnNeed is the flows-table columns an output column reads.
func flowColumnNeed(name string) FlowNeed {
	switch name {
	case "duration":
		return NeedFlowColumns("ts", "ts_end")
	case "rtt_min", "rtt_avg", "rtt_max":
		return NeedFlowColumns("rtt_min", "rtt_avg", "rtt_max")
	}
	return NeedFlowColumns(name)
}

func sortNeed(key string) FlowNeed {
	switch key {
	case "ts":
		return NeedFlowColumns("ts")
	case "duration":
		return NeedFlowColumns("ts", "ts_end")
	case "bytes":
		return NeedFlowColumns("orig_ip_bytes", "resp_ip_bytes")
	case "pkts":
		return NeedFlowColumns("orig_pkts", "resp_pkts")
	case "retransmissions", "syn_rtt":
		return NeedFlowColumns(key)
	}
	return 0
}

func rttCell(t *Table, ns int64, ok bool) {
	if ok {
		t.Duration(ns)
	} else {
		t.Null()
	}
}

// rttKnown reports whether the flow has data->ACK RTT samples to print. Samples that are all
// 0 ns (equal timestamps) print as null too: the index stores the times, not the sample
// count, so the two cannot be told apart there.
func rttKnown(f *flowhash.Flow) bool { return f.TCP.RTTSamples > 0 && f.TCP.RTTMax != 0 }

func flowPorts(f *flowhash.Flow) (uint16, uint16) {
	_, op := f.OrigEndpoint()
	_, rp := f.RespEndpoint()
	if f.Key.Proto == fastparse.ProtoICMP || f.Key.Proto == fastparse.ProtoICMPv6 {
		op, rp = uint16(f.ICMPType), uint16(f.ICMPCode)
	}
	return op, rp
}

func flowAddr(f *flowhash.Flow, orig bool) netip.Addr {
	a, _ := f.OrigEndpoint()
	if !orig {
		a, _ = f.RespEndpoint()
	}
	return addrOf(a, f.Key.IPVersion)
}

var scratch [64]byte

// FlowColumns are every column of the flows command, in the order of flowhash.FlowFields.
var FlowColumns = []FlowColumn{
	{Col{"flow_id", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(f.ID) }},
	{Col{"community_id", KindString}, func(t *Table, f *flowhash.Flow) { t.StrBytes(f.AppendCommunityID(scratch[:0])) }},
	{Col{"proto", KindString}, func(t *Table, f *flowhash.Flow) { t.StrBytes(flowhash.AppendProtoName(scratch[:0], f.Key.Proto)) }},
	{Col{"orig_h", KindAddr}, func(t *Table, f *flowhash.Flow) { t.Addr(flowAddr(f, true)) }},
	{Col{"orig_p", KindUint}, func(t *Table, f *flowhash.Flow) { op, _ := flowPorts(f); t.Uint(uint64(op)) }},
	{Col{"resp_h", KindAddr}, func(t *Table, f *flowhash.Flow) { t.Addr(flowAddr(f, false)) }},
	{Col{"resp_p", KindUint}, func(t *Table, f *flowhash.Flow) { _, rp := flowPorts(f); t.Uint(uint64(rp)) }},
	{Col{"ts", KindTime}, func(t *Table, f *flowhash.Flow) { t.Time(f.FirstTS) }},
	{Col{"ts_end", KindTime}, func(t *Table, f *flowhash.Flow) { t.Time(f.LastTS) }},
	{Col{"duration", KindDuration}, func(t *Table, f *flowhash.Flow) { t.Duration(f.LastTS - f.FirstTS) }},
	{Col{"orig_pkts", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(f.OrigPkts) }},
	{Col{"resp_pkts", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(f.RespPkts) }},
	{Col{"orig_bytes", KindBytes}, func(t *Table, f *flowhash.Flow) { t.Size(f.OrigBytes) }},
	{Col{"resp_bytes", KindBytes}, func(t *Table, f *flowhash.Flow) { t.Size(f.RespBytes) }},
	{Col{"orig_ip_bytes", KindBytes}, func(t *Table, f *flowhash.Flow) { t.Size(f.OrigIPBytes) }},
	{Col{"resp_ip_bytes", KindBytes}, func(t *Table, f *flowhash.Flow) { t.Size(f.RespIPBytes) }},
	{Col{"conn_state", KindString}, func(t *Table, f *flowhash.Flow) { t.Str(f.ConnState.String()) }},
	{Col{"history", KindString}, func(t *Table, f *flowhash.Flow) { t.StrBytes(f.Hist[:min(int(f.HistLen), len(f.Hist))]) }},
	{Col{"syn_rtt", KindDuration}, func(t *Table, f *flowhash.Flow) {
		rttCell(t, f.TCP.SynRTT, f.Key.Proto == fastparse.ProtoTCP && f.TCP.SynRTT != 0)
	}},
	{Col{"ack_rtt", KindDuration}, func(t *Table, f *flowhash.Flow) {
		rttCell(t, f.TCP.AckRTT, f.Key.Proto == fastparse.ProtoTCP && f.TCP.AckRTT != 0)
	}},
	{Col{"rtt_min", KindDuration}, func(t *Table, f *flowhash.Flow) { rttCell(t, f.TCP.RTTMin, rttKnown(f)) }},
	{Col{"rtt_avg", KindDuration}, func(t *Table, f *flowhash.Flow) { rttCell(t, f.TCP.RTTAvg, rttKnown(f)) }},
	{Col{"rtt_max", KindDuration}, func(t *Table, f *flowhash.Flow) { rttCell(t, f.TCP.RTTMax, rttKnown(f)) }},
	{Col{"retransmissions", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.Retransmissions)) }},
	{Col{"fast_retransmissions", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.FastRetransmissions)) }},
	{Col{"spurious_retransmissions", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.SpuriousRetransmissions)) }},
	{Col{"out_of_order", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.OutOfOrder)) }},
	{Col{"dup_acks", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.DupAcks)) }},
	{Col{"zero_windows", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.ZeroWindows)) }},
	{Col{"lost_segments", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.LostSegments)) }},
	{Col{"acked_unseen", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.AckedUnseen)) }},
	{Col{"orig_mss", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.MSS[0])) }},
	{Col{"resp_mss", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(uint64(f.TCP.MSS[1])) }},
	{Col{"orig_wscale", KindInt}, func(t *Table, f *flowhash.Flow) { t.Int(int64(f.TCP.WScale[0])) }},
	{Col{"resp_wscale", KindInt}, func(t *Table, f *flowhash.Flow) { t.Int(int64(f.TCP.WScale[1])) }},
	{Col{"first_frame", KindUint}, func(t *Table, f *flowhash.Flow) { t.Uint(f.FirstFrame) }},
}

// DefaultFlowTableColumns are the columns of `flows` in the table format; machine formats
// print every column unless --columns says otherwise.
var DefaultFlowTableColumns = []string{"flow_id", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "ts",
	"duration", "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "conn_state", "history",
	"syn_rtt", "retransmissions"}

// FlowSortKeys are the --sort keys of flows: id and ts ascending, the others largest first.
var FlowSortKeys = []string{"id", "ts", "duration", "bytes", "pkts", "retransmissions", "syn_rtt"}

// FlowsOptions configure WriteFlows.
type FlowsOptions struct {
	Sort    string   // one of FlowSortKeys; "" is id
	Limit   int      // 0: all
	Columns []string // nil: DefaultFlowTableColumns for the table format, every column otherwise
}

// PickFlowColumns resolves column names (nil: the default for format).
func PickFlowColumns(names []string, format Format) ([]FlowColumn, error) {
	if names == nil {
		if format != FormatTable {
			return FlowColumns, nil
		}
		names = DefaultFlowTableColumns
	}
	var out []FlowColumn
	for _, n := range names {
		i := slices.IndexFunc(FlowColumns, func(c FlowColumn) bool { return c.Name == n })
		if i < 0 {
			all := make([]string, len(FlowColumns))
			for j, c := range FlowColumns {
				all[j] = c.Name
			}
			return nil, fmt.Errorf("unknown column %q (columns: %s)", n, strings.Join(all, ","))
		}
		out = append(out, FlowColumns[i])
	}
	return out, nil
}

// WriteFlows writes the selected flows.
func WriteFlows(st Store, sel Selection, o FlowsOptions, w io.Writer, out Options) error {
	if o.Sort != "" && !slices.Contains(FlowSortKeys, o.Sort) {
		return fmt.Errorf("unknown sort key %q (%s)", o.Sort, strings.Join(FlowSortKeys, ", "))
	}
	cols, err := PickFlowColumns(o.Columns, out.Format)
	if err != nil {
		return err
	}
	rows, err := sel.FlowRows(st)
	if err != nil {
		return err
	}
	need := sortNeed(o.Sort)
	for _, c := range cols {
		need |= flowColumnNeed(c.Name)
	}
	decl := make([]Col, len(cols))
	for i, c := range cols {
		decl[i] = c.Col
	}
	t := NewTable(w, out, decl...)
	row := func(f *flowhash.Flow) error {
		for _, c := range cols {
			c.set(t, f)
		}
		return t.EndRow()
	}
	if o.Sort == "" || o.Sort == "id" {
		// Stores yield flows in id order: write them as they come, holding none.
		n := 0
		err := st.Flows(rows, need, func(f *flowhash.Flow) error {
			if o.Limit > 0 && n == o.Limit {
				return errLimit
			}
			n++
			return row(f)
		})
		if err != nil && !errors.Is(err, errLimit) {
			return err
		}
		return t.Close()
	}
	size := st.NumFlows()
	if rows != nil {
		size = int(rows.GetCardinality())
	}
	flows := make([]flowhash.Flow, 0, size)
	if err := st.Flows(rows, need, func(f *flowhash.Flow) error { flows = append(flows, *f); return nil }); err != nil {
		return err
	}
	SortFlows(flows, o.Sort)
	if o.Limit > 0 && len(flows) > o.Limit {
		flows = flows[:o.Limit]
	}
	for i := range flows {
		if err := row(&flows[i]); err != nil {
			return err
		}
	}
	return t.Close()
}

// errLimit stops a store's iteration once --limit rows are written.
var errLimit = errors.New("query: limit reached")

// SortFlows orders flows by key (see FlowSortKeys); ties keep id order.
func SortFlows(flows []flowhash.Flow, key string) {
	var val func(f *flowhash.Flow) uint64
	switch key {
	case "", "id":
		slices.SortStableFunc(flows, func(a, b flowhash.Flow) int { return cmp.Compare(a.ID, b.ID) })
		return
	case "ts":
		slices.SortStableFunc(flows, func(a, b flowhash.Flow) int { return cmp.Compare(a.FirstTS, b.FirstTS) })
		return
	case "duration":
		val = func(f *flowhash.Flow) uint64 { return uint64(max(f.LastTS-f.FirstTS, 0)) }
	case "bytes":
		val = func(f *flowhash.Flow) uint64 { return f.OrigIPBytes + f.RespIPBytes }
	case "pkts":
		val = func(f *flowhash.Flow) uint64 { return f.OrigPkts + f.RespPkts }
	case "retransmissions":
		val = func(f *flowhash.Flow) uint64 { return uint64(f.TCP.Retransmissions) }
	case "syn_rtt":
		val = func(f *flowhash.Flow) uint64 { return uint64(max(f.TCP.SynRTT, 0)) }
	default:
		return
	}
	slices.SortStableFunc(flows, func(a, b flowhash.Flow) int { return cmp.Compare(val(&b), val(&a)) })
}

// ---- packets ----

// tcpFlagNames are the TCP flag bits (fastparse order: FIN SYN RST PSH ACK URG ECE CWR NS)
// as Wireshark names them.
var tcpFlagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"}

// AppendTCPFlags appends the names of the set flags, comma-separated, in the order Wireshark
// lists them in its Info column (SYN, ACK first).
func AppendTCPFlags(dst []byte, flags uint16) []byte {
	order := [...]int{1, 0, 2, 3, 4, 5, 6, 7, 8} // SYN FIN RST PSH ACK URG ECE CWR NS
	n := 0
	for _, b := range order {
		if flags&(1<<b) != 0 {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, tcpFlagNames[b]...)
			n++
		}
	}
	return dst
}

// AppendAnalysis appends the event names of analysis bits (1 << flowhash.EventType),
// comma-separated, in event-type order.
func AppendAnalysis(dst []byte, bits uint32) []byte {
	n := 0
	for t := flowhash.EventType(1); t < 32; t++ {
		if bits&(1<<t) != 0 {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, t.String()...)
			n++
		}
	}
	return dst
}

// PacketColumns are the columns of the packets command.
var PacketColumns = []Col{
	{"frame", KindUint}, {"ts", KindTime}, {"rel", KindDuration}, {"flow_id", KindUint},
	{"dir", KindString}, {"flags", KindString}, {"seq", KindUint}, {"ack", KindUint},
	{"len", KindUint}, {"win", KindUint}, {"analysis", KindString},
}

// PacketsOptions configure WritePackets.
type PacketsOptions struct {
	Flow  uint32 // only this flow id (0: every selected flow)
	Limit int    // 0: all
}

// WritePackets writes one row per packet of the selected flows: rel is the time since the
// flow's first packet; dir "orig" or "resp" (the sender); seq, ack, win and flags only for
// TCP (null otherwise; ack null without the ACK flag); len the transport payload length;
// analysis the TCP analysis events flagged on the packet.
func WritePackets(st Store, sel Selection, o PacketsOptions, w io.Writer, out Options) error {
	rows := sel.Rows
	if o.Flow != 0 {
		one := roaring.BitmapOf(o.Flow - 1)
		if rows != nil {
			one.And(rows)
		}
		rows = one
	}
	// rel needs each flow's first packet time. Packets come in capture order and a flow's
	// packets are read whole, so without a window the first one met is the flow's first;
	// with a window the flows table says.
	var start []int64
	firstSeen := map[uint32]int64{}
	if sel.Windowed() {
		var err error
		if start, _, err = st.FlowTimes(); err != nil {
			return err
		}
	}
	flowStart := func(p *PacketRow) (int64, bool) {
		if p.Flow == 0 {
			return 0, false
		}
		if start != nil {
			if int(p.Flow) > len(start) {
				return 0, false
			}
			return start[p.Flow-1], true
		}
		ts, ok := firstSeen[p.Flow]
		if !ok {
			ts = p.TS
			firstSeen[p.Flow] = ts
		}
		return ts, true
	}
	t := NewTable(w, out, PacketColumns...)
	var buf []byte
	n := 0
	errStop := fmt.Errorf("stop")
	err := st.Packets(rows, sel.Since, sel.Until, NeedTCP, func(p *PacketRow) error {
		if !sel.inTime(p.TS) {
			return nil
		}
		if o.Limit > 0 && n >= o.Limit {
			return errStop
		}
		n++
		t.Uint(uint64(p.Frame))
		t.Time(p.TS)
		if fs, ok := flowStart(p); ok {
			t.Duration(p.TS - fs)
			t.Uint(uint64(p.Flow))
			if p.FromOrig {
				t.Str("orig")
			} else {
				t.Str("resp")
			}
		} else {
			t.Null()
			t.Null()
			t.Null()
		}
		if p.Flags != 0 {
			buf = AppendTCPFlags(buf[:0], p.Flags)
			t.StrBytes(buf)
			t.Uint(uint64(p.Seq))
			if p.Flags&tcpACK != 0 {
				t.Uint(uint64(p.Ack))
			} else {
				t.Null()
			}
		} else {
			t.Null()
			t.Null()
			t.Null()
		}
		t.Uint(uint64(p.PLen))
		if p.Flags != 0 {
			t.Uint(uint64(p.Win))
		} else {
			t.Null()
		}
		if p.Analysis != 0 {
			buf = AppendAnalysis(buf[:0], p.Analysis)
			t.StrBytes(buf)
		} else {
			t.Null()
		}
		return t.EndRow()
	})
	if err != nil && err != errStop {
		return err
	}
	return t.Close()
}

// ---- timeline ----

// Align says where timeline buckets start.
type Align uint8

const (
	AlignEpoch Align = iota // buckets start at multiples of the bucket width since the Unix epoch (UTC)
	AlignStart              // buckets start at the capture's first packet, as tshark -z io,stat does
)

// TimelineOptions configure WriteTimeline.
type TimelineOptions struct {
	Bucket int64 // bucket width, ns (> 0)
	Align  Align
}

// MaxBuckets bounds the rows of a timeline; a wider range needs a wider bucket.
const MaxBuckets = 10_000_000

// seriesStore is implemented by stores holding per-second packet and byte counts.
type seriesStore interface {
	Series(fn func(sec, pkts, bytes int64) error) (bool, error)
}

// WriteTimeline writes packets and bytes (frame lengths, as tshark's io,stat BYTES) per
// bucket, from the bucket holding the capture's first packet to the one holding its last
// (clipped to --since/--until), empty buckets as zero. With a filter, only the matching
// flows' packets count.
func WriteTimeline(st Store, sel Selection, o TimelineOptions, w io.Writer, out Options) error {
	if o.Bucket <= 0 {
		return fmt.Errorf("bucket width must be positive")
	}
	first, last := st.Span()
	lo, hi := max(first, sel.Since), min(last, sel.Until)
	base := int64(0)
	if o.Align == AlignStart {
		base = first
	}
	bucketOf := func(ts int64) int64 { return intmath.FloorDiv(ts-base, o.Bucket) }
	t := NewTable(w, out, Col{"ts", KindTime}, Col{"packets", KindUint}, Col{"bytes", KindBytes})
	if st.NumPackets() == 0 || lo > hi {
		return t.Close()
	}
	b0, b1 := bucketOf(lo), bucketOf(hi)
	if b1-b0+1 > MaxBuckets {
		return fmt.Errorf("%d buckets exceed the limit of %d: use a wider --bucket", b1-b0+1, MaxBuckets)
	}
	pk := make([]uint64, b1-b0+1)
	by := make([]uint64, b1-b0+1)
	done := false
	if ss, ok := st.(seriesStore); ok && sel.Rows == nil && !sel.Windowed() && base%1e9 == 0 && o.Bucket%1e9 == 0 {
		var err error
		done, err = ss.Series(func(sec, pkts, bytes int64) error {
			if b := bucketOf(sec*1e9) - b0; b >= 0 && b < int64(len(pk)) {
				pk[b] += uint64(pkts)
				by[b] += uint64(bytes)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if !done {
		err := st.Packets(sel.Rows, sel.Since, sel.Until, NeedBasic, func(p *PacketRow) error {
			if !sel.inTime(p.TS) {
				return nil
			}
			if b := bucketOf(p.TS) - b0; b >= 0 && b < int64(len(pk)) {
				pk[b]++
				by[b] += uint64(p.OrigLen)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := range pk {
		t.Time(base + (b0+int64(i))*o.Bucket)
		t.Uint(pk[i])
		t.Size(by[i])
		if err := t.EndRow(); err != nil {
			return err
		}
	}
	return t.Close()
}

// ---- gaps ----

// WriteGaps writes the silent intervals of at least min: stretches with no selected packet,
// between consecutive packets (in time order) and from the capture's first packet (or
// --since) to the first selected one and from the last selected one to the capture's end
// (or --until).
func WriteGaps(st Store, sel Selection, minGap int64, w io.Writer, out Options) error {
	var ts []int64
	err := st.Packets(sel.Rows, sel.Since, sel.Until, NeedBasic, func(p *PacketRow) error {
		if sel.inTime(p.TS) {
			ts = append(ts, p.TS)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !slices.IsSorted(ts) {
		slices.Sort(ts)
	}
	first, last := st.Span()
	lo, hi := max(first, sel.Since), min(last, sel.Until)
	t := NewTable(w, out, Col{"start", KindTime}, Col{"end", KindTime}, Col{"duration", KindDuration})
	emit := func(a, b int64) error {
		if b-a < minGap || b <= a {
			return nil
		}
		t.Time(a)
		t.Time(b)
		t.Duration(b - a)
		return t.EndRow()
	}
	if st.NumPackets() == 0 || lo > hi {
		return t.Close()
	}
	if len(ts) == 0 {
		if err := emit(lo, hi); err != nil {
			return err
		}
		return t.Close()
	}
	if err := emit(lo, ts[0]); err != nil {
		return err
	}
	for i := 1; i < len(ts); i++ {
		if err := emit(ts[i-1], ts[i]); err != nil {
			return err
		}
	}
	if err := emit(ts[len(ts)-1], hi); err != nil {
		return err
	}
	return t.Close()
}

// ---- top ----

// TopBy are the groupings of the top command.
var TopBy = []string{"src", "dst", "host", "port", "pair", "flow"}

// TopOptions configure WriteTop.
type TopOptions struct {
	By     string // src: originator address; dst: responder address; host: either end (a flow counts for both); port: responder port with protocol; pair: the two addresses; flow
	Metric string // bytes (IP bytes, both directions) or packets
	N      int    // rows (0: all)
}

type topKey struct {
	a, b  netip.Addr
	proto uint8
	port  uint16
	id    uint64
}

type topAgg struct {
	key                topKey
	flows, pkts, bytes uint64
	orig, resp         netip.Addr
	origPort, respPort uint16
}

// WriteTop writes the N largest groups of the selected flows by metric; ties in key order.
// share is the group's fraction of the metric over all selected flows.
func WriteTop(st Store, sel Selection, o TopOptions, w io.Writer, out Options) error {
	if !slices.Contains(TopBy, o.By) {
		return fmt.Errorf("unknown --by %q (%s)", o.By, strings.Join(TopBy, ", "))
	}
	if o.Metric != "bytes" && o.Metric != "packets" {
		return fmt.Errorf("unknown --metric %q (bytes, packets)", o.Metric)
	}
	rows, err := sel.FlowRows(st)
	if err != nil {
		return err
	}
	agg := map[topKey]*topAgg{}
	var total uint64
	add := func(k topKey, f *flowhash.Flow) {
		a := agg[k]
		if a == nil {
			a = &topAgg{key: k}
			agg[k] = a
		}
		a.flows++
		a.pkts += f.OrigPkts + f.RespPkts
		a.bytes += f.OrigIPBytes + f.RespIPBytes
		if o.By == "flow" {
			a.orig, a.resp = flowAddr(f, true), flowAddr(f, false)
			a.origPort, a.respPort = flowPorts(f)
		}
	}
	err = st.Flows(rows, NeedFlowColumns("orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"), func(f *flowhash.Flow) error {
		if o.Metric == "bytes" {
			total += f.OrigIPBytes + f.RespIPBytes
		} else {
			total += f.OrigPkts + f.RespPkts
		}
		oa, ra := flowAddr(f, true), flowAddr(f, false)
		switch o.By {
		case "src":
			add(topKey{a: oa}, f)
		case "dst":
			add(topKey{a: ra}, f)
		case "host":
			add(topKey{a: oa}, f)
			if ra != oa {
				add(topKey{a: ra}, f)
			}
		case "port":
			if !f.HasL4 || !index.HasPortPostings(f.Key.Proto) {
				return nil
			}
			_, rp := f.RespEndpoint()
			add(topKey{proto: f.Key.Proto, port: rp}, f)
		case "pair":
			if ra.Less(oa) {
				oa, ra = ra, oa
			}
			add(topKey{a: oa, b: ra}, f)
		case "flow":
			add(topKey{id: f.ID}, f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	list := make([]*topAgg, 0, len(agg))
	for _, a := range agg {
		list = append(list, a)
	}
	metric := func(a *topAgg) uint64 {
		if o.Metric == "bytes" {
			return a.bytes
		}
		return a.pkts
	}
	sort.Slice(list, func(i, j int) bool {
		x, y := list[i], list[j]
		if mx, my := metric(x), metric(y); mx != my {
			return mx > my
		}
		if c := x.key.a.Compare(y.key.a); c != 0 {
			return c < 0
		}
		if c := x.key.b.Compare(y.key.b); c != 0 {
			return c < 0
		}
		if x.key.proto != y.key.proto {
			return x.key.proto < y.key.proto
		}
		if x.key.port != y.key.port {
			return x.key.port < y.key.port
		}
		return x.key.id < y.key.id
	})
	if o.N > 0 && len(list) > o.N {
		list = list[:o.N]
	}
	var cols []Col
	switch o.By {
	case "src", "dst", "host":
		cols = []Col{{"addr", KindAddr}}
	case "port":
		cols = []Col{{"proto", KindString}, {"port", KindUint}}
	case "pair":
		cols = []Col{{"addr_a", KindAddr}, {"addr_b", KindAddr}}
	case "flow":
		cols = []Col{{"flow_id", KindUint}, {"orig_h", KindAddr}, {"orig_p", KindUint}, {"resp_h", KindAddr}, {"resp_p", KindUint}}
	}
	cols = append(cols, Col{"flows", KindUint}, Col{"packets", KindUint}, Col{"bytes", KindBytes}, Col{"share", KindFloat})
	t := NewTable(w, out, cols...)
	for _, a := range list {
		switch o.By {
		case "src", "dst", "host":
			t.Addr(a.key.a)
		case "port":
			t.StrBytes(flowhash.AppendProtoName(scratch[:0], a.key.proto))
			t.Uint(uint64(a.key.port))
		case "pair":
			t.Addr(a.key.a)
			t.Addr(a.key.b)
		case "flow":
			t.Uint(a.key.id)
			t.Addr(a.orig)
			t.Uint(uint64(a.origPort))
			t.Addr(a.resp)
			t.Uint(uint64(a.respPort))
		}
		t.Uint(a.flows)
		t.Uint(a.pkts)
		t.Size(a.bytes)
		share := 0.0
		if total > 0 {
			share = float64(metric(a)) / float64(total)
		}
		t.Float(share)
		if err := t.EndRow(); err != nil {
			return err
		}
	}
	return t.Close()
}

// ---- sizes ----

// SizeBuckets are the histogram's lower bounds, Wireshark's "Packet Lengths" statistics
// buckets (0-19, 20-39, 40-79, ..., 2560-5119, 5120 and more).
var SizeBuckets = []uint32{0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120}

// SizeStats summarise frame lengths. Quantiles use the nearest-rank method: the q-quantile
// of n sorted lengths is the one at 1-based rank ceil(q*n) (p50 of 1,2,3,4 is 2).
type SizeStats struct {
	Packets, Bytes                    uint64
	Min, P25, P50, P75, P90, P99, Max uint32
	Mean                              float64
	Hist                              []uint64 // packets per SizeBuckets bucket
}

// Quantile returns the nearest-rank q-quantile (0 < q <= 1) of sorted values given as
// counts per value (sizes ascending).
func quantile(sizes []uint32, counts []uint64, n uint64, q float64) uint32 {
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var c uint64
	for i, s := range sizes {
		c += counts[i]
		if c >= rank {
			return s
		}
	}
	return 0
}

// ComputeSizes returns the frame-length statistics (frame.len, the length on the wire) of
// the selected packets.
func ComputeSizes(st Store, sel Selection) (SizeStats, error) {
	var small [65536]uint64
	big := map[uint32]uint64{}
	var s SizeStats
	err := st.Packets(sel.Rows, sel.Since, sel.Until, NeedBasic, func(p *PacketRow) error {
		if !sel.inTime(p.TS) {
			return nil
		}
		if p.OrigLen < uint32(len(small)) {
			small[p.OrigLen]++
		} else {
			big[p.OrigLen]++
		}
		s.Packets++
		s.Bytes += uint64(p.OrigLen)
		return nil
	})
	if err != nil || s.Packets == 0 {
		return s, err
	}
	var sizes []uint32
	var counts []uint64
	for v, c := range small {
		if c > 0 {
			sizes, counts = append(sizes, uint32(v)), append(counts, c)
		}
	}
	bigKeys := make([]uint32, 0, len(big))
	for k := range big {
		bigKeys = append(bigKeys, k)
	}
	slices.Sort(bigKeys)
	for _, k := range bigKeys {
		sizes, counts = append(sizes, k), append(counts, big[k])
	}
	s.Min, s.Max = sizes[0], sizes[len(sizes)-1]
	s.P25 = quantile(sizes, counts, s.Packets, 0.25)
	s.P50 = quantile(sizes, counts, s.Packets, 0.50)
	s.P75 = quantile(sizes, counts, s.Packets, 0.75)
	s.P90 = quantile(sizes, counts, s.Packets, 0.90)
	s.P99 = quantile(sizes, counts, s.Packets, 0.99)
	s.Mean = float64(s.Bytes) / float64(s.Packets)
	s.Hist = make([]uint64, len(SizeBuckets))
	for i, v := range sizes {
		b := sort.Search(len(SizeBuckets), func(j int) bool { return SizeBuckets[j] > v }) - 1
		s.Hist[b] += counts[i]
	}
	return s, nil
}

// WriteSizes writes the summary row (packets, bytes, min, p25, p50, p75, p90, p99, max,
// mean) or, with histogram, one row per bucket up to the largest non-empty one: lo, hi
// (inclusive; null for the last, open bucket), packets, fraction and cdf (the fraction of
// packets at most hi bytes long).
func WriteSizes(st Store, sel Selection, histogram bool, w io.Writer, out Options) error {
	s, err := ComputeSizes(st, sel)
	if err != nil {
		return err
	}
	if !histogram {
		t := NewTable(w, out, Col{"packets", KindUint}, Col{"bytes", KindBytes}, Col{"min", KindUint},
			Col{"p25", KindUint}, Col{"p50", KindUint}, Col{"p75", KindUint}, Col{"p90", KindUint},
			Col{"p99", KindUint}, Col{"max", KindUint}, Col{"mean", KindFloat})
		t.Uint(s.Packets)
		t.Size(s.Bytes)
		if s.Packets == 0 {
			for range 8 {
				t.Null()
			}
		} else {
			for _, v := range []uint32{s.Min, s.P25, s.P50, s.P75, s.P90, s.P99, s.Max} {
				t.Uint(uint64(v))
			}
			t.Float(s.Mean)
		}
		if err := t.EndRow(); err != nil {
			return err
		}
		return t.Close()
	}
	t := NewTable(w, out, Col{"lo", KindUint}, Col{"hi", KindUint}, Col{"packets", KindUint},
		Col{"fraction", KindFloat}, Col{"cdf", KindFloat})
	lastNonEmpty := -1
	for i, c := range s.Hist {
		if c > 0 {
			lastNonEmpty = i
		}
	}
	var cum uint64
	for i := 0; i <= lastNonEmpty; i++ {
		c := s.Hist[i]
		cum += c
		t.Uint(uint64(SizeBuckets[i]))
		if i+1 < len(SizeBuckets) {
			t.Uint(uint64(SizeBuckets[i+1] - 1))
		} else {
			t.Null()
		}
		t.Uint(c)
		t.Float(float64(c) / float64(s.Packets))
		t.Float(float64(cum) / float64(s.Packets))
		if err := t.EndRow(); err != nil {
			return err
		}
	}
	return t.Close()
}

// ---- events ----

// EventsOptions configure WriteEvents.
type EventsOptions struct {
	Types []flowhash.EventType // nil: all
	Limit int
}

// EventColumns are the columns of the events command. detail depends on the type:
// duplicate_ack its number, handshake_rtt/handshake_ack_rtt/ack_stall ns, syn_retry the
// attempt, rst_storm/fin_storm the count; 0 otherwise.
var EventColumns = []Col{{"frame", KindUint}, {"ts", KindTime}, {"flow_id", KindUint},
	{"type", KindString}, {"from", KindString}, {"detail", KindInt}}

// ParseEventTypes parses a comma-separated --type list.
func ParseEventTypes(s string) ([]flowhash.EventType, error) {
	var out []flowhash.EventType
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := false
		for t := flowhash.EventType(1); t.String() != "unknown"; t++ {
			if t.String() == name {
				out, found = append(out, t), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown event type %q", name)
		}
	}
	return out, nil
}

// WriteEvents writes the TCP analysis events of the selected flows in frame order.
func WriteEvents(st Store, sel Selection, o EventsOptions, w io.Writer, out Options) error {
	var want [256]bool
	for _, t := range o.Types {
		want[t] = true
	}
	rows, err := sel.FlowRows(st)
	if err != nil {
		return err
	}
	t := NewTable(w, out, EventColumns...)
	n := 0
	errStop := fmt.Errorf("stop")
	err = st.Events(rows, o.Types, func(e *flowhash.Event) error {
		if o.Types != nil && !want[e.Type] || !sel.inTime(e.TS) {
			return nil
		}
		if o.Limit > 0 && n >= o.Limit {
			return errStop
		}
		n++
		t.Uint(e.Frame)
		t.Time(e.TS)
		t.Uint(e.FlowID)
		t.Str(e.Type.String())
		if e.FromOrig {
			t.Str("orig")
		} else {
			t.Str("resp")
		}
		t.Int(e.Detail)
		return t.EndRow()
	})
	if err != nil && err != errStop {
		return err
	}
	return t.Close()
}

// ---- concurrent ----

// ConcurrentOptions configure WriteConcurrent.
type ConcurrentOptions struct {
	At    int64 // with HasAt: list the selected flows open at this instant
	HasAt bool
	From  string // RST mode: "orig", "resp" or "" (either sender)
}

// openCounter counts, for each of a set of instants, the flows open then (first packet at
// or before it, last at or after it). Flows are added one at a time; each costs two binary
// searches among the sorted instants and a difference array keeps the counts, so the
// whole is O(flows x log instants) and nothing is sorted per flow.
type openCounter struct {
	order  []int   // instants' indexes, by time
	sorted []int64 // the instants, sorted
	diff   []int
}

func newOpenCounter(ts []int64) *openCounter {
	c := &openCounter{order: make([]int, len(ts)), sorted: make([]int64, len(ts)), diff: make([]int, len(ts)+1)}
	for i := range c.order {
		c.order[i] = i
	}
	sort.SliceStable(c.order, func(a, b int) bool { return ts[c.order[a]] < ts[c.order[b]] })
	for i, j := range c.order {
		c.sorted[i] = ts[j]
	}
	return c
}

// span returns the earliest and latest instant (ok false when there are none).
func (c *openCounter) span() (lo, hi int64, ok bool) {
	if len(c.sorted) == 0 {
		return 0, 0, false
	}
	return c.sorted[0], c.sorted[len(c.sorted)-1], true
}

// add counts a flow open from start to end (inclusive).
func (c *openCounter) add(start, end int64) {
	s := c.sorted
	// lo: the first instant >= start; hi: the first instant > end.
	lo, n := 0, len(s)
	for lo < n {
		m := int(uint(lo+n) >> 1)
		if s[m] < start {
			lo = m + 1
		} else {
			n = m
		}
	}
	hi, n := lo, len(s)
	for hi < n {
		m := int(uint(hi+n) >> 1)
		if s[m] <= end {
			hi = m + 1
		} else {
			n = m
		}
	}
	if lo < hi {
		c.diff[lo]++
		c.diff[hi]--
	}
}

// counts returns the number of flows open at each instant, in the order given.
func (c *openCounter) counts() []int {
	out := make([]int, len(c.order))
	n := 0
	for i, j := range c.order {
		n += c.diff[i]
		out[j] = n
	}
	return out
}

// openAt returns, for each instant of ts, the number of the flows (start[i], end[i]) open
// then.
func openAt(start, end, ts []int64) []int {
	c := newOpenCounter(ts)
	if len(ts) > 0 {
		for i := range start {
			c.add(start[i], end[i])
		}
	}
	return c.counts()
}

// WriteConcurrent writes, with HasAt, the selected flows open at At (first packet <= At <=
// last packet) and, without it, one row per RST of the selected flows: who sent it, the
// flow, and open_flows, the number of OTHER flows of the capture open at that instant.
func WriteConcurrent(st Store, sel Selection, o ConcurrentOptions, w io.Writer, out Options) error {
	rows, err := sel.FlowRows(st)
	if err != nil {
		return err
	}
	if o.HasAt {
		win, err := st.Window(o.At, o.At)
		if err != nil {
			return err
		}
		if rows != nil {
			win.And(rows)
		}
		cols, _ := PickFlowColumns([]string{"flow_id", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "ts", "ts_end", "conn_state", "history"}, FormatTable)
		decl := make([]Col, len(cols))
		for i, c := range cols {
			decl[i] = c.Col
		}
		t := NewTable(w, out, decl...)
		err = st.Flows(win, FlowTimes|FlowState, func(f *flowhash.Flow) error {
			for _, c := range cols {
				c.set(t, f)
			}
			return t.EndRow()
		})
		if err != nil {
			return err
		}
		return t.Close()
	}
	if o.From != "" && o.From != "orig" && o.From != "resp" {
		return fmt.Errorf("unknown --from %q (orig, resp)", o.From)
	}
	var rsts []flowhash.Event
	ids := roaring.New()
	err = st.Events(rows, []flowhash.EventType{flowhash.EvRST}, func(e *flowhash.Event) error {
		if e.Type != flowhash.EvRST || !sel.inTime(e.TS) {
			return nil
		}
		if o.From == "orig" && !e.FromOrig || o.From == "resp" && e.FromOrig {
			return nil
		}
		rsts = append(rsts, *e)
		ids.Add(uint32(e.FlowID - 1))
		return nil
	})
	if err != nil {
		return err
	}
	times := make([]int64, len(rsts))
	for i := range rsts {
		times[i] = rsts[i].TS
	}
	open, err := st.OpenAt(times)
	if err != nil {
		return err
	}
	flows := map[uint64]flowhash.Flow{}
	if err := st.Flows(ids, 0, func(f *flowhash.Flow) error { flows[f.ID] = *f; return nil }); err != nil {
		return err
	}
	t := NewTable(w, out, Col{"frame", KindUint}, Col{"ts", KindTime}, Col{"flow_id", KindUint},
		Col{"from", KindString}, Col{"sender_h", KindAddr}, Col{"orig_h", KindAddr}, Col{"orig_p", KindUint},
		Col{"resp_h", KindAddr}, Col{"resp_p", KindUint}, Col{"open_flows", KindUint})
	for i, e := range rsts {
		f, ok := flows[e.FlowID]
		if !ok {
			return fmt.Errorf("event at frame %d names flow %d, which the flows table lacks", e.Frame, e.FlowID)
		}
		t.Uint(e.Frame)
		t.Time(e.TS)
		t.Uint(e.FlowID)
		if e.FromOrig {
			t.Str("orig")
			t.Addr(flowAddr(&f, true))
		} else {
			t.Str("resp")
			t.Addr(flowAddr(&f, false))
		}
		op, rp := flowPorts(&f)
		t.Addr(flowAddr(&f, true))
		t.Uint(uint64(op))
		t.Addr(flowAddr(&f, false))
		t.Uint(uint64(rp))
		t.Uint(uint64(max(open[i]-1, 0)))
		if err := t.EndRow(); err != nil {
			return err
		}
	}
	return t.Close()
}

// tcpACK is the ACK bit of PacketRow.Flags (fastparse.TCPAck).
const tcpACK = 1 << 4
