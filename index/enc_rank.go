package index

import (
	"math/bits"
	"slices"
)

// Slot columns as move-to-front ranks (mode modeRank, durable).
//
// A column of block-local slot numbers (the packet table's "kslot": 0 for none, and each
// other number first appearing as one more than the largest before it) repeats a few
// values in a shifting order: the flows busy at that moment. Stored as numbers they take
// the width of the block's largest slot; stored as how recently each was last seen they
// are mostly small. The column is then
//
//	modeRank, then the uint32 column (AppendUint32s without rank mode) of, per row:
//	  0             slot 0
//	  1             the next new slot (largest so far + 1)
//	  2 + r         a slot seen before, r being the number of distinct nonzero slots
//	                seen since its previous row (0: the slot of the latest nonzero row)
//
// Both directions cost O(log n) per row: a Fenwick tree over the rows marks the latest row
// of every slot, so a rank is a count of marks and a slot the k-th mark.

// rankScratch is the encoder's reused state.
type rankScratch struct {
	tree  []uint32 // Fenwick tree over rows 1..n
	last  []uint32 // last row of each slot
	ranks []uint32
}

// fenwickAdd adds d (+1 or -1 as uint32) at position pos (1-based) of t.
func fenwickAdd(t []uint32, pos int, d uint32) {
	for ; pos < len(t); pos += pos & -pos {
		t[pos] += d
	}
}

// fenwickSum returns the sum of positions 1..pos of t.
func fenwickSum(t []uint32, pos int) uint32 {
	var s uint32
	for ; pos > 0; pos -= pos & -pos {
		s += t[pos]
	}
	return s
}

// fenwickFind returns the smallest position whose prefix sum reaches k (1 <= k <= total).
func fenwickFind(t []uint32, k uint32) int {
	pos := 0
	for step := 1 << (bits.Len(uint(len(t)-1)) - 1); step > 0; step >>= 1 {
		if next := pos + step; next < len(t) && t[next] < k {
			pos = next
			k -= t[next]
		}
	}
	return pos + 1
}

// slotRanks returns the ranks of vs and true, or false when vs are not slot numbers.
func (s *rankScratch) slotRanks(vs []uint32) ([]uint32, bool) {
	n := len(vs)
	// A quick look first: most columns fail at their first nonzero value.
	for _, v := range vs {
		if v != 0 {
			if v != 1 {
				return nil, false
			}
			break
		}
	}
	s.tree = slices.Grow(s.tree[:0], n+1)[:n+1]
	clear(s.tree)
	s.last = slices.Grow(s.last[:0], n+1)[:n+1]
	s.ranks = slices.Grow(s.ranks[:0], n)[:n]
	var nslot uint32
	for i, v := range vs {
		switch {
		case v == 0:
			s.ranks[i] = 0
			continue
		case v == nslot+1:
			nslot++
			s.ranks[i] = 1
		case v <= nslot:
			p := int(s.last[v])
			s.ranks[i] = 2 + fenwickSum(s.tree, i) - fenwickSum(s.tree, p+1)
			fenwickAdd(s.tree, p+1, ^uint32(0))
		default:
			return nil, false
		}
		s.last[v] = uint32(i)
		fenwickAdd(s.tree, i+1, 1)
	}
	return s.ranks, true
}

// uint32Cost returns the bytes AppendUint32s (rank mode aside) would use for vs, the mode
// byte aside.
func uint32Cost(vs []uint32) int {
	var max uint32
	vlen := 0
	for _, v := range vs {
		max |= v
		vlen += uvarintLen(uint64(v))
	}
	return min(vlen, len(vs)*((bits.Len32(max)+7)/8))
}

// AppendUint32Column appends the encoding of vs as AppendUint32s does, or as move-to-front
// ranks (modeRank) when vs are slot numbers and the ranks take fewer bytes.
func (e *ColumnEncoder) AppendUint32Column(dst []byte, vs []uint32) []byte {
	if ranks, ok := e.rank.slotRanks(vs); ok && uint32Cost(ranks) <= uint32Cost(vs) {
		dst = append(dst, modeRank)
		return AppendUint32s(dst, ranks)
	}
	return AppendUint32s(dst, vs)
}

// unmarshalRanks decodes n slot numbers stored as ranks (after the modeRank byte) and
// appends them to dst. The Fenwick tree lives in dst's spare capacity, so warm buffers
// allocate nothing.
func unmarshalRanks(dst []uint32, src []byte, n int) ([]uint32, []byte, error) {
	base := len(dst)
	dst = slices.Grow(dst, 2*n+1)
	dst, src, err := unmarshalUint32s(dst, src, n)
	if err != nil {
		return dst[:base], src, err
	}
	out := dst[base : base+n]
	tree := dst[base+n : base+2*n+1]
	clear(tree)
	var nslot, total uint32
	for i, v := range out {
		switch v {
		case 0:
			continue
		case 1:
			nslot++
			total++
			out[i] = nslot
		default:
			r := v - 2
			if r >= total {
				return dst[:base], src, errRange
			}
			pos := fenwickFind(tree, total-r)
			out[i] = out[pos-1]
			fenwickAdd(tree, pos, ^uint32(0))
		}
		fenwickAdd(tree, i+1, 1)
	}
	return dst, src, nil
}
