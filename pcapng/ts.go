package pcapng

import (
	"math"
	"math/bits"
)

// tsConv turns a pcapng raw 64-bit timestamp (units of the interface's if_tsresol) into
// nanoseconds since the epoch, exactly, with integer arithmetic only.
type tsConv struct {
	kind   uint8  // tsMul, tsDiv or tsPow2
	k      uint8  // for tsPow2: the exponent
	mulDiv uint64 // for tsMul the multiplier, for tsDiv the divisor
	off    int64  // if_tsoffset in ns
}

const (
	tsMul uint8 = iota
	tsDiv
	tsPow2
)

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// newTSConv builds the conversion for a raw if_tsresol byte and if_tsoffset in seconds.
func newTSConv(resol uint8, offsetSec int64) tsConv {
	c := tsConv{}
	hi, lo := bits.Mul64(uint64(abs64(offsetSec)), 1e9)
	switch {
	case hi != 0 || lo > math.MaxInt64:
		if offsetSec < 0 {
			c.off = math.MinInt64
		} else {
			c.off = math.MaxInt64
		}
	case offsetSec < 0:
		c.off = -int64(lo)
	default:
		c.off = int64(lo)
	}
	n := resol & 0x7f
	if resol&0x80 != 0 {
		c.kind, c.k = tsPow2, n
		return c
	}
	switch {
	case n <= 9:
		c.kind, c.mulDiv = tsMul, pow10[9-n]
	case n-9 < uint8(len(pow10)):
		c.kind, c.mulDiv = tsDiv, pow10[n-9]
	default:
		c.kind, c.mulDiv = tsDiv, 0 // every timestamp rounds to 0 ns
	}
	return c
}

func abs64(v int64) int64 {
	if v < 0 {
		if v == math.MinInt64 {
			return math.MaxInt64
		}
		return -v
	}
	return v
}

// ns converts raw to nanoseconds since the epoch. ok is false when the result does not fit
// in an int64 (it is then clamped).
func (c *tsConv) ns(raw uint64) (v int64, ok bool) {
	var u uint64
	switch c.kind {
	case tsMul:
		hi, lo := bits.Mul64(raw, c.mulDiv)
		if hi != 0 || lo > math.MaxInt64 {
			return math.MaxInt64, false
		}
		u = lo
	case tsDiv:
		if c.mulDiv == 0 {
			u = 0
		} else {
			u = raw / c.mulDiv
		}
	default:
		hi, lo := bits.Mul64(raw, 1e9)
		if c.k >= 64 {
			if c.k >= 128 {
				u = 0
			} else {
				u = hi >> (c.k - 64)
			}
		} else if c.k == 0 {
			if hi != 0 {
				return math.MaxInt64, false
			}
			u = lo
		} else {
			if hi>>c.k != 0 {
				return math.MaxInt64, false
			}
			u = lo>>c.k | hi<<(64-c.k)
		}
		if u > math.MaxInt64 {
			return math.MaxInt64, false
		}
	}
	if u > math.MaxInt64 {
		return math.MaxInt64, false
	}
	v = int64(u)
	if c.off != 0 {
		s := v + c.off
		if (c.off > 0 && s < v) || (c.off < 0 && s > v) {
			if c.off > 0 {
				return math.MaxInt64, false
			}
			return math.MinInt64, false
		}
		v = s
	}
	return v, true
}

// toRaw converts nanoseconds back to raw units: the smallest raw value whose ns(raw) is v
// (so read -> write -> read keeps timestamps), ignoring the offset. ok is false for
// timestamps that cannot be represented (negative, or too large).
func (c *tsConv) toRaw(v int64) (uint64, bool) {
	v -= c.off
	if v < 0 {
		return 0, false
	}
	u := uint64(v)
	switch c.kind {
	case tsMul:
		return u / c.mulDiv, true // floor: the writer drops precision the unit cannot hold
	case tsDiv:
		if c.mulDiv == 0 {
			return 0, true
		}
		hi, lo := bits.Mul64(u, c.mulDiv)
		return lo, hi == 0
	default:
		// ceil(u * 2^k / 1e9)
		if c.k >= 64 {
			return 0, false
		}
		hi, lo := u>>(64-c.k), u<<c.k
		if c.k == 0 {
			hi = 0
		}
		if hi >= 1e9 {
			return 0, false
		}
		q, rem := bits.Div64(hi, lo, 1e9)
		if rem != 0 {
			q++
		}
		return q, true
	}
}
