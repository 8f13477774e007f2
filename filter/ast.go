package filter

import (
	"net/netip"
	"strconv"
)

// Node is one node of a parsed filter. The concrete types are the exported structs of this
// file; a filter is a tree of And, Or and Not over the leaf primitives. Nodes are values
// without hidden state: two filters that mean the same after parsing compare equal with
// reflect.DeepEqual, and String prints the canonical text, which parses back to the same tree.
type Node interface {
	// appendTo appends the canonical text of the node.
	appendTo(dst []byte) []byte
	node()
}

// String returns the canonical text of n ("" for nil).
func String(n Node) string {
	if n == nil {
		return ""
	}
	return string(n.appendTo(nil))
}

// Dir says which address a primitive looks at. DirEither, DirSrc and DirDst are tcpdump's:
// the source or destination of each packet. DirOrig and DirResp are Zeek's flow roles: the
// originator of a flow (the side that sent the first packet, or the SYN) and its responder.
type Dir uint8

const (
	DirEither Dir = iota // either end of the packet: "host X"
	DirSrc               // the packet's source: "src host X"
	DirDst               // the packet's destination: "dst host X"
	DirOrig              // the flow's originator: "orig host X"
	DirResp              // the flow's responder: "resp host X"
)

func (d Dir) appendTo(dst []byte) []byte {
	switch d {
	case DirSrc:
		return append(dst, "src "...)
	case DirDst:
		return append(dst, "dst "...)
	case DirOrig:
		return append(dst, "orig "...)
	case DirResp:
		return append(dst, "resp "...)
	}
	return dst
}

// And matches flows matched by every term. The parser keeps And nodes flat: no term is an And.
type And struct{ Terms []Node }

// Or matches flows matched by any term. The parser keeps Or nodes flat: no term is an Or.
type Or struct{ Terms []Node }

// NewAnd returns the And of terms, with the terms of any And among them spliced in, so that
// the result is flat as the parser makes it. It does not modify terms.
func NewAnd(terms ...Node) *And {
	n := &And{Terms: make([]Node, 0, len(terms))}
	for _, t := range terms {
		n.Terms = appendFlat(n.Terms, t, true)
	}
	return n
}

// NewOr returns the Or of terms, with the terms of any Or among them spliced in, so that the
// result is flat as the parser makes it. It does not modify terms.
func NewOr(terms ...Node) *Or {
	n := &Or{Terms: make([]Node, 0, len(terms))}
	for _, t := range terms {
		n.Terms = appendFlat(n.Terms, t, false)
	}
	return n
}

// appendFlat appends n, or n's terms when n is an And (and is true) or an Or (and is false),
// keeping trees flat.
func appendFlat(dst []Node, n Node, and bool) []Node {
	switch x := n.(type) {
	case *And:
		if and {
			return append(dst, x.Terms...)
		}
	case *Or:
		if !and {
			return append(dst, x.Terms...)
		}
	}
	return append(dst, n)
}

// Not matches flows that X does not match.
type Not struct{ X Node }

// Host matches a packet with Addr at the end(s) Dir selects (IPv4 hosts match ARP and RARP
// sender and target addresses too, as in tcpdump); with DirOrig or DirResp, a flow.
type Host struct {
	Dir  Dir
	Addr netip.Addr
}

// Net matches a packet (or with DirOrig/DirResp a flow) with an address inside Prefix at the
// end(s) Dir selects (Prefix is always masked: no host bits set).
type Net struct {
	Dir    Dir
	Prefix netip.Prefix
}

// Port matches a TCP, UDP or SCTP packet (or with DirOrig/DirResp a flow) whose port at the
// end(s) Dir selects lies in [Lo, Hi]. A single port
// has Lo == Hi and prints as "port N"; a range prints as "portrange Lo-Hi".
type Port struct {
	Dir    Dir
	Lo, Hi uint16
}

// Proto matches a packet whose transport protocol (IPv4 protocol, IPv6 next header or the
// one after a fragment header) is
// N: 6 prints as "tcp", 17 as "udp", 1 as "icmp", 58 as "icmp6", others as "proto N".
type Proto struct{ N uint8 }

// IPVersion matches IPv4 packets ("ip", V == 4) or IPv6 packets ("ip6", V == 6).
type IPVersion struct{ V uint8 }

// VLAN matches an 802.1Q/802.1ad frame whose tag (the next one after those earlier vlan
// primitives stepped over) carries ID, or any tagged frame when ID < 0.
type VLAN struct{ ID int }

// State matches a flow whose Zeek conn_state is Code (one of StateCodes).
type State struct{ Code string }

// Flag matches a TCP flow that saw at least one segment with the flag set.
type Flag struct{ F TCPFlag }

// Cmp compares a numeric flow column with a constant: "bytes > 1000000". A bare column name
// ("retransmissions") parses as Cmp{F, OpGt, 0}.
type Cmp struct {
	F     Field
	Op    Op
	Value uint64 // in the column's unit: bytes, packets, nanoseconds or a count
}

func (*And) node()       {}
func (*Or) node()        {}
func (*Not) node()       {}
func (*Host) node()      {}
func (*Net) node()       {}
func (*Port) node()      {}
func (*Proto) node()     {}
func (*IPVersion) node() {}
func (*VLAN) node()      {}
func (*State) node()     {}
func (*Flag) node()      {}
func (*Cmp) node()       {}

// Node kinds of packet.go: Ether, EtherProto, Cast, Rel, Shift.

func (n *And) String() string       { return String(n) }
func (n *Or) String() string        { return String(n) }
func (n *Not) String() string       { return String(n) }
func (n *Host) String() string      { return String(n) }
func (n *Net) String() string       { return String(n) }
func (n *Port) String() string      { return String(n) }
func (n *Proto) String() string     { return String(n) }
func (n *IPVersion) String() string { return String(n) }
func (n *VLAN) String() string      { return String(n) }
func (n *State) String() string     { return String(n) }
func (n *Flag) String() string      { return String(n) }
func (n *Cmp) String() string       { return String(n) }

// appendTerm appends a term of an And, Or or Not, in parentheses when it is itself an And or
// an Or, so that the text parses back to the same tree whatever the precedence rules.
func appendTerm(dst []byte, n Node) []byte {
	switch n.(type) {
	case *And, *Or:
		dst = append(dst, '(')
		dst = n.appendTo(dst)
		return append(dst, ')')
	}
	return n.appendTo(dst)
}

func appendJoined(dst []byte, terms []Node, sep string) []byte {
	for i, t := range terms {
		if i > 0 {
			dst = append(dst, sep...)
		}
		dst = appendTerm(dst, t)
	}
	return dst
}

func (n *And) appendTo(dst []byte) []byte { return appendJoined(dst, n.Terms, " and ") }
func (n *Or) appendTo(dst []byte) []byte  { return appendJoined(dst, n.Terms, " or ") }
func (n *Not) appendTo(dst []byte) []byte { return appendTerm(append(dst, "not "...), n.X) }

func (n *Host) appendTo(dst []byte) []byte {
	dst = append(n.Dir.appendTo(dst), "host "...)
	return n.Addr.AppendTo(dst)
}

func (n *Net) appendTo(dst []byte) []byte {
	dst = append(n.Dir.appendTo(dst), "net "...)
	return n.Prefix.AppendTo(dst)
}

func (n *Port) appendTo(dst []byte) []byte {
	dst = n.Dir.appendTo(dst)
	if n.Lo == n.Hi {
		dst = append(dst, "port "...)
		return strconv.AppendUint(dst, uint64(n.Lo), 10)
	}
	dst = append(dst, "portrange "...)
	dst = strconv.AppendUint(dst, uint64(n.Lo), 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, uint64(n.Hi), 10)
}

func (n *Proto) appendTo(dst []byte) []byte {
	if name := protoName(n.N); name != "" {
		return append(dst, name...)
	}
	dst = append(dst, "proto "...)
	return strconv.AppendUint(dst, uint64(n.N), 10)
}

func (n *IPVersion) appendTo(dst []byte) []byte {
	if n.V == 6 {
		return append(dst, "ip6"...)
	}
	return append(dst, "ip"...)
}

func (n *VLAN) appendTo(dst []byte) []byte {
	if n.ID < 0 {
		return append(dst, "vlan"...)
	}
	dst = append(dst, "vlan "...)
	return strconv.AppendInt(dst, int64(n.ID), 10)
}

func (n *State) appendTo(dst []byte) []byte {
	return append(append(dst, "state == "...), n.Code...)
}

func (n *Flag) appendTo(dst []byte) []byte { return append(dst, n.F.String()...) }

func (n *Cmp) appendTo(dst []byte) []byte {
	dst = append(dst, n.F.String()...)
	dst = append(dst, ' ')
	dst = append(dst, n.Op.String()...)
	dst = append(dst, ' ')
	if n.F.Unit() == UnitDuration {
		return appendExactDuration(dst, n.Value)
	}
	return strconv.AppendUint(dst, n.Value, 10)
}

// protoName is the keyword for the protocols that have one.
func protoName(p uint8) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "icmp6"
	case 132:
		return "sctp"
	case 2:
		return "igmp"
	}
	return ""
}

// Op is a comparison operator of a Cmp.
type Op uint8

const (
	OpEq Op = iota // ==
	OpNe           // !=
	OpLt           // <
	OpLe           // <=
	OpGt           // >
	OpGe           // >=
)

var opNames = [...]string{OpEq: "==", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">="}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "?"
}

// Holds reports whether "v o c" is true. It knows nothing of Missing: an evaluator checks
// for a missing value before it asks.
func (o Op) Holds(v, c uint64) bool {
	switch o {
	case OpEq:
		return v == c
	case OpNe:
		return v != c
	case OpLt:
		return v < c
	case OpLe:
		return v <= c
	case OpGt:
		return v > c
	case OpGe:
		return v >= c
	}
	return false
}

// TCPFlag names a TCP flag a flow may have seen.
type TCPFlag uint8

const (
	FlagFIN TCPFlag = 1 << 0
	FlagSYN TCPFlag = 1 << 1
	FlagRST TCPFlag = 1 << 2
)

func (f TCPFlag) String() string {
	switch f {
	case FlagFIN:
		return "fin"
	case FlagSYN:
		return "syn"
	case FlagRST:
		return "rst"
	}
	return "flag?"
}

// StateCodes are the Zeek conn_state codes a State node accepts.
var StateCodes = []string{"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"}

func validState(s string) bool {
	for _, c := range StateCodes {
		if c == s {
			return true
		}
	}
	return false
}
