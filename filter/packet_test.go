package filter

import (
	"reflect"
	"testing"
)

// tcpdump's forms and the canonical text each parses to.
var packetFilters = []struct{ in, want string }{
	{"tcp[tcpflags] & tcp-syn != 0", "tcp[13] & 2 != 0"},
	{"tcp[13] & 2 != 0", "tcp[13] & 2 != 0"},
	{"ip[6:2] & 0x1fff != 0", "ip[6:2] & 8191 != 0"},
	{"greater 1000", "len >= 1000"},
	{"less 100", "len <= 100"},
	{"ether host 00:11:22:33:44:55", "ether host 00:11:22:33:44:55"},
	{"ether src 0:1:2:3:4:5", "ether src 00:01:02:03:04:05"},
	{"ether dst host ff:ff:ff:ff:ff:ff", "ether dst ff:ff:ff:ff:ff:ff"},
	{"ether proto 0x88cc", "ether proto 0x88cc"},
	{"ether proto \\arp", "arp"},
	{"ether proto \\ip", "ip"},
	{"broadcast", "ether broadcast"},
	{"multicast", "ether multicast"},
	{"not arp", "not arp"},
	{"net 10", "net 10.0.0.0/8"},
	{"net 192.168", "net 192.168.0.0/16"},
	{"net 172.16/12", "net 172.16.0.0/12"},
	{"net 10.0.0.1", "net 10.0.0.1/32"},
	{"ip proto \\udp", "ip and udp"},
	{"icmp[icmptype] == icmp-echo", "icmp[0] == 8"},
	{"vlan and tcp", "vlan and tcp"},
	{"tcp port 80 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)", "tcp and port 80 and ip[2:2] - ((ip[0] & 15) << 2) - ((tcp[12] & 240) >> 2) != 0"},
	{"(tcp[12] & 0xf0) >> 2 > 20", "(tcp[12] & 240) >> 2 > 20"},
	{"orig host 10.0.0.1 and resp port 443", "orig host 10.0.0.1 and resp port 443"},
	{"orig 10.0.0.0/8", "orig net 10.0.0.0/8"},
	{"src or dst host 10.0.0.1", "host 10.0.0.1"},
	{"ip multicast or ip6 multicast", "ip multicast or ip6 multicast"},
	{"len - 14 > 100", "len - 14 > 100"},
	{"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "tcp[13] & (2 | 1) != 0"},
	{"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "tcp[(tcp[12] & 240) >> 2:4] == 1195725856"},
	{"arp host 10.0.0.1", "arp and host 10.0.0.1"},
	{"sctp or igmp", "sctp or igmp"},
	{"2 * 3 + 4 == 10", "2 * 3 + 4 == 10"},
	{"host 10.0.0.1 and tcp_stream == 3", "host 10.0.0.1 and tcp_stream == 3"},
	{"udp_stream >= 2", "udp_stream >= 2"},
	{"(2 + 3) * 4 == 20", "(2 + 3) * 4 == 20"},
}

func TestParsePacketForms(t *testing.T) {
	for _, tc := range packetFilters {
		n, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := String(n); got != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
		}
		n2, err := Parse(String(n))
		if err != nil || !reflect.DeepEqual(n, n2) {
			t.Errorf("canonical %q of %q does not parse back: %v", String(n), tc.in, err)
		}
	}
}

func TestParseVLANShift(t *testing.T) {
	n := MustParse("vlan 100 and vlan 200 and tcp")
	a := n.(*And)
	want := []Node{&VLAN{ID: 100}, &Shift{VLANs: 1, X: &VLAN{ID: 200}}, &Shift{VLANs: 2, X: &Proto{N: 6}}}
	if !reflect.DeepEqual(a.Terms, want) {
		t.Fatalf("terms %#v", a.Terms)
	}
	// Flow predicates look at flows, not past tags.
	if got := MustParse("vlan and bytes > 10").(*And).Terms[1]; !reflect.DeepEqual(got, &Cmp{F: FieldBytes, Op: OpGt, Value: 10}) {
		t.Fatalf("flow predicate after vlan: %#v", got)
	}
}

// Each unsupported tcpdump form names itself and the closest supported form.
var unsupportedForms = []struct {
	in  string
	pos int
	msg string
}{
	{"mpls", 0, `"mpls" is not supported: use "ether proto 0x8847"`},
	{"gateway 10.0.0.1", 0, `"gateway" is not supported: it needs host names resolved to MAC addresses; use "ether host MAC and not host ADDR"`},
	{"pppoes", 0, `"pppoes" is not supported: use "ether proto 0x8864"`},
	{"inbound", 0, `"inbound" is not supported: a capture file does not record the direction; use "src net CIDR" or "dst net CIDR"`},
	{"ip broadcast", 3, `"ip broadcast" needs the capture's netmask, which a file does not hold: use "ip dst host 255.255.255.255" or "ether broadcast"`},
	{"ip6 protochain 6", 4, `"protochain" is not supported: use "ip6 proto N"`},
	{"stp", 0, `"stp" is not supported: LLC protocols are not supported; use "ether dst 01:80:c2:00:00:00"`},
	{"ether proto 100", 12, `EtherType 100 is an 802.3 length: LLC protocols are not supported (give a value above 1500)`},
	{"host www.example.com", 5, `expected an IPv4 or IPv6 address, got "www.example.com" (host names are not resolved)`},
	{"host 00:11:22:33:44:55", 5, `a MAC address needs "ether host": ether host 00:11:22:33:44:55`},
	{"esp", 0, `"esp" is not supported: use "proto 50"`},
	{"tcp[13] & 2", 11, `expected a comparison (== != < <= > >=) after "tcp[13] & 2"`},
	{"tcp[13:3] != 0", 7, `a load's size is 1, 2 or 4`},
	{"tcp & udp", 4, `unexpected "&": bit and arithmetic operators belong in a comparison ("tcp[13] & 2 != 0"); join primitives with "and" ("&&") or "or" ("||")`},
	{"len / 0 > 1", 4, `division by zero`},
	{"arp port 80", 4, `arp has no ports`},
}

func TestParseUnsupported(t *testing.T) {
	for _, tc := range unsupportedForms {
		_, err := Parse(tc.in)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("Parse(%q) = %v, want an error", tc.in, err)
			continue
		}
		if e.Msg != tc.msg || e.Pos != tc.pos {
			t.Errorf("Parse(%q) error at %d %q, want at %d %q", tc.in, e.Pos, e.Msg, tc.pos, tc.msg)
		}
	}
}

func TestParseDisplay(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ip.addr == 10.0.0.1 && tcp.port == 443", "ip.addr == 10.0.0.1 and tcp.port == 443"},
		{"tcp.stream == 3 || ip.ttl < 5", "tcp_stream == 3 or ip.ttl < 5"},
		{"tcp.port in {80, 443 8080}", "tcp.port in {80 443 8080}"},
		{"frame.number in {1, 5..9}", "frame.number in {1 5..9}"},
		{"!tcp.analysis.retransmission || udp", "not tcp.analysis.retransmission or udp"},
		{"ip.src eq 10.0.0.0/8 and not ipv6", "ip.src == 10.0.0.0/8 and not ipv6"},
		{"eth.addr == FF:FF:FF:FF:FF:FF", "eth.addr == ff:ff:ff:ff:ff:ff"},
		{"frame.time_epoch >= 1367526033.5", "frame.time_epoch >= 1367526033.500000000"},
		{"tcp.flags.syn == 1 && tcp.flags.ack == 0 || tcp.flags.reset == 1", "(tcp.flags.syn == 1 and tcp.flags.ack == 0) or tcp.flags.reset == 1"},
	} {
		n, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := String(n); got != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
		}
		n2, err := Parse(String(n))
		if err != nil || !reflect.DeepEqual(n, n2) {
			t.Errorf("canonical %q does not parse back: %v", String(n), err)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"http.request.method == GET", `unknown or unsupported Wireshark field "http.request.method" (pcapdex knows: see 'pcapdex help fields')`},
		{"tcp.analysis.retransmission == 1", `tcp.analysis.retransmission is a protocol or flag: test its presence with the bare name`},
		{"ip.addr == example.com", `expected an address or a network, got "example.com"`},
	} {
		_, err := ParseDisplay(tc.in)
		if e, ok := err.(*Error); !ok || e.Msg != tc.msg {
			t.Errorf("ParseDisplay(%q) = %v, want %q", tc.in, err, tc.msg)
		}
	}
}
