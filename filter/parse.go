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
	src  string
	toks []token
	i    int
	last qual
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
		n, err := p.primitive()
		if err != nil {
			return nil, 0, err
		}
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
	"src", "dst", "host", "net", "mask", "port", "portrange", "proto", "vlan", "state",
	"tcp", "udp", "icmp", "icmp6", "ip", "ip6", "syn", "fin", "rst",
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
	t := p.next()
	kw := keyword(t.text)
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
		return nil, p.errAt(t, "unknown primitive "+strconv.Quote(t.text))
	case "src", "dst", "host", "net", "port", "portrange":
		p.i--
		return p.qualified(nil)
	case "tcp", "udp", "icmp", "icmp6", "ip", "ip6":
		var n Node
		switch kw {
		case "ip":
			n = &IPVersion{V: 4}
		case "ip6":
			n = &IPVersion{V: 6}
		default:
			n = &Proto{N: protoByName(kw)}
		}
		p.last = qual{}
		switch keyword(p.peek().text) {
		case "src", "dst", "host", "net", "port", "portrange":
			if p.peek().kind == tWord {
				q, err := p.qualified(n)
				if err != nil {
					return nil, err
				}
				return &And{Terms: []Node{n, q}}, nil
			}
		case "proto":
			if p.peek().kind == tWord {
				q, err := p.primitive()
				if err != nil {
					return nil, err
				}
				return &And{Terms: []Node{n, q}}, nil
			}
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
		n, err := strconv.ParseUint(v.text, 10, 8)
		if err != nil {
			return nil, p.errAt(v, "expected a protocol number 0-255 or tcp, udp, icmp, icmp6 after \"proto\", got "+strconv.Quote(v.text))
		}
		return &Proto{N: uint8(n)}, nil
	case "vlan":
		p.last = qual{}
		v := p.peek()
		if v.kind == tWord && v.text != "" && v.text[0] >= '0' && v.text[0] <= '9' {
			p.next()
			id, err := strconv.ParseUint(v.text, 10, 16)
			if err != nil || id > 4095 {
				return nil, p.errAt(v, "expected a VLAN id 0-4095, got "+strconv.Quote(v.text))
			}
			return &VLAN{ID: int(id)}, nil
		}
		return &VLAN{ID: -1}, nil
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

// qualified parses [src|dst] (host|net|port|portrange) VALUE, or src|dst ADDR|PREFIX.
func (p *parser) qualified(proto Node) (Node, error) {
	q := qual{set: true, proto: proto}
	t := p.next()
	switch keyword(t.text) {
	case "src", "dst":
		q.dir = DirSrc
		if keyword(t.text) == "dst" {
			q.dir = DirDst
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
			return nil, p.errAt(v, "expected an IPv4 or IPv6 address, got "+strconv.Quote(v.text))
		}
		return &Host{Dir: q.dir, Addr: a.Unmap()}, nil
	case kNet:
		pfx, err := netip.ParsePrefix(v.text)
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
