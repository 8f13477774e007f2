package index

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// Byte-string and address columns. Both use a dictionary when values repeat (host names,
// connection states, the addresses of a flow table) and fall back to plain values otherwise.
//
// Dictionary layout (durable): mode byte modeDict, uvarint dictionary size d, the d entries,
// one byte w (index width in bytes, 0 when d == 1), then n indexes of w bytes little endian.
// A bytes entry is a uvarint length and the bytes; an address entry is one byte k (0..16) and
// the first k bytes of the address (trailing zero bytes trimmed, so an IPv4 address costs 5).

// ColumnEncoder holds the scratch maps the dictionary encoders reuse from block to block.
// The zero value is ready to use; it is not safe for concurrent use.
type ColumnEncoder struct {
	bmap  map[string]uint32
	amap  map[[16]byte]uint32
	bdict [][]byte
	adict [][16]byte
	idx   []uint32
	rank  rankScratch
}

// AppendBytesColumn appends the encoding of vs.
func (e *ColumnEncoder) AppendBytesColumn(dst []byte, vs [][]byte) []byte {
	if e.bmap == nil {
		e.bmap = make(map[string]uint32)
	}
	clear(e.bmap)
	e.bdict = e.bdict[:0]
	e.idx = e.idx[:0]
	dictBytes := 0
	for _, v := range vs {
		i, ok := e.bmap[string(v)]
		if !ok {
			i = uint32(len(e.bdict))
			e.bmap[string(v)] = i
			e.bdict = append(e.bdict, v)
			dictBytes += len(v)
		}
		e.idx = append(e.idx, i)
	}
	if len(vs) > 0 && len(e.bdict) <= len(vs)/2 || len(e.bdict) == 1 {
		dst = append(dst, modeDict)
		dst = binary.AppendUvarint(dst, uint64(len(e.bdict)))
		for _, v := range e.bdict {
			dst = AppendBytes(dst, v)
		}
		return appendIndexes(dst, e.idx, len(e.bdict))
	}
	dst = append(dst, modePlain)
	for _, v := range vs {
		dst = AppendBytes(dst, v)
	}
	return dst
}

func appendIndexes(dst []byte, idx []uint32, d int) []byte {
	w := 0
	if d > 1 {
		w = (bits.Len32(uint32(d-1)) + 7) / 8
	}
	dst = append(dst, byte(w))
	if w == 0 {
		return dst
	}
	return appendFixed(dst, idx, w)
}

// readIndex reads the i-th index of width w from b; the caller has checked len(b) >= n*w.
func readIndex(b []byte, i, w int) uint32 {
	switch w {
	case 0:
		return 0
	case 1:
		return uint32(b[i])
	case 2:
		return uint32(b[2*i]) | uint32(b[2*i+1])<<8
	case 3:
		return uint32(b[3*i]) | uint32(b[3*i+1])<<8 | uint32(b[3*i+2])<<16
	}
	return binary.LittleEndian.Uint32(b[4*i:])
}

// startDict reads the entry count d of a dictionary (at least 1, at most one entry per
// remaining byte of src) and empties dict with room for d entries.
func startDict[T any](dict []T, src []byte) ([]T, []byte, int, error) {
	tail, d, err := UnmarshalUvarint(src)
	if err != nil {
		return dict, src, 0, err
	}
	if d == 0 || d > uint64(len(tail)) || d > MaxBlockRows {
		return dict, tail, 0, errRange
	}
	return slices.Grow(dict[:0], int(d)), tail, int(d), nil
}

// appendDictRows reads the index width and n indexes into dict from the front of src and
// appends the rows they name to dst.
func appendDictRows[T any](dst, dict []T, src []byte, n int) ([]T, []byte, error) {
	idx, w, tail, err := readIndexHeader(src, n, len(dict))
	if err != nil {
		return dst, src, err
	}
	dst = slices.Grow(dst, n)
	for i := range n {
		k := readIndex(idx, i, w)
		if uint64(k) >= uint64(len(dict)) {
			return dst, src, errRange
		}
		dst = append(dst, dict[k])
	}
	return dst, tail, nil
}

// readIndexHeader reads the width byte and returns the index bytes for n rows.
func readIndexHeader(src []byte, n, d int) (idx []byte, w int, tail []byte, err error) {
	if len(src) < 1 {
		return nil, 0, src, errShort
	}
	w = int(src[0])
	src = src[1:]
	if w > 4 || (w == 0 && d != 1) { // indexes themselves are checked against d by the caller
		return nil, 0, src, errRange
	}
	if w > 0 && n > len(src)/w {
		return nil, 0, src, errShort
	}
	return src[:n*w], w, src[n*w:], nil
}

// UnmarshalBytesColumn decodes n values encoded by AppendBytesColumn and appends them to dst.
// The values are views into src (valid as long as src is). dict is scratch space for the
// dictionary, returned for reuse; neither allocates once their capacities suffice.
func UnmarshalBytesColumn(dst, dict [][]byte, src []byte, n int) (rows, dictOut [][]byte, tail []byte, err error) {
	mode, src, err := columnMode(src, n)
	if err != nil {
		return dst, dict, src, err
	}
	switch mode {
	case modePlain:
		if n > len(src) {
			return dst, dict, src, errShort
		}
		dst = slices.Grow(dst, n)
		for range n {
			var b []byte
			if src, b, err = UnmarshalBytes(src); err != nil {
				return dst, dict, src, err
			}
			dst = append(dst, b)
		}
		return dst, dict, src, nil
	case modeDict:
		var d int
		if dict, src, d, err = startDict(dict, src); err != nil {
			return dst, dict, src, err
		}
		for range d {
			var b []byte
			if src, b, err = UnmarshalBytes(src); err != nil {
				return dst, dict, src, err
			}
			dict = append(dict, b)
		}
		dst, src, err = appendDictRows(dst, dict, src, n)
		return dst, dict, src, err
	}
	return dst, dict, src, errMode
}

// AppendAddrColumn appends the encoding of vs, 16-byte addresses (IPv4 in the first 4 bytes).
func (e *ColumnEncoder) AppendAddrColumn(dst []byte, vs [][16]byte) []byte {
	if e.amap == nil {
		e.amap = make(map[[16]byte]uint32)
	}
	clear(e.amap)
	e.adict = e.adict[:0]
	e.idx = e.idx[:0]
	for _, v := range vs {
		i, ok := e.amap[v]
		if !ok {
			i = uint32(len(e.adict))
			e.amap[v] = i
			e.adict = append(e.adict, v)
		}
		e.idx = append(e.idx, i)
	}
	if len(vs) > 0 && len(e.adict) <= len(vs)/2 || len(e.adict) == 1 {
		dst = append(dst, modeDict)
		dst = binary.AppendUvarint(dst, uint64(len(e.adict)))
		for i := range e.adict {
			a := e.adict[i][:]
			k := 16
			for k > 0 && a[k-1] == 0 {
				k--
			}
			dst = append(dst, byte(k))
			dst = append(dst, a[:k]...)
		}
		return appendIndexes(dst, e.idx, len(e.adict))
	}
	dst = append(dst, modePlain)
	for i := range vs {
		dst = append(dst, vs[i][:]...)
	}
	return dst
}

// UnmarshalAddrColumn decodes n addresses encoded by AppendAddrColumn and appends them to
// dst; dict is scratch space returned for reuse.
func UnmarshalAddrColumn(dst, dict [][16]byte, src []byte, n int) (rows, dictOut [][16]byte, tail []byte, err error) {
	mode, src, err := columnMode(src, n)
	if err != nil {
		return dst, dict, src, err
	}
	switch mode {
	case modePlain:
		if n > len(src)/16 {
			return dst, dict, src, errShort
		}
		dst = slices.Grow(dst, n)
		for i := range n {
			dst = append(dst, [16]byte(src[16*i:16*i+16]))
		}
		return dst, dict, src[16*n:], nil
	case modeDict:
		var d int
		if dict, src, d, err = startDict(dict, src); err != nil {
			return dst, dict, src, err
		}
		for range d {
			if len(src) < 1 || src[0] > 16 || int(src[0]) > len(src)-1 {
				return dst, dict, src, errShort
			}
			var a [16]byte
			k := int(src[0])
			copy(a[:], src[1:1+k])
			src = src[1+k:]
			dict = append(dict, a)
		}
		dst, src, err = appendDictRows(dst, dict, src, n)
		return dst, dict, src, err
	}
	return dst, dict, src, errMode
}
