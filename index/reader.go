package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/pcapdex/pcapdex/internal/mmap"
)

// Options tune Open.
type Options struct {
	// NoMmap reads sections with plain reads instead of mapping the file.
	NoMmap bool
}

// Reader reads one index file. Open checks only the footer and the section directory, so it
// costs the same for any file size; sections are read on first use and their checksums
// verified then, once (postings sections a page at a time, as lookups reach each page). A Reader is safe for concurrent use by several goroutines.
//
// Byte slices, bitmaps and views returned by a Reader point into the file's mapping (or,
// without mmap, into buffers the Reader owns) and stay valid until Close.
type Reader struct {
	path   string
	f      *os.File    // nil for in-memory readers
	ra     io.ReaderAt // plain reads when data is nil
	size   int64
	data   []byte // the whole file when mapped, else nil
	dir    []SectionInfo
	byName map[string]int
	dec    decompressor

	life   sync.RWMutex // held for reading while the mapping is read; Close takes it for writing
	closed bool         // guarded by life

	mu       sync.Mutex // guards the caches below
	secs     []secState
	tables   map[string]*Table
	postings map[string]*Postings
}

// cached returns the table or postings section *m holds under name, or nil. m points to
// a field of r, read under r.mu since keep may replace it.
func cached[T any](r *Reader, m *map[string]*T, name string) *T {
	r.mu.Lock()
	v := (*m)[name]
	r.mu.Unlock()
	return v
}

// keep stores v in *m under name unless another goroutine stored one first, and returns
// the one stored, so that every caller shares one Table or Postings per name.
func keep[T any](r *Reader, m *map[string]*T, name string, v *T) *T {
	r.mu.Lock()
	defer r.mu.Unlock()
	if *m == nil {
		*m = make(map[string]*T)
	}
	if old, ok := (*m)[name]; ok {
		return old
	}
	(*m)[name] = v
	return v
}

type secState struct {
	done  bool   // checksum verified and bytes decoded
	bytes []byte // verified, decompressed bytes
	err   error  // sticky failure
}

// Open opens the index at path with default options (mmap when possible).
func Open(path string) (*Reader, error) { return OpenOptions(path, Options{}) }

// OpenOptions opens the index at path.
func OpenOptions(path string, opt Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("index: %w", err)
	}
	r := &Reader{path: path, f: f, ra: f, size: st.Size()}
	if !opt.NoMmap && st.Mode().IsRegular() {
		r.data, _ = mmap.Map(f, r.size) // nil (plain reads) when the file cannot be mapped
	}
	if err := r.init(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) corrupt(section string, off int64, format string, args ...any) *CorruptError {
	return &CorruptError{File: r.path, Section: section, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// readAt returns n bytes at off: a view of the mapping, or a fresh buffer (buf reused when
// large enough) filled by ReadAt. The caller has bounded off and n by the file size.
func (r *Reader) readAt(buf []byte, off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > r.size || n > r.size-off {
		return nil, r.corrupt("", off, "read of %d bytes past end of file (%d bytes)", n, r.size)
	}
	if r.data != nil {
		return r.data[off : off+n : off+n], nil
	}
	if int64(cap(buf)) >= n {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if _, err := r.ra.ReadAt(buf, off); err != nil {
		if err == io.EOF {
			return nil, r.corrupt("", off, "file shrank while reading %d bytes", n)
		}
		return nil, fmt.Errorf("index: read %s at offset %#x: %w", r.path, off, err)
	}
	return buf, nil
}

func (r *Reader) init() error {
	if r.size < headerSize+footerSize {
		return r.corrupt("", 0, "file of %d bytes is shorter than header and footer (%d)", r.size, headerSize+footerSize)
	}
	hdr, err := r.readAt(nil, 0, headerSize)
	if err != nil {
		return err
	}
	if string(hdr[:8]) != headerMagic {
		return r.corrupt("", 0, "not a pcapdex index (bad header magic %q)", hdr[:8])
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != FormatVersion {
		return &VersionError{File: r.path, Got: v, Want: FormatVersion}
	}
	if f := binary.LittleEndian.Uint32(hdr[12:]); f != 0 {
		return r.corrupt("", 12, "reserved header flags %#x not zero", f)
	}
	ftOff := r.size - footerSize
	ft, err := r.readAt(nil, ftOff, footerSize)
	if err != nil {
		return err
	}
	if string(ft[24:32]) != footerMagic {
		return r.corrupt("", ftOff+24, "bad footer magic %q (truncated or partly written file?)", ft[24:32])
	}
	if v := binary.LittleEndian.Uint32(ft[16:]); v != FormatVersion {
		return &VersionError{File: r.path, Got: v, Want: FormatVersion}
	}
	if f := binary.LittleEndian.Uint32(ft[20:]); f != 0 {
		return r.corrupt("", ftOff+20, "reserved footer flags %#x not zero", f)
	}
	dirOff := int64(binary.LittleEndian.Uint64(ft[0:]))
	dirLen := int64(binary.LittleEndian.Uint32(ft[8:]))
	wantCRC := binary.LittleEndian.Uint32(ft[12:])
	if dirOff < headerSize || dirOff > ftOff || dirLen > ftOff-dirOff || dirLen > maxDirLen {
		return r.corrupt("", ftOff, "directory offset %#x length %d outside the file (footer at %#x)", dirOff, dirLen, ftOff)
	}
	if dirOff+dirLen != ftOff {
		return r.corrupt("", ftOff, "directory ends at %#x, footer starts at %#x", dirOff+dirLen, ftOff)
	}
	dirBytes, err := r.readAt(nil, dirOff, dirLen)
	if err != nil {
		return err
	}
	if got := crc32c(dirBytes); got != wantCRC {
		return r.corrupt("", dirOff, "directory crc32c mismatch (want %#08x, got %#08x)", wantCRC, got)
	}
	dir, byName, err := parseDirectory(dirBytes, dirOff)
	if err != nil {
		return &CorruptError{File: r.path, Offset: dirOff, Msg: "directory", Err: err}
	}
	r.dir, r.byName = dir, byName
	r.secs = make([]secState, len(dir))
	return nil
}

// openReaderAt reads an index from ra (size bytes), named name in errors: the in-memory
// and plain-read paths without a file, for tests and fuzzing.
func openReaderAt(name string, ra io.ReaderAt, data []byte, size int64) (*Reader, error) {
	r := &Reader{path: name, ra: ra, data: data, size: size}
	if err := r.init(); err != nil {
		return nil, err
	}
	return r, nil
}

// Path returns the file name the Reader was opened with.
func (r *Reader) Path() string { return r.path }

// Size returns the file size in bytes.
func (r *Reader) Size() int64 { return r.size }

// Mapped reports whether the file is memory-mapped.
func (r *Reader) Mapped() bool { return r.data != nil }

// Sections returns the section directory, in file order. The slice is shared: do not modify.
func (r *Reader) Sections() []SectionInfo { return r.dir }

// Lookup returns the directory entry of the named section.
func (r *Reader) Lookup(name string) (SectionInfo, bool) {
	i, ok := r.byName[name]
	if !ok {
		return SectionInfo{}, false
	}
	return r.dir[i], true
}

// Section returns the bytes of the named section, checksum verified (on first use) and
// decompressed. The bytes are valid until Close and must not be modified.
func (r *Reader) Section(name string) ([]byte, error) {
	i, ok := r.byName[name]
	if !ok {
		return nil, fmt.Errorf("index: file %s: section %q: %w", r.path, name, ErrNotFound)
	}
	return r.section(i)
}

func (r *Reader) section(i int) ([]byte, error) {
	r.life.RLock()
	defer r.life.RUnlock()
	if r.closed {
		return nil, ErrClosed
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &r.secs[i]
	if !st.done && st.err == nil {
		st.bytes, st.err = r.loadSection(i)
		st.done = st.err == nil
	}
	return st.bytes, st.err
}

// loadSection reads, verifies and decompresses section i. Called with r.mu held.
func (r *Reader) loadSection(i int) ([]byte, error) {
	s := r.dir[i]
	b, err := r.readAt(nil, s.Offset, s.Length)
	if err != nil {
		return nil, err
	}
	if got := crc32c(b); got != s.CRC {
		return nil, r.corrupt(s.Name, s.Offset, "crc32c mismatch (want %#08x, got %#08x)", s.CRC, got)
	}
	if s.Codec == CodecNone {
		return b, nil
	}
	raw, _, err := r.dec.decodeZstd(nil, b, uint64(s.RawLength))
	if err != nil {
		return nil, &CorruptError{File: r.path, Section: s.Name, Offset: s.Offset, Msg: "decompress", Err: err}
	}
	return raw, nil
}

// verifySection checks the stored checksum of section i without keeping the bytes.
func (r *Reader) verifySection(i int) error {
	s := r.dir[i]
	if s.Codec != CodecNone || r.data != nil || s.Length <= 1<<20 {
		_, err := r.section(i)
		return err
	}
	r.life.RLock()
	defer r.life.RUnlock()
	if r.closed {
		return ErrClosed
	}
	// Plain reads of a large section: stream it through the checksum in pieces.
	buf := make([]byte, 1<<20)
	var crc uint32
	for off := int64(0); off < s.Length; {
		n := min(int64(len(buf)), s.Length-off)
		b, err := r.readAt(buf, s.Offset+off, n)
		if err != nil {
			return err
		}
		crc = crc32cUpdate(crc, b)
		off += n
	}
	if crc != s.CRC {
		return r.corrupt(s.Name, s.Offset, "crc32c mismatch (want %#08x, got %#08x)", s.CRC, crc)
	}
	return nil
}

// verifyPadding checks that the bytes between sections, and between the last section and
// the directory, are the writer's zero padding: fewer than sectionAlign, all zero.
func (r *Reader) verifyPadding() error {
	r.life.RLock()
	defer r.life.RUnlock()
	if r.closed {
		return ErrClosed
	}
	ftOff := r.size - footerSize
	ft, err := r.readAt(nil, ftOff, footerSize)
	if err != nil {
		return err
	}
	var buf [sectionAlign]byte
	end := int64(headerSize)
	for i := 0; i <= len(r.dir); i++ {
		next, name := int64(binary.LittleEndian.Uint64(ft)), "" // the directory
		if i < len(r.dir) {
			next = r.dir[i].Offset
		}
		if i > 0 {
			name = r.dir[i-1].Name
		}
		if next-end >= sectionAlign || next%sectionAlign != 0 {
			return r.corrupt(name, end, "%d bytes between sections end at %#x, not the padding to a multiple of %d", next-end, next, sectionAlign)
		}
		pad, err := r.readAt(buf[:], end, next-end)
		if err != nil {
			return err
		}
		for j, c := range pad {
			if c != 0 {
				return r.corrupt(name, end+int64(j), "padding byte %#02x is not zero", c)
			}
		}
		if i < len(r.dir) {
			end = r.dir[i].Offset + r.dir[i].Length
		}
	}
	return nil
}

// Close releases the file and its mapping. Everything returned by the Reader becomes
// invalid.
func (r *Reader) Close() error {
	r.life.Lock()
	defer r.life.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if r.data != nil && r.f != nil {
		err = mmap.Unmap(r.data)
	}
	r.data = nil
	if r.f != nil {
		if e := r.f.Close(); err == nil {
			err = e
		}
	}
	r.dec.close()
	return err
}

// Verify checks the whole file: every section's checksum, then the structure of every
// table (each column chunk's checksum and encoding), postings section (every page
// checksum, each key and bitmap), the capture list, and the predicted columns of the
// builder's packet tables, and the zero padding between sections. It returns the first
// problem found, a *CorruptError for bad bytes.
func (r *Reader) Verify() error {
	for i := range r.dir {
		if err := r.verifySection(i); err != nil {
			return err
		}
	}
	if err := r.verifyPadding(); err != nil {
		return err
	}
	var col Column
	var s Scratch
	bm := roaring.New()
	for _, sec := range r.dir {
		switch sec.Type {
		case SectionTableMeta:
			name, ok := strings.CutSuffix(sec.Name, ".meta")
			if !ok {
				return r.corrupt(sec.Name, sec.Offset, "table index section without .meta suffix")
			}
			t, err := r.Table(name)
			if err != nil {
				return err
			}
			for b := range t.blocks {
				for c := range t.cols {
					if err := t.ReadColumn(b, c, &col, &s); err != nil {
						return err
					}
				}
			}
		case SectionTableData:
			if i, ok := r.byName[sec.Name+".meta"]; !ok || r.dir[i].Type != SectionTableMeta {
				return r.corrupt(sec.Name, sec.Offset, "table data without its .meta section")
			}
		case SectionPostings:
			p, err := r.Postings(sec.Name)
			if err != nil {
				return err
			}
			if err := p.checkAll(); err != nil {
				return err
			}
			var prev []byte
			for i := range p.n {
				k, err := p.Key(i)
				if err != nil {
					return err
				}
				if i > 0 && bytes.Compare(prev, k) >= 0 {
					return p.corrupt(0, nil, "key %d (%x) not above key %d (%x)", i, k, i-1, prev)
				}
				prev = k
				if err := p.Bitmap(i, bm); err != nil {
					return err
				}
			}
		case SectionCaptures:
			if sec.Name != capturesSection {
				continue
			}
			if _, err := r.Captures(); err != nil {
				return err
			}
		}
	}
	// The builder's packet tables: their predicted columns must decode too.
	_, ok1 := r.byName[TablePackets]
	_, ok2 := r.byName[TablePacketFlow]
	if ok1 && ok2 {
		pk, err := r.Packets()
		if err != nil {
			return err
		}
		var pb PacketBlock
		for b := range pk.NumBlocks() {
			if err := pk.ReadBlock(b, &pb); err != nil {
				return err
			}
		}
	}
	return nil
}
