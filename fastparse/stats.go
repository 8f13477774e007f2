package fastparse

import "strconv"

// Stats counts decoded packets the way the corpus oracle (tshark 4.0 with IP reassembly off,
// ../shared/corpus/README.md) counts its columns, so the two can be compared file by file.
// The zero value is ready to use; Add is cheap enough for the packet loop.
//
// Columns, as the README defines them:
//   - IPv4, IPv6, TCP, UDP: packets with such a header at any depth (tunnelled inner headers
//     and the packet quoted by an ICMP error count too).
//   - IPv4Outer, IPv6Outer: the first IP header is IPv4 / IPv6. TCPOuter, UDPOuter: the
//     transport right after it (IPv6 extension headers and AH skipped) is TCP / UDP, cut or
//     not; a non-first fragment has none.
//   - SYN, RST: packets with a TCP header (any depth) whose captured flags have SYN / RST set.
//   - VLANFrames, QinQFrames: at least 1 / 2 802.1Q or 802.1ad tags directly in the outer
//     link-layer header.
//   - IPv4Fragments: packets with an IPv4 header (any depth) with MF set or a non-zero offset.
//     IPv6Fragments: packets with an IPv6 fragment header. IPv6ExtHdrFrames: packets with any
//     IPv6 extension header other than AH.
//
// pcapdex's own columns:
//   - ICMP: packets whose outer transport is ICMP or ICMPv6.
//   - Other: packets that are not malformed and have no outer TCP, UDP or ICMP (ARP, GRE
//     with a non-IP payload, ESP, non-first fragments, unknown link types, ...).
//   - Malformed: packets whose Status is a malformation or a cut (Status.Malformed), with the
//     count per status in ByStatus (which counts every status, OK included).
type Stats struct {
	Packets                      uint64
	IPv4, IPv6, TCP, UDP         uint64
	IPv4Outer, IPv6Outer         uint64
	TCPOuter, UDPOuter           uint64
	SYN, RST                     uint64
	VLANFrames, QinQFrames       uint64
	IPv4Fragments, IPv6Fragments uint64
	IPv6ExtHdrFrames             uint64
	ICMP, Other, Malformed       uint64
	ByStatus                     [NumStatus]uint64
}

// Add counts one decoded packet.
func (s *Stats) Add(p *Packet) {
	s.Packets++
	l := p.Layers
	s.IPv4 += b2u(l&LayerIPv4 != 0)
	s.IPv6 += b2u(l&LayerIPv6 != 0)
	s.TCP += b2u(l&LayerTCP != 0)
	s.UDP += b2u(l&LayerUDP != 0)
	s.IPv4Outer += b2u(l&LayerOuterIPv4 != 0)
	s.IPv6Outer += b2u(l&LayerOuterIPv6 != 0)
	s.TCPOuter += b2u(l&LayerOuterTCP != 0)
	s.UDPOuter += b2u(l&LayerOuterUDP != 0)
	s.ICMP += b2u(l&LayerOuterICMP != 0)
	s.SYN += b2u(l&LayerSYN != 0)
	s.RST += b2u(l&LayerRST != 0)
	s.VLANFrames += b2u(p.VLANCount >= 1)
	s.QinQFrames += b2u(p.VLANCount >= 2)
	s.IPv4Fragments += b2u(l&LayerIPv4Frag != 0)
	s.IPv6Fragments += b2u(l&LayerIPv6Frag != 0)
	s.IPv6ExtHdrFrames += b2u(l&LayerIPv6Ext != 0)
	bad := p.Status.Malformed()
	s.Malformed += b2u(bad)
	s.Other += b2u(!bad && l&(LayerOuterTCP|LayerOuterUDP|LayerOuterICMP) == 0)
	if p.Status < NumStatus {
		s.ByStatus[p.Status]++
	}
}

// Merge adds the counts of o to s (for per-worker Stats).
func (s *Stats) Merge(o *Stats) {
	s.Packets += o.Packets
	s.IPv4 += o.IPv4
	s.IPv6 += o.IPv6
	s.TCP += o.TCP
	s.UDP += o.UDP
	s.IPv4Outer += o.IPv4Outer
	s.IPv6Outer += o.IPv6Outer
	s.TCPOuter += o.TCPOuter
	s.UDPOuter += o.UDPOuter
	s.SYN += o.SYN
	s.RST += o.RST
	s.VLANFrames += o.VLANFrames
	s.QinQFrames += o.QinQFrames
	s.IPv4Fragments += o.IPv4Fragments
	s.IPv6Fragments += o.IPv6Fragments
	s.IPv6ExtHdrFrames += o.IPv6ExtHdrFrames
	s.ICMP += o.ICMP
	s.Other += o.Other
	s.Malformed += o.Malformed
	for i := range s.ByStatus {
		s.ByStatus[i] += o.ByStatus[i]
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// AppendJSONFields appends the counts as comma-separated "key":value pairs, without braces,
// in a fixed order, for splicing into a JSON object:
//
//	"ipv4":..,"ipv6":..,"tcp":..,"udp":..,"ipv4_outer":..,"ipv6_outer":..,"tcp_outer":..,
//	"udp_outer":..,"syn":..,"rst":..,"vlan_frames":..,"qinq_frames":..,"ipv4_fragments":..,
//	"ipv6_fragments":..,"ipv6_ext_hdr_frames":..,"icmp":..,"other":..,"malformed":..,
//	"malformed_reasons":{"truncated_link":..,...}
//
// malformed_reasons lists every malformation status (Status.String names), zeros included,
// in Status order. Packets is not written: the reader reports the packet count.
func (s *Stats) AppendJSONFields(dst []byte) []byte {
	kv := func(dst []byte, k string, v uint64, comma bool) []byte {
		if comma {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		return strconv.AppendUint(dst, v, 10)
	}
	dst = kv(dst, "ipv4", s.IPv4, false)
	dst = kv(dst, "ipv6", s.IPv6, true)
	dst = kv(dst, "tcp", s.TCP, true)
	dst = kv(dst, "udp", s.UDP, true)
	dst = kv(dst, "ipv4_outer", s.IPv4Outer, true)
	dst = kv(dst, "ipv6_outer", s.IPv6Outer, true)
	dst = kv(dst, "tcp_outer", s.TCPOuter, true)
	dst = kv(dst, "udp_outer", s.UDPOuter, true)
	dst = kv(dst, "syn", s.SYN, true)
	dst = kv(dst, "rst", s.RST, true)
	dst = kv(dst, "vlan_frames", s.VLANFrames, true)
	dst = kv(dst, "qinq_frames", s.QinQFrames, true)
	dst = kv(dst, "ipv4_fragments", s.IPv4Fragments, true)
	dst = kv(dst, "ipv6_fragments", s.IPv6Fragments, true)
	dst = kv(dst, "ipv6_ext_hdr_frames", s.IPv6ExtHdrFrames, true)
	dst = kv(dst, "icmp", s.ICMP, true)
	dst = kv(dst, "other", s.Other, true)
	dst = kv(dst, "malformed", s.Malformed, true)
	dst = append(dst, `,"malformed_reasons":{`...)
	first := true
	for st := Status(0); st < NumStatus; st++ {
		if !st.Malformed() {
			continue
		}
		dst = kv(dst, st.String(), s.ByStatus[st], !first)
		first = false
	}
	return append(dst, '}')
}
