package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
)

// Postings section layout (durable; all integers little endian, fixed width, so a lookup
// is a binary search over the section without decoding it). The body:
//
//	u32 n           number of keys
//	u32 width       key width in bytes, or 0 for variable-width keys
//	[width == 0]    (n+1) x u32 key offsets into the key area
//	key area        n*width bytes, or keyOff[n] bytes; keys strictly increasing (bytes.Compare)
//	pad             zero bytes up to a multiple of 8 from the section start
//	(n+1) x u32     bitmap offsets, relative to the bitmap area: key i's rows lie in
//	                [off[i], off[i+1])
//	pad             zero bytes up to a multiple of 8
//	bitmap area     per key, either its one row as a u32 (a span of exactly 4 bytes, at a
//	                multiple of 4: most addresses have one flow), or zero padding up to a
//	                multiple of 8, then a serialized roaring bitmap (portable format) padded
//	                to a multiple of 8
//
// then its checks, so that a lookup verifies only the pages it reads:
//
//	k x u32         CRC32C of each postingsPage-byte page of the body (the last may be
//	                shorter), k = ceil(body length / postingsPage)
//	u32             body length
//	u32             CRC32C of the k page checksums and the body length
const (
	postingsHeader  = 8
	postingsPage    = 1 << postingsShift // bytes of body per page checksum (durable)
	postingsShift   = 12
	postingsTrailer = 8 // body length, CRC32C of the page checksums and body length
)

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
		if bm.GetCardinality() == 1 {
			ser[i] = AppendUint32(nil, bm.Minimum())
			continue
		}
		b, err := bm.ToBytes()
		if err != nil {
			return nil, fmt.Errorf("index: postings %q: %w", name, err)
		}
		ser[i] = b
	}
	return appendPostingsRaw(dst, name, keyWidth, keys, ser)
}

// appendPostingsRaw is appendPostings with each bitmap already in roaring's portable
// serialization, or, for a key of one row, that row as 4 bytes little endian (no roaring
// serialization is 4 bytes long).
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
		if len(bm) == 4 {
			off += 4
		} else {
			off = (off+7)&^7 + (uint64(len(bm))+7)&^7
		}
		if off > 1<<32-1 {
			return nil, fmt.Errorf("index: postings %q: bitmaps exceed 4 GiB", name)
		}
	}
	buf = AppendUint32(buf, uint32(off))
	buf = pad8(buf)
	for _, bm := range bms {
		if len(bm) == 4 {
			buf = append(buf, bm...)
			continue
		}
		buf = pad8(buf)
		buf = append(buf, bm...)
		buf = pad8(buf)
	}
	if len(buf) > 1<<32-1 {
		return nil, fmt.Errorf("index: postings %q: body of %d bytes exceeds 4 GiB", name, len(buf))
	}
	return appendPageChecks(buf), nil
}

// appendPageChecks appends to body, a whole postings body, its page checksums, its length
// and the checksum of both.
func appendPageChecks(body []byte) []byte {
	n := len(body)
	for off := 0; off < n; off += postingsPage {
		body = AppendUint32(body, crc32c(body[off:min(off+postingsPage, n)]))
	}
	body = AppendUint32(body, uint32(n))
	return AppendUint32(body, crc32c(body[n:]))
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
// section bytes, valid until the Reader is closed. Each page of the section is verified
// against its CRC32C the first time a lookup reads it, so a lookup checks the few pages it
// reads, not the whole section. Safe for concurrent use.
type Postings struct {
	r     *Reader
	sec   SectionInfo
	body  []byte          // the section up to its page checksums
	sums  []byte          // k x u32 page checksums (verified as a whole)
	ok    []atomic.Uint64 // bit p%64 of ok[p/64]: page p's checksum verified
	n     int
	width int
	koffs []byte // (n+1) u32, variable width only
	keys  []byte
	boffs []byte // (n+1) u32
	area  []byte
	// offsets of koffs, keys, boffs and area in the body
	koffsAt, keysAt, boffsAt, areaAt int
	base                             int64 // file offset of the section
}

// Postings returns the named postings section. The first use verifies the section's page
// checksums (4 bytes per 4 KiB) and the pages of its header, not the whole section.
func (r *Reader) Postings(name string) (*Postings, error) {
	if p := cached(r, &r.postings, name); p != nil {
		return p, nil
	}
	i, ok := r.byName[name]
	if !ok || r.dir[i].Type != SectionPostings {
		return nil, fmt.Errorf("index: file %s: postings %q: %w", r.path, name, ErrNotFound)
	}
	p := &Postings{r: r, sec: r.dir[i], base: r.dir[i].Offset}
	if p.sec.Codec != CodecNone {
		return nil, p.corrupt(0, nil, "postings stored with codec %d (must be stored as they are)", p.sec.Codec)
	}
	if err := p.load(); err != nil {
		return nil, err
	}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return keep(r, &r.postings, name, p), nil
}

// load reads the section's stored bytes (a view of the mapping, or a buffer of its own)
// and checks its trailer and the page checksums.
func (p *Postings) load() error {
	r := p.r
	r.life.RLock()
	defer r.life.RUnlock()
	if r.closed {
		return ErrClosed
	}
	b, err := r.readAt(nil, p.sec.Offset, p.sec.Length)
	if err != nil {
		return err
	}
	return p.setChecks(b)
}

// setChecks splits the section b into body and page checksums and verifies the latter.
func (p *Postings) setChecks(b []byte) error {
	size := uint64(len(b))
	if size < postingsTrailer {
		return p.corrupt(0, nil, "section of %d bytes has no room for its %d-byte trailer", size, postingsTrailer)
	}
	n := uint64(binary.LittleEndian.Uint32(b[size-8:]))
	k := (n + postingsPage - 1) >> postingsShift
	if n > size-postingsTrailer || size-postingsTrailer-n != 4*k {
		return p.corrupt(int64(size-8), nil, "body of %d bytes and its %d page checksums do not fill the section of %d bytes", n, k, size)
	}
	want := binary.LittleEndian.Uint32(b[size-4:])
	if got := crc32c(b[n : size-4]); got != want {
		return p.corrupt(int64(n), nil, "page checksums crc32c mismatch (want %#08x, got %#08x)", want, got)
	}
	p.body, p.sums = b[:n:n], b[n:n+4*k:n+4*k]
	p.ok = make([]atomic.Uint64, (k+63)/64)
	return nil
}

// check verifies, the first time they are read, the pages holding body[lo:lo+n]. The
// caller has bounded lo and n by the body.
func (p *Postings) check(lo, n int) error {
	if (lo^(lo+n-1))>>postingsShift == 0 && p.verified(lo>>postingsShift) { // one page, verified
		return nil
	}
	return p.checkPages(lo, n)
}

func (p *Postings) verified(pg int) bool { return p.ok[pg>>6].Load()&(1<<(pg&63)) != 0 }

func (p *Postings) checkPages(lo, n int) error {
	if n <= 0 {
		return nil
	}
	for pg := lo >> postingsShift; pg <= (lo+n-1)>>postingsShift; pg++ {
		if p.verified(pg) {
			continue
		}
		start := pg << postingsShift
		end := min(start+postingsPage, len(p.body))
		p.r.life.RLock()
		if p.r.closed {
			p.r.life.RUnlock()
			return ErrClosed
		}
		got := crc32c(p.body[start:end])
		p.r.life.RUnlock()
		if want := binary.LittleEndian.Uint32(p.sums[4*pg:]); got != want {
			return p.corrupt(int64(start), nil, "page %d crc32c mismatch (want %#08x, got %#08x)", pg, want, got)
		}
		p.ok[pg>>6].Or(1 << (pg & 63))
	}
	return nil
}

// checkAll verifies every page of the body.
func (p *Postings) checkAll() error { return p.check(0, len(p.body)) }

// parse reads the body's header and the ends of its offset arrays, verifying the pages
// they lie in.
func (p *Postings) parse() error {
	b := p.body
	size := uint64(len(b))
	if size < postingsHeader {
		return p.corrupt(0, errShort, "postings header")
	}
	if err := p.check(0, postingsHeader); err != nil {
		return err
	}
	n := uint64(binary.LittleEndian.Uint32(b))
	w := uint64(binary.LittleEndian.Uint32(b[4:]))
	pos := uint64(postingsHeader)
	var keyLen uint64
	if w == 0 {
		if (n+1)*4 > size-pos {
			return p.corrupt(0, nil, "postings header: %d key offsets exceed body of %d bytes", n+1, size)
		}
		p.koffs, p.koffsAt = b[pos:pos+(n+1)*4], int(pos)
		if err := p.check(p.koffsAt+int(n)*4, 4); err != nil {
			return err
		}
		pos += (n + 1) * 4
		keyLen = uint64(binary.LittleEndian.Uint32(p.koffs[n*4:]))
	} else {
		keyLen = n * w
	}
	if keyLen > size-pos {
		return p.corrupt(0, nil, "postings header: key area of %d bytes exceeds body of %d bytes", keyLen, size)
	}
	p.keys, p.keysAt = b[pos:pos+keyLen], int(pos)
	pos = (pos + keyLen + 7) &^ 7
	if pos > size || (n+1)*4 > size-pos {
		return p.corrupt(0, nil, "postings header: %d bitmap offsets exceed body of %d bytes", n+1, size)
	}
	p.boffs, p.boffsAt = b[pos:pos+(n+1)*4], int(pos)
	if err := p.check(p.boffsAt+int(n)*4, 4); err != nil {
		return err
	}
	pos = (pos + (n+1)*4 + 7) &^ 7
	if pos > size {
		return p.corrupt(0, errShort, "postings header")
	}
	p.area, p.areaAt = b[pos:], int(pos)
	if end := uint64(binary.LittleEndian.Uint32(p.boffs[n*4:])); end != uint64(len(p.area)) {
		return p.corrupt(int64(p.boffsAt)+int64(n*4), nil, "bitmap area of %d bytes, offsets say %d", len(p.area), end)
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
		lo := i * p.width
		if err := p.check(p.keysAt+lo, p.width); err != nil {
			return nil, err
		}
		return p.keys[lo : lo+p.width : lo+p.width], nil
	}
	if err := p.check(p.koffsAt+4*i, 8); err != nil {
		return nil, err
	}
	lo := binary.LittleEndian.Uint32(p.koffs[4*i:])
	hi := binary.LittleEndian.Uint32(p.koffs[4*i+4:])
	if lo > hi || uint64(hi) > uint64(len(p.keys)) {
		return nil, p.corrupt(int64(p.koffsAt+4*i), nil, "key %d offsets [%d, %d) outside key area of %d bytes", i, lo, hi, len(p.keys))
	}
	if err := p.check(p.keysAt+int(lo), int(hi-lo)); err != nil {
		return nil, err
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
// (mutating bm copies the touched containers), opened only once the pages holding it have
// passed their checksums, and validated before it is returned. On error bm is left empty.
func (p *Postings) Bitmap(i int, bm *roaring.Bitmap) error {
	err := p.bitmap(i, bm)
	if err != nil {
		bm.Clear()
	}
	return err
}

func (p *Postings) bitmap(i int, bm *roaring.Bitmap) error {
	if i < 0 || i >= p.n {
		return fmt.Errorf("index: postings %q: bitmap %d out of range", p.sec.Name, i)
	}
	if err := p.check(p.boffsAt+4*i, 8); err != nil {
		return err
	}
	lo := uint64(binary.LittleEndian.Uint32(p.boffs[4*i:]))
	hi := uint64(binary.LittleEndian.Uint32(p.boffs[4*i+4:]))
	start := (lo + 7) &^ 7 // a bitmap's first byte
	if lo > hi || hi > uint64(len(p.area)) || lo%4 != 0 || hi-lo != 4 && start >= hi {
		return p.corrupt(int64(p.boffsAt+4*i), nil, "bitmap %d offsets [%d, %d) outside bitmap area of %d bytes", i, lo, hi, len(p.area))
	}
	if err := p.check(p.areaAt+int(lo), int(hi-lo)); err != nil {
		return err
	}
	p.r.life.RLock()
	defer p.r.life.RUnlock()
	if p.r.closed {
		return ErrClosed
	}
	if hi-lo == 4 {
		bm.Clear()
		bm.Add(binary.LittleEndian.Uint32(p.area[lo:]))
		return nil
	}
	if !allZero(p.area[lo:start]) {
		return p.corrupt(int64(p.areaAt)+int64(lo), nil, "bitmap %d: padding not zero", i)
	}
	buf := p.area[start:hi:hi]
	n, err := bm.FromBuffer(buf)
	if err == nil && (n > int64(len(buf)) || int64(len(buf))-n >= 8) {
		err = fmt.Errorf("bitmap uses %d of %d bytes", n, len(buf))
	}
	if err == nil {
		err = bm.Validate()
	}
	if err != nil {
		return p.corrupt(int64(p.areaAt)+int64(start), err, "bitmap %d", i)
	}
	return nil
}

// Lookup fills bm with the bitmap of key: ok is false (and bm untouched) when the key is
// absent. On error bm is left empty.
func (p *Postings) Lookup(key []byte, bm *roaring.Bitmap) (ok bool, err error) {
	i, err := p.Find(key)
	if err != nil {
		bm.Clear()
		return false, err
	}
	if i < 0 {
		return false, nil
	}
	return true, p.Bitmap(i, bm)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
