package follow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// ManifestVersion is the version of the manifest format (durable; see the package doc).
const ManifestVersion = 1

// ManifestName is the manifest's file name inside the follow directory.
const ManifestName = "manifest"

const manifestMagic = "pcapdex-follow"

// ErrCorrupt is wrapped by the error for a manifest whose checksum, version or body is bad.
var ErrCorrupt = errors.New("follow: corrupt manifest")

// Manifest is the follower's checkpoint.
type Manifest struct {
	Generation uint64      `json:"generation"`
	Index      string      `json:"index"` // file name in the follow directory, "" before the first seal
	Files      []FileEntry `json:"files"`
	// AlertTS and AlertSeq say which alerts were printed: every state change up to the
	// evaluation instant AlertTS (Unix ns), and the first AlertSeq of those at AlertTS.
	AlertTS  int64 `json:"alert_ts,omitempty"`
	AlertSeq int   `json:"alert_seq,omitempty"`
}

// FileEntry is one capture of the set.
type FileEntry struct {
	Path      string `json:"path"`
	Dev       uint64 `json:"dev"`
	Ino       uint64 `json:"ino"`
	Head      string `json:"head"`     // hex SHA-256 of the first HeadLen bytes
	HeadLen   int    `json:"head_len"` // bytes the digest covers (64 once the file has them)
	Committed int64  `json:"committed"`
	Packets   uint64 `json:"packets"`
	First     int64  `json:"first_ts,omitempty"` // Unix ns of the first committed packet
	Last      int64  `json:"last_ts,omitempty"`
	Closed    bool   `json:"closed,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	Gone      bool   `json:"gone,omitempty"` // deleted or reused: packets gone from the index
	Indexed   bool   `json:"indexed,omitempty"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// IsDir reports whether dir is a follow directory: it holds a file named manifest that
// starts as a follow manifest does.
func IsDir(dir string) bool {
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if err != nil {
		return false
	}
	defer f.Close()
	var b [len(manifestMagic) + 1]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == manifestMagic+" "
}

// ReadManifest reads and checks dir's manifest. A missing manifest is os.ErrNotExist.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	return parseManifest(path, b)
}

func parseManifest(path string, b []byte) (*Manifest, error) {
	nl := bytes.IndexByte(b, '\n')
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w %s: %s", ErrCorrupt, path, fmt.Sprintf(format, a...))
	}
	if nl < 0 {
		return nil, bad("no header line")
	}
	head, body := string(b[:nl]), b[nl+1:]
	var magic string
	var ver int
	var sum string
	if n, _ := fmt.Sscanf(head, "%s %d %s", &magic, &ver, &sum); n != 3 || magic != manifestMagic {
		return nil, bad("header %q is not \"%s VERSION CRC\"", head, manifestMagic)
	}
	if ver != ManifestVersion {
		return nil, bad("version %d, this pcapdex reads version %d", ver, ManifestVersion)
	}
	want, err := strconv.ParseUint(sum, 16, 32)
	if err != nil || len(sum) != 8 {
		return nil, bad("checksum %q is not 8 hex digits", sum)
	}
	if got := crc32.Checksum(body, castagnoli); got != uint32(want) {
		return nil, bad("checksum %08x, body hashes to %08x (byte offset %d on)", want, got, nl+1)
	}
	m := &Manifest{}
	if err := json.Unmarshal(body, m); err != nil {
		return nil, bad("body: %v", err)
	}
	if m.Index != "" && (filepath.Base(m.Index) != m.Index || m.Index == "." || m.Index == "..") {
		return nil, bad("index name %q is not a file name", m.Index)
	}
	return m, nil
}

// AppendManifest appends m's durable encoding to dst.
func AppendManifest(dst []byte, m *Manifest) ([]byte, error) {
	body, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return dst, err
	}
	body = append(body, '\n')
	dst = fmt.Appendf(dst, "%s %d %08x\n", manifestMagic, ManifestVersion, crc32.Checksum(body, castagnoli))
	return append(dst, body...), nil
}

// WriteManifest replaces dir's manifest atomically: write a temporary file, fsync it,
// rename it over the manifest, fsync the directory.
func WriteManifest(dir string, m *Manifest) error {
	b, err := AppendManifest(nil, m)
	if err != nil {
		return fmt.Errorf("follow: manifest: %w", err)
	}
	return writeAtomic(dir, ManifestName, b)
}

func writeAtomic(dir, name string, b []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("follow: write %s: %w", filepath.Join(dir, name), err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("follow: fsync %s: %w", dir, err)
	}
	return nil
}

// IndexPath returns the path of the index the manifest in dir names ("" before the first
// seal).
func (m *Manifest) IndexPath(dir string) string {
	if m.Index == "" {
		return ""
	}
	return filepath.Join(dir, m.Index)
}
