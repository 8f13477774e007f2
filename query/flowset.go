package query

import (
	"net/netip"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/filter"
)

// FlowSet is a Source over flows held in memory (the --no-index StreamStore, tests): flow
// i is flows[i]. Postings are built by scanning on each call; columns are built once per
// field and cached. It is not safe for concurrent use.
type FlowSet struct {
	flows    []FlowFields
	blockLen int
	cols     [filter.NumFields]*SliceColumn
}

// NewFlowSet returns a Source over flows, with columns in blocks of blockLen flows
// (0 means 4096). The slice is not copied; do not modify it while the set is in use.
func NewFlowSet(flows []FlowFields, blockLen int) *FlowSet {
	if blockLen <= 0 {
		blockLen = 4096
	}
	return &FlowSet{flows: flows, blockLen: blockLen}
}

func (s *FlowSet) Universe() *roaring.Bitmap {
	b := roaring.New()
	b.AddRange(0, uint64(len(s.flows)))
	return b
}

func (s *FlowSet) where(pred func(f *FlowFields) bool) *roaring.Bitmap {
	b := roaring.New()
	for i := range s.flows {
		if pred(&s.flows[i]) {
			b.Add(uint32(i))
		}
	}
	return b
}

func (s *FlowSet) Host(a netip.Addr, d filter.Dir) (*roaring.Bitmap, error) {
	n := &filter.Host{Dir: d, Addr: a}
	return s.where(func(f *FlowFields) bool { return matchLeaf(n, f) }), nil
}

func (s *FlowSet) Net(p netip.Prefix, d filter.Dir) (*roaring.Bitmap, error) {
	n := &filter.Net{Dir: d, Prefix: p}
	return s.where(func(f *FlowFields) bool { return matchLeaf(n, f) }), nil
}

func (s *FlowSet) Ports(lo, hi uint16, d filter.Dir) (*roaring.Bitmap, error) {
	n := &filter.Port{Dir: d, Lo: lo, Hi: hi}
	return s.where(func(f *FlowFields) bool { return matchLeaf(n, f) }), nil
}

func (s *FlowSet) Proto(p uint8) (*roaring.Bitmap, error) {
	return s.where(func(f *FlowFields) bool { return f.Proto == p }), nil
}

func (s *FlowSet) VLAN(id int) (*roaring.Bitmap, error) {
	n := &filter.VLAN{ID: id}
	return s.where(func(f *FlowFields) bool { return matchLeaf(n, f) }), nil
}

func (s *FlowSet) State(code string) (*roaring.Bitmap, error) {
	return s.where(func(f *FlowFields) bool { return f.State == code }), nil
}

func (s *FlowSet) Column(c filter.Field) (NumericColumn, error) {
	if c >= filter.NumFields {
		return nil, nil
	}
	if s.cols[c] == nil {
		vals := make([]uint64, len(s.flows))
		for i := range s.flows {
			vals[i] = s.flows[i].Value(c)
		}
		s.cols[c] = NewSliceColumn(vals, s.blockLen)
	}
	return s.cols[c], nil
}

// SliceColumn is a NumericColumn over a slice of values, with per-block min/max statistics
// computed once.
type SliceColumn struct {
	vals     []uint64
	blockLen int
	stats    [][2]uint64
}

// NewSliceColumn returns a column over vals in blocks of blockLen values (0 means 4096).
func NewSliceColumn(vals []uint64, blockLen int) *SliceColumn {
	if blockLen <= 0 {
		blockLen = 4096
	}
	c := &SliceColumn{vals: vals, blockLen: blockLen}
	for i := 0; i < len(vals); i += blockLen {
		blk := vals[i:min(i+blockLen, len(vals))]
		lo, hi := blk[0], blk[0]
		for _, v := range blk[1:] {
			lo, hi = min(lo, v), max(hi, v)
		}
		c.stats = append(c.stats, [2]uint64{lo, hi})
	}
	return c
}

func (c *SliceColumn) NumBlocks() int { return len(c.stats) }

func (c *SliceColumn) Info(b int) BlockInfo {
	lo := b * c.blockLen
	return BlockInfo{
		First: uint32(lo), Len: min(c.blockLen, len(c.vals)-lo),
		Min: c.stats[b][0], Max: c.stats[b][1], HasStats: true,
	}
}

func (c *SliceColumn) Values(b int, buf []uint64) ([]uint64, error) {
	lo := b * c.blockLen
	return append(buf[:0], c.vals[lo:min(lo+c.blockLen, len(c.vals))]...), nil
}
