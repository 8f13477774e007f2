package fastparse

import "strconv"

// Status says how far Decode got. Per-packet problems are values, not errors: the caller
// counts them by reason (see Counters) and moves on.
type Status uint8

const (
	OK                 Status = iota // every header up to the transport header decoded (or there was none to decode)
	NotIP                            // a well-formed link layer carrying something other than IP (ARP, LLDP, ...)
	UnknownLink                      // a link type Decode does not know
	TruncatedLink                    // captured bytes end inside the link-layer header
	TruncatedIP                      // captured bytes end inside the IP header (or its extension headers)
	BadIPVersion                     // IP version field disagrees with the link layer
	BadIPHeader                      // IPv4 IHL < 5, or an extension header length that runs past the packet
	BadIPLength                      // IP total length smaller than the header
	TruncatedTransport               // captured bytes end inside the TCP/UDP/ICMP header (snaplen cut)
	BadTCPHeader                     // TCP data offset < 5 or beyond the IP payload
	BadUDPLength                     // UDP length field smaller than 8 or larger than the IP payload
	BadICMPLength                    // ICMP/ICMPv6 message shorter than its 8-byte header (by the IP length)
	IPLengthOverrun                  // IP length runs past the frame on the wire (not a snaplen cut); the transport was decoded within the frame
	NumStatus                        // number of Status values; not a status
)

// Malformed reports whether s is a malformation or a cut (as opposed to OK, not IP, or a link
// type Decode does not know, which says nothing about the packet).
func (s Status) Malformed() bool { return s > UnknownLink }

var statusNames = [NumStatus]string{
	OK:                 "ok",
	NotIP:              "not_ip",
	UnknownLink:        "unknown_link",
	TruncatedLink:      "truncated_link",
	TruncatedIP:        "truncated_ip",
	BadIPVersion:       "bad_ip_version",
	BadIPHeader:        "bad_ip_header",
	BadIPLength:        "bad_ip_length",
	TruncatedTransport: "truncated_transport",
	BadTCPHeader:       "bad_tcp_header",
	BadUDPLength:       "bad_udp_length",
	BadICMPLength:      "bad_icmp_length",
	IPLengthOverrun:    "ip_length_overrun",
}

// String returns the status's snake_case name, as used in JSON keys.
func (s Status) String() string {
	if s < NumStatus {
		return statusNames[s]
	}
	return "status_" + strconv.Itoa(int(s))
}

// FragInfo flags for IPv4 and IPv6 fragments.
type FragInfo uint8

const (
	FragMore     FragInfo = 1 << iota // MF flag / M flag set
	FragDontFrag                      // IPv4 DF set
	FragNonFirst                      // fragment offset > 0: no transport header in this packet
	FragIPv6                          // the fragment information came from an IPv6 fragment header
)

// IsFragment reports whether the packet is a fragment (MF set or offset > 0).
func (f FragInfo) IsFragment() bool { return f&(FragMore|FragNonFirst) != 0 }

// TCPOptFlags says which TCP options were present.
type TCPOptFlags uint8

const (
	OptMSS TCPOptFlags = 1 << iota
	OptWScale
	OptSACKPermitted
	OptSACK
	OptTimestamps
	OptBad // an option length ran past the header; options after it were ignored
)

// TCP flag bits in Packet.TCPFlags.
const (
	TCPFin uint16 = 1 << iota
	TCPSyn
	TCPRst
	TCPPsh
	TCPAck
	TCPUrg
	TCPEce
	TCPCwr
	TCPNs
)

// Layers records which headers Decode saw anywhere in a packet: in the outer stack, inside
// tunnels, and inside the packet an ICMP error quotes. It mirrors the protocol list Wireshark
// builds (frame.protocols), so Stats can count "at any depth" and "outer" as the corpus
// oracle does.
type Layers uint16

const (
	LayerIPv4      Layers = 1 << iota // an IPv4 header at any depth
	LayerIPv6                         // an IPv6 header at any depth
	LayerTCP                          // a TCP header (possibly cut) at any depth
	LayerUDP                          // a UDP header (possibly cut) at any depth
	LayerICMP                         // an ICMP or ICMPv6 header at any depth
	LayerIPv4Frag                     // an IPv4 header with MF set or a non-zero offset
	LayerIPv6Frag                     // an IPv6 fragment header
	LayerIPv6Ext                      // an IPv6 extension header other than AH (hop-by-hop, routing, fragment, destination options)
	LayerSYN                          // a TCP header whose captured flags have SYN set
	LayerRST                          // a TCP header whose captured flags have RST set
	LayerOuterIPv4                    // the first IP header is IPv4
	LayerOuterIPv6                    // the first IP header is IPv6
	LayerOuterTCP                     // TCP follows the first IP header (extension headers and AH skipped)
	LayerOuterUDP                     // UDP follows the first IP header
	LayerOuterICMP                    // ICMP or ICMPv6 follows the first IP header
)
