package query

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
)

// Source answers the leaves of a plan over a set of flows numbered 0..n-1 (an index, or a
// batch of flows in streaming mode). Bitmaps it returns are read-only to the plan, which
// never modifies them, so a Source may cache and share them; nil means empty. Errors are for
// a broken source (a corrupt index section), not for "no match".
type Source interface {
	// Universe returns all flows.
	Universe() *roaring.Bitmap
	// Host returns the flows with address a at the end(s) d selects (DirSrc: originator).
	Host(a netip.Addr, d Dir) (*roaring.Bitmap, error)
	// Net returns the flows with an address inside p at the end(s) d selects. "ip" asks for
	// 0.0.0.0/0 and "ip6" for ::/0, either end.
	Net(p netip.Prefix, d Dir) (*roaring.Bitmap, error)
	// Ports returns the TCP, UDP and SCTP flows whose port at the end(s) d selects lies in
	// [lo, hi] (other protocols have no ports, as in tcpdump).
	Ports(lo, hi uint16, d Dir) (*roaring.Bitmap, error)
	// Proto returns the flows of transport protocol p.
	Proto(p uint8) (*roaring.Bitmap, error)
	// VLAN returns the flows whose outermost VLAN id is id, or all tagged flows when id < 0.
	VLAN(id int) (*roaring.Bitmap, error)
	// State returns the flows whose Zeek conn_state is code (one of StateCodes).
	State(code string) (*roaring.Bitmap, error)
	// Column returns a numeric column, one value per flow.
	Column(f Field) (NumericColumn, error)
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
// block (Missing values included) when HasStats.
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
	leaf Node
	cost int
}

// Plan is a compiled filter: normalized (nots pushed to the leaves, and/or flattened) and
// with each leaf classified as a posting lookup or a column scan. A Plan is immutable and
// safe for concurrent use.
type Plan struct {
	norm Node
	root *pnode
}

// Compile normalizes n and builds its plan. A nil n (the empty filter) matches every flow.
func Compile(n Node) (*Plan, error) {
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
func (p *Plan) Normalized() Node { return p.norm }

// Normalize rewrites n with every Not pushed down to a leaf (De Morgan), double negations
// removed, negated comparisons inverted where the column has no Missing values
// ("not bytes > 10" is "bytes <= 10"), and nested And/Or flattened. It returns a new tree.
func Normalize(n Node) Node { return normalize(n, false) }

func normalize(n Node, neg bool) Node {
	switch x := n.(type) {
	case *And:
		return junction(x.Terms, neg, !neg)
	case *Or:
		return junction(x.Terms, neg, neg)
	case *Not:
		return normalize(x.X, !neg)
	case *Cmp:
		c := *x
		if neg {
			if c.F == FieldSynRTT { // may be Missing: inverting would change the meaning
				return &Not{X: &c}
			}
			c.Op = [...]Op{OpEq: OpNe, OpNe: OpEq, OpLt: OpGe, OpLe: OpGt, OpGt: OpLe, OpGe: OpLt}[c.Op]
		}
		return &c
	}
	if neg {
		return &Not{X: n}
	}
	return n
}

func junction(terms []Node, neg, and bool) Node {
	out := make([]Node, 0, len(terms))
	for _, t := range terms {
		out = appendFlat(out, normalize(t, neg), and)
	}
	if and {
		return &And{Terms: out}
	}
	return &Or{Terms: out}
}

func build(n Node) (*pnode, error) {
	switch x := n.(type) {
	case *And, *Or:
		var terms []Node
		k := pAnd
		if a, ok := x.(*And); ok {
			terms = a.Terms
		} else {
			terms, k = x.(*Or).Terms, pOr
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
	case *Not:
		c, err := build(x.X)
		if err != nil {
			return nil, err
		}
		return &pnode{kind: pNot, kids: []*pnode{c}, cost: c.cost}, nil
	case *Host, *Net, *Port, *Proto, *IPVersion, *VLAN, *State:
		return &pnode{kind: pPost, leaf: n, cost: 1}, nil
	case *Cmp:
		if x.F >= FieldTCPFlags || x.Op > OpGe || x.Value == Missing {
			return nil, fmt.Errorf("query: bad comparison %v", x)
		}
		return &pnode{kind: pCol, leaf: n, cost: 16}, nil
	case *Flag:
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
			fmt.Fprintf(&b, "posting %s\n", String(n.leaf))
		case pCol:
			fmt.Fprintf(&b, "column %s\n", String(n.leaf))
		}
	}
	walk(p.root, 0)
	return b.String()
}
