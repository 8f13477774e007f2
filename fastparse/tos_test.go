package fastparse

import (
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// TestTOS pins the IPv4 type-of-service byte and the IPv6 traffic class (split across the
// first two header bytes): DSCP 46 (EF) with ECN 01 is 0xb9 in both.
func TestTOS(t *testing.T) {
	v4 := ip4{proto: ProtoUDP}.build(udpDNS)
	v4[1] = 0xb9
	v6 := ip6{nh: ProtoUDP, payloadLen: -1}.build(udpDNS)
	v6[0], v6[1] = 0x6b, 0x90 // version 6, traffic class 0xb9, flow label 0x0....
	for _, c := range []struct {
		name string
		data []byte
	}{{"ipv4", v4}, {"ipv6", v6}} {
		var p Packet
		if st := Decode(&p, pcapng.LinkTypeRaw, c.data, 0); st != OK {
			t.Fatalf("%s: status %v", c.name, st)
		}
		eq(t, c.name+" TOS", p.TOS, 0xb9)
	}
}
