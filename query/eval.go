package query

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/filter"
)

var (
	all4 = netip.MustParsePrefix("0.0.0.0/0")
	all6 = netip.MustParsePrefix("::/0")
)

// Eval runs the plan over src and returns the matching flows as a new bitmap the caller
// owns. Posting leaves are fetched first, intersected smallest first; column predicates then
// scan only the blocks that still hold candidates; an And stops as soon as its running
// result is empty, and Not is a difference from the candidates.
func (p *Plan) Eval(src Source) (*roaring.Bitmap, error) {
	e := evaluator{src: src}
	u := src.Universe()
	if u == nil {
		return roaring.New(), nil
	}
	return e.eval(p.root, u)
}

type evaluator struct {
	src  Source
	vals []uint64
	ids  []uint32
}

// eval returns the flows of within that n matches, as a new bitmap. within is read-only.
func (e *evaluator) eval(n *pnode, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	switch n.kind {
	case pAll:
		return within.Clone(), nil
	case pAnd:
		return e.and(n.kids, within)
	case pOr:
		out := roaring.New()
		for _, k := range n.kids {
			r, err := e.eval(k, within)
			if err != nil {
				return nil, err
			}
			out.Or(r)
		}
		return out, nil
	case pNot:
		r, err := e.eval(n.kids[0], within)
		if err != nil {
			return nil, err
		}
		return roaring.AndNot(within, r), nil
	case pPost:
		b, err := e.posting(n.leaf)
		if err != nil || b == nil {
			return roaring.New(), err
		}
		return roaring.And(within, b), nil
	case pCol:
		return e.column(n.leaf, within)
	}
	return nil, fmt.Errorf("query: bad plan node %d", n.kind)
}

func (e *evaluator) and(kids []*pnode, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	// Postings and negated postings first: fetch, then intersect smallest first.
	var pos, neg []*roaring.Bitmap
	rest := kids[:0:0]
	for _, k := range kids {
		switch {
		case k.kind == pPost:
			b, err := e.posting(k.leaf)
			if err != nil {
				return nil, err
			}
			if b == nil || b.IsEmpty() {
				return roaring.New(), nil
			}
			pos = append(pos, b)
		case k.kind == pNot && k.kids[0].kind == pPost:
			b, err := e.posting(k.kids[0].leaf)
			if err != nil {
				return nil, err
			}
			if b != nil && !b.IsEmpty() {
				neg = append(neg, b)
			}
		default:
			rest = append(rest, k)
		}
	}
	sort.SliceStable(pos, func(i, j int) bool { return pos[i].GetCardinality() < pos[j].GetCardinality() })
	var cur *roaring.Bitmap
	if len(pos) > 0 {
		cur = roaring.And(pos[0], within)
		for _, b := range pos[1:] {
			if cur.IsEmpty() {
				return cur, nil
			}
			cur.And(b)
		}
	} else {
		cur = within.Clone()
	}
	for _, b := range neg {
		if cur.IsEmpty() {
			return cur, nil
		}
		cur.AndNot(b)
	}
	for _, k := range rest { // already in cost order (build sorted the kids)
		if cur.IsEmpty() {
			return cur, nil
		}
		r, err := e.eval(k, cur)
		if err != nil {
			return nil, err
		}
		cur = r
	}
	return cur, nil
}

func (e *evaluator) posting(n filter.Node) (*roaring.Bitmap, error) {
	s := e.src
	switch x := n.(type) {
	case *filter.Host:
		return s.Host(x.Addr, x.Dir)
	case *filter.Net:
		return s.Net(x.Prefix, x.Dir)
	case *filter.Port:
		return s.Ports(x.Lo, x.Hi, x.Dir)
	case *filter.Proto:
		return s.Proto(x.N)
	case *filter.IPVersion:
		if x.V == 6 {
			return s.Net(all6, filter.DirEither)
		}
		return s.Net(all4, filter.DirEither)
	case *filter.VLAN:
		return s.VLAN(x.ID)
	case *filter.State:
		return s.State(x.Code)
	}
	return nil, fmt.Errorf("query: %T is not a posting predicate", n)
}

// column scans a numeric column for the flows of within that the Cmp or Flag n matches,
// one block at a time: blocks with no candidate are not read, blocks whose statistics
// decide them are not scanned, and the comparison is chosen once per block, not per row.
func (e *evaluator) column(n filter.Node, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	var (
		f    filter.Field
		op   filter.Op
		c    uint64
		mask uint64
	)
	switch x := n.(type) {
	case *filter.Cmp:
		f, op, c = x.F, x.Op, x.Value
	case *filter.Flag:
		f, mask = filter.FieldTCPFlags, uint64(x.F)
	default:
		return nil, fmt.Errorf("query: %T is not a column predicate", n)
	}
	col, err := e.src.Column(f)
	if err != nil {
		return nil, fmt.Errorf("column %s: %w", f, err)
	}
	out := roaring.New()
	if col == nil {
		return out, nil
	}
	var it roaring.IntPeekable
	for b, nb := 0, col.NumBlocks(); b < nb; b++ {
		info := col.Info(b)
		if info.Len <= 0 {
			continue
		}
		lo, hi := uint64(info.First), uint64(info.First)+uint64(info.Len)
		if hi > 1<<32 {
			return nil, fmt.Errorf("column %s block %d: flows %d..%d beyond the 32-bit id range", f, b, lo, hi-1)
		}
		if !within.IntersectsWithInterval(lo, hi) {
			continue
		}
		if mask == 0 && info.HasStats {
			switch decide(op, c, info.Min, info.Max) {
			case none:
				continue
			case every:
				out.AddRange(lo, hi)
				continue
			}
		}
		vals, err := col.Values(b, e.vals[:0])
		if err != nil {
			return nil, fmt.Errorf("column %s block %d: %w", f, b, err)
		}
		e.vals = vals
		if len(vals) != info.Len {
			return nil, fmt.Errorf("column %s block %d: %d values, want %d", f, b, len(vals), info.Len)
		}
		cands := within.Rank(uint32(hi - 1))
		if lo > 0 {
			cands -= within.Rank(uint32(lo - 1))
		}
		if cands < uint64(info.Len)/8 { // few candidates: test only them
			if it == nil {
				it = within.Iterator()
			}
			it.AdvanceIfNeeded(info.First)
			for it.HasNext() && uint64(it.PeekNext()) < hi {
				id := it.Next()
				v := vals[id-info.First]
				if mask != 0 && v&mask != 0 && v != filter.Missing || mask == 0 && v != filter.Missing && op.Holds(v, c) {
					out.Add(id)
				}
			}
			continue
		}
		e.ids = scan(e.ids[:0], vals, info.First, op, c, mask)
		out.AddMany(e.ids)
	}
	out.And(within)
	return out, nil
}

type verdict uint8

const (
	some verdict = iota
	none
	every
)

// decide says whether every value in [lo, hi] satisfies "v op c", none does, or some may.
// Missing never satisfies a comparison, so a block whose max is Missing is never "every".
func decide(op filter.Op, c, lo, hi uint64) verdict {
	if lo > hi {
		return some
	}
	v := some
	switch op {
	case filter.OpEq:
		if c < lo || c > hi {
			v = none
		} else if lo == hi {
			v = every
		}
	case filter.OpNe:
		if lo == hi && lo == c {
			v = none
		} else if c < lo || c > hi {
			v = every
		}
	case filter.OpLt:
		if lo >= c {
			v = none
		} else if hi < c {
			v = every
		}
	case filter.OpLe:
		if lo > c {
			v = none
		} else if hi <= c {
			v = every
		}
	case filter.OpGt:
		if hi <= c {
			v = none
		} else if lo > c {
			v = every
		}
	case filter.OpGe:
		if hi < c {
			v = none
		} else if lo >= c {
			v = every
		}
	}
	if v == every && hi == filter.Missing {
		return some
	}
	if lo == filter.Missing {
		return none
	}
	return v
}

// scan appends the ids (first + index) of the values satisfying the predicate: "v & mask
// != 0" when mask is set, else "v op c". Missing values never satisfy a comparison.
func scan(ids []uint32, vals []uint64, first uint32, op filter.Op, c, mask uint64) []uint32 {
	if mask != 0 {
		for i, v := range vals {
			if v&mask != 0 && v != filter.Missing {
				ids = append(ids, first+uint32(i))
			}
		}
		return ids
	}
	switch op {
	case filter.OpEq:
		for i, v := range vals {
			if v == c {
				ids = append(ids, first+uint32(i))
			}
		}
	case filter.OpNe:
		for i, v := range vals {
			if v != c && v != filter.Missing {
				ids = append(ids, first+uint32(i))
			}
		}
	case filter.OpLt:
		for i, v := range vals {
			if v < c {
				ids = append(ids, first+uint32(i))
			}
		}
	case filter.OpLe:
		for i, v := range vals {
			if v <= c {
				ids = append(ids, first+uint32(i))
			}
		}
	case filter.OpGt:
		for i, v := range vals {
			if v > c && v != filter.Missing {
				ids = append(ids, first+uint32(i))
			}
		}
	case filter.OpGe:
		for i, v := range vals {
			if v >= c && v != filter.Missing {
				ids = append(ids, first+uint32(i))
			}
		}
	}
	return ids
}
