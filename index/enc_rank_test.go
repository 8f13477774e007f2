package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// slotCase returns n block-local slot numbers of about k busy flows, each active for a
// while, with some rows of slot 0 between them, as the packet table's kslot column holds.
func slotCase(r *rand.Rand, n, k int) []uint32 {
	vs := make([]uint32, n)
	var nslot uint32
	active := []uint32{}
	for i := range vs {
		switch {
		case r.IntN(10) == 0:
			vs[i] = 0
		case len(active) < k && r.IntN(4) == 0 || len(active) == 0:
			nslot++
			active = append(active, nslot)
			vs[i] = nslot
		default:
			j := r.IntN(len(active))
			if r.IntN(2) == 0 {
				j = len(active) - 1 - r.IntN(min(3, len(active)))
			}
			vs[i] = active[j]
			if r.IntN(20) == 0 {
				active = slices.Delete(active, j, j+1)
			}
		}
	}
	return vs
}

func TestSlotRanks(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var e ColumnEncoder
	for _, tc := range []struct{ n, k int }{{1, 1}, {2, 1}, {100, 3}, {5000, 40}, {65536, 300}, {65536, 5000}} {
		vs := slotCase(r, tc.n, tc.k)
		b := e.AppendUint32Column([]byte{9}, vs)
		plain := AppendUint32s(nil, vs)
		got, tail, err := UnmarshalUint32s([]uint32{77}, append(b[1:], 1, 2), len(vs))
		if err != nil || got[0] != 77 || !slices.Equal(got[1:], vs) || len(tail) != 2 {
			t.Fatalf("n=%d k=%d: round trip: err %v, tail %x", tc.n, tc.k, err, tail)
		}
		if tc.n >= 5000 && (b[1] != modeRank || len(b) >= len(plain)) {
			t.Errorf("n=%d k=%d: mode %d, %d bytes (plain %d)", tc.n, tc.k, b[1], len(b)-1, len(plain))
		}
		for cut := 0; cut < len(b)-1 && cut < 64; cut++ {
			if _, _, err := UnmarshalUint32s(nil, b[1:1+cut], len(vs)); err == nil && len(vs) > 1 {
				t.Fatalf("n=%d: truncated to %d bytes: no error", tc.n, cut)
			}
		}
	}
	// The ranks themselves: a new slot is 1, the latest slot 2, the one before it 3.
	if ranks, ok := e.rank.slotRanks([]uint32{0, 1, 1, 2, 0, 1, 3, 2, 1}); !ok || !slices.Equal(ranks, []uint32{0, 1, 2, 1, 0, 3, 1, 4, 4}) {
		t.Errorf("ranks %v %v", ranks, ok)
	}
	// Not slot numbers: stored as they are.
	for _, vs := range [][]uint32{{2, 1}, {1, 3}, {0, 0, 1, 2, 4}, {5, 5, 5}} {
		if b := e.AppendUint32Column(nil, vs); b[0] == modeRank {
			t.Errorf("%v stored as ranks", vs)
		}
	}
	// A rank beyond the slots seen so far is corrupt.
	for _, bad := range [][]uint32{{1, 3}, {2}, {1, 1, 4}} {
		src := append([]byte{modeRank}, AppendUint32s(nil, bad)...)
		if _, _, err := UnmarshalUint32s(nil, src, len(bad)); err == nil {
			t.Errorf("ranks %v accepted", bad)
		}
	}
	if _, _, err := UnmarshalUint32s(nil, []byte{modeRank, modeRank, modeConst, 0}, 1); err == nil {
		t.Error("nested rank mode accepted")
	}
}

func TestSlotRanksNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	vs := slotCase(r, 1<<16, 1000)
	var e ColumnEncoder
	b := e.AppendUint32Column(nil, vs)
	var dst []uint32
	var raw []byte
	allocs := testing.AllocsPerRun(5, func() {
		raw = e.AppendUint32Column(raw[:0], vs)
		var err error
		if dst, _, err = UnmarshalUint32s(dst[:0], b, len(vs)); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("%v allocations per encode and decode with warm buffers, want 0", allocs)
	}
	if !slices.Equal(dst, vs) {
		t.Error("decoded slots differ")
	}
}

// BenchmarkSlotRanks: encoding (choosing ranks or not) and decoding one 64Ki-row block of
// key slots of about 1000 busy flows; per row: b.N blocks x 65536 rows.
func BenchmarkSlotRanks(b *testing.B) {
	vs := slotCase(rand.New(rand.NewPCG(11, 12)), 1<<16, 1000)
	var e ColumnEncoder
	raw := e.AppendUint32Column(nil, vs)
	var dst []uint32
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(4 * len(vs)))
		for b.Loop() {
			raw = e.AppendUint32Column(raw[:0], vs)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(4 * len(vs)))
		for b.Loop() {
			dst, _, _ = UnmarshalUint32s(dst[:0], raw, len(vs))
		}
	})
}

// BenchmarkSlotPlain is BenchmarkSlotRanks's baseline: the same slots as plain numbers.
func BenchmarkSlotPlain(b *testing.B) {
	vs := slotCase(rand.New(rand.NewPCG(11, 12)), 1<<16, 1000)
	raw := AppendUint32s(nil, vs)
	var dst []uint32
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(4 * len(vs)))
		for b.Loop() {
			raw = AppendUint32s(raw[:0], vs)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(4 * len(vs)))
		for b.Loop() {
			dst, _, _ = UnmarshalUint32s(dst[:0], raw, len(vs))
		}
	})
}
