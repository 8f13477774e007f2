package filter

import (
	"net/netip"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of parentheses and "not", in the filter and in the canonical
// text of the tree it parses to (see nesting), so that no input exhausts the stack and every
// tree Parse returns prints as text that Parse accepts.
const maxDepth = 256

// Parse parses a filter (the language is described in doc.go). An empty or all-space filter
// returns (nil, nil), which matches every flow. Errors are *Error.
func Parse(filter string) (Node, error) {
	if looksDisplay(filter) {
		return ParseDisplay(filter)
	}
	toks, lerr := lex(filter)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{src: filter, toks: toks}
	if p.peek().kind == tEOF {
		return nil, nil
	}
	n, _, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, p.errAt(t, `unbalanced ")"`)
		}
		if t.kind == tArith {
			return nil, p.errAt(t, "unexpected "+strconv.Quote(t.text)+": bit and arithmetic operators belong in a comparison (\"tcp[13] & 2 != 0\"); join primitives with \"and\" (\"&&\") or \"or\" (\"||\")")
		}
		return nil, p.errAt(t, "expected \"and\" or \"or\" before "+strconv.Quote(t.text))
	}
	return n, nil
}

// MustParse is Parse for filters known to be valid (tests, constants); it panics on error.
func MustParse(filter string) Node {
	n, err := Parse(filter)
	if err != nil {
		panic(err)
	}
	return n
}

type primKind uint8

const (
	kHost primKind = iota + 1
	kNet
	kPort
	kPortRange
)

// qual is the qualifier of the last primitive that took a value; tcpdump lets a bare value
// repeat it: "port 80 or 443" is "port 80 or port 443".
type qual struct {
	set   bool
	proto Node // *Proto or *IPVersion written before the primitive ("tcp port 80"), or nil
	dir   Dir
	kind  primKind
}

type parser struct {
	src   string
	toks  []token
	i     int
	last  qual
	vlans uint8 // vlan primitives met so far: later packet primitives look past that many tags
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, msg string) *Error {
	return &Error{Filter: p.src, Pos: t.pos, Msg: msg}
}

// expr parses terms joined by and/or. As in tcpdump, "and" and "or" have the same precedence
// and group left to right: "a or b and c" is "(a or b) and c". It returns the node and its
// nesting (see nesting).
func (p *parser) expr(depth int) (Node, int, error) {
	left, nest, err := p.unary(depth)
	if err != nil {
		return nil, 0, err
	}
	for {
		op := p.peek()
		if op.kind != tAnd && op.kind != tOr {
			return left, nest, nil
		}
		p.next()
		if t := p.peek(); t.kind == tEOF || t.kind == tRParen || t.kind == tAnd || t.kind == tOr {
			return nil, 0, p.errAt(t, "expected a primitive after "+strconv.Quote(op.text))
		}
		right, rnest, err := p.unary(depth)
		if err != nil {
			return nil, 0, err
		}
		// Extend the junction in place when the operator repeats: rebuilding it for every
		// term made a chain of n terms cost O(n²). The left node is the parser's own (no
		// other node holds it), so growing its Terms is safe.
		and := op.kind == tAnd
		switch x := left.(type) {
		case *And:
			if and {
				x.Terms = appendFlat(x.Terms, right, true)
				break
			}
			nest = termNesting(left, nest, op.kind)
			left = NewOr(left, right)
		case *Or:
			if !and {
				x.Terms = appendFlat(x.Terms, right, false)
				break
			}
			nest = termNesting(left, nest, op.kind)
			left = NewAnd(left, right)
		default:
			if and {
				left = NewAnd(left, right)
			} else {
				left = NewOr(left, right)
			}
		}
		if nest = max(nest, termNesting(right, rnest, op.kind)); nest > maxDepth {
			return nil, 0, p.errAt(op, "filter nests too deeply")
		}
	}
}

// unary parses a primitive, a "not" or a group in parentheses, and returns the node and its
// nesting.
func (p *parser) unary(depth int) (Node, int, error) {
	if depth > maxDepth {
		return nil, 0, p.errAt(p.peek(), "filter nests too deeply")
	}
	t := p.peek()
	switch t.kind {
	case tNot:
		p.next()
		x, nest, err := p.unary(depth + 1)
		if err != nil {
			return nil, 0, err
		}
		if nest = 1 + termNesting(x, nest, tNot); nest > maxDepth {
			return nil, 0, p.errAt(t, "filter nests too deeply")
		}
		return &Not{X: x}, nest, nil
	case tLParen:
		if n, ok := p.tryRel(); ok {
			return p.shifted(n, p.vlans), 0, nil
		}
		p.next()
		if p.peek().kind == tRParen {
			return nil, 0, p.errAt(p.peek(), `empty "()"`)
		}
		x, nest, err := p.expr(depth + 1)
		if err != nil {
			return nil, 0, err
		}
		if c := p.peek(); c.kind != tRParen {
			if c.kind == tEOF {
				return nil, 0, p.errAt(t, `unclosed "("`)
			}
			return nil, 0, p.errAt(c, "expected \"and\", \"or\" or \")\" before "+strconv.Quote(c.text))
		}
		p.next()
		return x, nest, nil
	case tWord:
		vlans := p.vlans
		n, err := p.primitive()
		if err != nil {
			return nil, 0, err
		}
		n = p.shifted(n, vlans)
		return n, nesting(n), nil // a primitive's node is small: "tcp port 80", "state != SF"
	case tEOF:
		return nil, 0, p.errAt(t, "unexpected end of filter")
	}
	return nil, 0, p.errAt(t, "unexpected "+strconv.Quote(t.text))
}

// nesting is how deeply String(n) nests: the most "not"s and parentheses around a primitive
// of it. Parsing that text goes as deep, so Parse keeps the nesting of what it returns at
// most maxDepth, else a tree could print as text that does not parse back. The nesting of
// the text a tree was parsed from may differ: "((tcp))" is "tcp", and "a and b or c" groups
// as "(a and b) or c" and "tcp port 80 or 443" as "(tcp and port 80) or (tcp and port 443)".
func nesting(n Node) int {
	switch x := n.(type) {
	case *Not:
		return 1 + termNesting(x.X, nesting(x.X), tNot)
	case *And:
		return junctionNesting(x.Terms, tAnd)
	case *Or:
		return junctionNesting(x.Terms, tOr)
	}
	return 0
}

func junctionNesting(terms []Node, op tokKind) int {
	nest := 0
	for _, t := range terms {
		nest = max(nest, termNesting(t, nesting(t), op))
	}
	return nest
}

// termNesting is the nesting of n (whose own nesting is nest) as a term of a node of kind
// parent (tAnd, tOr or tNot): an And or Or prints in parentheses (one level deeper), except
// that the parser splices an And into an And and an Or into an Or.
func termNesting(n Node, nest int, parent tokKind) int {
	switch n.(type) {
	case *And:
		if parent != tAnd {
			return nest + 1
		}
	case *Or:
		if parent != tOr {
			return nest + 1
		}
	}
	return nest
}

// keyword returns the lower-case keyword w is, or "" when w is not one.
func keyword(w string) string {
	for _, k := range keywords {
		if strings.EqualFold(w, k) {
			return k
		}
	}
	return ""
}

var keywords = []string{
	"src", "dst", "orig", "resp", "host", "net", "mask", "port", "portrange", "proto", "vlan", "state",
	"tcp", "udp", "icmp", "icmp6", "sctp", "igmp", "ip", "ip6", "syn", "fin", "rst",
	"ether", "arp", "rarp", "broadcast", "multicast", "greater", "less", "len",
}

// isDirWord reports whether kw is a direction or flow role qualifier.
func isDirWord(kw string) bool { return kw == "src" || kw == "dst" || kw == "orig" || kw == "resp" }

// shifted wraps the packet-level leaves of n in Shift when vlans tags come before them.
func (p *parser) shifted(n Node, vlans uint8) Node {
	if vlans == 0 {
		return n
	}
	switch x := n.(type) {
	case *And:
		out := &And{Terms: make([]Node, len(x.Terms))}
		for i, t := range x.Terms {
			out.Terms[i] = p.shifted(t, vlans)
		}
		return out
	case *Or:
		out := &Or{Terms: make([]Node, len(x.Terms))}
		for i, t := range x.Terms {
			out.Terms[i] = p.shifted(t, vlans)
		}
		return out
	case *Not:
		return &Not{X: p.shifted(x.X, vlans)}
	case *Shift:
		return x
	}
	if !IsPacketLevel(n) {
		return n
	}
	return &Shift{VLANs: vlans, X: n}
}

func fieldByName(w string) (Field, bool) {
	for f := Field(0); f < FieldTCPFlags; f++ {
		if strings.EqualFold(w, fieldInfo[f].name) {
			return f, true
		}
	}
	return 0, false
}

func (p *parser) primitive() (Node, error) {
	t := p.peek()
	if p.arithAhead() {
		return p.rel()
	}
	p.next()
	kw := keyword(t.text)
	if lw := strings.ToLower(t.text); lw == "tcp_stream" || lw == "udp_stream" {
		// Wireshark's tcp.stream / udp.stream numbers, in the tcpdump dialect.
		p.last = qual{}
		o := p.next()
		v := p.next()
		n, err := parseUint(v.text, 32)
		if o.kind != tCmp || v.kind != tWord || err != nil {
			return nil, p.errAt(o, "expected "+lw+" == N (a stream number)")
		}
		return &DField{Name: lw[:3] + ".stream", Op: o.op, Vals: []DValue{{Kind: DNum, Lo: n, Hi: n}}}, nil
	}
	if f, ok := fieldByName(t.text); ok {
		p.last = qual{}
		return p.comparison(t, f)
	}
	switch kw {
	case "":
		if p.last.set {
			return p.value(t, p.last)
		}
		if a, err := netip.ParseAddr(t.text); err == nil && a.Zone() == "" {
			p.last = qual{set: true, kind: kHost}
			return &Host{Addr: a.Unmap()}, nil
		}
		if _, err := netip.ParsePrefix(t.text); err == nil {
			p.last = qual{set: true, kind: kNet}
			return p.value(t, p.last)
		}
		if hint, ok := unsupported[strings.ToLower(t.text)]; ok {
			return nil, p.errAt(t, strconv.Quote(t.text)+" is not supported: "+hint)
		}
		return nil, p.errAt(t, "unknown primitive "+strconv.Quote(t.text))
	case "src", "dst", "orig", "resp", "host", "net", "port", "portrange":
		p.i--
		return p.qualified(nil)
	case "tcp", "udp", "icmp", "icmp6", "sctp", "igmp", "ip", "ip6", "arp", "rarp":
		var n Node
		switch kw {
		case "ip":
			n = &IPVersion{V: 4}
		case "ip6":
			n = &IPVersion{V: 6}
		case "arp":
			n = &EtherProto{Type: 0x0806}
		case "rarp":
			n = &EtherProto{Type: 0x8035}
		default:
			n = &Proto{N: protoByName(kw)}
		}
		p.last = qual{}
		nx := p.peek()
		if nx.kind != tWord {
			return n, nil
		}
		switch nk := keyword(nx.text); {
		case nk == "multicast" && (kw == "ip" || kw == "ip6"):
			p.next()
			return &Cast{Multi: true, Layer: n.(*IPVersion).V}, nil
		case nk == "broadcast" && kw == "ip":
			return nil, p.errAt(nx, `"ip broadcast" needs the capture's netmask, which a file does not hold: use "ip dst host 255.255.255.255" or "ether broadcast"`)
		case nk == "src" || nk == "dst" || nk == "host" || nk == "net" || nk == "port" || nk == "portrange" || nk == "orig" || nk == "resp":
			if (kw == "arp" || kw == "rarp") && (nk == "port" || nk == "portrange") {
				return nil, p.errAt(nx, kw+" has no ports")
			}
			q, err := p.qualified(n)
			if err != nil {
				return nil, err
			}
			return &And{Terms: []Node{n, q}}, nil
		case nk == "proto":
			q, err := p.primitive()
			if err != nil {
				return nil, err
			}
			return &And{Terms: []Node{n, q}}, nil
		case strings.EqualFold(nx.text, "protochain"):
			return nil, p.errAt(nx, `"protochain" is not supported: use "`+kw+` proto N"`)
		}
		return n, nil
	case "proto":
		p.last = qual{}
		v := p.next()
		if v.kind != tWord {
			return nil, p.errAt(v, `expected a protocol number or name after "proto"`)
		}
		if n := protoByName(keyword(v.text)); n != 0 {
			return &Proto{N: n}, nil
		}
		n, err := parseUint(v.text, 8)
		if err != nil {
			return nil, p.errAt(v, "expected a protocol number 0-255 or tcp, udp, sctp, icmp, icmp6, igmp after \"proto\", got "+strconv.Quote(v.text))
		}
		return &Proto{N: uint8(n)}, nil
	case "vlan":
		p.last = qual{}
		v := p.peek()
		var n Node = &VLAN{ID: -1}
		if v.kind == tWord && v.text != "" && v.text[0] >= '0' && v.text[0] <= '9' {
			p.next()
			id, err := parseUint(v.text, 16)
			if err != nil || id > 4095 {
				return nil, p.errAt(v, "expected a VLAN id 0-4095, got "+strconv.Quote(v.text))
			}
			n = &VLAN{ID: int(id)}
		}
		if p.vlans == 255 {
			return nil, p.errAt(t, "too many vlan primitives")
		}
		p.vlans++
		return n, nil
	case "ether":
		return p.ether(t)
	case "broadcast":
		p.last = qual{}
		return &Cast{}, nil
	case "multicast":
		p.last = qual{}
		return &Cast{Multi: true}, nil
	case "greater", "less":
		p.last = qual{}
		v := p.next()
		n, err := parseUint(v.text, 32)
		if v.kind != tWord || err != nil {
			return nil, p.errAt(v, "expected a length after "+strconv.Quote(t.text))
		}
		op := OpGe
		if kw == "less" {
			op = OpLe
		}
		return &Rel{Op: op, L: &Len{}, R: &Num{V: uint32(n)}}, nil
	case "state":
		p.last = qual{}
		neg := false
		if o := p.peek(); o.kind == tCmp {
			if o.op != OpEq && o.op != OpNe {
				return nil, p.errAt(o, `state takes "==" or "!="`)
			}
			neg = o.op == OpNe
			p.next()
		}
		v := p.next()
		code := strings.ToUpper(v.text)
		if v.kind != tWord || !validState(code) {
			return nil, p.errAt(v, "expected a conn_state code ("+strings.Join(StateCodes, " ")+") after \"state\"")
		}
		var n Node = &State{Code: code}
		if neg {
			n = &Not{X: n}
		}
		return n, nil
	case "syn":
		p.last = qual{}
		return &Flag{F: FlagSYN}, nil
	case "fin":
		p.last = qual{}
		return &Flag{F: FlagFIN}, nil
	case "rst":
		p.last = qual{}
		return &Flag{F: FlagRST}, nil
	}
	return nil, p.errAt(t, strconv.Quote(t.text)+" needs a primitive before it")
}

// ether parses the rest of "ether host|src|dst MAC", "ether proto N", "ether broadcast" and
// "ether multicast".
func (p *parser) ether(t token) (Node, error) {
	p.last = qual{}
	k := p.next()
	switch keyword(k.text) {
	case "broadcast":
		return &Cast{}, nil
	case "multicast":
		return &Cast{Multi: true}, nil
	case "proto":
		v := p.next()
		switch keyword(v.text) {
		case "ip":
			return &IPVersion{V: 4}, nil
		case "ip6":
			return &IPVersion{V: 6}, nil
		case "arp":
			return &EtherProto{Type: 0x0806}, nil
		case "rarp":
			return &EtherProto{Type: 0x8035}, nil
		}
		n, err := parseUint(v.text, 16)
		if v.kind != tWord || err != nil {
			return nil, p.errAt(v, "expected an EtherType (0x88cc, or ip, ip6, arp, rarp) after \"ether proto\"")
		}
		if n <= 1500 {
			return nil, p.errAt(v, "EtherType "+v.text+" is an 802.3 length: LLC protocols are not supported (give a value above 1500)")
		}
		switch n {
		case 0x0800:
			return &IPVersion{V: 4}, nil
		case 0x86dd:
			return &IPVersion{V: 6}, nil
		}
		return &EtherProto{Type: uint16(n)}, nil
	case "host", "src", "dst":
		d := DirEither
		switch keyword(k.text) {
		case "src":
			d = DirSrc
		case "dst":
			d = DirDst
		}
		if d != DirEither && keyword(p.peek().text) == "host" && p.peek().kind == tWord {
			p.next()
		}
		v := p.next()
		mac, ok := parseMAC(v.text)
		if v.kind != tWord || !ok {
			return nil, p.errAt(v, "expected a MAC address like 00:11:22:33:44:55 after "+strconv.Quote("ether "+k.text))
		}
		return &Ether{Dir: d, MAC: mac}, nil
	}
	return nil, p.errAt(k, `expected host, src, dst, proto, broadcast or multicast after "ether"`)
}

// parseMAC reads 6 hex bytes separated by ":", "-" or "." (also 3 groups of 4: 0011.2233.4455).
func parseMAC(s string) ([6]byte, bool) {
	var m [6]byte
	var digits []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':' || c == '-' || c == '.':
			if len(digits)%2 == 1 { // "0:1:2:3:4:5": one digit is a byte
				digits = append(digits[:len(digits)-1], '0', digits[len(digits)-1])
			}
			continue
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			digits = append(digits, c)
		default:
			return m, false
		}
	}
	if len(digits)%2 == 1 {
		digits = append(digits[:len(digits)-1], '0', digits[len(digits)-1])
	}
	if len(digits) != 12 {
		return m, false
	}
	for i := range m {
		v, err := strconv.ParseUint(string(digits[2*i:2*i+2]), 16, 8)
		if err != nil {
			return m, false
		}
		m[i] = byte(v)
	}
	return m, true
}

// parseUint reads a decimal, 0x hexadecimal or 0-prefixed octal number, as libpcap does.
func parseUint(s string, bits int) (uint64, error) {
	return strconv.ParseUint(s, 0, bits)
}

// unsupported are tcpdump words pcapdex does not evaluate, with the closest supported form.
var unsupported = map[string]string{
	"gateway":    `it needs host names resolved to MAC addresses; use "ether host MAC and not host ADDR"`,
	"mpls":       `use "ether proto 0x8847"`,
	"pppoes":     `use "ether proto 0x8864"`,
	"pppoed":     `use "ether proto 0x8863"`,
	"geneve":     `use "udp port 6081"`,
	"vxlan":      `use "udp port 4789"`,
	"inbound":    `a capture file does not record the direction; use "src net CIDR" or "dst net CIDR"`,
	"outbound":   `a capture file does not record the direction; use "src net CIDR" or "dst net CIDR"`,
	"ifname":     `use one capture file per interface`,
	"on":         `use one capture file per interface`,
	"protochain": `use "ip6 proto N" or "proto N"`,
	"decnet":     `use "ether proto 0x6003"`,
	"atalk":      `use "ether proto 0x809b"`,
	"ipx":        `LLC protocols are not supported; use "ether proto N" for an EtherType`,
	"iso":        `LLC protocols are not supported; use "ether proto N" for an EtherType`,
	"stp":        `LLC protocols are not supported; use "ether dst 01:80:c2:00:00:00"`,
	"llc":        `LLC protocols are not supported; use "ether proto N" for an EtherType`,
	"netbeui":    `LLC protocols are not supported; use "ether proto N" for an EtherType`,
	"lat":        `use "ether proto 0x6004"`,
	"wlan":       `802.11 headers are not decoded; use "ether host MAC" on Ethernet captures`,
	"type":       `802.11 headers are not decoded`,
	"subtype":    `802.11 headers are not decoded`,
	"dir":        `802.11 headers are not decoded`,
	"ah":         `use "proto 51"`,
	"esp":        `use "proto 50"`,
	"pim":        `use "proto 103"`,
	"vrrp":       `use "proto 112"`,
	"carp":       `use "proto 112"`,
	"igrp":       `use "proto 9"`,
	"fddi":       `use "ether host MAC"`,
	"tr":         `use "ether host MAC"`,
}

// qualified parses [src|dst|src or dst|orig|resp] (host|net|port|portrange) VALUE, or
// src|dst|orig|resp ADDR|PREFIX.
func (p *parser) qualified(proto Node) (Node, error) {
	q := qual{set: true, proto: proto}
	t := p.next()
	if kw := keyword(t.text); isDirWord(kw) {
		q.dir = map[string]Dir{"src": DirSrc, "dst": DirDst, "orig": DirOrig, "resp": DirResp}[kw]
		// tcpdump's "src or dst host X" is "host X".
		if kw == "src" && p.peek().kind == tOr && p.i+1 < len(p.toks) && keyword(p.toks[p.i+1].text) == "dst" {
			p.next()
			t = p.next()
			q.dir = DirEither
		}
		k := p.peek()
		switch keyword(k.text) {
		case "host", "net", "port", "portrange":
			if k.kind == tWord {
				t = p.next()
				break
			}
			fallthrough
		default:
			if k.kind != tWord || keyword(k.text) != "" {
				return nil, p.errAt(k, "expected host, net, port, portrange or an address after "+strconv.Quote(t.text))
			}
			// "src 10.0.0.1" / "src 10.0.0.0/8": host or net by the value's form.
			q.kind = kHost
			if strings.Contains(k.text, "/") {
				q.kind = kNet
			}
			p.next()
			p.last = q
			return p.valueNoProto(k, q)
		}
	}
	switch keyword(t.text) {
	case "host":
		q.kind = kHost
	case "net":
		q.kind = kNet
	case "port":
		q.kind = kPort
	case "portrange":
		q.kind = kPortRange
	}
	v := p.next()
	if v.kind != tWord || keyword(v.text) != "" {
		return nil, p.errAt(v, "expected "+kindWant(q.kind)+" after "+strconv.Quote(t.text))
	}
	p.last = q
	return p.valueNoProto(v, q)
}

// classful reads tcpdump's short IPv4 networks: "10" is 10.0.0.0/8, "192.168" 192.168.0.0/16,
// "10.1.2" 10.1.2.0/24, a whole address a /32; with "/N" ("172.16/12") the length given.
func classful(s string) (netip.Prefix, bool) {
	a, bitsStr, hasLen := strings.Cut(s, "/")
	parts := strings.Split(a, ".")
	if len(parts) > 4 || a == "" {
		return netip.Prefix{}, false
	}
	var b [4]byte
	for i, x := range parts {
		v, err := strconv.ParseUint(x, 10, 8)
		if err != nil || x == "" {
			return netip.Prefix{}, false
		}
		b[i] = byte(v)
	}
	bits := 8 * len(parts)
	if hasLen {
		n, err := strconv.ParseUint(bitsStr, 10, 8)
		if err != nil || n > 32 {
			return netip.Prefix{}, false
		}
		bits = int(n)
	}
	return netip.PrefixFrom(netip.AddrFrom4(b), bits), true
}

func kindWant(k primKind) string {
	switch k {
	case kHost:
		return "an address"
	case kNet:
		return "a network (10.0.0.0/8)"
	case kPort:
		return "a port number"
	}
	return "a port range (1024-2047)"
}

// value builds the primitive q names with value token v, including q's protocol.
func (p *parser) value(v token, q qual) (Node, error) {
	n, err := p.valueNoProto(v, q)
	if err != nil || q.proto == nil {
		return n, err
	}
	return &And{Terms: []Node{q.proto, n}}, nil
}

func (p *parser) valueNoProto(v token, q qual) (Node, error) {
	switch q.kind {
	case kHost:
		a, err := netip.ParseAddr(v.text)
		if err != nil || a.Zone() != "" {
			if _, ok := parseMAC(v.text); ok && strings.ContainsAny(v.text, ":-") && !strings.Contains(v.text, "::") && len(v.text) == 17 {
				return nil, p.errAt(v, "a MAC address needs \"ether host\": ether host "+v.text)
			}
			msg := "expected an IPv4 or IPv6 address, got " + strconv.Quote(v.text)
			if strings.Trim(v.text, "0123456789.:") != "" && !strings.Contains(v.text, ":") {
				msg += " (host names are not resolved)"
			}
			return nil, p.errAt(v, msg)
		}
		return &Host{Dir: q.dir, Addr: a.Unmap()}, nil
	case kNet:
		pfx, err := netip.ParsePrefix(v.text)
		if err != nil && keyword(p.peek().text) != "mask" {
			if c, ok := classful(v.text); ok {
				pfx, err = c, nil
			}
		}
		if err != nil {
			a, aerr := netip.ParseAddr(v.text)
			if aerr != nil || a.Zone() != "" || !a.Is4() || keyword(p.peek().text) != "mask" || p.peek().kind != tWord {
				return nil, p.errAt(v, "expected a network like 10.0.0.0/8 or 2001:db8::/32, got "+strconv.Quote(v.text))
			}
			p.next()
			mt := p.next()
			m, merr := netip.ParseAddr(mt.text)
			bitsN, ok := maskBits(m)
			if mt.kind != tWord || merr != nil || !m.Is4() || !ok {
				return nil, p.errAt(mt, "expected a contiguous IPv4 mask like 255.255.0.0 after \"mask\"")
			}
			pfx = netip.PrefixFrom(a, bitsN)
		}
		if pfx.Addr().Zone() != "" {
			return nil, p.errAt(v, "a network has no zone: "+strconv.Quote(v.text))
		}
		if pfx.Addr().Is4In6() {
			if pfx.Bits() < 96 {
				return nil, p.errAt(v, "an IPv4-mapped network needs at least 96 bits: "+strconv.Quote(v.text))
			}
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		if m := pfx.Masked(); m != pfx {
			return nil, p.errAt(v, "network "+strconv.Quote(v.text)+" has host bits set (did you mean "+m.String()+"?)")
		}
		return &Net{Dir: q.dir, Prefix: pfx}, nil
	case kPort:
		n, ok := parsePort(v.text)
		if !ok {
			return nil, p.errAt(v, "expected a port number after \"port\", got "+strconv.Quote(v.text))
		}
		return &Port{Dir: q.dir, Lo: n, Hi: n}, nil
	case kPortRange:
		a, b, found := strings.Cut(v.text, "-")
		lo, ok1 := parsePort(a)
		hi, ok2 := parsePort(b)
		if !found || !ok1 || !ok2 {
			return nil, p.errAt(v, "expected a port range like 1024-2047 after \"portrange\", got "+strconv.Quote(v.text))
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		return &Port{Dir: q.dir, Lo: lo, Hi: hi}, nil
	}
	return nil, p.errAt(v, "internal: no qualifier")
}

func maskBits(m netip.Addr) (int, bool) {
	if !m.Is4() {
		return 0, false
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	return n, v == 0
}

// portNames are the service names a port may be given by (a fixed table, not /etc/services,
// so that a filter means the same on every machine).
var portNames = map[string]uint16{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "dns": 53,
	"http": 80, "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161, "bgp": 179, "ldap": 389,
	"https": 443, "smtps": 465, "submission": 587, "imaps": 993, "pop3s": 995, "mysql": 3306,
	"rdp": 3389, "postgresql": 5432, "http-alt": 8080,
}

func parsePort(s string) (uint16, bool) {
	if s == "" {
		return 0, false
	}
	if s[0] >= '0' && s[0] <= '9' {
		n, err := strconv.ParseUint(s, 10, 16)
		return uint16(n), err == nil
	}
	n, ok := portNames[strings.ToLower(s)]
	return n, ok
}

func protoByName(kw string) uint8 {
	switch kw {
	case "tcp":
		return 6
	case "udp":
		return 17
	case "icmp":
		return 1
	case "icmp6":
		return 58
	case "sctp":
		return 132
	case "igmp":
		return 2
	}
	return 0
}

// comparison parses the rest of "FIELD OP VALUE", or a bare FIELD meaning FIELD > 0.
func (p *parser) comparison(name token, f Field) (Node, error) {
	o := p.peek()
	if o.kind != tCmp {
		return &Cmp{F: f, Op: OpGt, Value: 0}, nil
	}
	p.next()
	v := p.next()
	if v.kind != tWord {
		return nil, p.errAt(v, "expected a value after "+strconv.Quote(name.text+" "+o.text))
	}
	var (
		val uint64
		err error
	)
	switch f.Unit() {
	case UnitBytes:
		val, err = ParseSize(v.text)
	case UnitDuration:
		val, err = ParseDuration(v.text)
	default:
		val, err = ParseCount(v.text)
	}
	if err == nil && val == Missing {
		err = errOverflow
	}
	if err != nil {
		return nil, p.errAt(v, "bad value "+strconv.Quote(v.text)+" for "+f.String()+": "+err.Error())
	}
	return &Cmp{F: f, Op: o.op, Value: val}, nil
}
