package filter

import (
	"net/netip"
	"strconv"
	"strings"
)

// Wireshark display filters: "ip.addr == 10.0.0.1 && tcp.port in {80 443}". Parse reads one
// when the filter names a Wireshark field (a dotted name such as tcp.port, or ipv6, icmpv6);
// the fields pcapdex knows are DisplayFields. Operators: == != < <= > >= (also eq ne lt le gt
// ge), in {A B C..D}, && and, || or, ! not, parentheses; "and" binds tighter than "or", as in
// Wireshark. A bare field is true when the packet has it (tcp.analysis.retransmission).

// DField is a display-filter test of one field of a packet.
type DField struct {
	Name string   // the field, lower-case, as Wireshark names it
	Op   Op       // the comparison (OpEq for "in")
	Vals []DValue // nil: the field is present; several: "in {...}"
}

// DValue is a value a field is compared with.
type DValue struct {
	Kind   DKind
	Lo, Hi uint64       // DNum: Lo (Hi == Lo, or the end of a range a..b); DTime: ns since the epoch
	Prefix netip.Prefix // DAddr (a host is a full-length prefix)
	MAC    [6]byte      // DMAC
}

// DKind is the type of a display field's values.
type DKind uint8

const (
	DNum   DKind = iota + 1 // unsigned integers (booleans are 0 and 1)
	DAddr                   // IPv4 or IPv6 addresses, compared as prefixes
	DMAC                    // Ethernet addresses
	DTime                   // absolute times, seconds since the epoch with a fraction (frame.time_epoch)
	DProto                  // a protocol: only presence
)

// DisplayFields are the Wireshark fields pcapdex evaluates, with their kinds.
var DisplayFields = map[string]DKind{
	"frame": DProto, "frame.number": DNum, "frame.len": DNum, "frame.cap_len": DNum, "frame.time_epoch": DTime,
	"eth": DProto, "eth.addr": DMAC, "eth.src": DMAC, "eth.dst": DMAC, "eth.type": DNum,
	"vlan": DProto, "vlan.id": DNum,
	"ip": DProto, "ip.addr": DAddr, "ip.src": DAddr, "ip.dst": DAddr, "ip.ttl": DNum, "ip.id": DNum, "ip.proto": DNum, "ip.len": DNum,
	"ipv6": DProto, "ipv6.addr": DAddr, "ipv6.src": DAddr, "ipv6.dst": DAddr, "ipv6.nxt": DNum, "ipv6.hlim": DNum,
	"arp": DProto, "icmp": DProto, "icmp.type": DNum, "icmp.code": DNum, "icmpv6": DProto, "icmpv6.type": DNum,
	"tcp": DProto, "tcp.port": DNum, "tcp.srcport": DNum, "tcp.dstport": DNum, "tcp.stream": DNum, "tcp.len": DNum,
	"tcp.seq": DNum, "tcp.seq_raw": DNum, "tcp.ack": DNum, "tcp.ack_raw": DNum, "tcp.nxtseq": DNum,
	"tcp.window_size": DNum, "tcp.window_size_value": DNum, "tcp.hdr_len": DNum, "tcp.flags": DNum,
	"tcp.flags.fin": DNum, "tcp.flags.syn": DNum, "tcp.flags.reset": DNum, "tcp.flags.push": DNum,
	"tcp.flags.ack": DNum, "tcp.flags.urg": DNum, "tcp.flags.ece": DNum, "tcp.flags.cwr": DNum,
	"tcp.options.mss_val": DNum, "tcp.options.wscale.shift": DNum,
	"tcp.analysis.flags": DProto, "tcp.analysis.retransmission": DProto, "tcp.analysis.fast_retransmission": DProto,
	"tcp.analysis.spurious_retransmission": DProto, "tcp.analysis.out_of_order": DProto,
	"tcp.analysis.duplicate_ack": DProto, "tcp.analysis.zero_window": DProto, "tcp.analysis.zero_window_probe": DProto,
	"tcp.analysis.zero_window_probe_ack": DProto, "tcp.analysis.window_full": DProto, "tcp.analysis.window_update": DProto,
	"tcp.analysis.lost_segment": DProto, "tcp.analysis.ack_lost_segment": DProto, "tcp.analysis.keep_alive": DProto,
	"tcp.analysis.keep_alive_ack": DProto, "tcp.analysis.reused_ports": DProto,
	"udp": DProto, "udp.port": DNum, "udp.srcport": DNum, "udp.dstport": DNum, "udp.length": DNum, "udp.stream": DNum,
}

func (*DField) node()            {}
func (n *DField) String() string { return String(n) }

func (n *DField) appendTo(dst []byte) []byte {
	switch {
	case (n.Name == "tcp.stream" || n.Name == "udp.stream") && len(n.Vals) == 1 && n.Vals[0].Lo == n.Vals[0].Hi:
		// Printed as the word both dialects read, so that a tcpdump filter holding one
		// ("host 10.0.0.1 and tcp_stream == 3") prints as text that parses back. The
		// tcpdump dialect reads only "tcp_stream OP N": a bare presence test or a set keeps
		// the dotted name.
		dst = append(dst, n.Name[:3]...)
		dst = append(dst, "_stream"...)
	default:
		dst = append(dst, n.Name...)
	}
	switch {
	case n.Vals == nil:
		return dst
	case len(n.Vals) > 1 || n.Vals[0].Kind == DNum && n.Vals[0].Hi != n.Vals[0].Lo:
		dst = append(dst, " in {"...)
		for i, v := range n.Vals {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = v.appendTo(dst)
		}
		return append(dst, '}')
	}
	dst = append(dst, ' ')
	dst = append(dst, n.Op.String()...)
	dst = append(dst, ' ')
	return n.Vals[0].appendTo(dst)
}

func (v DValue) appendTo(dst []byte) []byte {
	switch v.Kind {
	case DAddr:
		if v.Prefix.IsSingleIP() {
			return v.Prefix.Addr().AppendTo(dst)
		}
		return v.Prefix.AppendTo(dst)
	case DMAC:
		return appendMAC(dst, v.MAC)
	case DTime:
		dst = strconv.AppendUint(dst, v.Lo/1e9, 10)
		dst = append(dst, '.')
		s := strconv.FormatUint(v.Lo%1e9+1e9, 10)
		return append(dst, s[1:]...)
	}
	dst = strconv.AppendUint(dst, v.Lo, 10)
	if v.Hi != v.Lo {
		dst = append(dst, ".."...)
		dst = strconv.AppendUint(dst, v.Hi, 10)
	}
	return dst
}

// displayProtos are the first parts of the dotted names that mark a display filter.
var displayProtos = []string{"frame", "eth", "vlan", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6", "arp"}

// looksDisplay reports whether s reads as a Wireshark display filter.
func looksDisplay(s string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '(' || r == ')' || r == '!' || r == '=' || r == '<' || r == '>' || r == '&' || r == '|' || r == '{' || r == '}'
	}) {
		lw := strings.ToLower(w)
		if lw == "ipv6" || lw == "icmpv6" {
			return true
		}
		p, rest, ok := strings.Cut(lw, ".")
		if !ok || rest == "" || rest[0] < 'a' || rest[0] > 'z' {
			continue
		}
		for _, d := range displayProtos {
			if p == d {
				return true
			}
		}
	}
	return false
}

type dparser struct {
	src  string
	toks []dtok
	i    int
}

type dtok struct {
	text string
	pos  int
}

func dlex(s string) []dtok {
	var out []dtok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '{' || c == '}' || c == ',':
			out = append(out, dtok{s[i : i+1], i})
			i++
		case c == '&' || c == '|' || c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(s) && (s[j] == '=' || (c == '&' || c == '|') && s[j] == c) {
				j++
			}
			out = append(out, dtok{s[i:j], i})
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r(){},&|=!<>", rune(s[j])) {
				j++
			}
			out = append(out, dtok{s[i:j], i})
			i = j
		}
	}
	return append(out, dtok{"", len(s)})
}

// ParseDisplay parses a Wireshark display filter (see DisplayFields). Errors are *Error.
func ParseDisplay(s string) (Node, error) {
	p := &dparser{src: s, toks: dlex(s)}
	if p.peek().text == "" {
		return nil, nil
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.text != "" {
		return nil, p.err(t, "expected \"&&\" or \"||\" before "+strconv.Quote(t.text))
	}
	return n, nil
}

func (p *dparser) peek() dtok { return p.toks[p.i] }
func (p *dparser) next() dtok {
	t := p.toks[p.i]
	if t.text != "" {
		p.i++
	}
	return t
}
func (p *dparser) err(t dtok, msg string) *Error { return &Error{Filter: p.src, Pos: t.pos, Msg: msg} }

func (p *dparser) or(depth int) (Node, error) {
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for w := strings.ToLower(p.peek().text); w == "||" || w == "or"; w = strings.ToLower(p.peek().text) {
		p.next()
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = NewOr(l, r)
	}
	return l, nil
}

func (p *dparser) and(depth int) (Node, error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for w := strings.ToLower(p.peek().text); w == "&&" || w == "and"; w = strings.ToLower(p.peek().text) {
		p.next()
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l = NewAnd(l, r)
	}
	return l, nil
}

func (p *dparser) unary(depth int) (Node, error) {
	if depth > maxDepth {
		return nil, p.err(p.peek(), "filter nests too deeply")
	}
	t := p.next()
	switch strings.ToLower(t.text) {
	case "!", "not":
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case "(":
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.text != ")" {
			return nil, p.err(c, `expected ")"`)
		}
		return x, nil
	case "":
		return nil, p.err(t, "unexpected end of filter")
	}
	name := strings.ToLower(t.text)
	if name == "tcp_stream" || name == "udp_stream" {
		name = name[:3] + ".stream"
	}
	kind, ok := DisplayFields[name]
	if !ok {
		return nil, p.err(t, "unknown or unsupported Wireshark field "+strconv.Quote(t.text)+" (pcapdex knows: see 'pcapdex help fields')")
	}
	f := &DField{Name: name}
	o := p.peek()
	op, isOp := map[string]Op{"==": OpEq, "eq": OpEq, "!=": OpNe, "ne": OpNe, "<": OpLt, "lt": OpLt, "<=": OpLe, "le": OpLe, ">": OpGt, "gt": OpGt, ">=": OpGe, "ge": OpGe}[strings.ToLower(o.text)]
	switch {
	case isOp:
		p.next()
		if kind == DProto {
			return nil, p.err(o, name+" is a protocol or flag: test its presence with the bare name")
		}
		v, err := p.value(kind)
		if err != nil {
			return nil, err
		}
		f.Op, f.Vals = op, []DValue{v}
	case strings.EqualFold(o.text, "in"):
		p.next()
		if kind == DProto {
			return nil, p.err(o, name+" is a protocol or flag: test its presence with the bare name")
		}
		if b := p.next(); b.text != "{" {
			return nil, p.err(b, `expected "{" after "in"`)
		}
		for p.peek().text != "}" {
			if p.peek().text == "," {
				p.next()
				continue
			}
			if p.peek().text == "" {
				return nil, p.err(p.peek(), `expected "}"`)
			}
			v, err := p.value(kind)
			if err != nil {
				return nil, err
			}
			f.Vals = append(f.Vals, v)
		}
		p.next()
		if len(f.Vals) == 0 {
			return nil, p.err(o, "an empty set")
		}
		f.Op = OpEq
	}
	return f, nil
}

func (p *dparser) value(kind DKind) (DValue, error) {
	t := p.next()
	s := t.text
	switch kind {
	case DAddr:
		if pfx, err := netip.ParsePrefix(s); err == nil && pfx.Addr().Zone() == "" {
			return DValue{Kind: DAddr, Prefix: pfx.Masked()}, nil
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			return DValue{Kind: DAddr, Prefix: netip.PrefixFrom(a, a.BitLen())}, nil
		}
		return DValue{}, p.err(t, "expected an address or a network, got "+strconv.Quote(s))
	case DMAC:
		if m, ok := parseMAC(s); ok {
			return DValue{Kind: DMAC, MAC: m}, nil
		}
		return DValue{}, p.err(t, "expected a MAC address, got "+strconv.Quote(s))
	case DTime:
		sec, frac, _ := strings.Cut(s, ".")
		n, err := strconv.ParseUint(sec, 10, 34)
		if err == nil && len(frac) <= 9 && strings.Trim(frac, "0123456789") == "" {
			f, _ := strconv.ParseUint((frac + "000000000")[:9], 10, 64)
			return DValue{Kind: DTime, Lo: n*1e9 + f, Hi: n*1e9 + f}, nil
		}
		return DValue{}, p.err(t, "expected epoch seconds like 1367526033.510810, got "+strconv.Quote(s))
	}
	switch strings.ToLower(s) {
	case "true":
		return DValue{Kind: DNum, Lo: 1, Hi: 1}, nil
	case "false":
		return DValue{Kind: DNum}, nil
	}
	a, b, isRange := strings.Cut(s, "..")
	lo, err := strconv.ParseUint(a, 0, 64)
	hi := lo
	if err == nil && isRange {
		hi, err = strconv.ParseUint(b, 0, 64)
	}
	if err != nil || hi < lo {
		return DValue{}, p.err(t, "expected a number, got "+strconv.Quote(s))
	}
	return DValue{Kind: DNum, Lo: lo, Hi: hi}, nil
}
