package query

import (
	"errors"
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
	// pkt is set for a filter with packet-level primitives (filter.IsPacketLevel): root is
	// then a flow-level over-approximation (the flows that can hold a matching packet) and
	// pkt the tree each candidate packet is checked against.
	pkt *pktPlan
}

// pktPlan is the packet-level part of a Plan: the filter as parsed (libpcap's order and VLAN
// offsets matter) and a plan for each flow-level leaf in it.
type pktPlan struct {
	tree   filter.Node
	leaves map[filter.Node]*pnode
}

// PacketLevel reports whether the plan looks at packets: then a packet command selects
// exactly the matching packets and a flow command the flows holding at least one.
func (p *Plan) PacketLevel() bool { return p != nil && p.pkt != nil }

// Compile normalizes n and builds its plan. A nil n (the empty filter) matches every flow.
func Compile(n filter.Node) (*Plan, error) {
	if n == nil {
		return &Plan{root: &pnode{kind: pAll}}, nil
	}
	if filter.IsPacketLevel(n) {
		return compilePacket(n)
	}
	n = flowForm(n)
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

// CompileFlows compiles n with every primitive looking at flows, as pcapdex filters did
// before they spoke tcpdump's packet semantics: host, net, port, protocol and vlan words test
// the flow's key (src and dst meaning its originator and responder, as orig and resp do).
// Packet-only primitives (byte offsets, ether, arp, lengths) are an error. The plan answers
// from postings and columns alone, without reading packets.
func CompileFlows(n filter.Node) (*Plan, error) {
	if n == nil {
		return &Plan{root: &pnode{kind: pAll}}, nil
	}
	norm := Normalize(unshift(flowForm(n)))
	root, err := build(norm)
	if err != nil {
		return nil, err
	}
	return &Plan{norm: norm, root: root}, nil
}

// mapJunction rebuilds an And, Or or Not with f applied to its terms (ok true), so that a
// rewrite of leaves says only what it does to leaves.
func mapJunction(n filter.Node, f func(filter.Node) filter.Node) (filter.Node, bool) {
	terms := func(in []filter.Node) []filter.Node {
		t := make([]filter.Node, len(in))
		for i, y := range in {
			t[i] = f(y)
		}
		return t
	}
	switch x := n.(type) {
	case *filter.And:
		return &filter.And{Terms: terms(x.Terms)}, true
	case *filter.Or:
		return &filter.Or{Terms: terms(x.Terms)}, true
	case *filter.Not:
		return &filter.Not{X: f(x.X)}, true
	}
	return n, false
}

// unshift drops the Shift wrappers (a flow's key is read past its tags already).
func unshift(n filter.Node) filter.Node {
	if m, ok := mapJunction(n, unshift); ok {
		return m
	}
	switch x := n.(type) {
	case *filter.Shift:
		return unshift(x.X)
	}
	return n
}

// compilePacket builds the plan of a packet-level filter.
func compilePacket(n filter.Node) (*Plan, error) {
	pp := &pktPlan{tree: n, leaves: map[filter.Node]*pnode{}}
	var walk func(n filter.Node) error
	walk = func(n filter.Node) error {
		switch x := n.(type) {
		case *filter.And:
			for _, t := range x.Terms {
				if err := walk(t); err != nil {
					return err
				}
			}
		case *filter.Or:
			for _, t := range x.Terms {
				if err := walk(t); err != nil {
					return err
				}
			}
		case *filter.Not:
			return walk(x.X)
		case *filter.Shift:
			return walk(x.X)
		default:
			if filter.IsPacketLevel(n) {
				return nil
			}
			b, err := build(Normalize(flowForm(n)))
			if err != nil {
				return err
			}
			pp.leaves[n] = b
		}
		return nil
	}
	if err := walk(n); err != nil {
		return nil, err
	}
	p := &Plan{root: &pnode{kind: pAll}, pkt: pp}
	if a := approximate(n); a != nil {
		p.norm = Normalize(flowForm(a))
		root, err := build(p.norm)
		if err != nil {
			return nil, err
		}
		p.root = root
	}
	return p, nil
}

// approximate returns a flow-level filter matching every flow that holds a packet n matches,
// or nil when there is none short of every packet (packets without a flow included). Only
// flow-level primitives narrow it: an address or port of a packet may belong to an outer
// (tunnel) header that the flow's key does not hold.
func approximate(n filter.Node) filter.Node {
	if !filter.IsPacketLevel(n) {
		return n
	}
	switch x := n.(type) {
	case *filter.And:
		var terms []filter.Node
		for _, t := range x.Terms {
			if a := approximate(t); a != nil {
				terms = append(terms, a)
			}
		}
		switch len(terms) {
		case 0:
			return nil
		case 1:
			return terms[0]
		}
		return filter.NewAnd(terms...)
	case *filter.Or:
		terms := make([]filter.Node, 0, len(x.Terms))
		for _, t := range x.Terms {
			a := approximate(t)
			if a == nil {
				return nil
			}
			terms = append(terms, a)
		}
		return filter.NewOr(terms...)
	}
	return nil
}

// flowForm rewrites the flow roles orig and resp as the Source interface names them (DirSrc
// is the originator there).
func flowForm(n filter.Node) filter.Node {
	role := func(d filter.Dir) filter.Dir {
		switch d {
		case filter.DirOrig:
			return filter.DirSrc
		case filter.DirResp:
			return filter.DirDst
		}
		return d
	}
	if m, ok := mapJunction(n, flowForm); ok {
		return m
	}
	switch x := n.(type) {
	case *filter.Host:
		return &filter.Host{Dir: role(x.Dir), Addr: x.Addr}
	case *filter.Net:
		return &filter.Net{Dir: role(x.Dir), Prefix: x.Prefix}
	case *filter.Port:
		return &filter.Port{Dir: role(x.Dir), Lo: x.Lo, Hi: x.Hi}
	}
	return n
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
	// Packet-only forms (byte offsets, ether, arp, lengths, ...) reach here only through
	// CompileFlows: Compile answers them packet by packet.
	return nil, fmt.Errorf("%w: %s", ErrPacketOnly, filter.String(n))
}

// ErrPacketOnly is CompileFlows' error for a primitive that looks at packets only (a byte
// offset, ether, arp, a length): it has no meaning for a flow.
var ErrPacketOnly = errors.New("query: a packet-only primitive has no flow meaning")

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
