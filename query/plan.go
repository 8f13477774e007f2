package query

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/filter"
)

// Source answers the leaves of a plan over a set of flows numbered 0..n-1 (an index, or the
// flows of a --no-index pass). Bitmaps it returns are read-only to the plan, which
// never modifies them, so a Source may cache and share them; nil means empty. Errors are for
// a broken source (a corrupt index section), not for "no match".
type Source interface {
	// Universe returns all flows.
	Universe() *roaring.Bitmap
	// Host returns the flows with address a at the end(s) d selects (DirSrc: originator).
	Host(a netip.Addr, d filter.Dir) (*roaring.Bitmap, error)
	// Net returns the flows with an address inside p at the end(s) d selects. "ip" asks for
	// 0.0.0.0/0 and "ip6" for ::/0, either end.
	Net(p netip.Prefix, d filter.Dir) (*roaring.Bitmap, error)
	// Ports returns the TCP, UDP and SCTP flows whose port at the end(s) d selects lies in
	// [lo, hi] (other protocols have no ports, as in tcpdump).
	Ports(lo, hi uint16, d filter.Dir) (*roaring.Bitmap, error)
	// Proto returns the flows of transport protocol p.
	Proto(p uint8) (*roaring.Bitmap, error)
	// VLAN returns the flows whose outermost VLAN id is id, or all tagged flows when id < 0.
	VLAN(id int) (*roaring.Bitmap, error)
	// State returns the flows whose Zeek conn_state is code (one of [filter.StateCodes]).
	State(code string) (*roaring.Bitmap, error)
	// Column returns a numeric column, one value per flow.
	Column(f filter.Field) (NumericColumn, error)
}

// NumericColumn is one value per flow, stored in blocks of consecutive flows. Predicates
// are evaluated a block at a time: blocks whose statistics exclude (or include) the whole
// block are decided without reading it.
type NumericColumn interface {
	NumBlocks() int
	// Info describes block b: its first flow, its length and optional statistics.
	Info(b int) BlockInfo
	// Values appends the values of block b to buf[:0] and returns the slice.
	Values(b int, buf []uint64) ([]uint64, error)
}

// BlockInfo describes one block of a NumericColumn. Min and Max bound every value of the
// block ([filter.Missing] values included) when HasStats.
type BlockInfo struct {
	First    uint32
	Len      int
	Min, Max uint64
	HasStats bool
}

type pkind uint8

const (
	pAll  pkind = iota // matches everything (the empty filter)
	pAnd               // kids
	pOr                // kids
	pNot               // kids[0]
	pPost              // leaf answered by a posting bitmap
	pCol               // leaf answered by scanning a numeric column
)

type pnode struct {
	kind pkind
	kids []*pnode
	leaf filter.Node
	cost int
}

// Plan is a compiled filter: normalized (nots pushed to the leaves, and/or flattened) and
// with each leaf classified as a posting lookup or a column scan. A Plan is immutable and
// safe for concurrent use.
type Plan struct {
	norm filter.Node
	root *pnode
}

// Compile normalizes n and builds its plan. A nil n (the empty filter) matches every flow.
func Compile(n filter.Node) (*Plan, error) {
	if n == nil {
		return &Plan{root: &pnode{kind: pAll}}, nil
	}
	norm := Normalize(n)
	root, err := build(norm)
	if err != nil {
		return nil, err
	}
	return &Plan{norm: norm, root: root}, nil
}

// Normalized returns the normalized filter the plan runs.
func (p *Plan) Normalized() filter.Node { return p.norm }

// Normalize rewrites n with every Not pushed down to a leaf (De Morgan), double negations
// removed, negated comparisons inverted where the column has no [filter.Missing] values
// ("not bytes > 10" is "bytes <= 10"), and nested And/Or flattened. It returns a new tree.
func Normalize(n filter.Node) filter.Node { return normalize(n, false) }

func normalize(n filter.Node, neg bool) filter.Node {
	switch x := n.(type) {
	case *filter.And:
		return junction(x.Terms, neg, !neg)
	case *filter.Or:
		return junction(x.Terms, neg, neg)
	case *filter.Not:
		return normalize(x.X, !neg)
	case *filter.Cmp:
		c := *x
		if neg {
			if c.F == filter.FieldSynRTT { // may be Missing: inverting would change the meaning
				return &filter.Not{X: &c}
			}
			c.Op = [...]filter.Op{filter.OpEq: filter.OpNe, filter.OpNe: filter.OpEq, filter.OpLt: filter.OpGe, filter.OpLe: filter.OpGt, filter.OpGt: filter.OpLe, filter.OpGe: filter.OpLt}[c.Op]
		}
		return &c
	}
	if neg {
		return &filter.Not{X: n}
	}
	return n
}

func junction(terms []filter.Node, neg, and bool) filter.Node {
	out := make([]filter.Node, len(terms))
	for i, t := range terms {
		out[i] = normalize(t, neg)
	}
	if and {
		return filter.NewAnd(out...)
	}
	return filter.NewOr(out...)
}

func build(n filter.Node) (*pnode, error) {
	switch x := n.(type) {
	case *filter.And, *filter.Or:
		var terms []filter.Node
		k := pAnd
		if a, ok := x.(*filter.And); ok {
			terms = a.Terms
		} else {
			terms, k = x.(*filter.Or).Terms, pOr
		}
		if len(terms) == 0 {
			return nil, fmt.Errorf("query: empty %T", x)
		}
		p := &pnode{kind: k}
		for _, t := range terms {
			c, err := build(t)
			if err != nil {
				return nil, err
			}
			p.kids = append(p.kids, c)
			p.cost += c.cost
		}
		if k == pAnd {
			// Cheapest first; the sort is stable so equal costs keep the user's order.
			sort.SliceStable(p.kids, func(i, j int) bool { return p.kids[i].cost < p.kids[j].cost })
		}
		return p, nil
	case *filter.Not:
		c, err := build(x.X)
		if err != nil {
			return nil, err
		}
		return &pnode{kind: pNot, kids: []*pnode{c}, cost: c.cost}, nil
	case *filter.Host, *filter.Net, *filter.Port, *filter.Proto, *filter.IPVersion, *filter.VLAN, *filter.State:
		return &pnode{kind: pPost, leaf: n, cost: 1}, nil
	case *filter.Cmp:
		if x.F >= filter.FieldTCPFlags || x.Op > filter.OpGe || x.Value == filter.Missing {
			return nil, fmt.Errorf("query: bad comparison %v", x)
		}
		return &pnode{kind: pCol, leaf: n, cost: 16}, nil
	case *filter.Flag:
		return &pnode{kind: pCol, leaf: n, cost: 16}, nil
	case nil:
		return nil, fmt.Errorf("query: nil node")
	}
	return nil, fmt.Errorf("query: unknown node %T", n)
}

// Explain returns the plan as an indented tree, one node a line, leaves marked "posting" or
// "column", in evaluation order.
func (p *Plan) Explain() string {
	var b strings.Builder
	var walk func(n *pnode, depth int)
	walk = func(n *pnode, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		switch n.kind {
		case pAll:
			b.WriteString("all\n")
		case pAnd, pOr:
			b.WriteString(map[pkind]string{pAnd: "and\n", pOr: "or\n"}[n.kind])
			for _, k := range n.kids {
				walk(k, depth+1)
			}
		case pNot:
			b.WriteString("not\n")
			walk(n.kids[0], depth+1)
		case pPost:
			fmt.Fprintf(&b, "posting %s\n", filter.String(n.leaf))
		case pCol:
			fmt.Fprintf(&b, "column %s\n", filter.String(n.leaf))
		}
	}
	walk(p.root, 0)
	return b.String()
}
