package filter

import (
	"errors"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// validFilters maps a filter to its canonical form.
var validFilters = []struct{ in, want string }{
	{"", ""},
	{"   ", ""},
	{"host 10.0.0.5", "host 10.0.0.5"},
	{"HOST 10.0.0.5", "host 10.0.0.5"},
	{"src host 10.0.0.5", "src host 10.0.0.5"},
	{"dst host 2001:db8::1", "dst host 2001:db8::1"},
	{"host ::ffff:10.0.0.1", "host 10.0.0.1"},
	{"10.0.0.5", "host 10.0.0.5"},
	{"src 10.0.0.5", "src host 10.0.0.5"},
	{"dst 10.0.0.0/8", "dst net 10.0.0.0/8"},
	{"10.0.0.0/8", "net 10.0.0.0/8"},
	{"net 10.0.0.0/8", "net 10.0.0.0/8"},
	{"src net 2001:db8::/32", "src net 2001:db8::/32"},
	{"net 10.0.0.0 mask 255.0.0.0", "net 10.0.0.0/8"},
	{"net 0.0.0.0 mask 0.0.0.0", "net 0.0.0.0/0"},
	{"net ::ffff:10.0.0.0/104", "net 10.0.0.0/8"},
	{"port 80", "port 80"},
	{"port http", "port 80"},
	{"src port 53", "src port 53"},
	{"dst portrange 1024-2047", "dst portrange 1024-2047"},
	{"portrange 2047-1024", "portrange 1024-2047"},
	{"portrange 80-80", "port 80"},
	{"tcp", "tcp"},
	{"udp", "udp"},
	{"icmp", "icmp"},
	{"icmp6", "icmp6"},
	{"ip", "ip"},
	{"ip6", "ip6"},
	{"proto 6", "tcp"},
	{"proto tcp", "tcp"},
	{"proto 47", "proto 47"},
	{"ip proto 47", "ip and proto 47"},
	{"vlan", "vlan"},
	{"vlan 100", "vlan 100"},
	{"tcp port 80", "tcp and port 80"},
	{"tcp dst port 80", "tcp and dst port 80"},
	{"udp src 10.0.0.1", "udp and src host 10.0.0.1"},
	{"host 1.2.3.4 and port 80", "host 1.2.3.4 and port 80"},
	{"host 1.2.3.4 && port 80", "host 1.2.3.4 and port 80"},
	{"port 80 or 443", "port 80 or port 443"},
	{"port 80 || 443 || 8080", "port 80 or port 443 or port 8080"},
	{"src host 10.0.0.1 or 10.0.0.2", "src host 10.0.0.1 or src host 10.0.0.2"},
	{"tcp port 80 or 443", "(tcp and port 80) or (tcp and port 443)"},
	{"not host 10.0.0.1 and 10.0.0.2", "not host 10.0.0.1 and host 10.0.0.2"},
	{"port 80 or https", "port 80 or port 443"},
	{"not tcp", "not tcp"},
	{"!tcp", "not tcp"},
	{"! ! tcp", "not not tcp"},
	{"not (tcp or udp)", "not (tcp or udp)"},
	// tcpdump: and/or have equal precedence and group left to right.
	{"tcp or udp and port 53", "(tcp or udp) and port 53"},
	{"tcp and udp or port 53", "(tcp and udp) or port 53"},
	{"tcp or (udp and port 53)", "tcp or (udp and port 53)"},
	{"(tcp and port 80) and host 10.0.0.1", "tcp and port 80 and host 10.0.0.1"},
	{"((tcp))", "tcp"},
	{"bytes > 1MB", "bytes > 1000000"},
	{"bytes>1MiB", "bytes > 1048576"},
	{"bytes >= 1.5kb", "bytes >= 1500"},
	{"orig_bytes == 0", "orig_bytes == 0"},
	{"resp_bytes != 10", "resp_bytes != 10"},
	{"pkts >= 10", "pkts >= 10"},
	{"pkts < 3", "pkts < 3"},
	{"pkts = 3", "pkts == 3"},
	{"duration > 5s", "duration > 5s"},
	{"duration > 1.5s", "duration > 1500ms"},
	{"duration <= 90s", "duration <= 90s"},
	{"duration < 120m", "duration < 2h"},
	{"syn_rtt > 300ms", "syn_rtt > 300ms"},
	{"syn_rtt > 250us", "syn_rtt > 250us"},
	{"syn_rtt > 250µs", "syn_rtt > 250us"},
	{"syn_rtt >= 1ns", "syn_rtt >= 1ns"},
	{"syn_rtt > 0", "syn_rtt > 0"},
	{"retransmissions > 0", "retransmissions > 0"},
	{"retransmissions", "retransmissions > 0"},
	{"zero_windows", "zero_windows > 0"},
	{"out_of_order >= 2", "out_of_order >= 2"},
	{"dup_acks", "dup_acks > 0"},
	{"state == RSTO", "state == RSTO"},
	{"state RSTO", "state == RSTO"},
	{"state == sf", "state == SF"},
	{"state != S0", "not state == S0"},
	{"syn and not fin", "syn and not fin"},
	{"rst", "rst"},
	{"host 10.0.0.5 and tcp and (syn_rtt > 300ms or retransmissions)", "host 10.0.0.5 and tcp and (syn_rtt > 300ms or retransmissions > 0)"},
	{"vlan 10 and not vlan 20", "vlan 10 and not vlan 20"},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validFilters {
		t.Run(tc.in, func(t *testing.T) {
			n, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := String(n); got != tc.want {
				t.Fatalf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
			}
			n2, err := Parse(tc.want)
			if err != nil {
				t.Fatalf("reparse %q: %v", tc.want, err)
			}
			if !reflect.DeepEqual(n, n2) {
				t.Fatalf("reparse %q gives a different tree", tc.want)
			}
		})
	}
}

// invalidFilters lists bad filters with the byte offset and message of the error.
var invalidFilters = []struct {
	in  string
	pos int
	msg string
}{
	{"host 10.0.0.1 and port x", 23, `expected a port number after "port", got "x"`},
	{"host", 4, `expected an address after "host"`},
	{"host 10.0.0", 5, `expected an IPv4 or IPv6 address, got "10.0.0"`},
	{"host fe80::1%eth0", 5, `expected an IPv4 or IPv6 address, got "fe80::1%eth0"`},
	{"host tcp", 5, `expected an address after "host"`},
	{"port 65536", 5, `expected a port number after "port", got "65536"`},
	{"port nosuchservice", 5, `expected a port number after "port", got "nosuchservice"`},
	{"portrange 10", 10, `expected a port range like 1024-2047 after "portrange", got "10"`},
	{"portrange 10-", 10, `expected a port range like 1024-2047 after "portrange", got "10-"`},
	{"net 10.0.0.1/8", 4, `network "10.0.0.1/8" has host bits set (did you mean 10.0.0.0/8?)`},
	{"net 10.0.0.0 mask 255.0.255.0", 18, `expected a contiguous IPv4 mask like 255.255.0.0 after "mask"`},
	{"src", 3, `expected host, net, port, portrange or an address after "src"`},
	{"src tcp", 4, `expected host, net, port, portrange or an address after "src"`},
	{"proto", 5, `expected a protocol number or name after "proto"`},
	{"proto 256", 6, `expected a protocol number 0-255 or tcp, udp, sctp, icmp, icmp6, igmp after "proto", got "256"`},
	{"vlan 4096", 5, `expected a VLAN id 0-4095, got "4096"`},
	{"state == XX", 9, `expected a conn_state code (S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH) after "state"`},
	{"state > SF", 6, `state takes "==" or "!="`},
	{"bytes > ", 8, `expected a value after "bytes >"`},
	{"bytes > 1XB", 8, `bad value "1XB" for bytes: unknown size unit "XB" (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`},
	{"bytes > 1.5", 8, `bad value "1.5" for bytes: a fraction needs a unit`},
	{"bytes > 99999999999999999999", 8, `bad value "99999999999999999999" for bytes: value too large`},
	{"pkts > 1k", 7, `bad value "1k" for pkts: not a number`},
	{"duration > 5", 11, `bad value "5" for duration: a duration needs a unit (ns, us, ms, s, m, h)`},
	{"duration > 5d", 11, `bad value "5d" for duration: unknown duration unit "d" (use ns, us, ms, s, m, h)`},
	{"syn_rtt > 1.s", 10, `bad value "1.s" for syn_rtt: not a number`},
	{"tcp and", 7, `expected a primitive after "and"`},
	{"tcp or or udp", 7, `expected a primitive after "or"`},
	{"and tcp", 0, `unexpected "and"`},
	{"tcp udp", 4, `expected "and" or "or" before "udp"`},
	{"(tcp", 0, `unclosed "("`},
	{"tcp)", 3, `unbalanced ")"`},
	{"()", 1, `empty "()"`},
	{"(tcp udp)", 5, `expected "and", "or" or ")" before "udp"`},
	{"tcp & udp", 4, `unexpected "&": bit and arithmetic operators belong in a comparison ("tcp[13] & 2 != 0"); join primitives with "and" ("&&") or "or" ("||")`},
	{"tcp | udp", 4, `unexpected "|": bit and arithmetic operators belong in a comparison ("tcp[13] & 2 != 0"); join primitives with "and" ("&&") or "or" ("||")`},
	{"foo", 0, `unknown primitive "foo"`},
	{"not", 3, `unexpected end of filter`},
	{"mask", 0, `"mask" needs a primitive before it`},
	{"> 3", 0, `unexpected ">"`},
	{strings.Repeat("(", 300) + "tcp" + strings.Repeat(")", 300), 257, `filter nests too deeply`},
}

// alternating joins n+1 primitives with n operators that alternate "and", "or", "and", ...:
// each switch nests the tree one level deeper ("((a and b) or c) and d" in canonical form).
// It returns the filter and the offset of each operator.
func alternating(n int) (string, []int) {
	var b strings.Builder
	var ops []int
	b.WriteString("tcp")
	for i := range n {
		op := " and "
		if i%2 == 1 {
			op = " or "
		}
		ops = append(ops, b.Len()+1)
		b.WriteString(op)
		b.WriteString("port ")
		b.WriteString(strconv.Itoa(i))
	}
	return b.String(), ops
}

// TestNestingLimit checks the limit on nesting at its edge. Parse bounds the nesting of the
// filter text and also that of the canonical text of its tree, which can be deeper: a
// shorthand adds parentheses ("not tcp port 80" is "not (tcp and port 80)"), and so does each
// switch between "and" and "or". Below the limit the canonical text parses back; above it
// Parse fails, where it used to return a tree whose text it then rejected.
func TestNestingLimit(t *testing.T) {
	alt254, _ := alternating(255)
	alt255, _ := alternating(256)
	alt256, _ := alternating(257)
	alt257, ops := alternating(258)
	for _, ok := range []string{
		strings.Repeat("(", maxDepth) + "tcp port 80" + strings.Repeat(")", maxDepth),
		strings.Repeat("not ", maxDepth) + "tcp",
		strings.Repeat("not ", maxDepth-1) + "tcp port 80",
		strings.Repeat("! ", maxDepth-1) + "state != SF",
		alt256,
		"not (" + alt254 + ")", // "not" and the parentheses: 256
		"tcp or udp or (" + alt255 + ")",
		"(" + alt255 + ") or tcp",
	} {
		n, err := Parse(ok)
		if err != nil {
			t.Fatalf("Parse(%.40q...): %v", ok, err)
		}
		c := String(n)
		n2, err := Parse(c)
		if err != nil || !reflect.DeepEqual(n, n2) {
			t.Fatalf("canonical form of %.40q... does not parse back: %v", ok, err)
		}
	}
	for _, tc := range []struct {
		in  string
		pos int
	}{
		{strings.Repeat("not ", maxDepth) + "tcp port 80", 0},
		{strings.Repeat("! ", maxDepth) + "state != SF", 0},
		{strings.Repeat("not ", maxDepth+1) + "tcp", 4 * (maxDepth + 1)},
		{alt257, ops[len(ops)-1]},
		{"not (" + alt256 + ")", 0},
		{"tcp or udp or (" + alt256 + ")", 11}, // the Or grows in place
		{"tcp or (" + alt256 + ")", 4},
		{"(" + alt256 + ") or tcp", 1 + len(alt256) + 2},
	} {
		_, err := Parse(tc.in)
		var e *Error
		if !errors.As(err, &e) || e.Pos != tc.pos || e.Msg != "filter nests too deeply" {
			t.Errorf("Parse(%.40q...) = %v, want \"filter nests too deeply\" at %d", tc.in, err, tc.pos)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidFilters {
		t.Run(tc.in, func(t *testing.T) {
			n, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error", tc.in, String(n))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T, want *Error", tc.in, err)
			}
			if e.Pos != tc.pos || e.Msg != tc.msg {
				t.Fatalf("Parse(%q) error at %d %q, want at %d %q", tc.in, e.Pos, e.Msg, tc.pos, tc.msg)
			}
		})
	}
}

func TestErrorCaret(t *testing.T) {
	_, err := Parse("host 10.0.0.1 and port x")
	want := "filter: expected a port number after \"port\", got \"x\"\n" +
		"  host 10.0.0.1 and port x\n" +
		"                         ^"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	// The caret counts runes, not bytes, and control characters print as spaces.
	_, err = Parse("syn_rtt > 5µs\tand port é")
	want = "filter: expected a port number after \"port\", got \"é\"\n" +
		"  syn_rtt > 5µs and port é\n" +
		"                         ^"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range validFilters {
		f.Add(tc.in)
	}
	for _, tc := range invalidFilters {
		f.Add(tc.in)
	}
	for _, tc := range packetFilters {
		f.Add(tc.in)
	}
	f.Add("ip.addr == 10.0.0.1 && tcp.port in {80, 443} || !tcp.analysis.retransmission")
	alt, _ := alternating(258)
	f.Add(alt)
	f.Add(strings.Repeat("not ", maxDepth-1) + "tcp port 80 or 443")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T, want *Error", err)
			}
			if e.Pos < 0 || e.Pos > len(s) {
				t.Fatalf("error position %d outside [0,%d]", e.Pos, len(s))
			}
			_ = e.Error()
			return
		}
		c := String(n)
		n2, err := Parse(c)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", c, s, err)
		}
		if !reflect.DeepEqual(n, n2) {
			t.Fatalf("canonical %q of %q parses to a different tree %q", c, s, String(n2))
		}
		if c2 := String(n2); c2 != c {
			t.Fatalf("canonical form unstable: %q -> %q", c, c2)
		}
	})
}

// TestParseLongChains parses and/or chains of 100,000 terms. Parsing used to rebuild the
// And/Or node for every term, so a chain of n terms cost O(n²): 100,000 terms took minutes.
// There is no timing assertion; a quadratic parser makes this test take minutes again, a
// linear one takes a fraction of a second.
func TestParseLongChains(t *testing.T) {
	const n = 100_000
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	for _, op := range []string{" or ", " && "} {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(op)
			}
			b.WriteString("host ")
			b.WriteString(addr(i).String())
		}
		node, err := Parse(b.String())
		if err != nil {
			t.Fatalf("%q chain: %v", op, err)
		}
		var terms []Node
		switch x := node.(type) {
		case *Or:
			if op != " or " {
				t.Fatalf("%q chain parsed to an Or", op)
			}
			terms = x.Terms
		case *And:
			if op == " or " {
				t.Fatalf("%q chain parsed to an And", op)
			}
			terms = x.Terms
		default:
			t.Fatalf("%q chain parsed to %T", op, node)
		}
		if len(terms) != n {
			t.Fatalf("%q chain: %d terms, want %d", op, len(terms), n)
		}
		for i, term := range terms {
			h, ok := term.(*Host)
			if !ok || h.Dir != DirEither || h.Addr != addr(i) {
				t.Fatalf("%q chain: term %d is %v, want host %s", op, i, term, addr(i))
			}
		}
	}

	// Shorthands and alternation over a long filter: "port 1 or 2 or ... and tcp or udp",
	// which groups left to right as ((port 1 or ... or port N) and tcp) or udp.
	var b strings.Builder
	b.WriteString("port 1")
	for i := 2; i <= n; i++ {
		b.WriteString(" or ")
		b.WriteString(strconv.Itoa(i % 65536))
	}
	b.WriteString(" and tcp or udp")
	node, err := Parse(b.String())
	if err != nil {
		t.Fatal(err)
	}
	or, ok := node.(*Or)
	if !ok || len(or.Terms) != 2 || !reflect.DeepEqual(or.Terms[1], &Proto{N: 17}) {
		t.Fatalf("long shorthand filter: top node %T %v", node, shorten(String(node)))
	}
	and, ok := or.Terms[0].(*And)
	if !ok || len(and.Terms) != 2 || !reflect.DeepEqual(and.Terms[1], &Proto{N: 6}) {
		t.Fatalf("long shorthand filter: second node %v", shorten(String(or.Terms[0])))
	}
	ports, ok := and.Terms[0].(*Or)
	if !ok || len(ports.Terms) != n {
		t.Fatalf("long shorthand filter: port list %T", and.Terms[0])
	}
	for i, term := range ports.Terms {
		p := uint16((i + 1) % 65536)
		if !reflect.DeepEqual(term, &Port{Lo: p, Hi: p}) {
			t.Fatalf("port list term %d is %v, want port %d", i, term, p)
		}
	}
	// The canonical text parses back to the same tree (String is linear too).
	again, err := Parse(String(node))
	if err != nil || !reflect.DeepEqual(again, node) {
		t.Fatalf("reparse of the long canonical form: %v", err)
	}
}

func shorten(s string) string {
	if len(s) > 200 {
		return s[:100] + " ... " + s[len(s)-100:]
	}
	return s
}

// FuzzParseDisplay: the Wireshark display-filter entry point either parses or fails with an
// *Error whose position lies in the text, and a parsed tree prints without panicking.
func FuzzParseDisplay(f *testing.F) {
	for _, s := range []string{
		"ip.addr == 10.0.0.1 && tcp.port in {80, 443}", "tcp.stream == 3", "tcp.flags.syn == 1",
		"!tcp.analysis.retransmission", "frame.len > 1000 || udp", "eth.addr == ff:ff:ff:ff:ff:ff",
		"vlan.id == 10", "icmp", "ipv6.addr == 2001:db8::1", "tcp.port in {", "ip.src ==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseDisplay(s)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && (e.Pos < 0 || e.Pos > len(s)) {
				t.Fatalf("error position %d outside [0,%d]", e.Pos, len(s))
			}
			_ = err.Error()
			return
		}
		_ = String(n)
	})
}
