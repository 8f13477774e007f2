package fastparse

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

var (
	synOpts = cat(optMSS(1460), optSACKPerm(), optTS(0x01020304, 0), []byte{1}, optWS(7))
	tcpSyn  = tcph{sport: 40000, dport: 80, seq: 1000, flags: TCPSyn, win: 64240, opts: synOpts}.build(nil)
	tcpData = tcph{sport: 80, dport: 40000, seq: 7, ack: 1001, flags: TCPAck | TCPPsh, win: 500}.build(bytesN(100))
	udpDNS  = udp(5353, 53, bytesN(30))
)

type decodeCase struct {
	name    string
	link    pcapng.LinkType
	data    []byte
	origLen int // 0: len(data)
	status  Status
	check   func(t *testing.T, p *Packet)
}

// l4 checks the common network and transport facts of a decoded packet.
func l4(ver, proto uint8, src, dst string, sport, dport uint16, payloadLen uint32) func(*testing.T, *Packet) {
	return func(t *testing.T, p *Packet) {
		t.Helper()
		eq(t, "IPVersion", p.IPVersion, ver)
		eq(t, "Proto", p.Proto, proto)
		eq(t, "SrcAddr", p.SrcAddr(), netip.MustParseAddr(src))
		eq(t, "DstAddr", p.DstAddr(), netip.MustParseAddr(dst))
		eq(t, "HasL4", p.HasL4, true)
		eq(t, "SrcPort", p.SrcPort, sport)
		eq(t, "DstPort", p.DstPort, dport)
		eq(t, "PayloadLen", p.PayloadLen, payloadLen)
	}
}

func all(fs ...func(*testing.T, *Packet)) func(*testing.T, *Packet) {
	return func(t *testing.T, p *Packet) {
		t.Helper()
		for _, f := range fs {
			f(t, p)
		}
	}
}

func linkHdr(n uint16, et uint16) func(*testing.T, *Packet) {
	return func(t *testing.T, p *Packet) {
		t.Helper()
		eq(t, "LinkHdrLen", p.LinkHdrLen, n)
		eq(t, "EtherType", p.EtherType, et)
	}
}

func layers(want Layers) func(*testing.T, *Packet) {
	return func(t *testing.T, p *Packet) {
		t.Helper()
		if p.Layers != want {
			t.Errorf("Layers = %#x, want %#x", p.Layers, want)
		}
	}
}

const (
	v4tcp = LayerIPv4 | LayerOuterIPv4 | LayerTCP | LayerOuterTCP
	v4udp = LayerIPv4 | LayerOuterIPv4 | LayerUDP | LayerOuterUDP
	v6tcp = LayerIPv6 | LayerOuterIPv6 | LayerTCP | LayerOuterTCP
	v6udp = LayerIPv6 | LayerOuterIPv6 | LayerUDP | LayerOuterUDP
)

var v4 = ip4{proto: ProtoTCP, src: "192.0.2.1", dst: "198.51.100.2", ttl: 63, id: 0xbeef}

func ipTCP(payload []byte) []byte { return v4.build(payload) }

func linkCases() []decodeCase {
	v4syn := ipTCP(tcpSyn)
	v4udp := ip4{proto: ProtoUDP, src: "10.1.1.1", dst: "10.2.2.2"}.build(udpDNS)
	v6tcpPkt := v6(ProtoTCP, tcpData)
	syn := l4(4, ProtoTCP, "192.0.2.1", "198.51.100.2", 40000, 80, 0)
	dns := l4(4, ProtoUDP, "10.1.1.1", "10.2.2.2", 5353, 53, 30)
	v6data := l4(6, ProtoTCP, "2001:db8::1", "2001:db8::2", 80, 40000, 100)
	frame := cat(eth(EtherTypeIPv4), v4syn)
	badCRC := mpacket(0xd5, frame)
	badCRC[len(badCRC)-1] ^= 1
	return []decodeCase{
		{"ethernet/ipv4/tcp", pcapng.LinkTypeEthernet, cat(eth(EtherTypeIPv4), v4syn), 0, OK,
			all(syn, linkHdr(14, EtherTypeIPv4), layers(v4tcp|LayerSYN))},
		{"ethernet/padding is not payload", pcapng.LinkTypeEthernet,
			cat(eth(EtherTypeIPv4), ipTCP(tcph{sport: 1, dport: 2, flags: TCPAck}.build(bytesN(6))), make([]byte, 60-14-46)), 0, OK,
			func(t *testing.T, p *Packet) { eq(t, "PayloadLen", p.PayloadLen, 6); eq(t, "IPLen", p.IPLen, 46) }},
		{"ethernet/arp", pcapng.LinkTypeEthernet, cat(eth(EtherTypeARP), bytesN(28)), 0, NotIP,
			all(linkHdr(0, EtherTypeARP), layers(0))},
		{"ethernet/short", pcapng.LinkTypeEthernet, bytesN(13), 0, TruncatedLink, nil},
		{"ethernet/empty", pcapng.LinkTypeEthernet, nil, 0, TruncatedLink, nil},
		{"802.1q", pcapng.LinkTypeEthernet, cat(eth(EtherTypeIPv4, tag(0x8100, 0x2064)), v4udp), 0, OK,
			all(dns, linkHdr(18, EtherTypeIPv4), func(t *testing.T, p *Packet) {
				eq(t, "VLANCount", p.VLANCount, 1)
				eq(t, "VLANs[0]", p.VLANs[0], 100) // priority bits masked off
			})},
		{"802.1ad+802.1q", pcapng.LinkTypeEthernet, cat(eth(EtherTypeIPv6, tag(0x88a8, 10), tag(0x8100, 20)), v6tcpPkt), 0, OK,
			all(v6data, linkHdr(22, EtherTypeIPv6), func(t *testing.T, p *Packet) {
				eq(t, "VLANCount", p.VLANCount, 2)
				eq(t, "VLANs", p.VLANs, [2]uint16{10, 20})
			})},
		{"three tags 0x9100", pcapng.LinkTypeEthernet, cat(eth(EtherTypeIPv4, tag(0x9100, 1), tag(0x88a8, 2), tag(0x8100, 3)), v4syn), 0, OK,
			all(syn, linkHdr(26, EtherTypeIPv4), func(t *testing.T, p *Packet) {
				eq(t, "VLANCount", p.VLANCount, 3)
				eq(t, "VLANs", p.VLANs, [2]uint16{1, 2})
			})},
		{"tag cut", pcapng.LinkTypeEthernet, cat(eth(EtherTypeVLAN), []byte{0, 1}), 0, TruncatedLink,
			func(t *testing.T, p *Packet) { eq(t, "VLANCount", p.VLANCount, 1); eq(t, "VLANs[0]", p.VLANs[0], 0) }},
		{"vlan/arp", pcapng.LinkTypeEthernet, cat(eth(EtherTypeARP, tag(0x8100, 5)), bytesN(28)), 0, NotIP,
			func(t *testing.T, p *Packet) {
				eq(t, "VLANCount", p.VLANCount, 1)
				eq(t, "EtherType", p.EtherType, EtherTypeARP)
			}},
		{"mpls two labels", pcapng.LinkTypeEthernet, cat(eth(EtherTypeMPLS), u32(100<<12|64), u32(200<<12|1<<8|64), v4udp), 0, OK,
			all(dns, linkHdr(22, EtherTypeIPv4), func(t *testing.T, p *Packet) { eq(t, "MPLSLabels", p.MPLSLabels, 2) })},
		{"mpls non-ip", pcapng.LinkTypeEthernet, cat(eth(EtherTypeMPLS), u32(1<<8), bytesN(20)), 0, NotIP, nil},
		{"pppoe/ipv6", pcapng.LinkTypeEthernet, cat(eth(EtherTypePPPoES), []byte{0x11, 0}, u16(7), u16(uint16(2+len(v6tcpPkt))), u16(0x0057), v6tcpPkt), 0, OK,
			all(v6data, linkHdr(22, EtherTypeIPv6))},
		{"pppoe/lcp", pcapng.LinkTypeEthernet, cat(eth(EtherTypePPPoES), []byte{0x11, 0}, u16(7), u16(6), u16(0xc021), bytesN(4)), 0, NotIP, nil},
		{"802.3 llc/snap", pcapng.LinkTypeEthernet, cat(eth(uint16(8+len(v4syn))), []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv4), v4syn), 0, OK,
			all(syn, linkHdr(22, EtherTypeIPv4))},
		{"802.3 stp", pcapng.LinkTypeEthernet, cat(eth(38), []byte{0x42, 0x42, 3}, bytesN(35)), 0, NotIP, nil},
		{"mpacket express", pcapng.LinkTypeEthernetMPacket, mpacket(0xd5, frame), 0, OK, all(syn, linkHdr(22, EtherTypeIPv4))},
		{"mpacket preemptable", pcapng.LinkTypeEthernetMPacket, mpacket(0x4c, cat(eth(EtherTypeIPv4, tag(0x8100, 8)), v4udp)), 0, OK,
			all(dns, linkHdr(26, EtherTypeIPv4), func(t *testing.T, p *Packet) { eq(t, "VLANCount", p.VLANCount, 1) })},
		{"mpacket bad crc", pcapng.LinkTypeEthernetMPacket, badCRC, 0, NotIP, layers(0)},
		{"mpacket cut", pcapng.LinkTypeEthernetMPacket, mpacket(0xd5, frame)[:40], 8 + len(frame) + 4, TruncatedLink, nil},
		{"mpacket continuation", pcapng.LinkTypeEthernetMPacket, cat([]byte{0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x61, 0xe6}, bytesN(60)), 0, NotIP, nil},
		{"sll/ipv4", pcapng.LinkTypeLinuxSLL, cat(sll(EtherTypeIPv4), v4syn), 0, OK, all(syn, linkHdr(16, EtherTypeIPv4))},
		{"sll/vlan/ipv4", pcapng.LinkTypeLinuxSLL, cat(sll(EtherTypeVLAN), u16(7), u16(EtherTypeIPv4), v4udp), 0, OK,
			all(dns, linkHdr(20, EtherTypeIPv4), func(t *testing.T, p *Packet) { eq(t, "VLANCount", p.VLANCount, 1) })},
		{"sll short", pcapng.LinkTypeLinuxSLL, bytesN(15), 0, TruncatedLink, nil},
		{"sll2/ipv6", pcapng.LinkTypeLinuxSLL2, cat(sll2(EtherTypeIPv6), v6tcpPkt), 0, OK, all(v6data, linkHdr(20, EtherTypeIPv6))},
		{"sll2 short", pcapng.LinkTypeLinuxSLL2, bytesN(19), 0, TruncatedLink, nil},
		{"raw/ipv4", pcapng.LinkTypeRaw, v4syn, 0, OK, all(syn, linkHdr(0, EtherTypeIPv4))},
		{"raw/ipv6", pcapng.LinkTypeRaw, v6tcpPkt, 0, OK, all(v6data, linkHdr(0, EtherTypeIPv6))},
		{"raw12", pcapng.LinkTypeRaw12, v4udp, 0, OK, dns},
		{"raw14", pcapng.LinkTypeRaw14, v6tcpPkt, 0, OK, v6data},
		{"raw bad version", pcapng.LinkTypeRaw, cat([]byte{0x55}, bytesN(30)), 0, BadIPVersion, layers(0)},
		{"raw empty", pcapng.LinkTypeRaw, nil, 0, TruncatedLink, nil},
		{"ipv4 link", pcapng.LinkTypeIPv4, v4syn, 0, OK, syn},
		{"ipv4 link holding ipv6", pcapng.LinkTypeIPv4, v6tcpPkt, 0, OK, all(v6data, layers(LayerIPv4|LayerOuterIPv4|LayerIPv6|LayerTCP))},
		{"ipv6 link", pcapng.LinkTypeIPv6, v6tcpPkt, 0, OK, v6data},
		{"null little-endian AF_INET", pcapng.LinkTypeNull, cat(nullLE(2), v4syn), 0, OK, all(syn, linkHdr(4, EtherTypeIPv4))},
		{"null big-endian AF_INET", pcapng.LinkTypeNull, cat(nullBE(2), v4syn), 0, OK, syn},
		{"null little-endian darwin AF_INET6", pcapng.LinkTypeNull, cat(nullLE(30), v6tcpPkt), 0, OK, all(v6data, linkHdr(4, EtherTypeIPv6))},
		{"null big-endian freebsd AF_INET6", pcapng.LinkTypeNull, cat(nullBE(28), v6tcpPkt), 0, OK, v6data},
		{"null AF_INET6 bsd", pcapng.LinkTypeNull, cat(nullLE(24), v6tcpPkt), 0, OK, v6data},
		{"null other family", pcapng.LinkTypeNull, cat(nullLE(7), bytesN(30)), 0, NotIP, nil},
		{"null short", pcapng.LinkTypeNull, bytesN(3), 0, TruncatedLink, nil},
		{"loop AF_INET", pcapng.LinkTypeLoop, cat(nullBE(2), v4udp), 0, OK, all(dns, linkHdr(4, EtherTypeIPv4))},
		{"loop AF_INET6", pcapng.LinkTypeLoop, cat(nullBE(24), v6tcpPkt), 0, OK, v6data},
		{"ppp address/control", pcapng.LinkTypePPP, cat([]byte{0xff, 3}, u16(0x0021), v4syn), 0, OK, all(syn, linkHdr(4, EtherTypeIPv4))},
		{"ppp compressed protocol", pcapng.LinkTypePPP, cat([]byte{0x21}, v4udp), 0, OK, all(dns, linkHdr(1, EtherTypeIPv4))},
		{"ppp hdlc ipv6", pcapng.LinkTypePPPHDLC, cat([]byte{0xff, 3}, u16(0x0057), v6tcpPkt), 0, OK, v6data},
		{"ppp lcp", pcapng.LinkTypePPP, cat([]byte{0xff, 3}, u16(0xc021), bytesN(10)), 0, NotIP, nil},
		{"pppoe link", pcapng.LinkTypePPPEther, cat([]byte{0x11, 0}, u16(7), u16(uint16(2+len(v4syn))), u16(0x0021), v4syn), 0, OK, all(syn, linkHdr(8, EtherTypeIPv4))},
		{"802.11 management frame", pcapng.LinkTypeIEEE80211, bytesN(40), 0, NotIP, layers(0)},
		{"802.11 data ipv4", pcapng.LinkTypeIEEE80211, cat([]byte{0x08, 0x02, 0, 0}, bytesN(18), []byte{0x10, 0x20}, []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv4), v4udp), 0, OK,
			all(dns, linkHdr(32, EtherTypeIPv4))},
		{"802.11 qos data four addresses ipv6", pcapng.LinkTypeIEEE80211, cat([]byte{0x88, 0x03, 0, 0}, bytesN(18), []byte{0x10, 0x20}, bytesN(6), []byte{0, 0}, []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv6), v6tcpPkt), 0, OK,
			all(v6data, linkHdr(40, EtherTypeIPv6))},
		{"802.11 protected data", pcapng.LinkTypeIEEE80211, cat([]byte{0x08, 0x42, 0, 0}, bytesN(18), []byte{0x10, 0x20}, bytesN(40)), 0, NotIP, nil},
		{"802.11 short", pcapng.LinkTypeIEEE80211, []byte{0x08, 0x02, 0, 0}, 0, TruncatedLink, nil},
		{"unknown link type", pcapng.LinkType(147), bytesN(40), 0, UnknownLink, layers(0)},
	}
}

func networkCases() []decodeCase {
	e := eth(EtherTypeIPv4)
	e6 := eth(EtherTypeIPv6)
	syn := tcpSyn
	frag := func(flags uint16, proto uint8, payload []byte) []byte {
		return cat(e, ip4{proto: proto, id: 77, flags: flags}.build(payload))
	}
	full := cat(e, ipTCP(tcpData))
	return []decodeCase{
		{"ipv4 options", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoUDP, opts: []byte{0x94, 4, 0, 0}}.build(udpDNS)), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "IPHdrLen", p.IPHdrLen, 24)
				eq(t, "L4Off", p.L4Off, 38)
				eq(t, "PayloadOff", p.PayloadOff, 46)
				eq(t, "DstPort", p.DstPort, 53)
			}},
		{"ipv4 fields", pcapng.LinkTypeEthernet, full, 0, OK, func(t *testing.T, p *Packet) {
			eq(t, "TTL", p.TTL, 63)
			eq(t, "IPID", p.IPID, 0xbeef)
			eq(t, "IPLen", p.IPLen, 140)
			eq(t, "IPOff", p.IPOff, 14)
			eq(t, "Frag", p.Frag, 0)
			eq(t, "TunnelDepth", p.TunnelDepth, 0)
		}},
		{"ipv4 ihl<5", pcapng.LinkTypeEthernet, cat(e, ip4{proto: 6, verIHL: 0x44}.build(syn)), 0, BadIPHeader, layers(LayerIPv4 | LayerOuterIPv4)},
		{"ipv6 version 4 under 0x86dd", pcapng.LinkTypeEthernet, cat(eth(EtherTypeIPv6), ipTCP(syn)), 0, BadIPVersion,
			all(layers(0), func(t *testing.T, p *Packet) { eq(t, "IPVersion", p.IPVersion, 0) })},
		{"ipv4 version 5 under 0x0800", pcapng.LinkTypeEthernet, cat(e, ip4{proto: 6, verIHL: 0x55}.build(syn)), 0, BadIPVersion, layers(LayerIPv4 | LayerOuterIPv4)},
		{"ipv4 version 6 under 0x0800", pcapng.LinkTypeEthernet, cat(e, v6(ProtoTCP, syn)), 0, OK,
			all(layers(LayerIPv4|LayerOuterIPv4|LayerIPv6|LayerTCP|LayerSYN), func(t *testing.T, p *Packet) {
				eq(t, "IPVersion", p.IPVersion, 6)
				eq(t, "HasL4", p.HasL4, true)
				eq(t, "EtherType", p.EtherType, EtherTypeIPv4)
			})},
		{"ipv4 total length < header", pcapng.LinkTypeEthernet, cat(e, ip4{proto: 6, totalLen: 19}.build(syn)), 0, BadIPLength,
			func(t *testing.T, p *Packet) {
				eq(t, "HasL4", p.HasL4, false)
				eq(t, "Layers&TCP", p.Layers&LayerTCP, 0)
			}},
		{"ipv4 header cut by snaplen", pcapng.LinkTypeEthernet, full[:14+19], len(full), TruncatedIP,
			layers(LayerIPv4 | LayerOuterIPv4)},
		{"ipv4 options cut by snaplen", pcapng.LinkTypeEthernet, cat(e, ip4{proto: 6, opts: bytesN(8)}.build(syn))[:14+24], 0, TruncatedIP, nil},
		{"ipv4 tso length 0", pcapng.LinkTypeEthernet, cat(e, ip4{proto: 6, totalLen: -1 & 0}.buildTSO(tcpData)), 0, OK,
			func(t *testing.T, p *Packet) { eq(t, "IPLen", p.IPLen, 140); eq(t, "PayloadLen", p.PayloadLen, 100) }},
		{"ipv4 length past frame", pcapng.LinkTypeEthernet, cat(e, ip4{proto: 6, totalLen: 400}.build(tcpData)), 0, IPLengthOverrun,
			func(t *testing.T, p *Packet) {
				eq(t, "HasL4", p.HasL4, true)
				eq(t, "IPLen", p.IPLen, 400)
				eq(t, "PayloadLen", p.PayloadLen, 100) // within the frame
			}},
		{"snaplen cut in payload", pcapng.LinkTypeEthernet, full[:68], len(full), OK, func(t *testing.T, p *Packet) {
			eq(t, "HasL4", p.HasL4, true)
			eq(t, "PayloadLen", p.PayloadLen, 100) // from the IP length
			eq(t, "PayloadOff", p.PayloadOff, 54)
		}},
		{"ipv4 DF", pcapng.LinkTypeEthernet, frag(0x4000, ProtoTCP, syn), 0, OK, func(t *testing.T, p *Packet) {
			eq(t, "Frag", p.Frag, FragDontFrag)
			eq(t, "IsFragment", p.Frag.IsFragment(), false)
			eq(t, "Layers&Frag", p.Layers&LayerIPv4Frag, 0)
		}},
		{"ipv4 first fragment udp", pcapng.LinkTypeEthernet, frag(0x2000, ProtoUDP, udpLen(1, 2, 3000, bytesN(1472))), 0, OK,
			all(layers(v4udp|LayerIPv4Frag), func(t *testing.T, p *Packet) {
				eq(t, "Frag", p.Frag, FragMore)
				eq(t, "HasL4", p.HasL4, true)
				eq(t, "PayloadLen", p.PayloadLen, 1472)
			})},
		{"ipv4 non-first fragment", pcapng.LinkTypeEthernet, frag(0x2000|185, ProtoUDP, bytesN(1480)), 0, OK,
			all(layers(LayerIPv4|LayerOuterIPv4|LayerIPv4Frag), func(t *testing.T, p *Packet) {
				eq(t, "Frag", p.Frag, FragMore|FragNonFirst)
				eq(t, "FragOffset", p.FragOffset, 185)
				eq(t, "HasL4", p.HasL4, false)
				eq(t, "SrcPort", p.SrcPort, 0)
				eq(t, "PayloadLen", p.PayloadLen, 1480)
				eq(t, "IPID", p.IPID, 77)
			})},
		{"ipv4 last fragment", pcapng.LinkTypeEthernet, frag(370, ProtoTCP, bytesN(20)), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "Frag", p.Frag, FragNonFirst)
				eq(t, "Layers&TCP", p.Layers&LayerTCP, 0)
			}},
		{"ipv4 first fragment with 8 bytes of tcp", pcapng.LinkTypeEthernet, frag(0x2000, ProtoTCP, syn[:8]), 0, OK,
			all(layers(v4tcp|LayerIPv4Frag), func(t *testing.T, p *Packet) {
				eq(t, "HasL4", p.HasL4, false)
				eq(t, "SrcPort", p.SrcPort, 40000)
				eq(t, "Seq", p.Seq, 1000)
			})},
		{"ipv4 ah", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoAH}.build(cat(ahHdr(ProtoTCP, 3), syn))), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "Proto", p.Proto, ProtoTCP)
				eq(t, "L4Off", p.L4Off, 14+20+24)
				eq(t, "MSS", p.MSS, 1460)
			}},
		{"ipv4 esp", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoESP}.build(bytesN(64))), 0, OK,
			all(layers(LayerIPv4|LayerOuterIPv4), func(t *testing.T, p *Packet) {
				eq(t, "Proto", p.Proto, ProtoESP)
				eq(t, "HasL4", p.HasL4, false)
				eq(t, "PayloadLen", p.PayloadLen, 64)
			})},

		// IPv6 extension headers.
		{"ipv6 hop-by-hop, destination options, routing", pcapng.LinkTypeEthernet,
			cat(e6, v6(ProtoHopByHop, cat(extHdr(ProtoDstOpts, 0), extHdr(ProtoRouting, 1), extHdr(ProtoUDP, 0), udpDNS))), 0, OK,
			all(layers(v6udp|LayerIPv6Ext), func(t *testing.T, p *Packet) {
				eq(t, "IPv6ExtHdrs", p.IPv6ExtHdrs, 3)
				eq(t, "IPHdrLen", p.IPHdrLen, 40+8+16+8)
				eq(t, "Proto", p.Proto, ProtoUDP)
				eq(t, "PayloadLen", p.PayloadLen, 30)
				eq(t, "IPLen", p.IPLen, 40+32+38)
			})},
		{"ipv6 first fragment", pcapng.LinkTypeEthernet, cat(e6, v6(ProtoFragment, cat(fragHdr(ProtoUDP, 0, true, 0xdeadbeef), udpLen(1, 2, 5000, bytesN(1000))))), 0, OK,
			all(layers(v6udp|LayerIPv6Ext|LayerIPv6Frag), func(t *testing.T, p *Packet) {
				eq(t, "Frag", p.Frag, FragIPv6|FragMore)
				eq(t, "IPID", p.IPID, 0xdeadbeef)
				eq(t, "HasL4", p.HasL4, true)
				eq(t, "PayloadLen", p.PayloadLen, 1000)
			})},
		{"ipv6 last fragment", pcapng.LinkTypeEthernet, cat(e6, v6(ProtoFragment, cat(fragHdr(ProtoUDP, 126, false, 9), bytesN(100)))), 0, OK,
			all(layers(LayerIPv6|LayerOuterIPv6|LayerIPv6Ext|LayerIPv6Frag), func(t *testing.T, p *Packet) {
				eq(t, "Frag", p.Frag, FragIPv6|FragNonFirst)
				eq(t, "FragOffset", p.FragOffset, 126)
				eq(t, "Proto", p.Proto, ProtoUDP)
				eq(t, "HasL4", p.HasL4, false)
			})},
		{"ipv6 ah", pcapng.LinkTypeEthernet, cat(e6, v6(ProtoAH, cat(ahHdr(ProtoTCP, 3), tcpData))), 0, OK,
			all(layers(v6tcp), func(t *testing.T, p *Packet) {
				eq(t, "IPv6ExtHdrs", p.IPv6ExtHdrs, 1)
				eq(t, "IPHdrLen", p.IPHdrLen, 64)
				eq(t, "PayloadLen", p.PayloadLen, 100)
			})},
		{"ipv6 esp", pcapng.LinkTypeEthernet, cat(e6, v6(ProtoDstOpts, cat(extHdr(ProtoESP, 0), bytesN(40)))), 0, OK,
			func(t *testing.T, p *Packet) { eq(t, "Proto", p.Proto, ProtoESP); eq(t, "HasL4", p.HasL4, false) }},
		{"ipv6 no next header", pcapng.LinkTypeEthernet, cat(e6, v6(ProtoNoNext, nil)), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "Proto", p.Proto, ProtoNoNext)
				eq(t, "PayloadLen", p.PayloadLen, 0)
			}},
		{"ipv6 ext header past payload", pcapng.LinkTypeEthernet, cat(e6, ip6{nh: ProtoHopByHop, payloadLen: 8}.build(extHdr(ProtoUDP, 1))), 0, BadIPHeader, nil},
		{"ipv6 ext header cut by snaplen", pcapng.LinkTypeEthernet, cat(e6, v6(ProtoHopByHop, cat(extHdr(ProtoTCP, 2), tcpData)))[:14+40+10], 14 + 40 + 24 + 120, TruncatedIP, nil},
		{"ipv6 header cut", pcapng.LinkTypeEthernet, cat(e6, v6(ProtoTCP, tcpData))[:40], 174, TruncatedIP, layers(LayerIPv6 | LayerOuterIPv6)},
		{"ipv6 fields", pcapng.LinkTypeRaw, ip6{nh: ProtoUDP, hop: 7, src: "fe80::1", dst: "ff02::fb", payloadLen: -1}.build(udpDNS), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "TTL", p.TTL, 7)
				eq(t, "SrcAddr", p.SrcAddr(), netip.MustParseAddr("fe80::1"))
				eq(t, "DstAddr", p.DstAddr(), netip.MustParseAddr("ff02::fb"))
			}},
		{"ipv6 payload length past frame", pcapng.LinkTypeRaw, ip6{nh: ProtoUDP, payloadLen: 500}.build(udpDNS), 0, IPLengthOverrun, nil},
		{"ipv6 jumbogram", pcapng.LinkTypeRaw, ip6{nh: ProtoHopByHop, payloadLen: 0}.build(cat([]byte{ProtoUDP, 0, 0xc2, 4}, u32(8+8+70000), udpLen(1, 2, 0, bytesN(70000)))), 0, OK,
			all(layers(v6udp|LayerIPv6Ext), func(t *testing.T, p *Packet) {
				eq(t, "PayloadLen", p.PayloadLen, 70000)
				eq(t, "IPLen", p.IPLen, 40+8+8+70000)
			})},
	}
}

// buildTSO builds the datagram with a zero total length, as a TSO capture shows it.
func (h ip4) buildTSO(payload []byte) []byte {
	b := h.build(payload)
	b[2], b[3] = 0, 0
	return b
}

func transportCases() []decodeCase {
	e := eth(EtherTypeIPv4)
	tcpPkt := func(h tcph, payload []byte) []byte { return cat(e, ipTCP(h.build(payload))) }
	udpPkt := func(u []byte) []byte { return cat(e, ip4{proto: ProtoUDP}.build(u)) }
	all9 := TCPFin | TCPSyn | TCPRst | TCPPsh | TCPAck | TCPUrg | TCPEce | TCPCwr | TCPNs
	synPkt := cat(e, ipTCP(tcpSyn))
	return []decodeCase{
		{"tcp syn options", pcapng.LinkTypeEthernet, synPkt, 0, OK, func(t *testing.T, p *Packet) {
			eq(t, "Seq", p.Seq, 1000)
			eq(t, "Ack", p.Ack, 0)
			eq(t, "TCPFlags", p.TCPFlags, TCPSyn)
			eq(t, "Window", p.Window, 64240)
			eq(t, "TCPHdrLen", p.TCPHdrLen, 40)
			eq(t, "TCPOpts", p.TCPOpts, OptMSS|OptSACKPermitted|OptTimestamps|OptWScale)
			eq(t, "MSS", p.MSS, 1460)
			eq(t, "WScale", p.WScale, 7)
			eq(t, "TSVal", p.TSVal, 0x01020304)
			eq(t, "TSEcr", p.TSEcr, 0)
			eq(t, "L4Off", p.L4Off, 34)
			eq(t, "PayloadOff", p.PayloadOff, 74)
			eq(t, "IsTCP", p.IsTCP(), true)
		}},
		{"tcp all nine flags", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: all9, urg: 9, win: 3}, nil), 0, OK,
			all(layers(v4tcp|LayerSYN|LayerRST), func(t *testing.T, p *Packet) {
				eq(t, "TCPFlags", p.TCPFlags, all9)
				eq(t, "Urgent", p.Urgent, 9)
			})},
		{"tcp timestamps fast path", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, opts: cat([]byte{1, 1}, optTS(7, 9))}, nil), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "TCPOpts", p.TCPOpts, OptTimestamps)
				eq(t, "TS", [2]uint32{p.TSVal, p.TSEcr}, [2]uint32{7, 9})
				eq(t, "TCPHdrLen", p.TCPHdrLen, 32)
			}},
		{"tcp timestamps then sack", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, opts: cat([]byte{1, 1}, optTS(7, 9), []byte{1, 1}, optSACK(100, 200))}, nil), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "TCPOpts", p.TCPOpts, OptTimestamps|OptSACK)
				eq(t, "SACK[0]", p.SACK[0], [2]uint32{100, 200})
			}},
		{"tcp sack blocks", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, opts: cat([]byte{1, 1}, optSACK(10, 20, 30, 40, 50, 60))}, nil), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "TCPOpts", p.TCPOpts, OptSACK)
				eq(t, "SACKCount", p.SACKCount, 3)
				eq(t, "SACK", p.SACK, [4][2]uint32{{10, 20}, {30, 40}, {50, 60}})
			}},
		{"tcp four sack blocks", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, opts: optSACK(1, 2, 3, 4, 5, 6, 7, 8)}, nil), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "SACKCount", p.SACKCount, 4)
				eq(t, "SACK[3]", p.SACK[3], [2]uint32{7, 8})
			}},
		{"tcp option length past header", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, opts: cat(optMSS(536), []byte{8, 30})}, nil), 0, OK,
			func(t *testing.T, p *Packet) { eq(t, "TCPOpts", p.TCPOpts, OptMSS|OptBad); eq(t, "MSS", p.MSS, 536) }},
		{"tcp option length 0", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, opts: []byte{2, 0, 0, 0}}, nil), 0, OK,
			func(t *testing.T, p *Packet) { eq(t, "TCPOpts", p.TCPOpts, OptBad) }},
		{"tcp mss with wrong length", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, opts: []byte{2, 3, 1, 3, 3, 2}}, nil), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "TCPOpts", p.TCPOpts, OptBad|OptWScale)
				eq(t, "WScale", p.WScale, 2)
			}},
		{"tcp options stop at end of list", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, opts: []byte{0, 2, 4, 5, 0xb4}}, nil), 0, OK,
			func(t *testing.T, p *Packet) { eq(t, "TCPOpts", p.TCPOpts, 0) }},
		{"tcp data offset < 5", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPSyn, dataOff: 12}, bytesN(10)), 0, BadTCPHeader,
			all(layers(v4tcp), func(t *testing.T, p *Packet) { eq(t, "HasL4", p.HasL4, false) })},
		{"tcp data offset past segment", pcapng.LinkTypeEthernet, tcpPkt(tcph{flags: TCPAck, dataOff: 60}, bytesN(10)), 0, BadTCPHeader, nil},
		{"tcp segment shorter than 20", pcapng.LinkTypeEthernet, cat(e, ipTCP(tcpSyn[:16])), 0, BadTCPHeader,
			func(t *testing.T, p *Packet) { eq(t, "TCPFlags", p.TCPFlags, TCPSyn); eq(t, "DstPort", p.DstPort, 80) }},
		{"tcp options cut by snaplen", pcapng.LinkTypeEthernet, synPkt[:34+30], len(synPkt), TruncatedTransport,
			all(layers(v4tcp|LayerSYN), func(t *testing.T, p *Packet) {
				eq(t, "HasL4", p.HasL4, false)
				eq(t, "SrcPort", p.SrcPort, 40000)
				eq(t, "TCPFlags", p.TCPFlags, TCPSyn)
			})},
		{"tcp cut before flags", pcapng.LinkTypeEthernet, synPkt[:34+13], len(synPkt), TruncatedTransport,
			all(layers(v4tcp), func(t *testing.T, p *Packet) { eq(t, "Ack", p.Ack, 0); eq(t, "DstPort", p.DstPort, 80) })},
		{"tcp cut after 14 bytes", pcapng.LinkTypeEthernet, synPkt[:34+14], len(synPkt), TruncatedTransport,
			all(layers(v4tcp), func(t *testing.T, p *Packet) { eq(t, "TCPFlags", p.TCPFlags, TCPSyn) })},
		{"tcp cut after 16 bytes", pcapng.LinkTypeEthernet, synPkt[:34+16], len(synPkt), TruncatedTransport,
			all(layers(v4tcp|LayerSYN), func(t *testing.T, p *Packet) { eq(t, "Window", p.Window, 64240) })},
		{"tcp cut after 18 bytes", pcapng.LinkTypeEthernet, synPkt[:34+18], len(synPkt), TruncatedTransport, nil},
		{"udp cut at ip end", pcapng.LinkTypeEthernet, udpPkt(udpDNS)[:34], 34 + 38, TruncatedTransport, nil},
		{"ipv6-in-ipv4 cut at ip end", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoIPv6}.build(v6(ProtoUDP, udpDNS)))[:34], 34 + 78, TruncatedIP, nil},
		{"ipv6-in-ipv4 cut after 1 byte", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoIPv6}.build(v6(ProtoUDP, udpDNS)))[:35], 34 + 78, TruncatedIP, nil},
		{"ipv4 first fragment cut at ip end", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoTCP, flags: 0x2000}.build(tcpSyn))[:34], 34 + 40, TruncatedTransport, nil},
		{"ipv4 first fragment cut after 1 byte", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoTCP, flags: 0x2000}.build(tcpSyn))[:35], 34 + 40, TruncatedTransport, nil},
		{"icmp quoting udp header with no udp bytes", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(3, 3, ip4{proto: ProtoUDP}.build(udpDNS)[:20]))), 0, OK, nil},
		{"icmp quoting tcp header with no tcp bytes", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(3, 3, ip4{proto: ProtoTCP}.build(tcpSyn)[:20]))), 0, OK, nil},
		{"icmp quoting fragment with no udp bytes", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(3, 3, ip4{proto: ProtoUDP, flags: 0x2000}.build(udpDNS)[:20]))), 0, OK, nil},
		// Wireshark hands an IP payload on only when it is not empty, and inside an ICMP
		// error shows TCP or UDP only when the quote holds the ports (TestWiresharkAgrees).
		{"ipv4 empty tcp datagram", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoTCP}.build(nil)), 0, OK,
			all(layers(LayerIPv4|LayerOuterIPv4), func(t *testing.T, p *Packet) { eq(t, "Proto", p.Proto, ProtoTCP); eq(t, "HasL4", p.HasL4, false) })},
		{"ipv4 empty udp datagram", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoUDP}.build(nil)), 0, OK, layers(LayerIPv4 | LayerOuterIPv4)},
		{"udp datagram of 1 byte", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoUDP}.build(bytesN(1))), 0, BadUDPLength, layers(v4udp)},
		{"tcp segment of 3 bytes", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoTCP}.build(bytesN(3))), 0, BadTCPHeader, layers(v4tcp)},
		{"6in4 first fragment", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoIPv6, flags: 0x2000}.build(v6(ProtoUDP, udpDNS))), 0, OK,
			all(layers(LayerIPv4|LayerOuterIPv4|LayerIPv4Frag|LayerIPv6|LayerUDP), func(t *testing.T, p *Packet) { eq(t, "TunnelDepth", p.TunnelDepth, 1) })},
		{"gre first fragment", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoGRE, flags: 0x2000}.build(cat(gre(0, EtherTypeIPv4, nil), ipTCP(tcpSyn)))), 0, OK,
			layers(LayerIPv4 | LayerOuterIPv4 | LayerIPv4Frag | LayerTCP | LayerSYN)},
		{"icmp first fragment", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoICMP, flags: 0x2000}.build(icmp(8, 0, bytesN(20)))), 0, OK,
			layers(LayerIPv4 | LayerOuterIPv4 | LayerIPv4Frag | LayerICMP | LayerOuterICMP)},
		{"icmp quote with 3 bytes of udp", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(3, 3, ip4{proto: ProtoUDP}.build(udpDNS)[:23]))), 0, OK,
			layers(LayerIPv4 | LayerOuterIPv4 | LayerICMP | LayerOuterICMP)},
		{"icmp quote with 4 bytes of udp", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(3, 3, ip4{proto: ProtoUDP}.build(udpDNS)[:24]))), 0, OK,
			layers(LayerIPv4 | LayerOuterIPv4 | LayerICMP | LayerOuterICMP | LayerUDP)},
		{"icmp quote with 3 bytes of tcp", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(3, 3, ip4{proto: ProtoTCP}.build(tcpSyn)[:23]))), 0, OK,
			layers(LayerIPv4 | LayerOuterIPv4 | LayerICMP | LayerOuterICMP)},
		{"icmp quote with 15 bytes of tcp syn", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(3, 3, ip4{proto: ProtoTCP}.build(tcpSyn)[:35]))), 0, OK,
			layers(LayerIPv4 | LayerOuterIPv4 | LayerICMP | LayerOuterICMP | LayerTCP)},
		{"icmpv6 quote with 1 byte of udp", pcapng.LinkTypeEthernet,
			cat(eth(EtherTypeIPv6), v6(ProtoICMPv6, icmp(1, 0, v6(ProtoUDP, udpDNS)[:41]))), 0, OK,
			layers(LayerIPv6 | LayerOuterIPv6 | LayerICMP | LayerOuterICMP)},
		{"icmpv6 quote with 8 bytes of udp", pcapng.LinkTypeEthernet,
			cat(eth(EtherTypeIPv6), v6(ProtoICMPv6, icmp(1, 0, v6(ProtoUDP, udpDNS)[:48]))), 0, OK,
			layers(LayerIPv6 | LayerOuterIPv6 | LayerICMP | LayerOuterICMP | LayerUDP)},
		{"icmp quoting icmp", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(3, 3, ip4{proto: ProtoICMP}.build(icmp(8, 0, bytesN(20)))[:24]))), 0, OK,
			layers(LayerIPv4 | LayerOuterIPv4 | LayerICMP | LayerOuterICMP)},
		{"tcp cut at ip end", pcapng.LinkTypeEthernet, synPkt[:34], len(synPkt), TruncatedTransport, layers(v4tcp)},
		{"udp", pcapng.LinkTypeEthernet, udpPkt(udpDNS), 0, OK,
			all(layers(v4udp), func(t *testing.T, p *Packet) { eq(t, "IsUDP", p.IsUDP(), true); eq(t, "PayloadOff", p.PayloadOff, 42) })},
		{"udp length shorter than ip payload", pcapng.LinkTypeEthernet, udpPkt(udpLen(1, 2, 20, bytesN(30))), 0, OK,
			func(t *testing.T, p *Packet) { eq(t, "PayloadLen", p.PayloadLen, 12) }},
		{"udp length < 8", pcapng.LinkTypeEthernet, udpPkt(udpLen(1, 2, 7, bytesN(30))), 0, BadUDPLength, nil},
		{"udp length past ip payload", pcapng.LinkTypeEthernet, udpPkt(udpLen(1, 2, 100, bytesN(30))), 0, BadUDPLength,
			func(t *testing.T, p *Packet) { eq(t, "PayloadLen", p.PayloadLen, 30) }},
		{"udp cut by snaplen", pcapng.LinkTypeEthernet, udpPkt(udpDNS)[:34+6], 34 + 38, TruncatedTransport,
			all(layers(v4udp), func(t *testing.T, p *Packet) { eq(t, "DstPort", p.DstPort, 53) })},
		{"udp datagram shorter than 8", pcapng.LinkTypeEthernet, udpPkt(bytesN(5)), 0, BadUDPLength, nil},
		{"icmp echo", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoICMP}.build(icmp(8, 0, bytesN(56)))), 0, OK,
			all(layers(LayerIPv4|LayerOuterIPv4|LayerICMP|LayerOuterICMP), func(t *testing.T, p *Packet) {
				eq(t, "ICMPType", p.ICMPType, 8)
				eq(t, "PayloadLen", p.PayloadLen, 56)
				eq(t, "HasL4", p.HasL4, true)
			})},
		{"icmp unreachable quoting tcp syn", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP, src: "203.0.113.9", dst: "192.0.2.1"}.build(icmp(3, 3, ipTCP(tcpSyn)[:20+28]))), 0, OK,
			all(layers(LayerIPv4|LayerOuterIPv4|LayerICMP|LayerOuterICMP|LayerTCP|LayerSYN), func(t *testing.T, p *Packet) {
				eq(t, "Proto", p.Proto, ProtoICMP)
				eq(t, "ICMPCode", p.ICMPCode, 3)
				eq(t, "SrcAddr", p.SrcAddr(), netip.MustParseAddr("203.0.113.9"))
				eq(t, "SrcPort", p.SrcPort, 0)
			})},
		{"icmp time exceeded quoting 8 bytes of udp fragment", pcapng.LinkTypeEthernet,
			cat(e, ip4{proto: ProtoICMP}.build(icmp(11, 0, ip4{proto: ProtoUDP, flags: 0x2000}.build(udpDNS)[:28]))), 0, OK,
			layers(LayerIPv4 | LayerOuterIPv4 | LayerICMP | LayerOuterICMP | LayerUDP | LayerIPv4Frag)},
		{"icmpv6 packet too big quoting udp", pcapng.LinkTypeEthernet,
			cat(eth(EtherTypeIPv6), v6(ProtoICMPv6, icmp(2, 0, v6(ProtoUDP, udpDNS)))), 0, OK,
			all(layers(LayerIPv6|LayerOuterIPv6|LayerICMP|LayerOuterICMP|LayerUDP), func(t *testing.T, p *Packet) {
				eq(t, "ICMPType", p.ICMPType, 2)
				eq(t, "Proto", p.Proto, ProtoICMPv6)
			})},
		{"icmpv6 echo does not quote", pcapng.LinkTypeRaw, v6(ProtoICMPv6, icmp(128, 0, v6(ProtoUDP, udpDNS))), 0, OK,
			layers(LayerIPv6 | LayerOuterIPv6 | LayerICMP | LayerOuterICMP)},
		{"icmp shorter than 8", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoICMP}.build([]byte{8, 0, 0, 0})), 0, BadICMPLength,
			func(t *testing.T, p *Packet) { eq(t, "ICMPType", p.ICMPType, 8) }},
		{"icmp cut by snaplen", pcapng.LinkTypeEthernet, cat(e, ip4{proto: ProtoICMP}.build(icmp(0, 0, bytesN(20))))[:38], 62, TruncatedTransport, nil},
	}
}

func tunnelCases() []decodeCase {
	e := eth(EtherTypeIPv4, tag(0x8100, 300))
	outer := func(proto uint8, payload []byte) []byte {
		return cat(e, ip4{proto: proto, src: "172.16.0.1", dst: "172.16.0.2"}.build(payload))
	}
	innerSyn := ipTCP(tcpSyn)
	innerV6 := v6(ProtoUDP, udpDNS)
	syn := l4(4, ProtoTCP, "192.0.2.1", "198.51.100.2", 40000, 80, 0)
	dns6 := l4(6, ProtoUDP, "2001:db8::1", "2001:db8::2", 5353, 53, 30)
	tunnel := func(depth uint8, off uint32) func(*testing.T, *Packet) {
		return func(t *testing.T, p *Packet) {
			t.Helper()
			eq(t, "TunnelDepth", p.TunnelDepth, depth)
			eq(t, "IPOff", p.IPOff, off)
			eq(t, "LinkHdrLen", p.LinkHdrLen, 18)
			eq(t, "VLANCount", p.VLANCount, 1)
		}
	}
	outerV4 := LayerIPv4 | LayerOuterIPv4
	dot11 := cat([]byte{0x88, 0x01, 0, 0}, bytesN(18), []byte{0x10, 0x20}, []byte{0, 0}, []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv4))
	return []decodeCase{
		{"ipip", pcapng.LinkTypeEthernet, outer(ProtoIPIP, innerSyn), 0, OK,
			all(syn, tunnel(1, 38), layers(outerV4|LayerTCP|LayerSYN))},
		{"6in4", pcapng.LinkTypeEthernet, outer(ProtoIPv6, innerV6), 0, OK,
			all(dns6, tunnel(1, 38), layers(outerV4|LayerIPv6|LayerUDP))},
		{"6in4 inner version 5", pcapng.LinkTypeEthernet, outer(ProtoIPv6, cat([]byte{0x50}, innerV6[1:])), 0, BadIPVersion,
			all(layers(outerV4), func(t *testing.T, p *Packet) {
				eq(t, "TunnelDepth", p.TunnelDepth, 0)
				eq(t, "IPVersion", p.IPVersion, 4)
				eq(t, "SrcAddr", p.SrcAddr(), netip.MustParseAddr("172.16.0.1"))
			})},
		{"gre inner version 5", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0, EtherTypeIPv4, nil), []byte{0x55}, innerSyn[1:])), 0, BadIPVersion,
			all(layers(outerV4|LayerIPv4), func(t *testing.T, p *Packet) {
				eq(t, "TunnelDepth", p.TunnelDepth, 0)
				eq(t, "IPOff", p.IPOff, 18)
			})},
		{"ipip inner cut", pcapng.LinkTypeEthernet, outer(ProtoIPIP, innerSyn)[:18+20+10], 18 + 20 + 60, TruncatedIP,
			func(t *testing.T, p *Packet) { eq(t, "TunnelDepth", p.TunnelDepth, 1) }},
		{"gre ipv4", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0, EtherTypeIPv4, nil), innerSyn)), 0, OK,
			all(syn, tunnel(1, 42), layers(outerV4|LayerTCP|LayerSYN))},
		{"gre checksum key sequence ipv6", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0xb000, EtherTypeIPv6, bytesN(12)), innerV6)), 0, OK,
			all(dns6, tunnel(1, 54))},
		{"gre ethernet", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0x2000, EtherTypeTEB, bytesN(4)), eth(EtherTypeIPv4, tag(0x8100, 9)), innerSyn)), 0, OK,
			all(syn, tunnel(1, 64))},
		{"gre pptp ppp ipv4", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0x3081, EtherTypePPP, bytesN(12)), []byte{0xff, 3}, u16(0x21), innerSyn)), 0, OK,
			all(syn, tunnel(1, 18+20+16+4))},
		{"gre pptp compressed ppp", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0x3001, EtherTypePPP, bytesN(8)), []byte{0xfd}, bytesN(50))), 0, OK,
			all(layers(outerV4), func(t *testing.T, p *Packet) {
				eq(t, "TunnelDepth", p.TunnelDepth, 0)
				eq(t, "Proto", p.Proto, ProtoGRE)
				eq(t, "SrcAddr", p.SrcAddr(), netip.MustParseAddr("172.16.0.1"))
				eq(t, "PayloadOff", p.PayloadOff, 18+20+12)
				eq(t, "PayloadLen", p.PayloadLen, 51)
			})},
		{"gre aruba 802.11", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0, 0x8200, nil), dot11, innerSyn)), 0, OK,
			all(syn, tunnel(1, 18+20+4+26+8), layers(outerV4|LayerTCP|LayerSYN))},
		{"gre aruba 802.11 management", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0, 0x8210, nil), []byte{0x80, 0}, bytesN(40))), 0, OK,
			func(t *testing.T, p *Packet) { eq(t, "TunnelDepth", p.TunnelDepth, 0) }},
		{"gre header cut", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0xb000, EtherTypeIPv4, bytesN(12)), innerSyn))[:18+20+6], 200, TruncatedTransport, nil},
		{"vxlan", pcapng.LinkTypeEthernet, outer(ProtoUDP, udp(51000, 4789, cat([]byte{8, 0, 0, 0, 0, 0, 42, 0}, eth(EtherTypeIPv4, tag(0x8100, 7)), innerSyn))), 0, OK,
			all(syn, tunnel(1, 18+20+8+8+18), layers(outerV4|LayerOuterUDP|LayerUDP|LayerTCP|LayerSYN))},
		{"vxlan carrying arp", pcapng.LinkTypeEthernet, outer(ProtoUDP, udp(51000, 4789, cat([]byte{8, 0, 0, 0, 0, 0, 42, 0}, eth(EtherTypeARP), bytesN(28)))), 0, OK,
			all(layers(outerV4|LayerOuterUDP|LayerUDP), func(t *testing.T, p *Packet) {
				eq(t, "TunnelDepth", p.TunnelDepth, 0)
				eq(t, "DstPort", p.DstPort, 4789)
				eq(t, "PayloadLen", p.PayloadLen, 8+14+28)
			})},
		{"vxlan port as the higher port is not vxlan", pcapng.LinkTypeEthernet, outer(ProtoUDP, udp(53, 4789, cat([]byte{8, 0, 0, 0, 0, 0, 42, 0}, eth(EtherTypeIPv4), innerSyn))), 0, OK,
			all(layers(outerV4|LayerOuterUDP|LayerUDP), func(t *testing.T, p *Packet) { eq(t, "TunnelDepth", p.TunnelDepth, 0) })},
		{"vxlan carrying a non-first fragment", pcapng.LinkTypeEthernet, outer(ProtoUDP, udp(51000, 4789, cat([]byte{8, 0, 0, 0, 0, 0, 42, 0}, eth(EtherTypeIPv4), ip4{proto: ProtoUDP, flags: 100}.build(bytesN(40))))), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "TunnelDepth", p.TunnelDepth, 1)
				eq(t, "HasL4", p.HasL4, false) // not the outer UDP header's
				eq(t, "SrcPort", p.SrcPort, 0)
				eq(t, "PayloadLen", p.PayloadLen, 40)
			}},
		{"vxlan inner cut", pcapng.LinkTypeEthernet, outer(ProtoUDP, udp(51000, 4789, cat([]byte{8, 0, 0, 0, 0, 0, 42, 0}, eth(EtherTypeIPv4), innerSyn)))[:18+20+8+8+10], 18 + 20 + 8 + 8 + 14 + 60, TruncatedTransport, nil},
		{"gre carrying an empty datagram", pcapng.LinkTypeEthernet, outer(ProtoGRE, cat(gre(0, EtherTypeIPv4, nil), ip4{proto: ProtoTCP}.build(nil))), 0, OK,
			func(t *testing.T, p *Packet) {
				eq(t, "TunnelDepth", p.TunnelDepth, 1)
				eq(t, "PayloadOff", p.PayloadOff, 18+20+4+20)
				eq(t, "PayloadLen", p.PayloadLen, 0) // not the GRE payload's length
			}},
		{"gre nested 6 deep", pcapng.LinkTypeRaw, nest(6, innerSyn), 0, OK,
			all(syn, layers(LayerIPv4|LayerOuterIPv4|LayerTCP|LayerSYN), func(t *testing.T, p *Packet) { eq(t, "TunnelDepth", p.TunnelDepth, 6) })},
		{"gre nested 9 deep stops at 8", pcapng.LinkTypeRaw,
			nest(9, innerSyn), 0, OK, func(t *testing.T, p *Packet) {
				eq(t, "TunnelDepth", p.TunnelDepth, 8)
				eq(t, "Proto", p.Proto, ProtoGRE)
				eq(t, "Layers&TCP", p.Layers&LayerTCP, 0)
			}},
	}
}

// nest wraps inner in n layers of IPv4+GRE.
func nest(n int, inner []byte) []byte {
	for i := 0; i < n; i++ {
		inner = ip4{proto: ProtoGRE}.build(cat(gre(0, EtherTypeIPv4, nil), inner))
	}
	return inner
}

func allCases() []decodeCase {
	return append(append(append(linkCases(), networkCases()...), transportCases()...), tunnelCases()...)
}

func TestDecode(t *testing.T) {
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			orig := c.origLen
			if orig == 0 {
				orig = len(c.data)
			}
			keep := bytes.Clone(c.data)
			var p Packet
			p.SrcPort = 1 // Decode must clear what a previous packet left
			p.Layers = LayerRST
			st := Decode(&p, c.link, c.data, uint32(orig))
			if st != c.status || p.Status != st {
				t.Fatalf("status = %v (Packet.Status %v), want %v", st, p.Status, c.status)
			}
			if c.check != nil {
				c.check(t, &p)
			}
			if !bytes.Equal(keep, c.data) {
				t.Error("Decode modified its input")
			}
			// Every prefix of the packet decodes without panicking, to a status no better
			// than the whole packet's cut at that point says.
			for n := 0; n < len(c.data); n++ {
				var q Packet
				Decode(&q, c.link, c.data[:n], uint32(orig))
				if q.PayloadOff > uint32(orig) || q.L4Off > uint32(orig) {
					t.Fatalf("prefix %d: offsets past the packet: %+v", n, q)
				}
			}
		})
	}
}

func TestDecodeFCS(t *testing.T) {
	frame := cat(eth(EtherTypeIPv4), ipTCP(tcpData), []byte{0xde, 0xad, 0xbe, 0xef})
	var p Packet
	if st := DecodeFCS(&p, pcapng.LinkTypeEthernet, frame, uint32(len(frame)), 4); st != OK {
		t.Fatalf("status %v", st)
	}
	eq(t, "PayloadLen", p.PayloadLen, 100)
	// An IP length that runs into the FCS is an overrun once the FCS is removed.
	bad := cat(eth(EtherTypeIPv4), ip4{proto: ProtoTCP, totalLen: 144}.build(tcpData), []byte{1, 2, 3, 4})
	eq(t, "overrun", DecodeFCS(&p, pcapng.LinkTypeEthernet, bad, uint32(len(bad)), 4), IPLengthOverrun)
	eq(t, "without FCS", Decode(&p, pcapng.LinkTypeEthernet, bad, uint32(len(bad))), OK)
	// A snaplen cut before the FCS leaves the captured bytes alone.
	eq(t, "cut", DecodeFCS(&p, pcapng.LinkTypeEthernet, frame[:60], uint32(len(frame)), 4), OK)
	eq(t, "cut PayloadLen", p.PayloadLen, 100)
}

func TestAddrZero(t *testing.T) {
	var p Packet
	Decode(&p, pcapng.LinkTypeEthernet, cat(eth(EtherTypeARP), bytesN(28)), 42)
	if p.SrcAddr().IsValid() || p.DstAddr().IsValid() {
		t.Errorf("non-IP packet has addresses %v %v", p.SrcAddr(), p.DstAddr())
	}
}

func TestStatusNames(t *testing.T) {
	seen := map[string]bool{}
	for s := Status(0); s < NumStatus; s++ {
		n := s.String()
		if n == "" || seen[n] {
			t.Errorf("status %d has name %q (empty or repeated)", s, n)
		}
		seen[n] = true
	}
	eq(t, "unknown", Status(200).String(), "status_200")
	eq(t, "OK malformed", OK.Malformed(), false)
	eq(t, "UnknownLink malformed", UnknownLink.Malformed(), false)
	eq(t, "TruncatedIP malformed", TruncatedIP.Malformed(), true)
}

func TestFlagLayers(t *testing.T) {
	eq(t, "SYN", flagLayers(TCPSyn), LayerSYN)
	eq(t, "RST", flagLayers(TCPRst), LayerRST)
	eq(t, "all", flagLayers(0x1ff), LayerSYN|LayerRST)
	eq(t, "none", flagLayers(TCPAck|TCPFin|TCPPsh), 0)
}
