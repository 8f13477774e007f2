package query

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

// IndexSource is a Source over an index file's flows table (flow row r is flow id r+1) and
// its flow postings. Postings come from the index as zero-copy views, never modified;
// numeric columns are read block by block (the flows table's blocks) and widened to uint64.
// An IndexSource reuses decode buffers, so it is not safe for concurrent use; open one per
// goroutine over the same Reader.
type IndexSource struct {
	r     *index.Reader
	flows *index.Table
	col   map[string]int
	s     index.Scratch
	bufs  [2]index.Column

	rowCols [len(flowCols)]index.Column // FlowRows' decoded columns, reused
}

// flowCols are the flows-table columns IndexSource reads.
var flowCols = [...]string{
	"ts", "ts_end", "proto", "ipver", "orig_h", "orig_p", "resp_h", "resp_p", "vlan",
	"orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_ip_bytes", "resp_ip_bytes",
	"conn_state", "tcp_flags", "syn_rtt", "retransmissions", "out_of_order", "dup_acks",
	"zero_windows", "has_l4",
}

// NewIndexSource opens the flows table of r. It fails when a column it needs is absent.
func NewIndexSource(r *index.Reader) (*IndexSource, error) {
	t, err := r.Table(index.TableFlows)
	if err != nil {
		return nil, fmt.Errorf("query: flows table: %w", err)
	}
	s := &IndexSource{r: r, flows: t, col: map[string]int{}}
	for _, name := range flowCols {
		i := t.ColumnIndex(name)
		if i < 0 {
			return nil, fmt.Errorf("query: %s: flows table has no column %q", r.Path(), name)
		}
		s.col[name] = i
	}
	return s, nil
}

// NumFlows returns the number of flows (rows of the flows table).
func (s *IndexSource) NumFlows() int { return int(s.flows.NumRows()) }

func (s *IndexSource) Universe() *roaring.Bitmap {
	b := roaring.New()
	b.AddRange(0, uint64(s.flows.NumRows()))
	return b
}

// postings returns the named postings section, or nil when the index has none.
func (s *IndexSource) postings(name string) (*index.Postings, error) {
	if _, ok := s.r.Lookup(name); !ok {
		return nil, nil
	}
	return s.r.Postings(name)
}

func (s *IndexSource) lookup(name string, key []byte) (*roaring.Bitmap, error) {
	p, err := s.postings(name)
	if err != nil || p == nil {
		return nil, err
	}
	bm := roaring.New()
	if _, err := p.Lookup(key, bm); err != nil {
		return nil, err
	}
	return bm, nil
}

// scan returns the union of the bitmaps of the keys k with lo <= k <= hi (bytes order) for
// which keep(k) holds.
func (s *IndexSource) scan(name string, lo, hi []byte, keep func(k []byte) bool) (*roaring.Bitmap, error) {
	p, err := s.postings(name)
	if err != nil || p == nil {
		return nil, err
	}
	// Lower bound: the first key >= lo.
	i, j := 0, p.Len()
	for i < j {
		m := int(uint(i+j) >> 1)
		k, err := p.Key(m)
		if err != nil {
			return nil, err
		}
		if bytes.Compare(k, lo) < 0 {
			i = m + 1
		} else {
			j = m
		}
	}
	var bms []*roaring.Bitmap
	for ; i < p.Len(); i++ {
		k, err := p.Key(i)
		if err != nil {
			return nil, err
		}
		if hi != nil && bytes.Compare(k, hi) > 0 {
			break
		}
		if keep != nil && !keep(k) {
			continue
		}
		bm := roaring.New()
		if err := p.Bitmap(i, bm); err != nil {
			return nil, err
		}
		bms = append(bms, bm)
	}
	return roaring.FastOr(bms...), nil
}

// either answers a directional predicate: the originator's postings, the responder's, or
// their union.
func either(d filter.Dir, orig, resp func() (*roaring.Bitmap, error)) (*roaring.Bitmap, error) {
	switch d {
	case filter.DirSrc:
		return orig()
	case filter.DirDst:
		return resp()
	}
	a, err := orig()
	if err != nil {
		return nil, err
	}
	b, err := resp()
	if err != nil {
		return nil, err
	}
	return roaring.FastOr(nonNil(a), nonNil(b)), nil
}

func nonNil(b *roaring.Bitmap) *roaring.Bitmap {
	if b == nil {
		return roaring.New()
	}
	return b
}

// addrKey is the postings key of an address: 4 bytes for IPv4, 16 for IPv6.
func addrKey(a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return b[:]
	}
	b := a.As16()
	return b[:]
}

func (s *IndexSource) Host(a netip.Addr, d filter.Dir) (*roaring.Bitmap, error) {
	k := addrKey(a.Unmap())
	return either(d,
		func() (*roaring.Bitmap, error) { return s.lookup(index.PostOrigAddr, k) },
		func() (*roaring.Bitmap, error) { return s.lookup(index.PostRespAddr, k) })
}

func (s *IndexSource) Net(p netip.Prefix, d filter.Dir) (*roaring.Bitmap, error) {
	p = p.Masked()
	lo := addrKey(p.Addr())
	hi := bytes.Clone(lo)
	for i := p.Bits(); i < len(hi)*8; i++ {
		hi[i/8] |= 0x80 >> (i % 8)
	}
	keep := func(k []byte) bool { return len(k) == len(lo) }
	scan := func(name string) func() (*roaring.Bitmap, error) {
		return func() (*roaring.Bitmap, error) { return s.scan(name, lo, hi, keep) }
	}
	if p.Bits() == 0 && d == filter.DirEither {
		// Both ends of a flow share its address family: the originators suffice.
		return scan(index.PostOrigAddr)()
	}
	return either(d, scan(index.PostOrigAddr), scan(index.PostRespAddr))
}

func (s *IndexSource) Ports(lo, hi uint16, d filter.Dir) (*roaring.Bitmap, error) {
	l, h := binary.BigEndian.AppendUint16(nil, lo), binary.BigEndian.AppendUint16(nil, hi)
	return either(d,
		func() (*roaring.Bitmap, error) { return s.scan(index.PostOrigPort, l, h, nil) },
		func() (*roaring.Bitmap, error) { return s.scan(index.PostRespPort, l, h, nil) })
}

func (s *IndexSource) Proto(p uint8) (*roaring.Bitmap, error) {
	return s.lookup(index.PostProto, []byte{p})
}

func (s *IndexSource) VLAN(id int) (*roaring.Bitmap, error) {
	if id < 0 {
		return s.scan(index.PostVLAN, nil, nil, nil)
	}
	if id > 0xffff {
		return nil, nil
	}
	return s.lookup(index.PostVLAN, binary.BigEndian.AppendUint16(nil, uint16(id)))
}

func (s *IndexSource) State(code string) (*roaring.Bitmap, error) {
	return s.lookup(index.PostState, []byte(code))
}

// Column returns f computed from the flows table: bytes is orig_ip_bytes + resp_ip_bytes,
// pkts orig_pkts + resp_pkts, duration ts_end - ts, and syn_rtt 0 (not measured) is Missing.
func (s *IndexSource) Column(f filter.Field) (NumericColumn, error) {
	c := &indexColumn{s: s, f: f}
	switch f {
	case filter.FieldBytes:
		c.parts = []string{"orig_ip_bytes", "resp_ip_bytes"}
	case filter.FieldPkts:
		c.parts = []string{"orig_pkts", "resp_pkts"}
	case filter.FieldDuration:
		c.parts = []string{"ts_end", "ts"}
	case filter.FieldTCPFlags:
		c.parts = []string{"tcp_flags"}
	case filter.FieldOrigBytes, filter.FieldRespBytes, filter.FieldOrigPkts, filter.FieldRespPkts, filter.FieldSynRTT,
		filter.FieldRetransmissions, filter.FieldZeroWindows, filter.FieldOutOfOrder, filter.FieldDupAcks:
		c.parts = []string{f.String()}
	default:
		return nil, fmt.Errorf("query: no column for %v", f)
	}
	return c, nil
}

type indexColumn struct {
	s     *IndexSource
	f     filter.Field
	parts []string
}

func (c *indexColumn) NumBlocks() int { return c.s.flows.NumBlocks() }

func (c *indexColumn) Info(b int) BlockInfo {
	rows, first := c.s.flows.Block(b)
	return BlockInfo{First: uint32(first), Len: rows}
}

func (c *indexColumn) Values(b int, buf []uint64) ([]uint64, error) {
	s := c.s
	for i, name := range c.parts {
		if err := s.flows.ReadColumn(b, s.col[name], &s.bufs[i], &s.s); err != nil {
			return nil, err
		}
	}
	rows, _ := s.flows.Block(b)
	buf = buf[:0]
	v0 := &s.bufs[0]
	if v0.Len() != rows || len(c.parts) == 2 && s.bufs[1].Len() != rows {
		return nil, fmt.Errorf("query: flows block %d: column of %d values, want %d", b, v0.Len(), rows)
	}
	switch c.f {
	case filter.FieldBytes, filter.FieldPkts:
		for i, v := range v0.I64 {
			buf = append(buf, uint64(max(v, 0))+uint64(max(s.bufs[1].I64[i], 0)))
		}
	case filter.FieldDuration:
		for i, v := range v0.I64 {
			buf = append(buf, uint64(max(v-s.bufs[1].I64[i], 0)))
		}
	case filter.FieldSynRTT:
		for _, v := range v0.I64 {
			if v <= 0 {
				buf = append(buf, filter.Missing)
			} else {
				buf = append(buf, uint64(v))
			}
		}
	default:
		buf = appendWide(buf, v0)
	}
	return buf, nil
}

// appendWide appends the values of an integer column as uint64 (negative int64 as 0).
func appendWide(dst []uint64, c *index.Column) []uint64 {
	switch c.Kind {
	case index.KindInt64:
		for _, v := range c.I64 {
			dst = append(dst, uint64(max(v, 0)))
		}
	case index.KindUint32:
		for _, v := range c.U32 {
			dst = append(dst, uint64(v))
		}
	case index.KindUint16:
		for _, v := range c.U16 {
			dst = append(dst, uint64(v))
		}
	case index.KindUint8:
		for _, v := range c.U8 {
			dst = append(dst, uint64(v))
		}
	}
	return dst
}

// FlowRows reads block b of the flows table as FlowFields, appended to dst[:0]; the first
// returned row is flow row first. The rows hold no references into the index. Every column
// FlowFields holds is decoded (it is the whole record), into buffers the IndexSource reuses.
func (s *IndexSource) FlowRows(b int, dst []FlowFields) (rows []FlowFields, first uint32, err error) {
	n, f := s.flows.Block(b)
	c := &s.rowCols
	for i, name := range flowCols {
		if err := s.flows.ReadColumn(b, s.col[name], &c[i], &s.s); err != nil {
			return nil, 0, err
		}
		if c[i].Len() != n {
			return nil, 0, fmt.Errorf("query: flows block %d: column %s has %d values, want %d", b, name, c[i].Len(), n)
		}
	}
	get := func(name string) *index.Column {
		for i, n := range flowCols {
			if n == name {
				return &c[i]
			}
		}
		panic("query: unknown flows column " + name)
	}
	ts, tsEnd, proto, ipver := get("ts").I64, get("ts_end").I64, get("proto").U8, get("ipver").U8
	oh, op, rh, rp := get("orig_h").Addr, get("orig_p").U16, get("resp_h").Addr, get("resp_p").U16
	vlan, state, flags, hasL4 := get("vlan").U16, get("conn_state").U8, get("tcp_flags").U16, get("has_l4").U8
	opk, rpk, ob, rb := get("orig_pkts").I64, get("resp_pkts").I64, get("orig_bytes").I64, get("resp_bytes").I64
	oib, rib, rtt := get("orig_ip_bytes").I64, get("resp_ip_bytes").I64, get("syn_rtt").I64
	retr, ooo, dup, zw := get("retransmissions").U32, get("out_of_order").U32, get("dup_acks").U32, get("zero_windows").U32
	dst = dst[:0]
	for i := 0; i < n; i++ {
		ff := FlowFields{
			Src: addrOf(&oh[i], ipver[i]), Dst: addrOf(&rh[i], ipver[i]),
			Proto: proto[i], VLAN: -1, State: flowhash.ConnState(state[i]).String(),
			Flags:       filter.TCPFlag(flags[i]) & (filter.FlagFIN | filter.FlagSYN | filter.FlagRST),
			OrigIPBytes: uint64(max(oib[i], 0)), RespIPBytes: uint64(max(rib[i], 0)),
			OrigBytes: uint64(max(ob[i], 0)), RespBytes: uint64(max(rb[i], 0)),
			OrigPkts: uint64(max(opk[i], 0)), RespPkts: uint64(max(rpk[i], 0)),
			Start: ts[i], End: tsEnd[i],
			Duration:        time.Duration(max(tsEnd[i]-ts[i], 0)),
			SynRTT:          -1,
			Retransmissions: uint64(retr[i]), OutOfOrder: uint64(ooo[i]),
			DupAcks: uint64(dup[i]), ZeroWindows: uint64(zw[i]),
		}
		if vlan[i] != 0xffff {
			ff.VLAN = int(vlan[i])
		}
		if hasL4[i] != 0 && index.HasPortPostings(proto[i]) {
			ff.SrcPort, ff.DstPort = op[i], rp[i]
		}
		if rtt[i] > 0 {
			ff.SynRTT = time.Duration(rtt[i])
		}
		dst = append(dst, ff)
	}
	return dst, uint32(f), nil
}

// NumBlocks returns the number of blocks of the flows table.
func (s *IndexSource) NumBlocks() int { return s.flows.NumBlocks() }

// Window returns the flows active at some time in [since, until] (Unix ns; see
// FlowFields.Overlaps), for --since/--until: blocks whose first-packet times all fall after
// until are not read, and of blocks whose first packets all come by until only the end
// times are.
func (s *IndexSource) Window(since, until int64) (*roaring.Bitmap, error) {
	out := roaring.New()
	if since > until {
		return out, nil
	}
	ts, te := s.col["ts"], s.col["ts_end"]
	for b := 0; b < s.flows.NumBlocks(); b++ {
		lo, hi, ok := s.flows.BlockTimeRange(b)
		if ok && lo > until {
			continue
		}
		rows, first := s.flows.Block(b)
		if err := s.flows.ReadColumn(b, te, &s.bufs[1], &s.s); err != nil {
			return nil, err
		}
		end := s.bufs[1].I64
		if len(end) != rows {
			return nil, fmt.Errorf("query: flows block %d: %d end times, want %d", b, len(end), rows)
		}
		if ok && hi <= until {
			// Every flow of the block started by until: the end times decide.
			for i, e := range end {
				if e >= since {
					out.Add(uint32(first) + uint32(i))
				}
			}
			continue
		}
		if err := s.flows.ReadColumn(b, ts, &s.bufs[0], &s.s); err != nil {
			return nil, err
		}
		start := s.bufs[0].I64
		if len(start) != rows {
			return nil, fmt.Errorf("query: flows block %d: %d start times, want %d", b, len(start), rows)
		}
		for i := range start {
			if start[i] <= until && end[i] >= since {
				out.Add(uint32(first) + uint32(i))
			}
		}
	}
	return out, nil
}
