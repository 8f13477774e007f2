package intmath

import (
	"math"
	"testing"
)

func TestFloorDiv(t *testing.T) {
	for _, c := range []struct{ a, b, want int64 }{
		{0, 10, 0}, {9, 10, 0}, {10, 10, 1}, {-1, 10, -1}, {-10, 10, -1}, {-11, 10, -2},
		{1, -10, -1}, {-1, -10, 0}, {10, -10, -1}, {-20, -10, 2},
		{1_700_000_000_123_456_789, 1e9, 1_700_000_000}, {-1, 1e9, -1},
		{math.MinInt64, 1, math.MinInt64}, {math.MaxInt64, 2, math.MaxInt64 / 2},
	} {
		if got := FloorDiv(c.a, c.b); got != c.want {
			t.Errorf("FloorDiv(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
