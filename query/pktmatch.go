package query

import (
	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/pcapng"
)

// The packet evaluator: a filter's packet-level primitives run on each packet's bytes the way
// libpcap's generated BPF code runs them (tcpdump -d shows it), so pcapdex selects exactly
// the packets tcpdump selects. Link-layer offsets follow the capture's link type (Ethernet,
// Linux SLL and SLL2, raw IP, BSD loopback); each "vlan" primitive moves the Ethernet offsets
// of the primitives written after it 4 bytes on (filter.Shift). As in BPF, a load past the
// captured bytes rejects the packet, whatever the rest of the filter says. Flow-level
// primitives (flow fields, state, flags, orig/resp) are looked up for the packet's flow.

type linkKind uint8

const (
	linkOther linkKind = iota
	linkEther
	linkSLL
	linkSLL2
	linkRaw
	linkNull
)

func linkKindOf(lt pcapng.LinkType) linkKind {
	switch lt {
	case 1:
		return linkEther
	case 113:
		return linkSLL
	case 276:
		return linkSLL2
	case 101, 12, 14:
		return linkRaw
	case 228, 229:
		return linkRaw
	case 0, 108:
		return linkNull
	}
	return linkOther
}

// pktView is one packet as the evaluator sees it.
type pktView struct {
	data    []byte
	wire    uint32
	link    linkKind
	flowRow int32 // flow row, -1 without a flow
	abort   bool  // a load went past the captured bytes: the packet is rejected
}

func (v *pktView) ld8(off int) uint32 {
	if off < 0 || off >= len(v.data) {
		v.abort = true
		return 0
	}
	return uint32(v.data[off])
}

func (v *pktView) ld16(off int) uint32 {
	if off < 0 || off+2 > len(v.data) {
		v.abort = true
		return 0
	}
	return uint32(v.data[off])<<8 | uint32(v.data[off+1])
}

func (v *pktView) ld32(off int) uint32 {
	if off < 0 || off+4 > len(v.data) {
		v.abort = true
		return 0
	}
	d := v.data[off : off+4]
	return uint32(d[0])<<24 | uint32(d[1])<<16 | uint32(d[2])<<8 | uint32(d[3])
}

// netOff is where the network header starts, after shift VLAN tags.
func (v *pktView) netOff(shift uint8) int {
	switch v.link {
	case linkEther:
		return 14 + 4*int(shift)
	case linkSLL:
		return 16
	case linkSLL2:
		return 20
	case linkNull:
		return 4
	}
	return 0
}

// isType reports whether the link layer says the network protocol is EtherType t.
func (v *pktView) isType(t uint16, shift uint8) bool {
	switch v.link {
	case linkEther:
		return v.ld16(12+4*int(shift)) == uint32(t)
	case linkSLL:
		return v.ld16(14) == uint32(t)
	case linkSLL2:
		return v.ld16(0) == uint32(t)
	case linkRaw:
		switch t {
		case 0x0800:
			return v.ld8(0)&0xf0 == 0x40
		case 0x86dd:
			return v.ld8(0)&0xf0 == 0x60
		}
	case linkNull:
		// The family is in the byte order of the machine that wrote the capture.
		switch t {
		case 0x0800:
			f := v.ld32(0)
			return f == 2 || f == 2<<24
		case 0x86dd:
			f := v.ld32(0)
			for _, x := range [...]uint32{24, 28, 30} {
				if f == x || f == x<<24 {
					return true
				}
			}
		}
	}
	return false
}

// pktMatcher evaluates a filter tree on packets. flowHit answers the flow-level leaves: for
// each such leaf, whether each flow row matches it.
type pktMatcher struct {
	root    filter.Node
	flowHit map[filter.Node][]bool
	disp    *dispCtx // for display-filter fields (nil without them)
}

func (m *pktMatcher) match(v *pktView) bool {
	v.abort = false
	ok := m.eval(m.root, v, 0)
	return ok && !v.abort
}

func (m *pktMatcher) eval(n filter.Node, v *pktView, shift uint8) bool {
	if v.abort {
		return false
	}
	switch x := n.(type) {
	case *filter.And:
		for _, t := range x.Terms {
			if !m.eval(t, v, shift) {
				return false
			}
		}
		return true
	case *filter.Or:
		for _, t := range x.Terms {
			if m.eval(t, v, shift) {
				return true
			}
		}
		return false
	case *filter.Not:
		r := m.eval(x.X, v, shift)
		return !r && !v.abort
	case *filter.Shift:
		return m.eval(x.X, v, x.VLANs)
	case *filter.Host:
		if x.Dir > filter.DirDst {
			return m.flowLeaf(n, v)
		}
		if x.Addr.Is4() {
			b := x.Addr.As4()
			a := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			return v.host4(a, 0xffffffff, x.Dir, shift)
		}
		return v.host6(x.Addr.As16(), 128, x.Dir, shift)
	case *filter.Net:
		if x.Dir > filter.DirDst {
			return m.flowLeaf(n, v)
		}
		if x.Prefix.Addr().Is4() {
			b := x.Prefix.Addr().As4()
			a := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			mask := uint32(0)
			if bits := x.Prefix.Bits(); bits > 0 {
				mask = ^uint32(0) << (32 - bits)
			}
			return v.host4(a, mask, x.Dir, shift)
		}
		return v.host6(x.Prefix.Addr().As16(), x.Prefix.Bits(), x.Dir, shift)
	case *filter.Port:
		if x.Dir > filter.DirDst {
			return m.flowLeaf(n, v)
		}
		return v.port(x.Lo, x.Hi, x.Dir, shift)
	case *filter.Proto:
		return v.proto(x.N, shift)
	case *filter.IPVersion:
		if x.V == 6 {
			return v.isType(0x86dd, shift)
		}
		return v.isType(0x0800, shift)
	case *filter.VLAN:
		if v.link != linkEther {
			return false
		}
		switch v.ld16(12 + 4*int(shift)) {
		case 0x8100, 0x88a8, 0x9100:
		default:
			return false
		}
		return x.ID < 0 || int(v.ld16(14+4*int(shift))&0xfff) == x.ID
	case *filter.EtherProto:
		if v.link != linkEther && v.link != linkSLL && v.link != linkSLL2 {
			return false
		}
		return v.isType(x.Type, shift)
	case *filter.Ether:
		if v.link != linkEther {
			return false
		}
		at := func(off int) bool {
			return v.ld32(off+2) == uint32(x.MAC[2])<<24|uint32(x.MAC[3])<<16|uint32(x.MAC[4])<<8|uint32(x.MAC[5]) &&
				v.ld16(off) == uint32(x.MAC[0])<<8|uint32(x.MAC[1])
		}
		switch x.Dir {
		case filter.DirSrc:
			return at(6)
		case filter.DirDst:
			return at(0)
		}
		return at(6) || at(0)
	case *filter.Cast:
		switch x.Layer {
		case 4:
			return v.isType(0x0800, shift) && v.ld8(v.netOff(shift)+16) >= 224
		case 6:
			return v.isType(0x86dd, shift) && v.ld8(v.netOff(shift)+24) == 0xff
		}
		if v.link != linkEther {
			return false
		}
		if x.Multi {
			return v.ld8(0)&1 != 0
		}
		return v.ld32(2) == 0xffffffff && v.ld16(0) == 0xffff
	case *filter.Rel:
		if !v.loadsOK(x.L, shift) || !v.loadsOK(x.R, shift) {
			return false
		}
		l := v.value(x.L, shift)
		r := v.value(x.R, shift)
		return !v.abort && x.Op.Holds(uint64(l), uint64(r))
	case *filter.State, *filter.Flag, *filter.Cmp:
		return m.flowLeaf(n, v)
	case *filter.DField:
		return m.disp != nil && m.dfield(x, v)
	}
	return false
}

func (m *pktMatcher) flowLeaf(n filter.Node, v *pktView) bool {
	if v.flowRow < 0 {
		return false
	}
	hit := m.flowHit[n]
	return int(v.flowRow) < len(hit) && hit[v.flowRow]
}

// host4 matches an IPv4 address under mask at the packet's source and/or destination, in
// the IPv4 header or (as libpcap does for host and net) an ARP or RARP packet.
func (v *pktView) host4(a, mask uint32, d filter.Dir, shift uint8) bool {
	nw := v.netOff(shift)
	src, dst := 12, 16
	if !v.isType(0x0800, shift) {
		if v.abort || v.link == linkRaw || v.link == linkNull || !v.isType(0x0806, shift) && !v.isType(0x8035, shift) {
			return false
		}
		src, dst = 14, 24
	}
	switch d {
	case filter.DirSrc:
		return v.ld32(nw+src)&mask == a
	case filter.DirDst:
		return v.ld32(nw+dst)&mask == a
	}
	return v.ld32(nw+src)&mask == a || v.ld32(nw+dst)&mask == a
}

func (v *pktView) host6(a [16]byte, bits int, d filter.Dir, shift uint8) bool {
	if !v.isType(0x86dd, shift) {
		return false
	}
	nw := v.netOff(shift)
	at := func(off int) bool {
		for w := 0; w < 4; w++ {
			wb := min(max(bits-32*w, 0), 32)
			if wb == 0 {
				return true
			}
			mask := ^uint32(0) << (32 - wb)
			want := uint32(a[4*w])<<24 | uint32(a[4*w+1])<<16 | uint32(a[4*w+2])<<8 | uint32(a[4*w+3])
			if v.ld32(off+4*w)&mask != want&mask {
				return false
			}
		}
		return true
	}
	switch d {
	case filter.DirSrc:
		return at(nw + 8)
	case filter.DirDst:
		return at(nw + 24)
	}
	return at(nw+8) || at(nw+24)
}

func portProto(p uint32) bool { return p == 6 || p == 17 || p == 132 }

func (v *pktView) port(lo, hi uint16, d filter.Dir, shift uint8) bool {
	nw := v.netOff(shift)
	in := func(off int) bool {
		p := v.ld16(off)
		return p >= uint32(lo) && p <= uint32(hi)
	}
	ends := func(t int) bool {
		switch d {
		case filter.DirSrc:
			return in(t)
		case filter.DirDst:
			return in(t + 2)
		}
		return in(t) || in(t+2)
	}
	if v.isType(0x86dd, shift) {
		return portProto(v.ld8(nw+6)) && ends(nw+40)
	}
	if v.abort || !v.isType(0x0800, shift) {
		return false
	}
	if !portProto(v.ld8(nw+9)) || v.ld16(nw+6)&0x1fff != 0 {
		return false
	}
	return ends(nw + int(v.ld8(nw)&0xf)*4)
}

func (v *pktView) proto(p uint8, shift uint8) bool {
	nw := v.netOff(shift)
	if v.isType(0x0800, shift) {
		return v.ld8(nw+9) == uint32(p)
	}
	if p == 1 || p == 2 || v.abort || !v.isType(0x86dd, shift) { // icmp and igmp are IPv4's
		return false
	}
	nh := v.ld8(nw + 6)
	return nh == uint32(p) || nh == 44 && v.ld8(nw+40) == uint32(p)
}

// loadsOK checks that the packet has the header of every load in e (libpcap ANDs those
// checks with the relation).
func (v *pktView) loadsOK(e filter.Expr, shift uint8) bool {
	switch x := e.(type) {
	case *filter.Bin:
		return v.loadsOK(x.L, shift) && v.loadsOK(x.R, shift)
	case *filter.Load:
		if !v.loadsOK(x.Off, shift) {
			return false
		}
		_, ok := v.loadBase(x.Proto, shift)
		return ok && !v.abort
	}
	return true
}

// loadBase returns the offset of proto's header and whether the packet has it.
func (v *pktView) loadBase(proto string, shift uint8) (int, bool) {
	nw := v.netOff(shift)
	switch proto {
	case "ether":
		return 0, true
	case "ip":
		return nw, v.isType(0x0800, shift)
	case "ip6":
		return nw, v.isType(0x86dd, shift)
	case "arp":
		return nw, v.link != linkRaw && v.link != linkNull && v.isType(0x0806, shift)
	case "rarp":
		return nw, v.link != linkRaw && v.link != linkNull && v.isType(0x8035, shift)
	case "icmp6":
		return nw + 40, v.isType(0x86dd, shift) && v.ld8(nw+6) == 58
	}
	var p uint32
	switch proto {
	case "tcp":
		p = 6
	case "udp":
		p = 17
	case "sctp":
		p = 132
	case "icmp":
		p = 1
	case "igmp":
		p = 2
	default:
		return 0, false
	}
	if !v.isType(0x0800, shift) || v.ld8(nw+9) != p || v.ld16(nw+6)&0x1fff != 0 {
		return 0, false
	}
	return nw + int(v.ld8(nw)&0xf)*4, true
}

func (v *pktView) value(e filter.Expr, shift uint8) uint32 {
	switch x := e.(type) {
	case *filter.Num:
		return x.V
	case *filter.Len:
		return v.wire
	case *filter.Load:
		off := v.value(x.Off, shift)
		base, _ := v.loadBase(x.Proto, shift)
		at := int(int64(base) + int64(off))
		if off > 1<<30 {
			v.abort = true
			return 0
		}
		switch x.Size {
		case 2:
			return v.ld16(at)
		case 4:
			return v.ld32(at)
		}
		return v.ld8(at)
	case *filter.Bin:
		l, r := v.value(x.L, shift), v.value(x.R, shift)
		switch x.Op {
		case "+":
			return l + r
		case "-":
			return l - r
		case "*":
			return l * r
		case "/":
			if r == 0 {
				v.abort = true
				return 0
			}
			return l / r
		case "%":
			if r == 0 {
				v.abort = true
				return 0
			}
			return l % r
		case "&":
			return l & r
		case "|":
			return l | r
		case "^":
			return l ^ r
		case "<<":
			if r >= 32 {
				return 0
			}
			return l << r
		case ">>":
			if r >= 32 {
				return 0
			}
			return l >> r
		}
	}
	return 0
}
