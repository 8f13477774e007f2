package index

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CaptureFile identifies one capture an index was built from, so a reader can tell whether
// the index still describes the files on disk. Info is an opaque summary (the `info` object)
// stored with it by the builder.
//
// An index never answers for other bytes: Sum covers the whole file. Checking it costs a
// read of the capture, so Stale does so only when the capture's inode change time (which
// no user can set: any write, touch -r or copy moves it) is not older than the index file:
// the capture may have changed since. A capture copied with its index (cp -p) is hashed
// on each query, and found the same; rebuilding the index there ends that.
type CaptureFile struct {
	Path    string   // absolute, cleaned path at build time
	Size    int64    // bytes
	ModTime int64    // modification time, nanoseconds since the Unix epoch
	Hash    [32]byte // SHA-256 of the first MiB followed by the last MiB (or the whole file if smaller)
	Info    []byte   // opaque per-file summary

	// Sum is the SHA-256 of the whole file (the "capture-sums" section; zero in indexes
	// without it, which are stale).
	Sum [32]byte

	// Not stored: the file's change time and identity when fingerprinted, so the build
	// notices a capture written to while it was read.
	ctime    int64
	dev, ino uint64
}

// fingerprintSpan is how much of each end of a capture the hash covers (durable).
const fingerprintSpan = 1 << 20

// Fingerprint stats and hashes the capture at path: head and tail, and the whole file.
func Fingerprint(path string) (CaptureFile, error) {
	cf, err := fingerprintHead(path)
	if err != nil {
		return cf, err
	}
	if cf.Sum, err = HashFile(cf.Path); err != nil {
		return CaptureFile{}, fmt.Errorf("index: fingerprint %s: %w", cf.Path, err)
	}
	return cf, nil
}

// HashFile returns the SHA-256 of the whole file at path (a capture's Sum).
func HashFile(path string) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, make([]byte, 1<<20)); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

// fingerprintHead is Fingerprint without Sum: the stat and the head/tail hash.
func fingerprintHead(path string) (CaptureFile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return CaptureFile{}, fmt.Errorf("index: fingerprint %s: %w", path, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return CaptureFile{}, fmt.Errorf("index: fingerprint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return CaptureFile{}, fmt.Errorf("index: fingerprint: %w", err)
	}
	cf := CaptureFile{Path: abs, Size: st.Size(), ModTime: st.ModTime().UnixNano()}
	cf.ctime, cf.dev, cf.ino = statIDs(st)
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, min(cf.Size, fingerprintSpan))); err != nil {
		return CaptureFile{}, fmt.Errorf("index: fingerprint %s: %w", abs, err)
	}
	if cf.Size > fingerprintSpan {
		tail := max(cf.Size-fingerprintSpan, fingerprintSpan)
		if _, err := io.Copy(h, io.NewSectionReader(f, tail, cf.Size-tail)); err != nil {
			return CaptureFile{}, fmt.Errorf("index: fingerprint %s: %w", abs, err)
		}
	}
	h.Sum(cf.Hash[:0])
	return cf, nil
}

// sameStat reports whether st shows the file cf was fingerprinted from, unchanged since.
func (cf *CaptureFile) sameStat(st os.FileInfo) bool {
	ct, dev, ino := statIDs(st)
	return st.Size() == cf.Size && st.ModTime().UnixNano() == cf.ModTime && ct == cf.ctime && dev == cf.dev && ino == cf.ino
}

// capturesSection is the name of the section holding the capture fingerprints (durable).
const capturesSection = "captures"

// sumsSection holds the SHA-256 of each whole capture, in the order of the captures
// section (durable): uvarint count, then 32 bytes per file. Indexes without it are stale.
const sumsSection = "capture-sums"

// WriteCaptures stores the fingerprints of the captures the index describes, in order:
// uvarint count, then per file: length-prefixed path, uvarint size, zigzag varint mtime,
// 32-byte hash, length-prefixed info.
func (w *Writer) WriteCaptures(files []CaptureFile) error {
	b := AppendUvarint(nil, uint64(len(files)))
	for _, c := range files {
		b = AppendBytes(b, []byte(c.Path))
		b = AppendUvarint(b, uint64(c.Size))
		b = AppendVarint(b, c.ModTime)
		b = append(b, c.Hash[:]...)
		b = AppendBytes(b, c.Info)
	}
	if err := w.AddSection(SectionCaptures, capturesSection, b, true); err != nil {
		return err
	}
	b = AppendUvarint(b[:0], uint64(len(files)))
	for _, c := range files {
		b = append(b, c.Sum[:]...)
	}
	return w.AddSection(SectionBlob, sumsSection, b, false)
}

// Captures returns the stored capture fingerprints. Info fields are views valid until Close.
func (r *Reader) Captures() ([]CaptureFile, error) {
	b, err := r.Section(capturesSection)
	if err != nil {
		return nil, err
	}
	s := r.dir[r.byName[capturesSection]]
	cs, err := parseCaptures(b)
	if err != nil {
		return nil, &CorruptError{File: r.path, Section: s.Name, Offset: s.Offset, Msg: "captures", Err: err}
	}
	if i, ok := r.byName[sumsSection]; ok {
		b, err := r.section(i)
		if err != nil {
			return nil, err
		}
		if err := parseSums(b, cs); err != nil {
			s := r.dir[i]
			return nil, &CorruptError{File: r.path, Section: s.Name, Offset: s.Offset, Msg: "capture sums", Err: err}
		}
	}
	return cs, nil
}

func parseSums(b []byte, cs []CaptureFile) error {
	b, n, err := UnmarshalUvarint(b)
	if err != nil {
		return err
	}
	if n != uint64(len(cs)) {
		return fmt.Errorf("%d sums for %d captures", n, len(cs))
	}
	for i := range cs {
		if len(b) < 32 {
			return errShort
		}
		copy(cs[i].Sum[:], b)
		b = b[32:]
	}
	if len(b) != 0 {
		return fmt.Errorf("%d trailing bytes", len(b))
	}
	return nil
}

func parseCaptures(b []byte) ([]CaptureFile, error) {
	b, n, err := UnmarshalUvarint(b)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(b))/36 {
		return nil, fmt.Errorf("%d files in %d bytes", n, len(b))
	}
	out := make([]CaptureFile, n)
	for i := range out {
		var path, info []byte
		var size uint64
		c := &out[i]
		if b, path, err = UnmarshalBytes(b); err != nil {
			return nil, err
		}
		if b, size, err = UnmarshalUvarint(b); err != nil {
			return nil, err
		}
		if size > 1<<62 {
			return nil, errRange
		}
		if b, c.ModTime, err = UnmarshalVarint(b); err != nil {
			return nil, err
		}
		if len(b) < 32 {
			return nil, errShort
		}
		copy(c.Hash[:], b)
		if b, info, err = UnmarshalBytes(b[32:]); err != nil {
			return nil, err
		}
		c.Path, c.Size, c.Info = string(path), int64(size), info
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(b))
	}
	return out, nil
}

// Stale reports whether the index no longer describes the captures at paths: a different
// set of files, or a file whose size, modification time or contents changed (the whole
// file is hashed when its change time or identity differ from the build's; see
// CaptureFile). reason says what differs. err is for indexes that cannot be read (a
// missing capture is stale, not an error).
func (r *Reader) Stale(paths []string) (stale bool, reason string, err error) {
	stored, err := r.Captures()
	if err != nil {
		return false, "", err
	}
	var written int64 // the index file's mtime: when it was written
	if st, err := os.Stat(r.path); err == nil {
		written = st.ModTime().UnixNano()
	}
	if len(paths) != len(stored) {
		return true, fmt.Sprintf("index covers %d capture files, asked about %d", len(stored), len(paths)), nil
	}
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return false, "", fmt.Errorf("index: %w", err)
		}
		old := stored[i]
		// Compare names, not directories: a capture moved or copied with its index
		// (cp -p, rsync -t) is still the same capture; size, time and hash decide.
		if filepath.Base(abs) != filepath.Base(old.Path) {
			return true, fmt.Sprintf("capture %d is %s, index was built from %s", i+1, abs, old.Path), nil
		}
		st, err := os.Stat(abs)
		if err != nil {
			return true, fmt.Sprintf("capture %s: %v", abs, err), nil
		}
		if st.Size() != old.Size {
			return true, fmt.Sprintf("capture %s: size %d, was %d when indexed", abs, st.Size(), old.Size), nil
		}
		if mt := st.ModTime().UnixNano(); mt != old.ModTime {
			return true, fmt.Sprintf("capture %s: modified at %d ns, indexed version from %d ns", abs, mt, old.ModTime), nil
		}
		if old.Sum == ([32]byte{}) {
			return true, "the index predates whole-file checks of its captures", nil
		}
		if ct, _, _ := statIDs(st); ct != 0 && ct < written {
			continue // unchanged since the index was written: no write, touch or copy
		}
		now, err := fingerprintHead(abs)
		if err != nil {
			return true, fmt.Sprintf("capture %s: %v", abs, err), nil
		}
		if now.Size != old.Size || !bytes.Equal(now.Hash[:], old.Hash[:]) {
			return true, fmt.Sprintf("capture %s: contents changed (same size and time, different hash)", abs), nil
		}
		sum, err := HashFile(abs)
		if err != nil {
			return true, fmt.Sprintf("capture %s: %v", abs, err), nil
		}
		if sum != old.Sum {
			return true, fmt.Sprintf("capture %s: contents changed (same size and time, different hash)", abs), nil
		}
	}
	return false, "", nil
}

// errChanged says a capture changed while it was being indexed.
var errChanged = errors.New("changed while it was being indexed")
