package pcapng

import (
	"math"
	"testing"
)

func TestTSConv(t *testing.T) {
	for _, tc := range []struct {
		name   string
		resol  uint8
		offset int64
		raw    uint64
		want   int64
		ok     bool
	}{
		{"usec default", 6, 0, 1_600_000_000_123_456, 1_600_000_000_123_456_000, true},
		{"nsec", 9, 0, 1_600_000_000_123_456_789, 1_600_000_000_123_456_789, true},
		{"seconds", 0, 0, 1_600_000_000, 1_600_000_000_000_000_000, true},
		{"picoseconds truncate", 12, 0, 1_600_000_000_123_456_789_999 % (1 << 63), 1_600_000_000_123_456_789_999 % (1 << 63) / 1000, true},
		{"10^-20", 20, 0, math.MaxUint64, 184467440, true},
		{"10^-29 rounds to 0", 29, 0, math.MaxUint64, 0, true},
		{"2^-8 exact", 0x80 | 8, 0, 1519128000*256 + 50, 1519128000_195312500, true},
		{"2^-30", 0x80 | 30, 0, 3 << 29, 1_500_000_000, true},
		{"2^-0", 0x80, 0, 7, 7_000_000_000, true},
		{"2^-64", 0x80 | 64, 0, 1 << 63, 500_000_000, true},
		{"offset +100 s", 9, 100, 1, 100_000_000_001, true},
		{"offset -100 s", 6, -100, 100_000_000, 0, true},
		{"usec overflow clamps", 6, 0, math.MaxUint64 - 505_274_164, math.MaxInt64, false},
		{"2^-1 overflow clamps", 0x81, 0, math.MaxUint64, math.MaxInt64, false},
		{"offset overflow clamps", 9, 9_223_372_036, math.MaxInt64 - 5, math.MaxInt64, false},
	} {
		c := newTSConv(tc.resol, tc.offset)
		got, ok := c.ns(tc.raw)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: ns(%d) = %d, %v; want %d, %v", tc.name, tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}

// TestTSRoundTrip: for every resolution, toRaw(ns(raw)) reads back to the same ns.
func TestTSRoundTrip(t *testing.T) {
	for _, resol := range []uint8{0, 3, 6, 9, 10, 12, 0x80 | 1, 0x80 | 8, 0x80 | 10, 0x80 | 20, 0x80 | 32, 0x80 | 40} {
		c := newTSConv(resol, 0)
		for _, raw := range []uint64{0, 1, 255, 1 << 20, 1_519_128_000 << 8, 1_700_000_000_123_456, 1<<40 + 12345} {
			v, ok := c.ns(raw)
			if !ok {
				continue
			}
			back, ok := c.toRaw(v)
			if !ok {
				t.Fatalf("resol %#x raw %d: toRaw(%d) failed", resol, raw, v)
			}
			if v2, _ := c.ns(back); v2 != v {
				t.Fatalf("resol %#x raw %d: ns %d -> raw %d -> ns %d", resol, raw, v, back, v2)
			}
		}
	}
}
