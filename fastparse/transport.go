package fastparse

// decodeL4 decodes the upper-layer protocol proto, whose bytes start at off and end (on the
// wire, by the IP length) at end. end may lie past len(data) when the snaplen cut the packet.
func decodeL4(p *Packet, data []byte, off, end int, proto uint8, depth int) Status {
	if off >= end && p.IPVersion == 4 {
		// An empty IPv4 payload (by the IP length, or because the frame ends): Wireshark's
		// IPv4 dissector hands only a non-empty payload on, so there is no transport header
		// to count. (Its IPv6 dissector calls the next one regardless.)
		p.Proto, p.L4Off, p.PayloadOff, p.PayloadLen = proto, uint32(off), uint32(off), 0
		return OK
	}
	// IPv4 reaches AH here (IPv6 walks it with its extension headers). Skip it so that Proto
	// is the protocol it protects, as for IPv6.
	for proto == ProtoAH && p.IPVersion == 4 && p.Frag&FragNonFirst == 0 {
		p.Proto, p.L4Off, p.PayloadOff, p.PayloadLen = proto, uint32(off), uint32(off), uint32(end-off)
		if off+12 > end {
			return BadIPHeader
		}
		if off+2 > len(data) {
			return TruncatedIP
		}
		l := (int(data[off+1]) + 2) * 4
		if off+l > end {
			return BadIPHeader
		}
		if off+l > len(data) {
			return TruncatedIP
		}
		proto = data[off]
		off += l
		p.IPHdrLen = uint16(min(int(p.IPHdrLen)+l, 0xffff))
	}
	p.Proto = proto
	p.L4Off = uint32(off)
	p.PayloadOff = uint32(off)
	p.PayloadLen = uint32(end - off)
	if p.Frag&FragNonFirst != 0 {
		return OK // the transport header is in the first fragment
	}
	seg := end - off
	var b []byte
	if capEnd := min(end, len(data)); off < capEnd {
		b = data[off:capEnd]
	}
	switch proto {
	case ProtoTCP, ProtoUDP:
		if depth >= quoteDepth && seg < 4 {
			// Inside an ICMP error Wireshark shows TCP or UDP only when the quote is long
			// enough to hold the ports.
			return OK
		}
		if proto == ProtoTCP {
			return decodeTCP(p, b, seg, depth)
		}
		return udpTunnel(p, data, decodeUDP(p, b, seg, depth), depth)
	case ProtoICMP, ProtoICMPv6:
		return decodeICMP(p, b, seg, proto, depth)
	case ProtoIPIP, ProtoIPv6:
		if depth >= maxTunnelDepth {
			return OK
		}
		p.TunnelDepth++
		var st Status
		if proto == ProtoIPIP {
			st = decodeIPv4(p, data, off, end, depth+1)
		} else {
			st = decodeIPv6(p, data, off, end, depth+1)
		}
		if st == BadIPVersion {
			p.TunnelDepth-- // the fields still describe the outer header
		}
		return st
	case ProtoGRE:
		return decodeGRE(p, data, off, end, depth)
	}
	return OK
}

// decodeTCP decodes a TCP header. b holds the captured bytes of the segment (possibly fewer
// than the header), seg the segment length by the IP header.
func decodeTCP(p *Packet, b []byte, seg, depth int) Status {
	p.Layers |= LayerTCP
	if depth == 0 {
		p.Layers |= LayerOuterTCP
	}
	if len(b) < TCPMinHdrLen {
		return decodeShortTCP(p, b, seg)
	}
	t := TCP(b)
	p.SrcPort = t.SrcPort()
	p.DstPort = t.DstPort()
	p.Seq = t.Seq()
	p.Ack = t.Ack()
	p.TCPFlags = t.Flags()
	p.Window = t.Window()
	p.Urgent = t.Urgent()
	hl := t.DataOff()
	p.TCPHdrLen = uint8(hl)
	if hl < TCPMinHdrLen {
		return BadTCPHeader // Wireshark shows no flags for a bogus header length: not counted
	}
	p.markFlags()
	if hl > seg {
		if p.Frag&FragMore != 0 {
			return OK // the header continues in the next fragment
		}
		return BadTCPHeader
	}
	if hl > len(b) {
		return TruncatedTransport
	}
	if hl > TCPMinHdrLen {
		p.parseTCPOptions(b[TCPMinHdrLen:hl])
	}
	p.HasL4 = true
	p.PayloadOff = p.L4Off + uint32(hl)
	p.PayloadLen = uint32(seg - hl)
	return OK
}

// decodeShortTCP fills what a TCP header shorter than 20 captured bytes holds: Wireshark
// still shows the ports, sequence numbers and flags that were captured, and counts SYN/RST.
func decodeShortTCP(p *Packet, b []byte, seg int) Status {
	if len(b) >= 4 {
		p.SrcPort = be16(b[tcpSrcPort:])
		p.DstPort = be16(b[tcpDstPort:])
	}
	if len(b) >= 8 {
		p.Seq = be32(b[tcpSeq:])
	}
	if len(b) >= 12 {
		p.Ack = be32(b[tcpAck:])
	}
	if len(b) >= 14 {
		p.TCPFlags = be16(b[tcpFlags:]) & 0x01ff
		p.TCPHdrLen = uint8(b[tcpDataOff]>>4) * 4
	}
	if len(b) >= 16 && p.TCPHdrLen >= TCPMinHdrLen {
		// Wireshark reads the window before it shows the flags, so it counts SYN and RST
		// only when 16 bytes were captured, and not for a bogus header length.
		p.Layers |= flagLayers(p.TCPFlags)
		p.Window = be16(b[tcpWindow:])
	}
	if seg < TCPMinHdrLen {
		if p.Frag&FragMore != 0 {
			return OK // a first fragment too short for the header: the rest is in the next one
		}
		return BadTCPHeader
	}
	return TruncatedTransport
}

func (p *Packet) markFlags() { p.Layers |= flagLayers(p.TCPFlags) }

// flagLayers maps the SYN and RST flags to their Layers bits without a branch: LayerSYN
// and LayerRST sit 7 bits above TCPSyn and TCPRst (TestFlagLayers pins it).
func flagLayers(f uint16) Layers { return Layers(f&(TCPSyn|TCPRst)) << 7 }

// parseTCPOptions walks the options area o (the header after its first 20 bytes).
func (p *Packet) parseTCPOptions(o []byte) {
	if len(o) == 12 && be32(o) == 0x0101080a {
		// NOP, NOP, timestamps: the options of nearly every segment of an established
		// Linux or BSD connection.
		p.TSVal = be32(o[4:])
		p.TSEcr = be32(o[8:])
		p.TCPOpts |= OptTimestamps
		return
	}
	for i := 0; i < len(o); {
		kind := o[i]
		if kind == 0 { // end of option list
			return
		}
		if kind == 1 { // no-operation
			i++
			continue
		}
		if i+1 >= len(o) {
			p.TCPOpts |= OptBad
			return
		}
		l := int(o[i+1])
		if l < 2 || i+l > len(o) {
			p.TCPOpts |= OptBad
			return
		}
		v := o[i+2 : i+l]
		switch kind {
		case 2: // maximum segment size
			if len(v) != 2 {
				p.TCPOpts |= OptBad
				break
			}
			p.MSS = be16(v)
			p.TCPOpts |= OptMSS
		case 3: // window scale
			if len(v) != 1 {
				p.TCPOpts |= OptBad
				break
			}
			p.WScale = v[0]
			p.TCPOpts |= OptWScale
		case 4: // SACK permitted
			if len(v) != 0 {
				p.TCPOpts |= OptBad
				break
			}
			p.TCPOpts |= OptSACKPermitted
		case 5: // SACK blocks
			if len(v) == 0 || len(v)%8 != 0 {
				p.TCPOpts |= OptBad
				break
			}
			n := min(len(v)/8, len(p.SACK))
			for k := 0; k < n; k++ {
				p.SACK[k] = [2]uint32{be32(v[8*k:]), be32(v[8*k+4:])}
			}
			p.SACKCount = uint8(n)
			p.TCPOpts |= OptSACK
		case 8: // timestamps
			if len(v) != 8 {
				p.TCPOpts |= OptBad
				break
			}
			p.TSVal = be32(v)
			p.TSEcr = be32(v[4:])
			p.TCPOpts |= OptTimestamps
		}
		i += l
	}
}

// decodeUDP decodes a UDP header; b and seg as for decodeTCP.
func decodeUDP(p *Packet, b []byte, seg, depth int) Status {
	p.Layers |= LayerUDP
	if depth == 0 {
		p.Layers |= LayerOuterUDP
	}
	if len(b) < UDPHdrLen {
		if len(b) >= 4 {
			p.SrcPort = be16(b[0:])
			p.DstPort = be16(b[2:])
		}
		if seg < UDPHdrLen {
			if p.Frag&FragMore != 0 {
				return OK
			}
			return BadUDPLength
		}
		return TruncatedTransport
	}
	u := UDP(b)
	p.SrcPort = u.SrcPort()
	p.DstPort = u.DstPort()
	p.HasL4 = true
	p.PayloadOff = p.L4Off + UDPHdrLen
	p.PayloadLen = uint32(seg - UDPHdrLen)
	if p.Frag&FragMore != 0 {
		return OK // a first fragment: the UDP length covers the whole datagram
	}
	ul := int(u.Length())
	if ul == 0 && p.IPVersion == 6 {
		return OK // jumbogram (RFC 2675): the length is the IP payload's
	}
	if ul < UDPHdrLen || ul > seg {
		return BadUDPLength
	}
	p.PayloadLen = uint32(ul - UDPHdrLen) // bytes after the UDP length are not payload
	return OK
}

// decodeICMP decodes an ICMP or ICMPv6 header and, for an error message, notes which
// protocols the quoted packet holds (Layers only; the fields keep describing this packet).
func decodeICMP(p *Packet, b []byte, seg int, proto uint8, depth int) Status {
	p.Layers |= LayerICMP
	if depth == 0 {
		p.Layers |= LayerOuterICMP
	}
	if len(b) >= 2 {
		p.ICMPType = b[0]
		p.ICMPCode = b[1]
	}
	if len(b) < ICMPHdrLen {
		if seg < ICMPHdrLen {
			if p.Frag&FragMore != 0 {
				return OK
			}
			return BadICMPLength
		}
		return TruncatedTransport
	}
	p.HasL4 = true
	p.PayloadOff = p.L4Off + ICMPHdrLen
	p.PayloadLen = uint32(seg - ICMPHdrLen)
	if depth < quoteDepth && seg > ICMPHdrLen && icmpQuotes(proto, b[0]) {
		p.Layers |= quotedLayers(b[ICMPHdrLen:], seg-ICMPHdrLen, proto == ProtoICMPv6)
	}
	return OK
}

// icmpQuotes reports whether an ICMP message of type typ quotes the offending packet.
func icmpQuotes(proto, typ uint8) bool {
	if proto == ProtoICMP {
		// destination unreachable, source quench, redirect, time exceeded, parameter problem
		return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12
	}
	// ICMPv6: destination unreachable, packet too big, time exceeded, parameter problem
	return typ >= 1 && typ <= 4
}

// quotedLayers decodes the packet quoted by an ICMP error (q captured, n bytes by the IP
// length) into a scratch Packet on the stack and returns the protocols it holds, as
// Wireshark lists them. Quotes are usually cut short; the scratch status is ignored.
func quotedLayers(q []byte, n int, v6 bool) Layers {
	var s Packet
	if v6 {
		decodeIPv6(&s, q, 0, n, quoteDepth)
	} else {
		decodeIPv4(&s, q, 0, n, quoteDepth)
	}
	return s.Layers
}

// decodeGRE decodes a GRE header (RFC 2784/2890, and the enhanced version 1 of PPTP, RFC
// 2637) at off and follows its payload when it is IP, Ethernet, PPP or Aruba's 802.11.
func decodeGRE(p *Packet, data []byte, off, end, depth int) Status {
	if off+4 > min(end, len(data)) {
		return TruncatedTransport
	}
	flags := be16(data[off:])
	proto := be16(data[off+2:])
	ver := flags & 7
	if ver > 1 || (ver == 0 && flags&0x4000 != 0) {
		return OK // unknown version, or a source route list: not followed
	}
	hl := 4
	if flags&0x8000 != 0 { // checksum and reserved
		hl += 4
	}
	if flags&0x2000 != 0 { // key (version 1: payload length and call id)
		hl += 4
	}
	if flags&0x1000 != 0 { // sequence number
		hl += 4
	}
	if ver == 1 && flags&0x0080 != 0 { // acknowledgment number
		hl += 4
	}
	if off+hl > min(end, len(data)) {
		return TruncatedTransport
	}
	p.L4Off = uint32(off)
	p.PayloadOff = uint32(off + hl)
	p.PayloadLen = uint32(end - off - hl)
	if depth >= maxTunnelDepth {
		return OK
	}
	in := off + hl
	var st Status
	switch {
	case proto == EtherTypeIPv4:
		p.TunnelDepth++
		st = decodeIPv4(p, data, in, end, depth+1)
	case proto == EtherTypeIPv6:
		p.TunnelDepth++
		st = decodeIPv6(p, data, in, end, depth+1)
	case proto == EtherTypeTEB:
		p.TunnelDepth++
		st = decodeEthernet(p, data, in, end, depth+1)
	case proto == EtherTypePPP:
		p.TunnelDepth++
		st = decodePPP(p, data, in, end, depth+1)
	case proto >= 0x8200 && proto <= 0x8370 && proto&0xf == 0:
		// Aruba access points tunnel 802.11 frames with these protocol types.
		p.TunnelDepth++
		st = decode80211(p, data, in, end, depth+1)
	default:
		return OK
	}
	switch st {
	case NotIP:
		// The tunnel carries something other than IP (PPTP's compressed PPP, an 802.11
		// management frame): the packet is a good GRE packet, described by its outer header.
		p.TunnelDepth--
		return OK
	case BadIPVersion:
		p.TunnelDepth-- // the fields still describe the outer header
	case TruncatedLink:
		return TruncatedTransport
	}
	return st
}

// decode80211 decodes an 802.11 data frame without FCS and its LLC/SNAP header.
func decode80211(p *Packet, data []byte, off, end, depth int) Status {
	if len(data) < off+24 {
		return TruncatedLink
	}
	fc0, fc1 := data[off], data[off+1]
	if (fc0>>2)&3 != 2 || fc0&0x40 != 0 || fc1&0x40 != 0 {
		return NotIP // not a data frame, a frame without a body, or an encrypted one
	}
	hl := 24
	if fc1&3 == 3 { // to and from the distribution system: a fourth address
		hl += 6
	}
	if fc0&0x80 != 0 { // QoS data: QoS control, and HT control when the order bit is set
		hl += 2
		if fc1&0x80 != 0 {
			hl += 4
		}
	}
	// An EtherType below 0x0600 is an 802.3 length, which makes decodeEtherType look for
	// LLC/SNAP: exactly what follows an 802.11 data header.
	return decodeEtherType(p, data, off+hl, end, 0, depth)
}

// vxlanPort is VXLAN's IANA port (RFC 7348), on which Wireshark decodes VXLAN by default.
const vxlanPort = 4789

// udpTunnel follows a decoded UDP datagram into VXLAN when Wireshark would: when 4789 is the
// lower of its two ports (Wireshark tries the lower port's dissector first).
func udpTunnel(p *Packet, data []byte, st Status, depth int) Status {
	if st != OK || !p.HasL4 || depth >= maxTunnelDepth || min(p.SrcPort, p.DstPort) != vxlanPort || p.Frag&FragMore != 0 {
		return st
	}
	off, end := int(p.PayloadOff), int(p.PayloadOff+p.PayloadLen)
	if off+8 > end {
		return st // too short for the VXLAN header: Wireshark marks it malformed, we leave it as UDP
	}
	if off+8 > len(data) {
		return TruncatedTransport
	}
	p.TunnelDepth++
	switch st = decodeEthernet(p, data, off+8, end, depth+1); st {
	case NotIP:
		p.TunnelDepth--
		return OK
	case BadIPVersion:
		p.TunnelDepth--
	case TruncatedLink:
		return TruncatedTransport
	}
	return st
}
