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
// are mostly small. Both sides keep a list of the rankSlots most recently seen slots, most
// recent first; the column is then
//
//	modeRank, then the uint32 column (AppendUint32s without rank mode) of, per row:
//	  0                  slot 0 (the list is left as it is)
//	  1                  the next new slot (largest so far + 1)
//	  2 + r              the slot at place r of the list (r < rankSlots)
//	  2 + rankSlots + s  slot s, seen before but no longer in the list
//
// and the row's slot moves (or enters) at the front of the list, the last one leaving a
// full list. A rank costs a scan of the list up to its place: busy flows are near the front.
const rankSlots = 64

// rankScratch is the encoder's reused state.
type rankScratch struct {
	ranks []uint32
}

// mtfFront moves list[r] to the front of list.
func mtfFront(list []uint32, r int) {
	s := list[r]
	copy(list[1:r+1], list[:r])
	list[0] = s
}

// mtfPush puts s at the front of list (len(list) < cap, or the last one leaves) and
// returns the list.
func mtfPush(list []uint32, s uint32) []uint32 {
	if len(list) < rankSlots {
		list = append(list, 0)
	}
	copy(list[1:], list[:len(list)-1])
	list[0] = s
	return list
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
	s.ranks = slices.Grow(s.ranks[:0], n+rankSlots)[:n]
	var buf [rankSlots]uint32
	list := buf[:0]
	var nslot uint32
rows:
	for i, v := range vs {
		switch {
		case v == 0:
			s.ranks[i] = 0
			continue
		case v == nslot+1:
			nslot++
			s.ranks[i] = 1
		case v <= nslot:
			for r, x := range list {
				if x == v {
					s.ranks[i] = 2 + uint32(r)
					mtfFront(list, r)
					continue rows
				}
			}
			s.ranks[i] = 2 + rankSlots + v
		default:
			return nil, false
		}
		list = mtfPush(list, v)
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
// appends them to dst, allocating nothing once dst has grown.
func unmarshalRanks(dst []uint32, src []byte, n int) ([]uint32, []byte, error) {
	base := len(dst)
	dst, src, err := unmarshalUint32s(dst, src, n)
	if err != nil {
		return dst[:base], src, err
	}
	var buf [rankSlots]uint32
	list := buf[:0]
	var nslot uint32
	for i, v := range dst[base:] {
		switch {
		case v == 0:
			continue
		case v == 1:
			nslot++
			v = nslot
		case v-2 < uint32(len(list)):
			r := int(v - 2)
			v = list[r]
			mtfFront(list, r)
			dst[base+i] = v
			continue
		case v >= 2+rankSlots && v-(2+rankSlots) >= 1 && v-(2+rankSlots) <= nslot:
			v -= 2 + rankSlots
		default:
			return dst[:base], src, errRange
		}
		dst[base+i] = v
		list = mtfPush(list, v)
	}
	return dst, src, nil
}
