package query

import (
	"net/netip"
	"strings"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Wireshark display-filter fields (filter.DField) evaluated on one packet: decoded fields
// from fastparse, the index's per-packet TCP analysis (relative sequence numbers, scaled
// window, tcp.analysis flags) and the flow's tcp.stream / udp.stream number. A field that
// occurs several times in a packet (ip.addr: source and destination of every IP header,
// outer, tunnelled and quoted in an ICMP error) matches "==" when any occurrence does and
// "!=" when none is equal, as in Wireshark 4; a packet without the field matches neither.

// dispCtx is what DField evaluation reads besides the packet's bytes.
type dispCtx struct {
	row       *PacketRow
	dec       fastparse.Packet
	decoded   bool
	lt        pcapng.LinkType
	tcpStream []int32 // by flow row: the flow's tcp.stream, -1 for other flows
	udpStream []int32
	fv        fieldVals
}

// hasDisplay reports whether n holds a display-filter test.
func hasDisplay(n filter.Node) bool {
	switch x := n.(type) {
	case *filter.And:
		for _, t := range x.Terms {
			if hasDisplay(t) {
				return true
			}
		}
	case *filter.Or:
		for _, t := range x.Terms {
			if hasDisplay(t) {
				return true
			}
		}
	case *filter.Not:
		return hasDisplay(x.X)
	case *filter.DField:
		return true
	}
	return false
}

// streamNumbers numbers the TCP flows and the UDP flows 0, 1, ... in flow order, as
// Wireshark's tcp.stream and udp.stream do.
func streamNumbers(st Store) (tcp, udp []int32, err error) {
	n := st.NumFlows()
	tcp, udp = make([]int32, n), make([]int32, n)
	var nt, nu int32
	i := 0
	err = st.Flows(nil, 0, func(f *flowhash.Flow) error {
		if i >= n {
			return nil
		}
		tcp[i], udp[i] = -1, -1
		switch f.Key.Proto {
		case 6:
			tcp[i], nt = nt, nt+1
		case 17:
			udp[i], nu = nu, nu+1
		}
		i++
		return nil
	})
	return tcp, udp, err
}

// ipHeaders returns the offsets of the packet's IP headers: the outer one of a tunnel, the
// innermost, and one quoted in an ICMP error.
func (v *pktView) ipHeaders(d *fastparse.Packet, out *[3]int) []int {
	o := out[:0]
	if d.IPVersion == 0 {
		return o
	}
	if d.TunnelDepth > 0 {
		o = append(o, int(d.LinkHdrLen))
	}
	o = append(o, int(d.IPOff))
	if q := quoted(d); q > 0 && q < len(v.data) {
		o = append(o, q)
	}
	return o
}

// quoted is the offset of the IP header an ICMP error quotes, or 0.
func quoted(d *fastparse.Packet) int {
	if !d.HasL4 {
		return 0
	}
	switch {
	case d.Proto == 1 && (d.ICMPType == 3 || d.ICMPType == 4 || d.ICMPType == 5 || d.ICMPType == 11 || d.ICMPType == 12):
		return int(d.L4Off) + 8
	case d.Proto == 58 && d.ICMPType >= 1 && d.ICMPType <= 4:
		return int(d.L4Off) + 8
	}
	return 0
}

func (v *pktView) byteAt(off int) (uint32, bool) {
	if off < 0 || off >= len(v.data) {
		return 0, false
	}
	return uint32(v.data[off]), true
}

func (v *pktView) u16At(off int) (uint32, bool) {
	if off < 0 || off+2 > len(v.data) {
		return 0, false
	}
	return uint32(v.data[off])<<8 | uint32(v.data[off+1]), true
}

// fieldVals are the occurrences of one field in a packet.
type fieldVals struct {
	nums       [8]uint64
	addrs      [6][16]byte
	addrLen    [6]int
	macs       [2][6]byte
	nv, na, nm int
}

// extract fills fv with the occurrences of field name in the packet. For a protocol or flag
// (filter.DProto) it returns whether the packet has it; for a field with values it returns
// false when the packet has none.
func (c *dispCtx) extract(name string, v *pktView, fv *fieldVals) bool {
	*fv = fieldVals{}
	if !c.decoded {
		fastparse.Decode(&c.dec, c.lt, v.data, v.wire)
		c.decoded = true
	}
	d := &c.dec
	addNum := func(x uint64) {
		if fv.nv < len(fv.nums) {
			fv.nums[fv.nv] = x
			fv.nv++
		}
	}
	row := c.row
	tcpHere := d.Proto == 6 && (d.HasL4 || d.TCPHdrLen > 0)
	udpHere := d.Proto == 17 && d.HasL4
	an := row.Analysis
	bit := func(t flowhash.EventType) bool { return an&(1<<t) != 0 }
	var hdrs [3]int
	switch name {
	case "frame":
		return true
	case "frame.number":
		addNum(uint64(row.Frame))
	case "frame.len":
		addNum(uint64(v.wire))
	case "frame.cap_len":
		addNum(uint64(len(v.data)))
	case "frame.time_epoch":
		addNum(uint64(row.TS))
	case "eth", "eth.addr", "eth.src", "eth.dst", "eth.type":
		if v.link != linkEther || len(v.data) < 14 {
			return false
		}
		switch name {
		case "eth":
			return true
		case "eth.type":
			t, _ := v.u16At(12)
			if t < 0x0600 { // an 802.3 length (eth.len), not a type
				return false
			}
			addNum(uint64(t))
		default:
			if name != "eth.src" {
				copy(fv.macs[fv.nm][:], v.data[0:6])
				fv.nm++
			}
			if name != "eth.dst" {
				copy(fv.macs[fv.nm][:], v.data[6:12])
				fv.nm++
			}
		}
	case "vlan":
		return d.VLANCount > 0
	case "vlan.id":
		for i := 0; i < int(d.VLANCount) && i < 2; i++ {
			addNum(uint64(d.VLANs[i]))
		}
	case "ip", "ipv6":
		if name == "ip" {
			return d.Layers&fastparse.LayerIPv4 != 0
		}
		return d.Layers&fastparse.LayerIPv6 != 0
	case "ip.addr", "ip.src", "ip.dst", "ip.ttl", "ip.id", "ip.proto", "ip.len", "ipv6.addr", "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hlim":
		want4 := name[:3] == "ip."
		for _, h := range v.ipHeaders(d, &hdrs) {
			b, ok := v.byteAt(h)
			if !ok {
				continue
			}
			ver := b >> 4
			if want4 && ver != 4 || !want4 && ver != 6 {
				continue
			}
			switch name {
			case "ip.ttl":
				if t, ok := v.byteAt(h + 8); ok {
					addNum(uint64(t))
				}
			case "ip.id":
				if t, ok := v.u16At(h + 4); ok {
					addNum(uint64(t))
				}
			case "ip.proto":
				if t, ok := v.byteAt(h + 9); ok {
					addNum(uint64(t))
				}
			case "ip.len":
				if t, ok := v.u16At(h + 2); ok {
					addNum(uint64(t))
				}
			case "ipv6.nxt":
				if t, ok := v.byteAt(h + 6); ok {
					addNum(uint64(t))
				}
			case "ipv6.hlim":
				if t, ok := v.byteAt(h + 7); ok {
					addNum(uint64(t))
				}
			default:
				src, dst, n := h+12, h+16, 4
				if !want4 {
					src, dst, n = h+8, h+24, 16
				}
				for _, at := range [2]int{src, dst} {
					if at == src && name[len(name)-3:] == "dst" || at == dst && name[len(name)-3:] == "src" {
						continue
					}
					if at+n <= len(v.data) && fv.na < len(fv.addrs) {
						copy(fv.addrs[fv.na][:], v.data[at:at+n])
						fv.addrLen[fv.na] = n
						fv.na++
					}
				}
			}
		}
	case "arp":
		return d.EtherType == 0x0806
	case "icmp":
		for _, h := range v.ipHeaders(d, &hdrs) {
			if b, ok := v.byteAt(h); ok && b>>4 == 4 {
				if p, ok := v.byteAt(h + 9); ok && p == 1 {
					return true
				}
			}
		}
		return false
	case "icmpv6":
		return d.Proto == 58 && d.Layers&fastparse.LayerICMP != 0
	case "icmp.type", "icmp.code", "icmpv6.type":
		want := uint8(1)
		if name == "icmpv6.type" {
			want = 58
		}
		if d.Proto != want || !d.HasL4 {
			return false
		}
		if name == "icmp.code" {
			addNum(uint64(d.ICMPCode))
		} else {
			addNum(uint64(d.ICMPType))
		}
	case "tcp":
		return d.Layers&fastparse.LayerTCP != 0
	case "udp":
		return d.Layers&fastparse.LayerUDP != 0
	case "tcp.port", "tcp.srcport", "tcp.dstport", "udp.port", "udp.srcport", "udp.dstport":
		want := uint8(6)
		if name[0] == 'u' {
			want = 17
		}
		if d.Proto == want && (d.HasL4 || d.SrcPort != 0 || d.DstPort != 0) {
			if name[4] != 'd' {
				addNum(uint64(d.SrcPort))
			}
			if name[4] != 's' {
				addNum(uint64(d.DstPort))
			}
		}
		if q := quoted(d); q > 0 {
			if b, ok := v.byteAt(q); ok && b>>4 == 4 {
				if p, ok := v.byteAt(q + 9); ok && uint8(p) == want {
					t := q + int(b&0xf)*4
					sp, ok1 := v.u16At(t)
					dp, ok2 := v.u16At(t + 2)
					if ok1 && ok2 {
						if name[4] != 'd' {
							addNum(uint64(sp))
						}
						if name[4] != 's' {
							addNum(uint64(dp))
						}
					}
				}
			}
		}
	case "tcp.stream", "udp.stream":
		s := c.tcpStream
		ok := tcpHere
		if name[0] == 'u' {
			s, ok = c.udpStream, udpHere
		}
		if !ok || v.flowRow < 0 || int(v.flowRow) >= len(s) || s[v.flowRow] < 0 {
			return false
		}
		addNum(uint64(s[v.flowRow]))
	case "udp.length":
		if !udpHere {
			return false
		}
		if t, ok := v.u16At(int(d.L4Off) + 4); ok {
			addNum(uint64(t))
		}
	default: // tcp.*
		if !tcpHere {
			return false
		}
		switch name {
		case "tcp.len":
			addNum(uint64(d.PayloadLen))
		case "tcp.seq":
			addNum(uint64(row.Seq))
		case "tcp.seq_raw":
			addNum(uint64(d.Seq))
		case "tcp.ack", "tcp.ack_raw":
			switch {
			case name == "tcp.ack_raw":
				addNum(uint64(d.Ack))
			case d.TCPFlags&(1<<4) != 0:
				addNum(uint64(row.Ack))
			default:
				addNum(0) // Wireshark shows a relative ack of 0 without the ACK flag
			}
		case "tcp.window_size":
			addNum(uint64(row.Win))
		case "tcp.window_size_value":
			addNum(uint64(d.Window))
		case "tcp.hdr_len":
			addNum(uint64(d.TCPHdrLen))
		case "tcp.flags":
			addNum(uint64(d.TCPFlags))
		case "tcp.flags.fin", "tcp.flags.syn", "tcp.flags.reset", "tcp.flags.push", "tcp.flags.ack", "tcp.flags.urg", "tcp.flags.ece", "tcp.flags.cwr":
			var b uint16
			switch name[len("tcp.flags."):] {
			case "fin":
				b = 1
			case "syn":
				b = 2
			case "reset":
				b = 4
			case "push":
				b = 8
			case "ack":
				b = 16
			case "urg":
				b = 32
			case "ece":
				b = 64
			case "cwr":
				b = 128
			}
			if d.TCPFlags&b != 0 {
				addNum(1)
			} else {
				addNum(0)
			}
		case "tcp.options.mss_val":
			if d.TCPOpts&fastparse.OptMSS == 0 {
				return false
			}
			addNum(uint64(d.MSS))
		case "tcp.options.wscale.shift":
			if d.TCPOpts&fastparse.OptWScale == 0 {
				return false
			}
			addNum(uint64(d.WScale))
		case "tcp.analysis.flags":
			for t := flowhash.EvRetransmission; t <= flowhash.EvPortReuse; t++ {
				if bit(t) {
					return true
				}
			}
			return false
		case "tcp.analysis.retransmission":
			return bit(flowhash.EvRetransmission) || bit(flowhash.EvFastRetransmission) || bit(flowhash.EvSpuriousRetransmission)
		default:
			for t := flowhash.EventType(1); t < 32; t++ {
				if strings.TrimPrefix(name, "tcp.analysis.") == t.String() {
					return bit(t)
				}
			}
			return false
		}
	}
	return true
}

// dfield evaluates a display-filter test.
func (m *pktMatcher) dfield(x *filter.DField, v *pktView) bool {
	fv := &m.disp.fv
	got := m.disp.extract(x.Name, v, fv)
	if filter.DisplayFields[x.Name] == filter.DProto || !got {
		return got
	}
	nums, addrs, addrLen, macs, nv, na, nm := &fv.nums, &fv.addrs, &fv.addrLen, &fv.macs, fv.nv, fv.na, fv.nm
	if x.Vals == nil {
		return nv > 0 || na > 0 || nm > 0
	}
	any := false
	for _, val := range x.Vals {
		for i := 0; i < nv; i++ {
			if dmatch(x.Op, nums[i], val) {
				any = true
			}
		}
		for i := 0; i < na; i++ {
			if val.Kind == filter.DAddr && addrMatch(addrs[i][:addrLen[i]], val) {
				any = true
			}
		}
		for i := 0; i < nm; i++ {
			if val.Kind == filter.DMAC && macs[i] == val.MAC {
				any = true
			}
		}
	}
	if nv+na+nm == 0 {
		return false
	}
	if x.Op == filter.OpNe {
		// all not equal: any is "some occurrence differs" here; recompute as none equal.
		for _, val := range x.Vals {
			for i := 0; i < nv; i++ {
				if dmatch(filter.OpEq, nums[i], val) {
					return false
				}
			}
			for i := 0; i < na; i++ {
				if addrMatch(addrs[i][:addrLen[i]], val) {
					return false
				}
			}
			for i := 0; i < nm; i++ {
				if macs[i] == val.MAC {
					return false
				}
			}
		}
		return true
	}
	return any
}

func dmatch(op filter.Op, x uint64, v filter.DValue) bool {
	if v.Kind != filter.DNum && v.Kind != filter.DTime {
		return false
	}
	if v.Hi != v.Lo && op == filter.OpEq {
		return x >= v.Lo && x <= v.Hi
	}
	return op.Holds(x, v.Lo)
}

func addrMatch(a []byte, v filter.DValue) bool {
	p := v.Prefix
	if p.Addr().Is4() != (len(a) == 4) {
		return false
	}
	want := p.Addr().AsSlice()
	bits := p.Bits()
	for i := 0; bits > 0; i++ {
		m := byte(0xff)
		if bits < 8 {
			m = byte(0xff << (8 - bits))
		}
		if a[i]&m != want[i]&m {
			return false
		}
		bits -= 8
	}
	return true
}

func netipAddr4(a []byte) netip.Addr  { return netip.AddrFrom4([4]byte(a)) }
func netipAddr16(a []byte) netip.Addr { return netip.AddrFrom16([16]byte(a)) }
