package filter

import (
	"net/netip"
	"strconv"
	"strings"
)

// Packet-level primitives beyond the address, port and protocol words: tcpdump's link-layer
// words and its arithmetic over packet bytes. They are evaluated on each packet's bytes, as
// libpcap's generated code would (see doc.go, "Packets and flows").

// Ether matches an Ethernet frame with MAC at the end(s) Dir selects (DirEither, DirSrc or
// DirDst): "ether host|src|dst MAC".
type Ether struct {
	Dir Dir
	MAC [6]byte
}

// EtherProto matches a frame whose link-layer protocol (EtherType, after the VLAN tags a
// vlan primitive before it stepped over) is Type: "ether proto N", "arp" (0x0806), "rarp"
// (0x8035).
type EtherProto struct{ Type uint16 }

// Cast matches link-layer broadcast or multicast frames ("broadcast", "ether multicast"),
// or IPv4/IPv6 multicast destinations ("ip multicast", "ip6 multicast").
type Cast struct {
	Multi bool  // multicast (else broadcast)
	Layer uint8 // 0: Ethernet, 4: IPv4, 6: IPv6
}

// Rel compares two arithmetic expressions over a packet's bytes, as unsigned 32-bit values:
// "tcp[13] & 2 != 0", "len > 100"; "greater N" is "len >= N" and "less N" is "len <= N".
type Rel struct {
	Op   Op
	L, R Expr
}

// Shift is X looked at past VLANs more VLAN tags than the frame's link header: libpcap moves
// the link-layer offsets 4 bytes on after each "vlan" primitive, for the rest of the filter
// as written ("vlan and tcp" looks for TCP inside the tag). It prints as X: the count follows
// from where X stands in the text.
type Shift struct {
	VLANs uint8
	X     Node
}

func (*Ether) node()      {}
func (*EtherProto) node() {}
func (*Cast) node()       {}
func (*Rel) node()        {}
func (*Shift) node()      {}

func (n *Ether) String() string      { return String(n) }
func (n *EtherProto) String() string { return String(n) }
func (n *Cast) String() string       { return String(n) }
func (n *Rel) String() string        { return String(n) }
func (n *Shift) String() string      { return String(n) }

func (n *Ether) appendTo(dst []byte) []byte {
	dst = append(dst, "ether "...)
	switch n.Dir {
	case DirSrc:
		dst = append(dst, "src "...)
	case DirDst:
		dst = append(dst, "dst "...)
	default:
		dst = append(dst, "host "...)
	}
	return appendMAC(dst, n.MAC)
}

func appendMAC(dst []byte, m [6]byte) []byte {
	const hex = "0123456789abcdef"
	for i, b := range m {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, hex[b>>4], hex[b&15])
	}
	return dst
}

func (n *EtherProto) appendTo(dst []byte) []byte {
	switch n.Type {
	case 0x0806:
		return append(dst, "arp"...)
	case 0x8035:
		return append(dst, "rarp"...)
	}
	dst = append(dst, "ether proto 0x"...)
	return strconv.AppendUint(dst, uint64(n.Type), 16)
}

func (n *Cast) appendTo(dst []byte) []byte {
	switch n.Layer {
	case 4:
		dst = append(dst, "ip "...)
	case 6:
		dst = append(dst, "ip6 "...)
	default:
		dst = append(dst, "ether "...)
	}
	if n.Multi {
		return append(dst, "multicast"...)
	}
	return append(dst, "broadcast"...)
}

func (n *Rel) appendTo(dst []byte) []byte {
	dst = appendExpr(dst, n.L, 0)
	dst = append(dst, ' ')
	dst = append(dst, n.Op.String()...)
	dst = append(dst, ' ')
	return appendExpr(dst, n.R, 0)
}

func (n *Shift) appendTo(dst []byte) []byte { return n.X.appendTo(dst) }

// Expr is an arithmetic expression of a Rel: a constant, the packet length, a load of packet
// bytes, or a binary operation. Values are unsigned 32-bit, wrapping as in BPF.
type Expr interface {
	appendExpr(dst []byte) []byte
	expr()
}

// Num is a constant (named constants such as tcp-syn or icmp-echo parse to their value).
type Num struct{ V uint32 }

// Len is the packet's length on the wire ("len").
type Len struct{}

// Load reads Size (1, 2 or 4) bytes, big-endian, at offset Off from the start of the header
// of Proto ("ether", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "arp"): "tcp[13]",
// "ip[6:2]". A packet without that header does not match the Rel; a load past the captured
// bytes rejects the packet, as in BPF.
type Load struct {
	Proto string
	Off   Expr
	Size  uint8
}

// Bin is L Op R with Op one of + - * / % & | ^ << >>.
type Bin struct {
	Op   string
	L, R Expr
}

func (*Num) expr()  {}
func (*Len) expr()  {}
func (*Load) expr() {}
func (*Bin) expr()  {}

func (n *Num) appendExpr(dst []byte) []byte { return strconv.AppendUint(dst, uint64(n.V), 10) }
func (*Len) appendExpr(dst []byte) []byte   { return append(dst, "len"...) }
func (n *Load) appendExpr(dst []byte) []byte {
	dst = append(dst, n.Proto...)
	dst = append(dst, '[')
	dst = appendExpr(dst, n.Off, 0)
	if n.Size != 1 {
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(n.Size), 10)
	}
	return append(dst, ']')
}
func (n *Bin) appendExpr(dst []byte) []byte {
	dst = appendExpr(dst, n.L, binPrec(n.Op))
	dst = append(dst, ' ')
	dst = append(dst, n.Op...)
	dst = append(dst, ' ')
	return appendExpr(dst, n.R, binPrec(n.Op)+1)
}

// appendExpr appends e, in parentheses when it is a Bin binding less tightly than min.
func appendExpr(dst []byte, e Expr, min int) []byte {
	if b, ok := e.(*Bin); ok && binPrec(b.Op) < min {
		dst = append(dst, '(')
		dst = b.appendExpr(dst)
		return append(dst, ')')
	}
	return e.appendExpr(dst)
}

// binPrec is libpcap's precedence of a binary operator (higher binds tighter).
func binPrec(op string) int {
	switch op {
	case "|", "^":
		return 1
	case "&":
		return 2
	case "<<", ">>":
		return 3
	case "+", "-":
		return 4
	case "*", "/", "%":
		return 5
	}
	return 0
}

// ExprString returns the text of e.
func ExprString(e Expr) string { return string(appendExpr(nil, e, 0)) }

// IsPacketLevel reports whether n looks at packets (tcpdump's words: host, port, tcp, vlan,
// byte offsets, ...) rather than only at flows (flow fields, state, syn/fin/rst, and the flow
// roles orig and resp).
func IsPacketLevel(n Node) bool {
	switch x := n.(type) {
	case *And:
		for _, t := range x.Terms {
			if IsPacketLevel(t) {
				return true
			}
		}
		return false
	case *Or:
		for _, t := range x.Terms {
			if IsPacketLevel(t) {
				return true
			}
		}
		return false
	case *Not:
		return IsPacketLevel(x.X)
	case *Host:
		return x.Dir <= DirDst
	case *Net:
		return x.Dir <= DirDst
	case *Port:
		return x.Dir <= DirDst
	case *State, *Flag, *Cmp:
		return false
	case nil:
		return false
	}
	return true
}

// IsWord reports whether w, one command-line argument, reads as part of a filter: a keyword,
// a flow field, an operator, a number, an address or a network. A command that takes capture
// paths before its filter uses it so that a filter word naming an existing file ("tcp", "80")
// is not taken for a capture once one was given.
func IsWord(w string) bool {
	lw := strings.ToLower(w)
	if keyword(w) != "" || lw == "and" || lw == "or" || lw == "not" || isLoadProto(w) || numWord(w) {
		return true
	}
	if _, ok := fieldByName(w); ok {
		return true
	}
	if _, ok := unsupported[lw]; ok {
		return true
	}
	if strings.ContainsAny(w, " \t()!&|=<>[]") {
		return true
	}
	if _, err := netip.ParseAddr(w); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(w)
	return err == nil
}
