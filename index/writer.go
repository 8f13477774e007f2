package index

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/pcapdex/pcapdex/internal/safefile"
)

// castagnoli is the CRC32C table used for every checksum in the format.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Writer writes one index file. Sections are streamed, one at a time, to a temporary file
// in the target directory (unnamed where the system allows, so a killed process leaves
// nothing behind); Close writes the directory and footer, syncs, and renames the temporary
// file over the target, so readers see either the old index or the new one, never a mix.
// A symlink or special file as the target is written through, never replaced (see
// internal/safefile). Any error is sticky: later calls return it, and Close removes the
// temporary file. A Writer is not safe for concurrent use.
type Writer struct {
	path  string
	tmp   string // the name errors use for the file being written
	f     *safefile.File
	bw    *bufio.Writer
	off   int64
	dir   []SectionInfo
	names map[string]struct{}
	open  *sectionWriter
	comp  compressor
	err   error
	done  bool
	scr   []byte
	bg    *TableWriter // a table whose goroutine owns the Writer until it stops
}

// Create starts writing the index file path, mode 0644 less the umask. Nothing appears at
// path until Close succeeds.
func Create(path string) (*Writer, error) { return CreatePerm(path, 0o644) }

// CreatePerm is Create with the mode of the new file (less the umask): BuildFiles gives an
// index no more permissions than its captures have.
func CreatePerm(path string, perm os.FileMode) (*Writer, error) {
	f, err := safefile.Create(path, perm)
	if err != nil {
		return nil, fmt.Errorf("index: create %s: %w", path, err)
	}
	w := &Writer{path: path, tmp: path + " (being written)", f: f, bw: bufio.NewWriterSize(f, 1<<20), names: map[string]struct{}{}}
	if err := w.comp.init(); err != nil {
		w.Abort()
		return nil, fmt.Errorf("index: create %s: %w", path, err)
	}
	var hdr [headerSize]byte
	copy(hdr[:], headerMagic)
	binary.LittleEndian.PutUint32(hdr[8:], FormatVersion)
	w.write(hdr[:])
	if w.err != nil {
		err := w.err
		w.Abort()
		return nil, err
	}
	return w, nil
}

// Path returns the final path of the index.
func (w *Writer) Path() string { return w.path }

func (w *Writer) write(p []byte) {
	if w.err != nil {
		return
	}
	n, err := w.bw.Write(p)
	w.off += int64(n)
	if err != nil {
		w.err = fmt.Errorf("index: write %s: %w", w.tmp, err)
	}
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// sectionWriter streams the bytes of one section and checksums them on the way.
type sectionWriter struct {
	w    *Writer
	info SectionInfo
	crc  uint32
}

func (s *sectionWriter) Write(p []byte) (int, error) {
	if s.w.err != nil {
		return 0, s.w.err
	}
	s.crc = crc32.Update(s.crc, castagnoli, p)
	s.info.Length += int64(len(p))
	s.w.write(p)
	if s.w.err != nil {
		return 0, s.w.err
	}
	return len(p), nil
}

func (w *Writer) begin(typ SectionType, name string) (*sectionWriter, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.done {
		return nil, ErrClosed
	}
	if w.open != nil {
		return nil, w.fail(fmt.Errorf("index: section %q started while %q is open", name, w.open.info.Name))
	}
	if len(name) == 0 || len(name) > maxNameLen {
		return nil, w.fail(fmt.Errorf("index: section name %q: length must be 1..%d", name, maxNameLen))
	}
	if _, dup := w.names[name]; dup {
		return nil, w.fail(fmt.Errorf("index: section %q written twice", name))
	}
	if len(w.dir) >= maxSections {
		return nil, w.fail(fmt.Errorf("index: more than %d sections", maxSections))
	}
	w.names[name] = struct{}{}
	if pad := int(-w.off & (sectionAlign - 1)); pad > 0 {
		var zero [sectionAlign]byte
		w.write(zero[:pad])
	}
	s := &sectionWriter{w: w, info: SectionInfo{Type: typ, Name: name, Offset: w.off, Codec: CodecNone}}
	w.open = s
	return s, w.err
}

func (w *Writer) end(s *sectionWriter) error {
	if w.open != s {
		return w.fail(errors.New("index: ending a section that is not open"))
	}
	w.open = nil
	if w.err != nil {
		return w.err
	}
	s.info.CRC = s.crc
	if s.info.Codec == CodecNone {
		s.info.RawLength = s.info.Length
	}
	w.dir = append(w.dir, s.info)
	return nil
}

// AddSection writes a whole section of the given type. With compress, data is stored as one
// zstd frame when that saves space (len(data) must then not exceed MaxRawUnit); readers get
// the original bytes back either way.
func (w *Writer) AddSection(typ SectionType, name string, data []byte, compress bool) error {
	s, err := w.begin(typ, name)
	if err != nil {
		return err
	}
	if compress && len(data) >= minCompress && len(data) <= MaxRawUnit {
		w.scr = w.comp.enc.EncodeAll(data, w.scr[:0])
		if len(w.scr) < len(data)-len(data)/16 {
			s.info.Codec = CodecZstd
			s.info.RawLength = int64(len(data))
			data = w.scr
		}
	}
	if _, err := s.Write(data); err != nil {
		return err
	}
	return w.end(s)
}

// Close finishes the file: directory, footer, fsync, rename over the target path, and fsync
// of the directory. On any error the temporary file is removed and the target is untouched.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	if w.open != nil {
		w.fail(fmt.Errorf("index: section %q still open at Close", w.open.info.Name))
	}
	if w.err != nil {
		err := w.err
		w.Abort()
		return err
	}
	if pad := int(-w.off & (sectionAlign - 1)); pad > 0 {
		var zero [sectionAlign]byte
		w.write(zero[:pad])
	}
	dir := appendDirectory(nil, w.dir)
	if len(dir) > maxDirLen {
		w.fail(fmt.Errorf("index: directory of %d bytes exceeds %d", len(dir), maxDirLen))
	}
	dirOff := w.off
	w.write(dir)
	var ft [footerSize]byte
	binary.LittleEndian.PutUint64(ft[0:], uint64(dirOff))
	binary.LittleEndian.PutUint32(ft[8:], uint32(len(dir)))
	binary.LittleEndian.PutUint32(ft[12:], crc32c(dir))
	binary.LittleEndian.PutUint32(ft[16:], FormatVersion)
	copy(ft[24:], footerMagic)
	w.write(ft[:])
	if w.err == nil {
		if err := w.bw.Flush(); err != nil {
			w.fail(fmt.Errorf("index: write %s: %w", w.tmp, err))
		}
	}
	if w.err == nil {
		err := w.f.Commit() // sync, rename over the target, sync the folder
		w.f = nil
		if err != nil {
			w.fail(fmt.Errorf("index: %w", err))
		}
	}
	if w.err != nil {
		err := w.err
		w.Abort()
		return err
	}
	w.done = true
	w.comp.enc.Close()
	return nil
}

// Abort discards everything written and removes the temporary file. It is safe to call
// after Close (it then does nothing) and more than once.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	if w.bg != nil {
		w.bg.stopWorker()
	}
	w.done = true
	if w.err == nil {
		w.err = errors.New("index: writer aborted")
	}
	if w.f != nil {
		w.f.Abort()
		w.f = nil
	}
	if w.comp.enc != nil {
		w.comp.enc.Close()
	}
}

var _ io.Writer = (*sectionWriter)(nil)

func crc32cUpdate(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }
