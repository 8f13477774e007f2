// Package fastparse decodes one packet's link, network and transport headers into a flat
// Packet that the caller owns, with no allocation, no interfaces and no pointers kept.
//
// Decode is the single entry point. It walks the link layer named by the capture's link type
// (Ethernet with any number of 802.1Q/802.1ad tags, MPLS, PPPoE, Linux cooked v1/v2, raw IP,
// BSD loopback, PPP), then IPv4 or IPv6 (IPv6 extension headers walked), then TCP, UDP,
// ICMP or ICMPv6. IP-in-IP, GRE (IP, Ethernet, PPP and Aruba 802.11 payloads) are followed
// to the innermost IP header; the headers quoted by ICMP errors are walked only to record
// which protocols they contain, as Wireshark does when it lists frame.protocols.
//
// The counting rules follow Wireshark 4.0 with IP reassembly off (see Stats), because the
// corpus oracle is tshark: a non-first fragment carries no transport header, payload lengths
// come from the IP length and not from the captured length, Ethernet padding is never
// payload, and a header the snaplen cut is reported as a status, not as an error.
//
// Where Wireshark's behaviour is the rule, tests pin it: TestCorpusColumns compares Stats
// with every file of the corpus manifest, and TestWiresharkAgrees runs every hand-built test
// packet through tshark (when installed) and compares the protocols it lists with Layers.
// Rules learnt that way: VLAN tags count even when cut; an IPv4 EtherType carrying a
// version-6 header is decoded as IPv6 ("ip:ipv6"), the reverse is not IP; an empty IPv4
// payload has no transport header, an empty IPv6 payload does; SYN and RST count only when
// the TCP header's data offset is valid and 16 bytes were captured; an ICMP error's quote
// shows TCP or UDP only if it holds the ports; an mPacket is decoded only if its CRC checks.
//
// Performance (bench/decodebench, same run, thread CPU time): about 10-16 ns per packet
// in cache, 4-5x less than gopacket's DecodingLayerParser and about 60x less than
// gopacket.NewPacket, with no allocation.
//
// The header views (IPv4, IPv6, TCP, UDP) are byte slices with one-line accessors at named
// offsets; they check nothing, so call them only on slices Decode (or your own code) has
// length-checked.
package fastparse
