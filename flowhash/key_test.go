package flowhash

import (
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
)

func ipPacket(t testing.TB, src, dst string, proto uint8, sp, dp uint16) fastparse.Packet {
	t.Helper()
	s, err := parseAddr(src)
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseAddr(dst)
	if err != nil {
		t.Fatal(err)
	}
	p := fastparse.Packet{SrcIP: s, DstIP: d, Proto: proto, HasL4: true, SrcPort: sp, DstPort: dp, IPVersion: 4, IPHdrLen: 20}
	if len(src) > 15 || containsColon(src) {
		p.IPVersion, p.IPHdrLen = 6, 40
	}
	if proto == fastparse.ProtoICMP || proto == fastparse.ProtoICMPv6 {
		p.ICMPType, p.ICMPCode = uint8(sp), uint8(dp)
		p.SrcPort, p.DstPort = 0, 0
	}
	return p
}

func containsColon(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}

func TestKeySymmetric(t *testing.T) {
	cases := []struct {
		src, dst string
		proto    uint8
		sp, dp   uint16
	}{
		{"10.0.0.1", "10.0.0.2", fastparse.ProtoTCP, 1234, 80},
		{"10.0.0.2", "10.0.0.1", fastparse.ProtoTCP, 80, 1234},
		{"10.0.0.1", "10.0.0.1", fastparse.ProtoUDP, 53, 5353}, // same address: ports decide
		{"2001:db8::1", "2001:db8::2", fastparse.ProtoUDP, 5000, 53},
		{"192.168.0.89", "192.168.0.1", fastparse.ProtoICMP, 8, 0}, // echo request
		{"fe80::1", "fe80::2", fastparse.ProtoICMPv6, 135, 0},      // neighbour solicitation
	}
	for _, c := range cases {
		fwd := ipPacket(t, c.src, c.dst, c.proto, c.sp, c.dp)
		rev := ipPacket(t, c.dst, c.src, c.proto, c.dp, c.sp)
		if c.proto == fastparse.ProtoICMP {
			rev = ipPacket(t, c.dst, c.src, c.proto, 0, 0) // echo reply
		}
		if c.proto == fastparse.ProtoICMPv6 {
			rev = ipPacket(t, c.dst, c.src, c.proto, 136, 0) // neighbour advertisement
		}
		k1, d1, ok1 := KeyOf(&fwd)
		k2, d2, ok2 := KeyOf(&rev)
		if !ok1 || !ok2 {
			t.Fatalf("%v: KeyOf not ok", c)
		}
		if k1 != k2 {
			t.Errorf("%v: keys differ: %+v vs %+v", c, k1, k2)
		}
		if k1.Hash() != k2.Hash() {
			t.Errorf("%v: hashes differ", c)
		}
		if d1 == d2 && !(c.src == c.dst && c.sp == c.dp) {
			t.Errorf("%v: both directions give dir %d", c, d1)
		}
	}
	// Different flows give different keys.
	a := ipPacket(t, "10.0.0.1", "10.0.0.2", fastparse.ProtoTCP, 1234, 80)
	b := ipPacket(t, "10.0.0.1", "10.0.0.2", fastparse.ProtoTCP, 1235, 80)
	ka, _, _ := KeyOf(&a)
	kb, _, _ := KeyOf(&b)
	if ka == kb || ka.Hash() == kb.Hash() {
		t.Errorf("distinct flows collide: %+v %+v", ka, kb)
	}
	// No IP header: no key.
	var none fastparse.Packet
	if _, _, ok := KeyOf(&none); ok {
		t.Error("KeyOf without IP returned ok")
	}
}

// TestHashGolden pins hash version 1: these values are written to disk and must never change.
// The expected values were computed by an independent (Python) implementation of the formula
// documented on Key.Hash, not by this code.
func TestHashGolden(t *testing.T) {
	if HashVersion != 1 {
		t.Fatalf("HashVersion = %d; add goldens for the new version", HashVersion)
	}
	cases := []struct {
		src, dst string
		proto    uint8
		sp, dp   uint16
		want     uint64
	}{
		{"10.0.0.1", "10.0.0.2", fastparse.ProtoTCP, 1234, 80, 0xe5733efca619e764},
		{"192.168.1.52", "8.8.8.8", fastparse.ProtoUDP, 54585, 53, 0xd01ff933eecbc10a},
		{"2001:db8::1", "2001:db8::2", fastparse.ProtoTCP, 443, 50000, 0x7686e75ee1700435},
		{"0.0.0.0", "0.0.0.0", 0, 0, 0, 0xf2ba3e1358ce4122},
	}
	for _, c := range cases {
		p := ipPacket(t, c.src, c.dst, c.proto, c.sp, c.dp)
		k, _, _ := KeyOf(&p)
		if got := k.Hash(); got != c.want {
			t.Errorf("Hash(%s:%d %s:%d/%d) = %#x, want %#x", c.src, c.sp, c.dst, c.dp, c.proto, got, c.want)
		}
	}
	var zero Key
	if zero.Hash() == 0 {
		t.Error("hash of the zero key is 0")
	}
}

func TestShard(t *testing.T) {
	for n := 1; n <= 8; n++ {
		seen := make([]int, n)
		for i := 0; i < 10000; i++ {
			var k Key
			k.PortA = uint16(i)
			s := Shard(k.Hash(), n)
			if s < 0 || s >= n {
				t.Fatalf("Shard out of range: %d of %d", s, n)
			}
			seen[s]++
		}
		for s, c := range seen {
			if c < 10000/n/2 {
				t.Errorf("n=%d: shard %d got %d of 10000 keys: poor spread", n, s, c)
			}
		}
	}
}

// TestCommunityIDBaseline checks the spec's baseline vectors (corelight/community-id-spec,
// baseline/baseline_deflt.json, seed 0). For ICMP the vectors give port equivalents; we pass
// the message type and code they come from.
func TestCommunityIDBaseline(t *testing.T) {
	cases := []struct {
		proto      uint8
		src, dst   string
		sport, dpt uint16 // ports, or ICMP type and code
		want       string
	}{
		{58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
		{58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
		{58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
		{58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
		{58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
		{58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
		{58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
		{58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
		{1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		{1, "192.168.0.1", "192.168.0.89", 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		{1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
		{6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
		{132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
		{6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
		{17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
		{46, "10.1.12.1", "10.1.12.2", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
		{46, "10.1.12.2", "10.1.12.1", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
	}
	for _, c := range cases {
		s, _ := parseAddr(c.src)
		d, _ := parseAddr(c.dst)
		got := string(AppendCommunityID(nil, 0, containsColon(c.src), &s, &d, c.proto, c.sport, c.dpt))
		if got != c.want {
			t.Errorf("%d %s:%d -> %s:%d: %s, want %s", c.proto, c.src, c.sport, c.dst, c.dpt, got, c.want)
		}
	}
}

func TestCommunityIDNoAllocs(t *testing.T) {
	s, _ := parseAddr("10.0.0.1")
	d, _ := parseAddr("10.0.0.2")
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = AppendCommunityID(buf[:0], 0, false, &s, &d, 6, 1, 2) }); n != 0 {
		t.Errorf("AppendCommunityID allocates %v times", n)
	}
}
