package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Suffix is appended to a capture's name for its sidecar index.
const Suffix = ".pcapdex"

// CaptureExts are the file names a directory input holds as captures.
var CaptureExts = []string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".pcap.zst", ".pcapng.zst", ".pcap.lz4", ".pcapng.lz4"}

// ExpandCaptures turns capture and directory arguments into capture paths: a directory
// gives its capture files (CaptureExts) in name order; anything else is kept as given.
func ExpandCaptures(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a)
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, e := range ents {
			name := strings.ToLower(e.Name())
			if e.Type().IsRegular() && slices.ContainsFunc(CaptureExts, func(x string) bool { return strings.HasSuffix(name, x) }) {
				out = append(out, filepath.Join(a, e.Name()))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no capture files (%s)", a, strings.Join(CaptureExts, " "))
		}
	}
	return out, nil
}

// IsIndexFile reports whether the file at path starts with the index header magic.
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
	return bytes.Equal(b[:], []byte(headerMagic))
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

// PathFor returns where the index of capture lives or is to be written: the sidecar
// CAPTURE.pcapdex when it exists or its folder is writable, else the cache path (its
// folder created).
func (l Locator) PathFor(capture string) (string, error) {
	side := capture + Suffix
	if _, err := os.Stat(side); err == nil || l.writable(filepath.Dir(side)) {
		return side, nil
	}
	if p, err := l.CachePath(capture); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return "", err
		}
		return p, nil
	}
	return side, nil
}

// SetPath is where the index of a capture set goes: the cache directory, named by a hash
// of the captures' absolute paths in order (its folder created).
func (l Locator) SetPath(captures []string) (string, error) {
	h := sha256.New()
	for _, c := range captures {
		abs, err := filepath.Abs(c)
		if err != nil {
			return "", err
		}
		io.WriteString(h, abs+"\n")
	}
	dir, err := l.cacheDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return filepath.Join(dir, "set-"+hex.EncodeToString(h.Sum(nil)[:8])+Suffix), nil
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
