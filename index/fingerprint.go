package index

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CaptureFile identifies one capture an index was built from, so a reader can tell whether
// the index still describes the files on disk. Info is an opaque summary (the `info` object)
// stored with it by the builder.
type CaptureFile struct {
	Path    string   // absolute, cleaned path at build time
	Size    int64    // bytes
	ModTime int64    // modification time, nanoseconds since the Unix epoch
	Hash    [32]byte // SHA-256 of the first MiB followed by the last MiB (or the whole file if smaller)
	Info    []byte   // opaque per-file summary
}

// fingerprintSpan is how much of each end of a capture the hash covers (durable).
const fingerprintSpan = 1 << 20

// Fingerprint stats and hashes the capture at path.
func Fingerprint(path string) (CaptureFile, error) {
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

// capturesSection is the name of the section holding the capture fingerprints (durable).
const capturesSection = "captures"

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
	return w.AddSection(SectionCaptures, capturesSection, b, true)
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
	return cs, nil
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
// set of files, or a file whose size, modification time or head/tail hash changed. reason
// says what differs. err is for indexes that cannot be read (a missing capture is stale,
// not an error).
func (r *Reader) Stale(paths []string) (stale bool, reason string, err error) {
	stored, err := r.Captures()
	if err != nil {
		return false, "", err
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
		now, err := Fingerprint(abs)
		if err != nil {
			return true, fmt.Sprintf("capture %s: %v", abs, err), nil
		}
		if now.Size != old.Size || !bytes.Equal(now.Hash[:], old.Hash[:]) {
			return true, fmt.Sprintf("capture %s: contents changed (same size and time, different hash)", abs), nil
		}
	}
	return false, "", nil
}
