package fastparse

// decodeIPv4 decodes an IPv4 header at off. wire is the end, in the packet's coordinates, of
// the bytes on the wire that can belong to this datagram (the frame end, or the end of the
// enclosing datagram for a tunnelled or quoted one); it may lie past len(data) when the
// snaplen cut the packet.
func decodeIPv4(p *Packet, data []byte, off, wire, depth int) Status {
	p.Layers |= LayerIPv4
	if depth == 0 {
		p.Layers |= LayerOuterIPv4
	}
	if len(data) >= off+1 {
		if v := data[off] >> 4; v != 4 {
			if v == 6 && depth < quoteDepth {
				// Wireshark's IPv4 dissector hands a version-6 header to IPv6 and goes on:
				// "ip:ipv6:tcp". Decode it the same way; the outer protocol stays IPv4 for
				// counting, so the IPv6 header and its transport are not "outer".
				return decodeIPv6(p, data, off, wire, depth+1)
			}
			return BadIPVersion // p's network fields are left as they were
		}
	}
	p.startIP(4, off, depth)
	if len(data) < off+1 {
		return TruncatedIP
	}
	b := IPv4(data[off:])
	if len(b) < IPv4MinHdrLen {
		return TruncatedIP
	}
	hl := b.HeaderLen()
	if hl < IPv4MinHdrLen {
		return BadIPHeader
	}
	if len(b) < hl {
		return TruncatedIP
	}
	if off+hl > wire {
		return BadIPHeader // a tunnelled header running past the datagram that carries it
	}
	p.IPHdrLen = uint16(hl)
	p.Proto = b.Protocol()
	p.TTL = b.TTL()
	p.TOS = b.TOS()
	p.IPID = uint32(b.ID())
	*(*[4]byte)(p.SrcIP[:4]) = [4]byte(b[ipv4Src : ipv4Src+4])
	*(*[4]byte)(p.DstIP[:4]) = [4]byte(b[ipv4Dst : ipv4Dst+4])

	avail := wire - off
	total := int(b.TotalLen())
	if total == 0 {
		// Segmentation offload: Linux captures TSO/GSO segments before the stack fills in
		// the length. Wireshark then takes the datagram to be the rest of the frame.
		total = avail
	}
	p.IPLen = uint32(total)
	if total < hl {
		return BadIPLength
	}
	ff := b.FlagsFragment()
	if ff&0x4000 != 0 {
		p.Frag |= FragDontFrag
	}
	if ff&0x2000 != 0 {
		p.Frag |= FragMore
	}
	if fo := ff & 0x1fff; fo != 0 {
		p.FragOffset = fo
		p.Frag |= FragNonFirst
	}
	if p.Frag.IsFragment() {
		p.Layers |= LayerIPv4Frag
	}
	end, overrun := off+total, false
	if total > avail {
		end, overrun = wire, true
	}
	var st Status
	if l4 := off + hl; (p.Proto == ProtoTCP || p.Proto == ProtoUDP) && p.Frag&FragNonFirst == 0 && l4 < end && depth < quoteDepth {
		// The common case, without the detour through decodeL4 (which does the same).
		p.L4Off, p.PayloadOff, p.PayloadLen = uint32(l4), uint32(l4), uint32(end-l4)
		var t []byte
		if capEnd := min(end, len(data)); l4 < capEnd {
			t = data[l4:capEnd]
		}
		if p.Proto == ProtoTCP {
			st = decodeTCP(p, t, end-l4, depth)
		} else {
			st = udpTunnel(p, data, decodeUDP(p, t, end-l4, depth), depth)
		}
	} else {
		st = decodeL4(p, data, l4, end, p.Proto, depth)
	}
	if st == OK && overrun {
		st = IPLengthOverrun
	}
	return st
}

// startIP starts an IP header. Below a tunnel it first resets the per-IP-header fields the
// outer header set: the inner header replaces them. (At depth 0, Decode has zeroed p.)
func (p *Packet) startIP(version uint8, off, depth int) {
	if depth > 0 {
		p.resetInner()
	}
	p.IPVersion = version
	p.IPOff = uint32(off)
}

// resetInner clears the network and transport fields an enclosing header set (VXLAN's UDP
// header, a tunnel's outer IP header) before an inner IP header replaces them.
func (p *Packet) resetInner() {
	p.Frag, p.FragOffset, p.IPv6ExtHdrs, p.IPHdrLen, p.IPLen, p.IPID, p.Proto = 0, 0, 0, 0, 0, 0, 0
	p.HasL4, p.L4Off, p.SrcPort, p.DstPort, p.PayloadOff, p.PayloadLen = false, 0, 0, 0, 0, 0
	p.Seq, p.Ack, p.TCPFlags, p.Window, p.Urgent, p.TCPHdrLen = 0, 0, 0, 0, 0, 0
	p.TCPOpts, p.MSS, p.WScale, p.SACKCount, p.SACK, p.TSVal, p.TSEcr = 0, 0, 0, 0, [4][2]uint32{}, 0, 0
	p.ICMPType, p.ICMPCode = 0, 0
}

// decodeIPv6 decodes an IPv6 header at off and walks its extension headers (hop-by-hop,
// routing, fragment, destination options, AH) to the upper-layer protocol. It stops at ESP,
// No Next Header and anything else. wire is as for decodeIPv4.
func decodeIPv6(p *Packet, data []byte, off, wire, depth int) Status {
	if len(data) >= off+1 && data[off]>>4 != 6 {
		// Wireshark's IPv6 dissector refuses a header of another version (the frame shows
		// as data), so no IPv6 layer is counted. p's network fields are left as they were.
		return BadIPVersion
	}
	p.startIP(6, off, depth)
	p.Layers |= LayerIPv6
	if depth == 0 {
		p.Layers |= LayerOuterIPv6
	}
	if len(data) < off+1 {
		return TruncatedIP
	}
	if len(data) < off+IPv6HdrLen {
		return TruncatedIP
	}
	if off+IPv6HdrLen > wire {
		return BadIPHeader // a tunnelled header running past the datagram that carries it
	}
	b := IPv6(data[off : off+IPv6HdrLen])
	nh := b.NextHeader()
	p.TTL = b.HopLimit()
	p.TOS = b.TrafficClass()
	p.SrcIP = [16]byte(b[ipv6Src : ipv6Src+16])
	p.DstIP = [16]byte(b[ipv6Dst : ipv6Dst+16])

	avail := wire - off
	total := IPv6HdrLen + int(b.PayloadLen())
	if total == IPv6HdrLen && nh == ProtoHopByHop {
		// A jumbogram (RFC 2675) keeps its length in a hop-by-hop option; like Wireshark,
		// take the rest of the frame.
		total = avail
	}
	p.IPLen = uint32(total)
	end, overrun := off+total, false
	if total > avail {
		end, overrun = wire, true
	}

	cur := off + IPv6HdrLen
	var st Status
walk:
	for {
		var l int
		switch nh {
		case ProtoHopByHop, ProtoRouting, ProtoDstOpts, ProtoShim6:
			p.Layers |= LayerIPv6Ext // counted even when cut or too long, as Wireshark lists it
			if l, st = extHdrLen(data, cur, end, 8, 1, 8); st != OK {
				break walk
			}
		case ProtoFragment:
			p.Layers |= LayerIPv6Ext | LayerIPv6Frag
			l = 8
			if cur+l > end {
				st = BadIPHeader
				break walk
			}
			if cur+l > len(data) {
				st = TruncatedIP
				break walk
			}
			fo := be16(data[cur+2:])
			p.FragOffset = fo >> 3
			p.Frag |= FragIPv6
			if fo&1 != 0 {
				p.Frag |= FragMore
			}
			if p.FragOffset != 0 {
				p.Frag |= FragNonFirst
			}
			p.IPID = be32(data[cur+4:])
		case ProtoAH:
			// Authentication header (RFC 4302): its length counts 4-byte words, minus 2.
			// Not an "extension header" in the corpus's ipv6_ext_hdr_frames column.
			if l, st = extHdrLen(data, cur, end, 12, 2, 4); st != OK {
				break walk
			}
		default:
			break walk
		}
		if cur+l > end {
			st = BadIPHeader
			break
		}
		if cur+l > len(data) {
			st = TruncatedIP
			break
		}
		nh = data[cur]
		cur += l
		if p.IPv6ExtHdrs < 255 {
			p.IPv6ExtHdrs++
		}
	}
	p.IPHdrLen = uint16(min(cur-off, 0xffff))
	p.Proto = nh
	if st != OK {
		return st
	}
	st = decodeL4(p, data, cur, end, nh, depth)
	if st == OK && overrun {
		st = IPLengthOverrun
	}
	return st
}

// extHdrLen reads the length of the IPv6 extension header at cur, which counts
// (data[cur+1]+add) units of unit bytes. The header must have need bytes before end
// (BadIPHeader) and its length byte must have been captured (TruncatedIP).
func extHdrLen(data []byte, cur, end, need, add, unit int) (int, Status) {
	if cur+need > end {
		return 0, BadIPHeader
	}
	if cur+2 > len(data) {
		return 0, TruncatedIP
	}
	return (int(data[cur+1]) + add) * unit, OK
}
