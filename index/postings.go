package index

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
)

// Postings section layout (durable; all integers little endian, fixed width, so a lookup
// is a binary search over the section without decoding it):
//
//	u32 n           number of keys
//	u32 width       key width in bytes, or 0 for variable-width keys
//	[width == 0]    (n+1) x u32 key offsets into the key area
//	key area        n*width bytes, or keyOff[n] bytes; keys strictly increasing (bytes.Compare)
//	pad             zero bytes up to a multiple of 8 from the section start
//	(n+1) x u32     bitmap offsets, relative to the bitmap area, each a multiple of 8
//	pad             zero bytes up to a multiple of 8
//	bitmap area     serialized roaring bitmaps (portable format), each starting 8-aligned
const postingsHeader = 8

// WritePostings writes a postings section: keys (strictly increasing, all of length
// keyWidth, or of any length when keyWidth is 0) and one bitmap per key. Bitmaps are written
// as they are (call RunOptimize first to shrink runs).
func (w *Writer) WritePostings(name string, keyWidth int, keys [][]byte, bms []*roaring.Bitmap) error {
	buf, err := appendPostings(nil, name, keyWidth, keys, bms)
	if err != nil {
		return w.fail(err)
	}
	return w.addPostings(name, buf)
}

// addPostings writes a postings section encoded by appendPostings.
func (w *Writer) addPostings(name string, data []byte) error {
	s, err := w.begin(SectionPostings, name)
	if err != nil {
		return err
	}
	if _, err := s.Write(data); err != nil {
		return err
	}
	return w.end(s)
}

// appendPostings appends the encoding of a postings section (see WritePostings) to dst.
// It touches no Writer, so sections can be encoded concurrently.
func appendPostings(dst []byte, name string, keyWidth int, keys [][]byte, bms []*roaring.Bitmap) ([]byte, error) {
	ser := make([][]byte, len(bms))
	for i, bm := range bms {
		b, err := bm.ToBytes()
		if err != nil {
			return nil, fmt.Errorf("index: postings %q: %w", name, err)
		}
		ser[i] = b
	}
	return appendPostingsRaw(dst, name, keyWidth, keys, ser)
}

// appendPostingsRaw is appendPostings with each bitmap already in roaring's portable
// serialization.
func appendPostingsRaw(dst []byte, name string, keyWidth int, keys [][]byte, bms [][]byte) ([]byte, error) {
	if len(keys) != len(bms) {
		return nil, fmt.Errorf("index: postings %q: %d keys, %d bitmaps", name, len(keys), len(bms))
	}
	if keyWidth < 0 || keyWidth > 1<<16 || len(keys) > 1<<31 {
		return nil, fmt.Errorf("index: postings %q: key width %d", name, keyWidth)
	}
	if len(dst) != 0 {
		return nil, fmt.Errorf("index: postings %q: must start a buffer", name)
	}
	hdr := dst
	hdr = AppendUint32(hdr, uint32(len(keys)))
	hdr = AppendUint32(hdr, uint32(keyWidth))
	if keyWidth == 0 {
		off := 0
		for _, k := range keys {
			hdr = AppendUint32(hdr, uint32(off))
			off += len(k)
		}
		if off > 1<<32-1 {
			return nil, fmt.Errorf("index: postings %q: key area too large", name)
		}
		hdr = AppendUint32(hdr, uint32(off))
	}
	buf := hdr
	for i, k := range keys {
		if keyWidth > 0 && len(k) != keyWidth {
			return nil, fmt.Errorf("index: postings %q: key %d has %d bytes, want %d", name, i, len(k), keyWidth)
		}
		if i > 0 && bytes.Compare(keys[i-1], k) >= 0 {
			return nil, fmt.Errorf("index: postings %q: key %d (%x) not above key %d (%x)", name, i, k, i-1, keys[i-1])
		}
		buf = append(buf, k...)
	}
	buf = pad8(buf)
	var off uint64
	for _, bm := range bms {
		buf = AppendUint32(buf, uint32(off))
		off += (uint64(len(bm)) + 7) &^ 7
		if off > 1<<32-1 {
			return nil, fmt.Errorf("index: postings %q: bitmaps exceed 4 GiB", name)
		}
	}
	buf = AppendUint32(buf, uint32(off))
	buf = pad8(buf)
	for _, bm := range bms {
		buf = append(buf, bm...)
		buf = pad8(buf)
	}
	return buf, nil
}

// appendSmallBitmap appends the roaring portable serialization (RoaringFormatSpec) of the
// set rows (sorted, no duplicates) exactly as roaring's RunOptimize + WriteTo would write
// it, for the common case of one container (all rows share their high 16 bits) of at most
// 4096 values; ok is false otherwise (use roaring). It spares a roaring.Bitmap per key:
// most postings keys (addresses) have a handful of flows.
func appendSmallBitmap(dst []byte, rows []uint32) (out []byte, ok bool) {
	n := len(rows)
	if n == 0 || n > 4096 || rows[0]>>16 != rows[n-1]>>16 {
		return dst, false
	}
	runs := 1
	for i := 1; i < n; i++ {
		if rows[i] != rows[i-1]+1 {
			runs++
		}
	}
	key := uint16(rows[0] >> 16)
	// roaring's arrayContainer.toEfficientContainer: a run container when its size
	// (2 + 4 per run) is below both the array's (2 per value) and a bitmap's (8192).
	if 2+4*runs < min(8192, 2*n) {
		dst = binary.LittleEndian.AppendUint16(dst, 12347) // serialCookie
		dst = binary.LittleEndian.AppendUint16(dst, 0)     // containers - 1
		dst = append(dst, 1)                               // run bitset: container 0 is runs
		dst = binary.LittleEndian.AppendUint16(dst, key)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n-1))
		// fewer than 4 containers: no offset header
		dst = binary.LittleEndian.AppendUint16(dst, uint16(runs))
		start := 0
		for i := 1; i <= n; i++ {
			if i == n || rows[i] != rows[i-1]+1 {
				dst = binary.LittleEndian.AppendUint16(dst, uint16(rows[start]))
				dst = binary.LittleEndian.AppendUint16(dst, uint16(i-1-start))
				start = i
			}
		}
		return dst, true
	}
	dst = binary.LittleEndian.AppendUint32(dst, 12346) // serialCookieNoRunContainer
	dst = binary.LittleEndian.AppendUint32(dst, 1)     // containers
	dst = binary.LittleEndian.AppendUint16(dst, key)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(n-1))
	dst = binary.LittleEndian.AppendUint32(dst, 16) // offset of the container
	for _, r := range rows {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(r))
	}
	return dst, true
}

func pad8(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// Postings reads a postings section: O(log n) lookups, each bitmap a zero-copy view of the
// verified section bytes, valid until the Reader is closed. Safe for concurrent use.
type Postings struct {
	r     *Reader
	sec   SectionInfo
	n     int
	width int
	koffs []byte // (n+1) u32, variable width only
	keys  []byte
	boffs []byte // (n+1) u32
	area  []byte
	base  int64 // file offset of the section
}

// Postings returns the named postings section, verifying its checksum on first use.
func (r *Reader) Postings(name string) (*Postings, error) {
	r.mu.Lock()
	if p, ok := r.postings[name]; ok {
		r.mu.Unlock()
		return p, nil
	}
	r.mu.Unlock()
	i, ok := r.byName[name]
	if !ok || r.dir[i].Type != SectionPostings {
		return nil, fmt.Errorf("index: file %s: postings %q: %w", r.path, name, ErrNotFound)
	}
	b, err := r.section(i)
	if err != nil {
		return nil, err
	}
	p := &Postings{r: r, sec: r.dir[i], base: r.dir[i].Offset}
	if err := p.parse(b); err != nil {
		return nil, &CorruptError{File: r.path, Section: name, Offset: p.base, Msg: "postings header", Err: err}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.postings == nil {
		r.postings = map[string]*Postings{}
	}
	if old, ok := r.postings[name]; ok {
		return old, nil
	}
	r.postings[name] = p
	return p, nil
}

func (p *Postings) parse(b []byte) error {
	if len(b) < postingsHeader {
		return errShort
	}
	n := uint64(binary.LittleEndian.Uint32(b))
	w := uint64(binary.LittleEndian.Uint32(b[4:]))
	size := uint64(len(b))
	pos := uint64(postingsHeader)
	var keyLen uint64
	if w == 0 {
		if (n+1)*4 > size-pos {
			return fmt.Errorf("%d key offsets exceed section", n+1)
		}
		p.koffs = b[pos : pos+(n+1)*4]
		pos += (n + 1) * 4
		keyLen = uint64(binary.LittleEndian.Uint32(p.koffs[n*4:]))
	} else {
		keyLen = n * w
	}
	if keyLen > size-pos {
		return fmt.Errorf("key area of %d bytes exceeds section", keyLen)
	}
	p.keys = b[pos : pos+keyLen]
	pos = (pos + keyLen + 7) &^ 7
	if pos > size || (n+1)*4 > size-pos {
		return fmt.Errorf("%d bitmap offsets exceed section", n+1)
	}
	p.boffs = b[pos : pos+(n+1)*4]
	pos = (pos + (n+1)*4 + 7) &^ 7
	if pos > size {
		return errShort
	}
	p.area = b[pos:]
	if end := uint64(binary.LittleEndian.Uint32(p.boffs[n*4:])); end != uint64(len(p.area)) {
		return fmt.Errorf("bitmap area of %d bytes, offsets say %d", len(p.area), end)
	}
	p.n, p.width = int(n), int(w)
	return nil
}

func (p *Postings) corrupt(off int64, err error, format string, args ...any) error {
	return &CorruptError{File: p.r.path, Section: p.sec.Name, Offset: p.base + off, Msg: fmt.Sprintf(format, args...), Err: err}
}

// Len returns the number of keys.
func (p *Postings) Len() int { return p.n }

// Key returns the i-th key (a view valid until Close), or an error if the offsets are corrupt.
//
// Keys of a mapped file must not be read after Close.
func (p *Postings) Key(i int) ([]byte, error) {
	if i < 0 || i >= p.n {
		return nil, fmt.Errorf("index: postings %q: key %d out of range", p.sec.Name, i)
	}
	if p.width > 0 {
		return p.keys[i*p.width : (i+1)*p.width : (i+1)*p.width], nil
	}
	lo := binary.LittleEndian.Uint32(p.koffs[4*i:])
	hi := binary.LittleEndian.Uint32(p.koffs[4*i+4:])
	if lo > hi || uint64(hi) > uint64(len(p.keys)) {
		return nil, p.corrupt(postingsHeader+int64(4*i), nil, "key %d offsets [%d, %d) outside key area of %d bytes", i, lo, hi, len(p.keys))
	}
	return p.keys[lo:hi:hi], nil
}

// Find returns the index of key, or -1 when it is absent. O(log n).
func (p *Postings) Find(key []byte) (int, error) {
	if p.width > 0 && len(key) != p.width {
		return -1, nil
	}
	i, err := p.Search(key)
	if err != nil || i >= p.n {
		return -1, err
	}
	k, err := p.Key(i)
	if err != nil || !bytes.Equal(k, key) {
		return -1, err
	}
	return i, nil
}

// Search returns the index of the first key >= key (Len() when there is none), for range
// scans: ports lo..hi, or the addresses of a prefix (keys sort as bytes, so a prefix's
// addresses are consecutive; IPv4 keys are 4 bytes, IPv6 keys 16). O(log n).
func (p *Postings) Search(key []byte) (int, error) {
	lo, hi := 0, p.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		k, err := p.Key(m)
		if err != nil {
			return -1, err
		}
		if bytes.Compare(k, key) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, nil
}

// Bitmap fills bm with the i-th bitmap: a zero-copy, copy-on-write view of the section
// (mutating bm copies the touched containers), validated before it is returned.
func (p *Postings) Bitmap(i int, bm *roaring.Bitmap) error {
	if i < 0 || i >= p.n {
		return fmt.Errorf("index: postings %q: bitmap %d out of range", p.sec.Name, i)
	}
	lo := uint64(binary.LittleEndian.Uint32(p.boffs[4*i:]))
	hi := uint64(binary.LittleEndian.Uint32(p.boffs[4*i+4:]))
	if lo > hi || hi > uint64(len(p.area)) || lo%8 != 0 {
		return p.corrupt(p.areaBase()+int64(lo), nil, "bitmap %d offsets [%d, %d) outside bitmap area of %d bytes", i, lo, hi, len(p.area))
	}
	buf := p.area[lo:hi:hi]
	p.r.life.RLock()
	defer p.r.life.RUnlock()
	if p.r.closed {
		return ErrClosed
	}
	n, err := bm.FromBuffer(buf)
	if err == nil && (n > int64(len(buf)) || int64(len(buf))-n >= 8) {
		err = fmt.Errorf("bitmap uses %d of %d bytes", n, len(buf))
	}
	if err == nil {
		err = bm.Validate()
	}
	if err != nil {
		bm.Clear()
		return p.corrupt(p.areaBase()+int64(lo), err, "bitmap %d", i)
	}
	return nil
}

func (p *Postings) areaBase() int64 { return p.sec.Length - int64(len(p.area)) }

// Lookup returns the bitmap of key: ok is false when the key is absent.
func (p *Postings) Lookup(key []byte, bm *roaring.Bitmap) (ok bool, err error) {
	i, err := p.Find(key)
	if err != nil || i < 0 {
		return false, err
	}
	return true, p.Bitmap(i, bm)
}
