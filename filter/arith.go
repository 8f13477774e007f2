package filter

import (
	"strconv"
	"strings"
)

// tcpdump's arithmetic: "tcp[13] & 2 != 0", "ip[2:2] - ((ip[0] & 0xf) << 2) > 40",
// "len >= 1000". Operators bind as in libpcap: | ^ loosest, then &, then << >>, then + -,
// then * / % tightest.

// loadProtos are the headers a load may index ("link" is "ether").
var loadProtos = []string{"ether", "link", "ip", "ip6", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp", "arp", "rarp"}

// namedConsts are libpcap's named offsets and values.
var namedConsts = map[string]uint32{
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
	"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
	"icmptype": 0, "icmpcode": 1, "icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4,
	"icmp-redirect": 5, "icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10,
	"icmp-timxceed": 11, "icmp-paramprob": 12, "icmp-tstamp": 13, "icmp-tstampreply": 14,
	"icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,
	"icmp6type": 0, "icmp6code": 1, "icmp6-destinationunreach": 1, "icmp6-packettoobig": 2,
	"icmp6-timeexceeded": 3, "icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129,
	"icmp6-multicastlistenerquery": 130, "icmp6-multicastlistenerreportv1": 131,
	"icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133, "icmp6-routeradvert": 134,
	"icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
}

func isLoadProto(w string) bool {
	for _, p := range loadProtos {
		if strings.EqualFold(w, p) {
			return true
		}
	}
	return false
}

// numWord reports whether w is a number or a named constant.
func numWord(w string) bool {
	if _, ok := namedConsts[strings.ToLower(w)]; ok {
		return true
	}
	_, err := parseUint(w, 32)
	return err == nil
}

// arithAhead reports whether the primitive at the parser's position is a relation: it starts
// with "len", a load ("tcp[") or a number or named constant followed by an operator.
func (p *parser) arithAhead() bool {
	t := p.peek()
	if t.kind != tWord {
		return false
	}
	var next token
	if p.i+1 < len(p.toks) {
		next = p.toks[p.i+1]
	}
	switch {
	case strings.EqualFold(t.text, "len"):
		return true
	case isLoadProto(t.text) && next.kind == tLBrack:
		return true
	case numWord(t.text):
		return next.kind == tArith || next.kind == tCmp || next.kind == tWord && (next.text == "-" || next.text == "/" || next.text == "%")
	}
	return false
}

// tryRel parses a relation that starts with "(" ("(tcp[12] & 0xf0) >> 2 > 20"), or restores
// the position and reports false when the parenthesis opens a group of primitives.
func (p *parser) tryRel() (Node, bool) {
	save := p.i
	n, err := p.rel()
	if err != nil {
		p.i = save
		return nil, false
	}
	return n, true
}

// rel parses "EXPR OP EXPR".
func (p *parser) rel() (Node, error) {
	p.last = qual{}
	l, err := p.arith(1, 0)
	if err != nil {
		return nil, err
	}
	o := p.peek()
	if o.kind != tCmp {
		return nil, p.errAt(o, "expected a comparison (== != < <= > >=) after "+strconv.Quote(ExprString(l)))
	}
	p.next()
	r, err := p.arith(1, 0)
	if err != nil {
		return nil, err
	}
	return &Rel{Op: o.op, L: l, R: r}, nil
}

// arith parses an expression whose binary operators bind at least as tightly as min.
func (p *parser) arith(min, depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.peek(), "expression nests too deeply")
	}
	l, err := p.atom(depth)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op := ""
		switch {
		case t.kind == tArith:
			op = t.text
		case t.kind == tWord && (t.text == "-" || t.text == "/" || t.text == "%"):
			op = t.text
		}
		if op == "" || binPrec(op) < min {
			return l, nil
		}
		p.next()
		r, err := p.arith(binPrec(op)+1, depth+1)
		if err != nil {
			return nil, err
		}
		if c, ok := r.(*Num); ok && c.V == 0 && (op == "/" || op == "%") {
			return nil, p.errAt(t, "division by zero")
		}
		l = &Bin{Op: op, L: l, R: r}
	}
}

func (p *parser) atom(depth int) (Expr, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		e, err := p.arith(1, depth+1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errAt(c, `expected ")" in the expression`)
		}
		return e, nil
	case tWord:
	default:
		return nil, p.errAt(t, "expected a number, len or a load like tcp[13]")
	}
	w := strings.ToLower(t.text)
	if w == "-" { // unary minus: 0 - x
		x, err := p.atom(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Bin{Op: "-", L: &Num{}, R: x}, nil
	}
	if w == "len" {
		return &Len{}, nil
	}
	if v, ok := namedConsts[w]; ok {
		return &Num{V: v}, nil
	}
	if isLoadProto(w) && p.peek().kind == tLBrack {
		p.next()
		off, err := p.arith(1, depth+1)
		if err != nil {
			return nil, err
		}
		size := uint8(1)
		if p.peek().kind == tColon {
			p.next()
			s := p.next()
			n, err := parseUint(s.text, 8)
			if s.kind != tWord || err != nil || n != 1 && n != 2 && n != 4 {
				return nil, p.errAt(s, "a load's size is 1, 2 or 4")
			}
			size = uint8(n)
		}
		if c := p.next(); c.kind != tRBrack {
			return nil, p.errAt(c, `expected "]" after the offset`)
		}
		if w == "link" {
			w = "ether"
		}
		return &Load{Proto: w, Off: off, Size: size}, nil
	}
	v, err := parseUint(t.text, 32)
	if err != nil {
		if isLoadProto(w) {
			return nil, p.errAt(t, "expected \"[\" after "+strconv.Quote(t.text)+" (a load like "+w+"[0])")
		}
		return nil, p.errAt(t, "expected a number, len or a load like tcp[13], got "+strconv.Quote(t.text))
	}
	return &Num{V: uint32(v)}, nil
}
