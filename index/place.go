package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Suffix is appended to a capture's name for its sidecar index.
const Suffix = ".pcapdex"

// CaptureExts are the file names a directory input holds as captures.
var CaptureExts = []string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".pcap.zst", ".pcapng.zst", ".pcap.lz4", ".pcapng.lz4", ".pcap.bz2", ".pcapng.bz2"}

// ExpandCaptures turns capture and directory arguments into capture paths: a directory
// gives its capture files (CaptureExts, and tcpdump's rotation names NAME.pcapN) in rotation
// order (x.pcap, x.pcap1, x.pcap2, ..., x.pcap10); anything else is kept as given. For one
// capture set read as a whole, ExpandSet also orders the files by time.
func ExpandCaptures(args []string) ([]string, error) {
	paths, _, err := expand(args)
	return paths, err
}

// ExpandCapturesSkipped is ExpandCaptures that also names the files of directories it left
// out (not capture names), for the caller to report.
func ExpandCapturesSkipped(args []string) (paths, skipped []string, err error) {
	return expand(args)
}

// IsIndexFile reports whether the file at path is a pcapdex index: it starts with the
// header magic or, its header damaged, ends with the footer magic (Open then says what is
// corrupt, rather than the file being taken for a capture that is "not a pcap").
func IsIndexFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [8]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return false
	}
	if bytes.Equal(b[:], []byte(headerMagic)) {
		return true
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() < headerSize+footerSize {
		return false
	}
	if _, err := f.ReadAt(b[:], st.Size()-8); err != nil {
		return false
	}
	return bytes.Equal(b[:], []byte(footerMagic))
}

// Locator says where indexes of captures live: the sidecar CAPTURE.pcapdex beside a
// capture whose folder is writable, else the user cache directory. The zero value is
// ready to use.
type Locator struct {
	// CacheDir overrides the cache directory (default: os.UserCacheDir()/pcapdex).
	CacheDir string
	// Writable reports whether an index can be created in dir (default: try creating a
	// file there). Tests set it to simulate a read-only folder, which root cannot make.
	Writable func(dir string) bool
}

func (l Locator) writable(dir string) bool {
	if l.Writable != nil {
		return l.Writable(dir)
	}
	f, err := os.CreateTemp(dir, ".pcapdex-probe-*")
	if err != nil {
		return false
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return true
}

func (l Locator) cacheDir() (string, error) {
	if l.CacheDir != "" {
		return l.CacheDir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "pcapdex"), nil
}

// CachePath is where the index of capture goes when its folder is not writable:
// CACHEDIR/HASH-NAME.pcapdex, HASH naming the capture's absolute path.
func (l Locator) CachePath(capture string) (string, error) {
	abs, err := filepath.Abs(capture)
	if err != nil {
		return "", err
	}
	dir, err := l.cacheDir()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, hex.EncodeToString(h[:8])+"-"+filepath.Base(abs)+Suffix), nil
}

// ErrNoPlace is returned by PathFor and SetPath when no folder can take an index: not the
// capture's, nor the user cache, nor the temp dir. Callers read the captures in one pass.
var ErrNoPlace = errors.New("no writable folder for an index (beside the capture, the user cache or the temp dir)")

// PathFor returns where the index of capture lives or is to be written: the sidecar
// CAPTURE.pcapdex when it exists or its folder is writable, else CACHEDIR/HASH-NAME.pcapdex
// in the user cache, else the same name in a private folder of the temp dir (both folders
// created 0700); ErrNoPlace when none can be written.
func (l Locator) PathFor(capture string) (string, error) {
	side := capture + Suffix
	if _, err := os.Stat(side); err == nil || l.writable(filepath.Dir(side)) {
		return side, nil
	}
	abs, err := filepath.Abs(capture)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(abs))
	name := hex.EncodeToString(h[:8]) + "-" + filepath.Base(abs) + Suffix
	for _, dir := range l.dirs() {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	for _, dir := range l.dirs() {
		if l.usable(dir) {
			return filepath.Join(dir, name), nil
		}
	}
	return "", ErrNoPlace
}

// SetPath is where the index of a capture set goes: the user cache directory (else a
// private folder of the temp dir), named by a hash of the captures' absolute paths in
// order (its folder created 0700); ErrNoPlace when none can be written.
func (l Locator) SetPath(captures []string) (string, error) {
	h := sha256.New()
	for _, c := range captures {
		abs, err := filepath.Abs(c)
		if err != nil {
			return "", err
		}
		io.WriteString(h, abs+"\n")
	}
	name := "set-" + hex.EncodeToString(h.Sum(nil)[:8]) + Suffix
	for _, dir := range l.dirs() {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name), nil
		}
	}
	for _, dir := range l.dirs() {
		if l.usable(dir) {
			return filepath.Join(dir, name), nil
		}
	}
	return "", ErrNoPlace
}

// Dirs are the folders indexes go to when not beside their capture, in order: the user
// cache, then pcapdex-UID in the temp dir (`pcapdex cache` lists and cleans them).
func (l Locator) Dirs() []string { return l.dirs() }

func (l Locator) dirs() []string {
	var out []string
	if d, err := l.cacheDir(); err == nil {
		out = append(out, d)
	}
	return append(out, filepath.Join(os.TempDir(), "pcapdex-"+strconv.Itoa(os.Getuid())))
}

// usable creates dir (0700) if needed and reports whether indexes can be written there. A
// folder in the temp dir must be the user's own, private and not a link: another user
// could have made it first.
func (l Locator) usable(dir string) bool {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false
	}
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o077 != 0 {
		os.Chmod(dir, st.Mode().Perm()&0o700) // a cache made 0755 by an older pcapdex: make it private
	}
	if strings.HasPrefix(dir, os.TempDir()+string(filepath.Separator)) && !ownPrivateDir(dir) {
		return false
	}
	return l.writable(dir)
}

// UpToDate reports whether path is a readable index of the current format for captures
// (their fingerprints unchanged). When it is not, why says what is wrong ("" when the
// index does not exist).
func UpToDate(path string, captures []string) (ok bool, why string) {
	r, err := Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, ""
		}
		return false, err.Error()
	}
	defer r.Close()
	stale, why, err := r.Stale(captures)
	if err != nil {
		return false, err.Error()
	}
	return !stale, why
}
