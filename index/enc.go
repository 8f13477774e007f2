package index

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
)

// This file holds the scalar encodings and the integer column encodings, in the style of
// VictoriaMetrics' lib/encoding: AppendX(dst, v) []byte appends an encoding to dst and
// UnmarshalX(src) (tail, v, err) decodes one from the front of src. Column decoders append
// into a caller's slice, so decoding into reused buffers allocates nothing.
//
// Every column encoding starts with a mode byte; the mode numbers and the layouts below are
// part of the durable format (see doc.go). A column does not store its own row count: the
// caller passes n, which the table layer takes from the block index and bounds by
// MaxBlockRows.

// MaxBlockRows bounds the rows of one block of a table (and so the values of one column
// chunk). Part of the durable format: readers refuse larger counts.
const MaxBlockRows = 1 << 20

// Column encoding modes (durable).
const (
	modeConst        = 0  // one value for every row
	modeDelta        = 1  // int64: first value zigzag varint, then uvarint deltas (sorted input)
	modeZigzag       = 2  // int64: first value zigzag varint, then zigzag varint deltas
	modeVarint       = 3  // uint32: one uvarint per row
	modeFixed1       = 4  // unsigned: 1 byte per row
	modeFixed2       = 5  // unsigned: 2 bytes per row, little endian
	modeFixed3       = 6  // uint32: 3 bytes per row, little endian
	modeFixed4       = 7  // uint32: 4 bytes per row, little endian
	modeDict         = 8  // bytes/addr: dictionary + fixed-width indexes
	modePlain        = 9  // bytes: uvarint length + bytes per row; addr: 16 bytes per row
	modeScaled       = 10 // int64: first value zigzag varint, uvarint scale g > 1, then uvarint deltas / g
	modeZigzagScaled = 11 // int64: first value zigzag varint, uvarint scale g > 1, then zigzag varint deltas / g
	modeRank         = 12 // uint32 slot numbers as move-to-front ranks (see appendRanks), then a uint32 column
)

// AppendUvarint appends the unsigned varint encoding of v.
func AppendUvarint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

// UnmarshalUvarint decodes an unsigned varint from the front of src.
func UnmarshalUvarint(src []byte) ([]byte, uint64, error) {
	if len(src) > 0 && src[0] < 0x80 {
		return src[1:], uint64(src[0]), nil
	}
	v, n := binary.Uvarint(src)
	if n > 0 {
		return src[n:], v, nil
	}
	if n == 0 {
		return src, 0, errShort
	}
	return src, 0, errOverflow
}

// AppendVarint appends the zigzag varint encoding of v.
func AppendVarint(dst []byte, v int64) []byte { return binary.AppendUvarint(dst, zigzag(v)) }

// UnmarshalVarint decodes a zigzag varint from the front of src.
func UnmarshalVarint(src []byte) ([]byte, int64, error) {
	tail, u, err := UnmarshalUvarint(src)
	return tail, unzigzag(u), err
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// AppendUint32 appends v as 4 little-endian bytes.
func AppendUint32(dst []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(dst, v) }

// UnmarshalUint32 decodes 4 little-endian bytes from the front of src.
func UnmarshalUint32(src []byte) ([]byte, uint32, error) {
	if len(src) < 4 {
		return src, 0, errShort
	}
	return src[4:], binary.LittleEndian.Uint32(src), nil
}

// AppendUint64 appends v as 8 little-endian bytes.
func AppendUint64(dst []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(dst, v) }

// UnmarshalUint64 decodes 8 little-endian bytes from the front of src.
func UnmarshalUint64(src []byte) ([]byte, uint64, error) {
	if len(src) < 8 {
		return src, 0, errShort
	}
	return src[8:], binary.LittleEndian.Uint64(src), nil
}

// AppendBytes appends b with a uvarint length prefix.
func AppendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// UnmarshalBytes decodes a length-prefixed byte string from the front of src. The returned
// slice is a view into src.
func UnmarshalBytes(src []byte) ([]byte, []byte, error) {
	tail, n, err := UnmarshalUvarint(src)
	if err != nil {
		return src, nil, err
	}
	if n > uint64(len(tail)) {
		return src, nil, errShort
	}
	return tail[n:], tail[:n:n], nil
}

func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

func checkRows(n int) error {
	if n < 0 || n > MaxBlockRows {
		return errTooMany
	}
	return nil
}

// columnMode checks the row count n of a column and reads its mode byte; on error it
// returns src unchanged.
func columnMode(src []byte, n int) (mode byte, tail []byte, err error) {
	if err := checkRows(n); err != nil {
		return 0, src, err
	}
	if len(src) < 1 {
		return 0, src, errShort
	}
	return src[0], src[1:], nil
}

// appendRepeat appends n copies of v to dst (a constant column).
func appendRepeat[T any](dst []T, v T, n int) []T {
	dst = slices.Grow(dst, n)
	for range n {
		dst = append(dst, v)
	}
	return dst
}

// AppendInt64s appends the encoding of vs: constant, delta (sorted) or zigzag delta, whichever
// applies. Timestamps and byte offsets, sorted within a block, cost one short uvarint each.
func AppendInt64s(dst []byte, vs []int64) []byte {
	if len(vs) == 0 {
		return append(dst, modeConst, 0)
	}
	sorted, constant := true, true
	for i := 1; i < len(vs); i++ {
		if vs[i] < vs[i-1] {
			sorted = false
		}
		if vs[i] != vs[0] {
			constant = false
		}
	}
	if constant {
		dst = append(dst, modeConst)
		return AppendVarint(dst, vs[0])
	}
	// Timestamps of a microsecond capture, kept in ns, share the factor 1000, also when
	// time goes backwards now and then (merged or reordered captures).
	var g uint64
	for i := 1; i < len(vs) && g != 1; i++ {
		d := uint64(vs[i] - vs[i-1]) // sorted: the difference, even when it overflows int64
		if !sorted && int64(d) < 0 {
			d = -d // the magnitude (1<<63 for MinInt64)
		}
		g = gcd(g, d)
	}
	switch {
	case sorted && g > 1:
		dst = append(dst, modeScaled)
		dst = AppendVarint(dst, vs[0])
		dst = binary.AppendUvarint(dst, g)
		for i := 1; i < len(vs); i++ {
			dst = binary.AppendUvarint(dst, uint64(vs[i]-vs[i-1])/g)
		}
		return dst
	case sorted:
		dst = append(dst, modeDelta)
		dst = AppendVarint(dst, vs[0])
		for i := 1; i < len(vs); i++ {
			dst = binary.AppendUvarint(dst, uint64(vs[i]-vs[i-1]))
		}
		return dst
	case g > 1 && g <= math.MaxInt64:
		dst = append(dst, modeZigzagScaled)
		dst = AppendVarint(dst, vs[0])
		dst = binary.AppendUvarint(dst, g)
		for i := 1; i < len(vs); i++ {
			dst = AppendVarint(dst, (vs[i]-vs[i-1])/int64(g))
		}
		return dst
	default:
		dst = append(dst, modeZigzag)
		dst = AppendVarint(dst, vs[0])
		for i := 1; i < len(vs); i++ {
			dst = AppendVarint(dst, vs[i]-vs[i-1])
		}
		return dst
	}
}

// UnmarshalInt64s decodes n values encoded by AppendInt64s from the front of src and appends
// them to dst. It allocates only when dst lacks capacity.
func UnmarshalInt64s(dst []int64, src []byte, n int) ([]int64, []byte, error) {
	mode, src, err := columnMode(src, n)
	if err != nil {
		return dst, src, err
	}
	src, v, err := UnmarshalVarint(src)
	if err != nil {
		return dst, src, err
	}
	if n == 0 {
		return dst, src, nil
	}
	switch mode {
	case modeConst:
		return appendRepeat(dst, v, n), src, nil
	case modeDelta, modeZigzag, modeScaled, modeZigzagScaled:
		g := uint64(1)
		if mode == modeScaled || mode == modeZigzagScaled {
			if src, g, err = UnmarshalUvarint(src); err != nil {
				return dst, src, err
			}
			if g < 2 {
				return dst, src, errRange
			}
		}
		if n-1 > len(src) { // every delta takes at least one byte
			return dst, src, errShort
		}
		dst = slices.Grow(dst, n)
		dst = append(dst, v)
		for i := 1; i < n; i++ {
			var u uint64
			if len(src) > 0 && src[0] < 0x80 {
				u = uint64(src[0])
				src = src[1:]
			} else if src, u, err = UnmarshalUvarint(src); err != nil {
				return dst, src, err
			}
			switch mode {
			case modeZigzag:
				v += unzigzag(u)
			case modeZigzagScaled:
				v += unzigzag(u) * int64(g)
			default:
				v += int64(u * g)
			}
			dst = append(dst, v)
		}
		return dst, src, nil
	}
	return dst, src, errMode
}

// AppendUint32s appends the encoding of vs: constant, fixed width (1 to 4 bytes) or one
// uvarint per value, whichever is smallest (fixed width on a tie: it compresses better).
func AppendUint32s(dst []byte, vs []uint32) []byte {
	if len(vs) == 0 {
		return append(dst, modeConst, 0)
	}
	var max uint32
	constant := true
	vlen := 0
	for _, v := range vs {
		max |= v
		if v != vs[0] {
			constant = false
		}
		vlen += uvarintLen(uint64(v))
	}
	if constant {
		dst = append(dst, modeConst)
		return binary.AppendUvarint(dst, uint64(vs[0]))
	}
	w := (bits.Len32(max) + 7) / 8
	if vlen < w*len(vs) {
		dst = append(dst, modeVarint)
		for _, v := range vs {
			dst = binary.AppendUvarint(dst, uint64(v))
		}
		return dst
	}
	dst = append(dst, byte(modeFixed1+w-1))
	return appendFixed(dst, vs, w)
}

// appendFixed appends every value as w bytes (1 to 4) little endian; the caller has
// checked that the values fit.
func appendFixed[T uint16 | uint32](dst []byte, vs []T, w int) []byte {
	switch w {
	case 1:
		for _, v := range vs {
			dst = append(dst, byte(v))
		}
	case 2:
		for _, v := range vs {
			dst = append(dst, byte(v), byte(v>>8))
		}
	case 3:
		for _, v := range vs {
			dst = append(dst, byte(v), byte(v>>8), byte(uint32(v)>>16))
		}
	default:
		for _, v := range vs {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		}
	}
	return dst
}

// unmarshalFixed decodes n values of w bytes (1 to 4) little endian, encoded by
// appendFixed, from the front of src and appends them to dst.
func unmarshalFixed[T uint16 | uint32](dst []T, src []byte, n, w int) ([]T, []byte, error) {
	if n > len(src)/w {
		return dst, src, errShort
	}
	dst = slices.Grow(dst, n)
	b := src[:n*w]
	switch w {
	case 1:
		for _, c := range b {
			dst = append(dst, T(c))
		}
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			dst = append(dst, T(b[i])|T(b[i+1])<<8)
		}
	case 3:
		for i := 0; i+2 < len(b); i += 3 {
			dst = append(dst, T(uint32(b[i])|uint32(b[i+1])<<8|uint32(b[i+2])<<16))
		}
	default:
		for i := 0; i+3 < len(b); i += 4 {
			dst = append(dst, T(binary.LittleEndian.Uint32(b[i:])))
		}
	}
	return dst, src[n*w:], nil
}

// UnmarshalUint32s decodes n values encoded by AppendUint32s or
// ColumnEncoder.AppendUint32Column and appends them to dst.
func UnmarshalUint32s(dst []uint32, src []byte, n int) ([]uint32, []byte, error) {
	if len(src) > 0 && src[0] == modeRank {
		if err := checkRows(n); err != nil {
			return dst, src, err
		}
		return unmarshalRanks(dst, src[1:], n)
	}
	return unmarshalUint32s(dst, src, n)
}

// unmarshalUint32s decodes n values encoded by AppendUint32s.
func unmarshalUint32s(dst []uint32, src []byte, n int) ([]uint32, []byte, error) {
	mode, src, err := columnMode(src, n)
	if err != nil {
		return dst, src, err
	}
	switch mode {
	case modeConst:
		tail, v, err := UnmarshalUvarint(src)
		if err != nil {
			return dst, src, err
		}
		if v > 1<<32-1 {
			return dst, src, errRange
		}
		return appendRepeat(dst, uint32(v), n), tail, nil
	case modeVarint:
		if n > len(src) {
			return dst, src, errShort
		}
		dst = slices.Grow(dst, n)
		for range n {
			var v uint64
			if len(src) > 0 && src[0] < 0x80 {
				v = uint64(src[0])
				src = src[1:]
			} else if src, v, err = UnmarshalUvarint(src); err != nil {
				return dst, src, err
			}
			if v > 1<<32-1 {
				return dst, src, errRange
			}
			dst = append(dst, uint32(v))
		}
		return dst, src, nil
	case modeFixed1, modeFixed2, modeFixed3, modeFixed4:
		return unmarshalFixed(dst, src, n, int(mode-modeFixed1)+1)
	}
	return dst, src, errMode
}

// AppendUint16s appends the encoding of vs: constant, or 1 or 2 bytes per value.
func AppendUint16s(dst []byte, vs []uint16) []byte {
	if len(vs) == 0 {
		return append(dst, modeConst, 0, 0)
	}
	var max uint16
	constant := true
	for _, v := range vs {
		max |= v
		if v != vs[0] {
			constant = false
		}
	}
	if constant {
		return append(dst, modeConst, byte(vs[0]), byte(vs[0]>>8))
	}
	w := 1
	if max >= 256 {
		w = 2
	}
	dst = append(dst, byte(modeFixed1+w-1))
	return appendFixed(dst, vs, w)
}

// UnmarshalUint16s decodes n values encoded by AppendUint16s and appends them to dst.
func UnmarshalUint16s(dst []uint16, src []byte, n int) ([]uint16, []byte, error) {
	mode, src, err := columnMode(src, n)
	if err != nil {
		return dst, src, err
	}
	switch mode {
	case modeConst:
		if len(src) < 2 {
			return dst, src, errShort
		}
		v := uint16(src[0]) | uint16(src[1])<<8
		return appendRepeat(dst, v, n), src[2:], nil
	case modeFixed1, modeFixed2:
		return unmarshalFixed(dst, src, n, int(mode-modeFixed1)+1)
	}
	return dst, src, errMode
}

// AppendUint8s appends the encoding of vs: constant, or the bytes themselves.
func AppendUint8s(dst []byte, vs []uint8) []byte {
	if len(vs) == 0 {
		return append(dst, modeConst, 0)
	}
	for _, v := range vs {
		if v != vs[0] {
			dst = append(dst, modeFixed1)
			return append(dst, vs...)
		}
	}
	return append(dst, modeConst, vs[0])
}

// UnmarshalUint8s decodes n values encoded by AppendUint8s and appends them to dst.
func UnmarshalUint8s(dst []uint8, src []byte, n int) ([]uint8, []byte, error) {
	mode, src, err := columnMode(src, n)
	if err != nil {
		return dst, src, err
	}
	switch mode {
	case modeConst:
		if len(src) < 1 {
			return dst, src, errShort
		}
		v := src[0]
		return appendRepeat(dst, v, n), src[1:], nil
	case modeFixed1:
		if n > len(src) {
			return dst, src, errShort
		}
		return append(dst, src[:n]...), src[n:], nil
	}
	return dst, src, errMode
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
