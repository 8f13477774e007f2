package fastparse

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

func TestStatsJSON(t *testing.T) {
	var s Stats
	var p Packet
	for _, c := range allCases() {
		orig := c.origLen
		if orig == 0 {
			orig = len(c.data)
		}
		Decode(&p, c.link, c.data, uint32(orig))
		s.Add(&p)
	}
	out := string(s.AppendJSONFields([]byte(`"packets":1,`)))
	if !strings.HasPrefix(out, `"packets":1,"ipv4":`) {
		t.Fatalf("does not append: %s", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte("{"+out+"}"), &m); err != nil {
		t.Fatalf("not a JSON object body: %v\n%s", err, out)
	}
	keys := regexp.MustCompile(`"([a-z0-9_]+)":`).FindAllStringSubmatch(out, -1)
	var order []string
	for _, k := range keys {
		order = append(order, k[1])
	}
	want := "packets ipv4 ipv6 tcp udp ipv4_outer ipv6_outer tcp_outer udp_outer syn rst vlan_frames qinq_frames " +
		"ipv4_fragments ipv6_fragments ipv6_ext_hdr_frames icmp other malformed malformed_reasons " +
		"truncated_link truncated_ip bad_ip_version bad_ip_header bad_ip_length truncated_transport " +
		"bad_tcp_header bad_udp_length bad_icmp_length ip_length_overrun"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("keys in order:\n%s\nwant\n%s", got, want)
	}
	for k, v := range map[string]uint64{"tcp": s.TCP, "syn": s.SYN, "vlan_frames": s.VLANFrames, "malformed": s.Malformed} {
		if m[k] != float64(v) || v == 0 {
			t.Errorf("%s = %v, Stats has %d (and the table cases should give a non-zero count)", k, m[k], v)
		}
	}
	reasons := m["malformed_reasons"].(map[string]any)
	var sum float64
	for _, v := range reasons {
		sum += v.(float64)
	}
	if sum != float64(s.Malformed) {
		t.Errorf("malformed_reasons sum to %v, malformed = %d", sum, s.Malformed)
	}
	if s.Packets != uint64(len(allCases())) || s.Malformed+s.Other+s.TCPOuter+s.UDPOuter+s.ICMP < s.Packets {
		t.Errorf("packets %d: malformed %d + other %d + tcp %d + udp %d + icmp %d leave some uncounted",
			s.Packets, s.Malformed, s.Other, s.TCPOuter, s.UDPOuter, s.ICMP)
	}
}

func TestStatsMerge(t *testing.T) {
	var a, b, all Stats
	var p Packet
	for i, c := range allCases() {
		Decode(&p, c.link, c.data, uint32(len(c.data)))
		all.Add(&p)
		if i%2 == 0 {
			a.Add(&p)
		} else {
			b.Add(&p)
		}
	}
	a.Merge(&b)
	if a != all {
		t.Errorf("merged %+v\nwant %+v", a, all)
	}
}

func TestStatsOther(t *testing.T) {
	var s Stats
	var p Packet
	Decode(&p, pcapng.LinkTypeEthernet, cat(eth(EtherTypeARP), bytesN(28)), 42)
	s.Add(&p)
	Decode(&p, pcapng.LinkTypeEthernet, cat(eth(EtherTypeIPv4), ip4{proto: ProtoESP}.build(bytesN(40))), 74)
	s.Add(&p)
	Decode(&p, pcapng.LinkTypeEthernet, cat(eth(EtherTypeIPv4), ipTCP(tcpSyn))[:40], 74)
	s.Add(&p)
	if s.Other != 2 || s.Malformed != 1 || s.ByStatus[TruncatedTransport] != 1 || s.TCPOuter != 1 || s.SYN != 0 {
		t.Errorf("%+v", s)
	}
}
