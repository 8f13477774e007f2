package fastparse

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
	NumStatus                        // number of Status values; not a status
)

// Malformed reports whether s is a malformation (as opposed to OK or simply not IP).
func (s Status) Malformed() bool { return s > NotIP }

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
