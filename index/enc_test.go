package index

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestVarints(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 255, 16383, 16384, 1<<32 - 1, 1 << 32, math.MaxUint64} {
		b := AppendUvarint([]byte{0xaa}, v)
		tail, got, err := UnmarshalUvarint(append(b[1:], 7))
		if err != nil || got != v || !bytes.Equal(tail, []byte{7}) {
			t.Errorf("uvarint %d: got %d tail %x err %v", v, got, tail, err)
		}
		if _, _, err := UnmarshalUvarint(b[1 : len(b)-1]); err == nil {
			t.Errorf("uvarint %d truncated: no error", v)
		}
	}
	for _, v := range []int64{0, -1, 1, -64, 64, math.MinInt64, math.MaxInt64} {
		tail, got, err := UnmarshalVarint(AppendVarint(nil, v))
		if err != nil || got != v || len(tail) != 0 {
			t.Errorf("varint %d: got %d err %v", v, got, err)
		}
	}
	if _, _, err := UnmarshalUvarint(bytes.Repeat([]byte{0xff}, 11)); err != errOverflow {
		t.Errorf("11-byte varint: err %v, want overflow", err)
	}
	tail, b, err := UnmarshalBytes(AppendBytes(nil, []byte("abc")))
	if err != nil || string(b) != "abc" || len(tail) != 0 {
		t.Errorf("bytes: %q %v", b, err)
	}
	if _, _, err := UnmarshalBytes([]byte{5, 'a'}); err == nil {
		t.Error("bytes longer than input: no error")
	}
}

func int64Cases(r *rand.Rand) map[string][]int64 {
	sorted := make([]int64, 5000)
	ts := int64(1_700_000_000_000_000_000)
	for i := range sorted {
		ts += r.Int64N(2_000_000)
		sorted[i] = ts
	}
	// Microsecond times stored in ns, stepping back now and then (a merged capture).
	backwards := make([]int64, 4000)
	ts = 1_700_000_000_000_000_000
	for i := range backwards {
		ts += (r.Int64N(3000) - 20) * 1000
		backwards[i] = ts
	}
	random := make([]int64, 3000)
	for i := range random {
		random[i] = int64(r.Uint64())
	}
	return map[string][]int64{
		"empty":     {},
		"one":       {-5},
		"const":     slices.Repeat([]int64{42}, 100),
		"sorted":    sorted,
		"random":    random,
		"backwards": backwards,
		"extremes":  {math.MinInt64, math.MaxInt64, 0, math.MinInt64, -1, math.MaxInt64},
	}
}

func TestInt64sRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for name, vs := range int64Cases(r) {
		t.Run(name, func(t *testing.T) {
			b := AppendInt64s([]byte{9}, vs)
			got, tail, err := UnmarshalInt64s([]int64{77}, append(b[1:], 1, 2), len(vs))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got[1:], vs) || got[0] != 77 || !bytes.Equal(tail, []byte{1, 2}) {
				t.Fatalf("round trip differs (tail %x)", tail)
			}
			for cut := 0; cut < len(b)-1 && cut < 64; cut++ {
				if len(vs) > 1 {
					if _, _, err := UnmarshalInt64s(nil, b[1:1+cut], len(vs)); err == nil {
						t.Fatalf("truncated to %d bytes: no error", cut)
					}
				}
			}
		})
	}
	if name := "sorted"; true {
		vs := int64Cases(r)[name]
		b := AppendInt64s(nil, vs)
		if b[0] != modeDelta || len(b) > 3*len(vs)+12 {
			t.Errorf("sorted timestamps: mode %d, %d bytes for %d values", b[0], len(b), len(vs))
		}
		// The same times at microsecond resolution: deltas shrink by the factor 1000.
		us := make([]int64, len(vs))
		for i, v := range vs {
			us[i] = v / 1000 * 1000
		}
		bu := AppendInt64s(nil, us)
		got, _, err := UnmarshalInt64s(nil, bu, len(us))
		if bu[0] != modeScaled || len(bu) > len(b)*2/3 || err != nil || !slices.Equal(got, us) {
			t.Errorf("microsecond timestamps: mode %d, %d bytes (ns: %d), err %v", bu[0], len(bu), len(b), err)
		}
	}
	if vs := int64Cases(r)["backwards"]; true {
		b := AppendInt64s(nil, vs)
		ns := slices.Clone(vs)
		ns[1]++ // one odd nanosecond: no common factor
		bn := AppendInt64s(nil, ns)
		if b[0] != modeZigzagScaled || bn[0] != modeZigzag || len(b) > len(bn)*2/3 {
			t.Errorf("microsecond times going back: mode %d, %d bytes (without the factor: mode %d, %d bytes)", b[0], len(b), bn[0], len(bn))
		}
	}
	if _, _, err := UnmarshalInt64s(nil, []byte{modeScaled, 2, 1, 5}, 2); err == nil {
		t.Error("scale 1 accepted")
	}
	if _, _, err := UnmarshalInt64s(nil, []byte{modeConst, 0}, MaxBlockRows+1); err == nil {
		t.Error("row count above MaxBlockRows accepted")
	}
}

func TestUintsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	u32 := map[string][]uint32{"empty": {}, "const": {7, 7, 7}, "max": {math.MaxUint32, 0, 1}}
	for _, bitsN := range []uint{7, 8, 15, 16, 23, 24, 31, 32} {
		vs := make([]uint32, 1000)
		for i := range vs {
			vs[i] = uint32(r.Uint64() & (1<<bitsN - 1))
		}
		u32[string(rune('a'+bitsN))] = vs
	}
	skew := make([]uint32, 1000) // mostly small, a few large: uvarint wins
	for i := range skew {
		skew[i] = uint32(i % 100)
	}
	skew[3] = 1 << 30
	u32["skew"] = skew
	for name, vs := range u32 {
		b := AppendUint32s(nil, vs)
		got, tail, err := UnmarshalUint32s(nil, b, len(vs))
		if err != nil || !slices.Equal(got, vs) || len(tail) != 0 {
			t.Errorf("uint32 %s: err %v, equal %v, tail %d", name, err, slices.Equal(got, vs), len(tail))
		}
		if len(vs) > 1 {
			if _, _, err := UnmarshalUint32s(nil, b[:len(b)-1], len(vs)); err == nil {
				t.Errorf("uint32 %s truncated: no error", name)
			}
		}
	}
	if b := AppendUint32s(nil, skew); b[0] != modeVarint {
		t.Errorf("skewed uint32 column: mode %d, want varint", b[0])
	}
	if b := AppendUint32s(nil, []uint32{1, 300, 65535}); b[0] != modeFixed2 || len(b) != 7 {
		t.Errorf("uint32 fixed2: % x", b)
	}
	for _, vs := range [][]uint16{{}, {9, 9}, {1, 2, 255}, {0, 65535, 1024}} {
		b := AppendUint16s(nil, vs)
		got, tail, err := UnmarshalUint16s(nil, b, len(vs))
		if err != nil || !slices.Equal(got, vs) || len(tail) != 0 {
			t.Errorf("uint16 %v: got %v err %v", vs, got, err)
		}
	}
	for _, vs := range [][]uint8{{}, {3}, {3, 3}, {0, 255, 1}} {
		b := AppendUint8s(nil, vs)
		got, tail, err := UnmarshalUint8s(nil, b, len(vs))
		if err != nil || !slices.Equal(got, vs) || len(tail) != 0 {
			t.Errorf("uint8 %v: got %v err %v", vs, got, err)
		}
	}
	if _, _, err := UnmarshalUint8s(nil, []byte{modeFixed1, 1}, 2); err == nil {
		t.Error("short uint8 column accepted")
	}
	if _, _, err := UnmarshalUint32s(nil, []byte{modeConst, 0xff, 0xff, 0xff, 0xff, 0x10}, 1); err == nil {
		t.Error("uint32 constant above 2^32 accepted")
	}
}

func TestBytesColumn(t *testing.T) {
	var e ColumnEncoder
	states := [][]byte{[]byte("SF"), []byte("S0"), []byte("REJ"), []byte("")}
	dictRows := make([][]byte, 500)
	for i := range dictRows {
		dictRows[i] = states[i%len(states)]
	}
	plain := make([][]byte, 50)
	for i := range plain {
		plain[i] = []byte{byte(i), byte(i * 7), 'x'}
	}
	for name, vs := range map[string][][]byte{"dict": dictRows, "plain": plain, "one": {[]byte("a")}, "empty": {}} {
		b := e.AppendBytesColumn(nil, vs)
		got, _, tail, err := UnmarshalBytesColumn(nil, nil, b, len(vs))
		if err != nil || len(got) != len(vs) || len(tail) != 0 {
			t.Fatalf("%s: err %v, %d rows", name, err, len(got))
		}
		for i := range vs {
			if !bytes.Equal(got[i], vs[i]) {
				t.Fatalf("%s: row %d = %q, want %q", name, i, got[i], vs[i])
			}
		}
		if len(vs) > 1 {
			if _, _, _, err := UnmarshalBytesColumn(nil, nil, b[:len(b)-1], len(vs)); err == nil {
				t.Errorf("%s truncated: no error", name)
			}
		}
	}
	if b := e.AppendBytesColumn(nil, dictRows); b[0] != modeDict || len(b) > 520 {
		t.Errorf("dictionary column: mode %d, %d bytes", b[0], len(b))
	}
	// An index past the dictionary is an error, not a panic.
	bad := []byte{modeDict, 2, 1, 'a', 1, 'b', 1, 0, 2}
	if _, _, _, err := UnmarshalBytesColumn(nil, nil, bad, 2); err == nil {
		t.Error("dictionary index out of range accepted")
	}
}

func TestAddrColumn(t *testing.T) {
	var e ColumnEncoder
	v4 := [16]byte{192, 168, 1, 10}
	v6 := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}
	rows := make([][16]byte, 300)
	for i := range rows {
		if i%3 == 0 {
			rows[i] = v6
		} else {
			rows[i] = v4
		}
	}
	distinct := make([][16]byte, 40)
	for i := range distinct {
		distinct[i] = [16]byte{10, 0, byte(i), 1}
	}
	for name, vs := range map[string][][16]byte{"dict": rows, "plain": distinct, "zero": {{}}} {
		b := e.AppendAddrColumn(nil, vs)
		got, _, tail, err := UnmarshalAddrColumn(nil, nil, b, len(vs))
		if err != nil || !slices.Equal(got, vs) || len(tail) != 0 {
			t.Errorf("%s: err %v equal %v", name, err, slices.Equal(got, vs))
		}
	}
	// 300 rows of two addresses: 2 dictionary entries (5 and 17 bytes) + 1 byte per row.
	if b := e.AppendAddrColumn(nil, rows); len(b) != 1+1+5+17+1+300 {
		t.Errorf("dictionary address column is %d bytes", len(b))
	}
}

func TestDecodeNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ts := int64Cases(r)["sorted"]
	bi := AppendInt64s(nil, ts)
	u := make([]uint32, len(ts))
	for i := range u {
		u[i] = uint32(r.IntN(70000))
	}
	bu := AppendUint32s(nil, u)
	var e ColumnEncoder
	addrs := make([][16]byte, len(ts))
	strs := make([][]byte, len(ts))
	for i := range addrs {
		addrs[i] = [16]byte{10, 0, 0, byte(i % 50)}
		strs[i] = []byte{'s', byte(i % 9)}
	}
	ba := e.AppendAddrColumn(nil, addrs)
	bb := e.AppendBytesColumn(nil, strs)
	var di []int64
	var du []uint32
	var da, dad [][16]byte
	var db, dbd [][]byte
	allocs := testing.AllocsPerRun(50, func() {
		var err error
		if di, _, err = UnmarshalInt64s(di[:0], bi, len(ts)); err != nil {
			t.Fatal(err)
		}
		if du, _, err = UnmarshalUint32s(du[:0], bu, len(u)); err != nil {
			t.Fatal(err)
		}
		if da, dad, _, err = UnmarshalAddrColumn(da[:0], dad, ba, len(addrs)); err != nil {
			t.Fatal(err)
		}
		if db, dbd, _, err = UnmarshalBytesColumn(db[:0], dbd, bb, len(strs)); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("decoding into reused buffers: %v allocations per run, want 0", allocs)
	}
	if !slices.Equal(di, ts) || !slices.Equal(du, u) || !slices.Equal(da, addrs) {
		t.Error("decoded values differ")
	}
}
