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
// The header views (IPv4, IPv6, TCP, UDP) are byte slices with one-line accessors at named
// offsets; they check nothing, so call them only on slices Decode (or your own code) has
// length-checked.
package fastparse
