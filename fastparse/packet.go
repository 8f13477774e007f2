package fastparse

import "net/netip"

// Packet is the flat summary of one packet's headers, filled by Decode. The caller owns it and
// reuses it; it holds no pointers, so a slice of them costs the garbage collector nothing.
//
// When Status is not OK, the fields of the headers decoded before the failing one are valid;
// the failing header's own fields may be partly filled (a cut TCP header still gives its
// ports), and nothing after it is. With a tunnel, a failing inner header may leave the outer
// header's addresses in place: count such packets, don't track them as flows.
//
// Addresses are kept as 16-byte arrays: an IPv4 address sits in the first 4 bytes (the rest
// zero), as IPVersion says. Use SrcAddr/DstAddr for netip.Addr values.
type Packet struct {
	Status Status // OK, or why decoding stopped early (see Status)

	// Headers seen anywhere in the packet (outer, tunnelled, quoted by ICMP errors), for
	// counting as Wireshark's frame.protocols does; see Layers.
	Layers Layers

	// Link layer.
	LinkHdrLen uint16    // bytes of link-layer header before the network header (tags included)
	EtherType  uint16    // EtherType (or equivalent) of the network layer, after all tags
	VLANCount  uint8     // 802.1Q/802.1ad/0x9100 tags in the outer link header (a tag the capture cut counts too)
	VLANs      [2]uint16 // first two VLAN ids, outermost first
	MPLSLabels uint8     // MPLS labels walked (0 without MPLS)

	// Tunnels. With TunnelDepth > 0 the network and transport fields below describe the
	// innermost IP header Decode reached (IP-in-IP, GRE); LinkHdrLen still describes the
	// outer link header and Layers records the outer protocols.
	TunnelDepth uint8  // encapsulations followed (0: the fields describe the outer IP header)
	IPOff       uint32 // offset of the IP header the network fields describe

	// Network layer.
	IPVersion   uint8    // 4, 6, or 0 when there is no IP header
	Proto       uint8    // transport protocol (IPv4 protocol / final IPv6 next header)
	TTL         uint8    // TTL or hop limit
	TOS         uint8    // IPv4 type of service or IPv6 traffic class: DSCP (upper 6 bits), ECN (lower 2)
	IPHdrLen    uint16   // IPv4 header with options, or IPv6 fixed header plus extension headers
	IPLen       uint32   // IP total length from the header (IPv6: 40 + payload length)
	IPID        uint32   // IPv4 identification, or IPv6 fragment identification
	FragOffset  uint16   // fragment offset in 8-byte units
	Frag        FragInfo // fragment flags
	IPv6ExtHdrs uint8    // number of IPv6 extension headers walked
	SrcIP       [16]byte // source address (IPv4 in the first 4 bytes)
	DstIP       [16]byte // destination address

	// Transport layer (valid when HasL4: the transport header was captured and decoded).
	// When the header was cut by the snaplen, the fields captured before the cut are still
	// filled (ports from 4 bytes, TCP seq/ack/flags from 14) though HasL4 is false.
	// For a protocol without a decoded transport header (GRE, ESP, an unknown protocol, a
	// non-first fragment) L4Off and PayloadOff are the offset of the IP payload and
	// PayloadLen its length.
	HasL4      bool
	L4Off      uint32 // offset of the transport header in the packet data
	SrcPort    uint16
	DstPort    uint16
	PayloadOff uint32 // offset of the transport payload in the packet data
	PayloadLen uint32 // transport payload length from the IP length, not the captured length

	// TCP (Proto == 6).
	Seq, Ack  uint32
	TCPFlags  uint16 // all nine flags: FIN SYN RST PSH ACK URG ECE CWR NS (bit 0 .. 8)
	Window    uint16 // raw window field (unscaled)
	Urgent    uint16
	TCPHdrLen uint8 // data offset in bytes
	TCPOpts   TCPOptFlags
	MSS       uint16
	WScale    uint8
	SACKCount uint8
	SACK      [4][2]uint32 // SACK blocks (left, right edge)
	TSVal     uint32
	TSEcr     uint32

	// ICMP / ICMPv6.
	ICMPType, ICMPCode uint8
}

// SrcAddr returns the source address of the IP header the network fields describe, or the
// zero Addr when there is none. It does not allocate.
func (p *Packet) SrcAddr() netip.Addr { return addrOf(p.IPVersion, &p.SrcIP) }

// DstAddr returns the destination address; see SrcAddr.
func (p *Packet) DstAddr() netip.Addr { return addrOf(p.IPVersion, &p.DstIP) }

func addrOf(v uint8, a *[16]byte) netip.Addr {
	switch v {
	case 4:
		return netip.AddrFrom4([4]byte(a[:4]))
	case 6:
		return netip.AddrFrom16(*a)
	}
	return netip.Addr{}
}

// IsTCP reports whether the packet carries a fully captured, decoded TCP header.
func (p *Packet) IsTCP() bool { return p.HasL4 && p.Proto == ProtoTCP }

// IsUDP reports whether the packet carries a fully captured, decoded UDP header.
func (p *Packet) IsUDP() bool { return p.HasL4 && p.Proto == ProtoUDP }
