package query

import (
	"math/rand/v2"
	"testing"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Random and truncated packets of every link type never panic the packet evaluator, and a
// load past the captured bytes rejects the packet even under "not".
func TestPacketMatcherRandomBytes(t *testing.T) {
	filters := []string{
		"host 10.0.0.1", "not host 10.0.0.1", "port 80", "not port 80", "tcp[tcp[12] >> 2:4] == 0", "ip6[6] == 6",
		"vlan and vlan and tcp", "ether[1000:4] != 0", "icmp6[0] == 128", "len / (ip[0] & 0) > 0", "arp host 10.0.0.1",
		"ip multicast or ip6 multicast or broadcast", "net 10 or net 2001:db8::/32", "udp[8:2] % 3 == 1",
		"ip.addr == 10.0.0.1 || tcp.port == 80 || eth.addr == 00:11:22:33:44:55 || vlan.id == 5 || tcp.stream == 0",
		"frame.len > 1 && tcp.flags.syn == 1 && tcp.analysis.retransmission && ipv6.addr == ::1 && udp.length > 0",
	}
	r := rand.New(rand.NewPCG(1, 2))
	links := []pcapng.LinkType{0, 1, 12, 101, 113, 276, 228, 229, 147}
	for _, f := range filters {
		n, err := filter.Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		m := pktMatcher{root: n, disp: &dispCtx{row: &PacketRow{}}}
		for range 3000 {
			data := make([]byte, r.IntN(80))
			for i := range data {
				data[i] = byte(r.UintN(256))
			}
			if len(data) > 13 && r.IntN(2) == 0 {
				data[12], data[13] = 0x08, 0x00
			}
			lt := links[r.IntN(len(links))]
			v := pktView{data: data, wire: uint32(len(data)), link: linkKindOf(lt), flowRow: -1}
			m.disp.lt, m.disp.decoded = lt, false
			m.match(&v)
		}
	}
	// "not" does not turn an out-of-bounds load into a match.
	m := pktMatcher{root: filter.MustParse("not ether[100] == 1")}
	v := pktView{data: make([]byte, 20), wire: 20, link: linkEther, flowRow: -1}
	if m.match(&v) {
		t.Fatal("a load past the captured bytes matched under not")
	}
}

// Checking a packet allocates nothing, for tcpdump and display filters alike.
func TestPacketMatcherNoAllocs(t *testing.T) {
	data := make([]byte, 74)
	data[12], data[13], data[14], data[23] = 0x08, 0x00, 0x45, 6
	for _, f := range []string{
		"host 10.0.0.1 or tcp[tcpflags] & tcp-syn != 0 or vlan and port 80",
		"ip.addr == 10.0.0.1 || tcp.flags.syn == 1 || tcp.analysis.duplicate_ack || tcp.port in {80, 443}",
	} {
		m := pktMatcher{root: filter.MustParse(f), disp: &dispCtx{row: &PacketRow{}, lt: 1}}
		v := pktView{data: data, wire: 74, link: linkEther, flowRow: -1}
		if n := testing.AllocsPerRun(100, func() {
			m.disp.decoded = false
			m.match(&v)
		}); n != 0 {
			t.Errorf("%q: %v allocations a packet", f, n)
		}
	}
}
