package query

import (
	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/index"
)

// MatchFlow reports whether the flow matches the plan, evaluating the normalized tree row by
// row: for a program that filters flows one at a time, and the reference the bitmap
// evaluation (Eval, what the stores use) is tested against. It does not allocate.
func (p *Plan) MatchFlow(f *FlowFields) bool { return matchNode(p.root, f) }

func matchNode(n *pnode, f *FlowFields) bool {
	switch n.kind {
	case pAll:
		return true
	case pAnd:
		for _, k := range n.kids {
			if !matchNode(k, f) {
				return false
			}
		}
		return true
	case pOr:
		for _, k := range n.kids {
			if matchNode(k, f) {
				return true
			}
		}
		return false
	case pNot:
		return !matchNode(n.kids[0], f)
	}
	return matchLeaf(n.leaf, f)
}

func matchLeaf(n filter.Node, f *FlowFields) bool {
	switch x := n.(type) {
	case *filter.Host:
		switch x.Dir {
		case filter.DirSrc:
			return f.Src == x.Addr
		case filter.DirDst:
			return f.Dst == x.Addr
		}
		return f.Src == x.Addr || f.Dst == x.Addr
	case *filter.Net:
		switch x.Dir {
		case filter.DirSrc:
			return x.Prefix.Contains(f.Src)
		case filter.DirDst:
			return x.Prefix.Contains(f.Dst)
		}
		return x.Prefix.Contains(f.Src) || x.Prefix.Contains(f.Dst)
	case *filter.Port:
		if !index.HasPortPostings(f.Proto) {
			return false
		}
		in := func(p uint16) bool { return p >= x.Lo && p <= x.Hi }
		switch x.Dir {
		case filter.DirSrc:
			return in(f.SrcPort)
		case filter.DirDst:
			return in(f.DstPort)
		}
		return in(f.SrcPort) || in(f.DstPort)
	case *filter.Proto:
		return f.Proto == x.N
	case *filter.IPVersion:
		if x.V == 6 {
			return all6.Contains(f.Src) || all6.Contains(f.Dst)
		}
		return all4.Contains(f.Src) || all4.Contains(f.Dst)
	case *filter.VLAN:
		if x.ID < 0 {
			return f.VLAN >= 0
		}
		return f.VLAN == x.ID
	case *filter.State:
		return f.State == x.Code
	case *filter.Flag:
		return f.Flags&x.F != 0
	case *filter.Cmp:
		v := f.Value(x.F)
		return v != filter.Missing && x.Op.Holds(v, x.Value)
	}
	return false
}
