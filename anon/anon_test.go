package anon

import (
	"net/netip"
	"testing"
)

// refKey is the key of the Crypto-PAn reference distribution's sample.
var refKey = []byte{21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
	216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2}

// refVectors are addresses of the reference's sample_trace_raw.dat and their anonymized
// form in sample_trace_sanitized.dat (as other implementations' tests quote them).
var refVectors = [][2]string{
	{"128.11.68.132", "135.242.180.132"},
	{"129.118.74.4", "134.136.186.123"},
	{"130.132.252.244", "133.68.164.234"},
	{"141.223.7.43", "141.167.8.160"},
	{"141.233.145.108", "141.129.237.235"},
	{"152.163.225.39", "151.140.114.167"},
	{"156.29.3.236", "147.225.12.42"},
	{"165.247.96.84", "162.9.99.234"},
	{"166.107.77.190", "160.132.178.185"},
	{"192.102.249.13", "252.138.62.131"},
	{"192.215.32.125", "252.43.47.189"},
	{"192.233.80.103", "252.25.108.8"},
	{"192.41.57.43", "252.222.221.184"},
	{"193.150.244.223", "253.169.52.216"},
	{"195.205.63.100", "255.186.223.5"},
}

func TestReferenceVectors(t *testing.T) {
	a, err := New(refKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range refVectors {
		if got := a.Addr(netip.MustParseAddr(v[0])); got.String() != v[1] {
			t.Errorf("%s -> %s, want %s", v[0], got, v[1])
		}
	}
}

// commonPrefix returns the number of leading bits a and b share.
func commonPrefix(a, b []byte) int {
	n := 0
	for i := range a {
		x := a[i] ^ b[i]
		for bit := 7; bit >= 0; bit-- {
			if x>>bit&1 != 0 {
				return n
			}
			n++
		}
	}
	return n
}

func slice(a netip.Addr) []byte { return a.AsSlice() }

// TestPrefixPreserving: two addresses sharing k leading bits map to two sharing exactly k,
// for IPv4, IPv6 and MAC addresses; the mapping is stable per key and differs across keys.
func TestPrefixPreserving(t *testing.T) {
	a, _ := New(refKey)
	k2, _ := ParseKey("another key")
	b, _ := New(k2)
	pairs := [][2]string{
		{"10.0.0.6", "10.0.0.138"}, {"10.0.0.6", "10.0.2.15"}, {"212.199.202.9", "212.199.202.53"},
		{"192.168.1.1", "10.1.1.1"}, {"10.0.0.6", "10.0.0.6"},
		{"2001:db8::1", "2001:db8::2"}, {"fe80::c50d:519f:96a4:e108", "fe80::1"}, {"2001:db8:1::1", "2a00::1"},
	}
	for _, p := range pairs {
		x, y := netip.MustParseAddr(p[0]), netip.MustParseAddr(p[1])
		ax, ay := a.Addr(x), a.Addr(y)
		if got, want := commonPrefix(slice(ax), slice(ay)), commonPrefix(slice(x), slice(y)); got != want {
			t.Errorf("%s %s share %d bits, anonymized %s %s share %d", x, y, want, ax, ay, got)
		}
		if ax.Is4() != x.Is4() {
			t.Errorf("%s changed family: %s", x, ax)
		}
		if again := a.Addr(x); again != ax {
			t.Errorf("%s maps to %s, then %s", x, ax, again)
		}
		if fresh, _ := New(refKey); fresh.Addr(x) != ax {
			t.Errorf("%s: another Anonymizer of the same key gives %s, not %s", x, fresh.Addr(x), ax)
		}
		if b.Addr(x) == ax {
			t.Errorf("%s maps to %s under two keys", x, ax)
		}
	}
	m1, m2 := [6]byte{0x00, 0x1b, 0x21, 0x3a, 0x4b, 0x5c}, [6]byte{0x00, 0x1b, 0x21, 0x99, 0x00, 0x01}
	am1, am2 := a.MAC(m1), a.MAC(m2)
	if am1 == m1 || commonPrefix(am1[:], am2[:]) != commonPrefix(m1[:], m2[:]) {
		t.Errorf("MACs %x %x -> %x %x: prefix not kept", m1, m2, am1, am2)
	}
	if bc := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; a.MAC(bc) != bc {
		t.Errorf("broadcast changed")
	}
	if am1[0]&1 != 0 || b.MAC(m1) == am1 {
		t.Errorf("MAC %x -> %x (group bit set, or the same under another key)", m1, am1)
	}
}

func TestParseKey(t *testing.T) {
	hexKey := "15221a8d33a4cf80130a5b1649907d10d8988f8379796527625743c2d2a842202"[:64]
	k, err := ParseKey(hexKey)
	if err != nil || len(k) != 32 || k[0] != 0x15 {
		t.Errorf("hex key: %x %v", k, err)
	}
	p, _ := ParseKey("correct horse")
	q, _ := ParseKey("correct horse")
	if len(p) != 32 || string(p) != string(q) {
		t.Errorf("passphrase keys differ")
	}
	if _, err := ParseKey(""); err == nil {
		t.Errorf("empty key accepted")
	}
}
