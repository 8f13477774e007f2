package index

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestSmallBitmapMatchesRoaring: appendSmallBitmap writes the bytes roaring writes after
// RunOptimize, for sets of every shape it accepts (single values, runs, the run/array size
// boundary, 4096 values), and declines sets roaring would split or turn into a bitmap.
func TestSmallBitmapMatchesRoaring(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sets [][]uint32
	sets = append(sets, []uint32{0}, []uint32{65535}, []uint32{7 << 16}, []uint32{1, 2}, []uint32{1, 3},
		[]uint32{1, 2, 3}, []uint32{1, 2, 4}, []uint32{5, 6, 7, 9, 10, 11}, []uint32{1<<16 + 5, 1<<16 + 9})
	for n := 1; n <= 4096; n = n*2 + 1 {
		for range 20 {
			base := uint32(rng.IntN(1<<8)) << 16
			set := map[uint32]bool{}
			x := base + uint32(rng.IntN(100))
			for len(set) < n && x < base+1<<16 {
				set[x] = true
				if rng.IntN(3) == 0 {
					x += uint32(rng.IntN(50)) + 2
				} else {
					x++
				}
			}
			s := make([]uint32, 0, len(set))
			for v := base; v < base+1<<16; v++ {
				if set[v] {
					s = append(s, v)
				}
			}
			if len(s) > 0 {
				sets = append(sets, s)
			}
		}
	}
	full := make([]uint32, 4096)
	for i := range full {
		full[i] = uint32(2 * i)
	}
	sets = append(sets, full)
	accepted := 0
	for _, s := range sets {
		bm := roaring.New()
		bm.AddMany(s)
		bm.RunOptimize()
		want, err := bm.ToBytes()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendSmallBitmap(nil, s)
		if !ok {
			t.Fatalf("declined %d values %v...", len(s), s[:min(len(s), 5)])
		}
		accepted++
		if !bytes.Equal(got, want) {
			t.Fatalf("%d values %v...: got %x, roaring writes %x", len(s), s[:min(len(s), 5)], got[:min(len(got), 40)], want[:min(len(want), 40)])
		}
	}
	for _, s := range [][]uint32{nil, {1, 1 << 16}, append(full, 9000)} {
		if _, ok := appendSmallBitmap(nil, s); ok {
			t.Errorf("accepted %d values spanning %d..%d", len(s), s[0], s[len(s)-1])
		}
	}
	if accepted < 100 {
		t.Errorf("only %d sets checked", accepted)
	}
}
