package follow

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/pcapng"
)

// headSpan is how many first bytes a file's identity digest covers (durable).
const headSpan = 64

// candidates lists the capture files the inputs name now: a file, the capture files of a
// directory (index.CaptureExts), or the matches of a glob. skip is the follow directory.
func candidates(inputs []string, skip string) ([]string, error) {
	var out []string
	for _, in := range inputs {
		st, err := os.Stat(in)
		switch {
		case err == nil && st.IsDir():
			ents, err := os.ReadDir(in)
			if err != nil {
				return nil, err
			}
			for _, e := range ents {
				name := strings.ToLower(e.Name())
				if e.Type().IsRegular() && !strings.HasPrefix(name, ".") &&
					slices.ContainsFunc(index.CaptureExts, func(x string) bool { return strings.HasSuffix(name, x) || strings.Contains(name, x) }) {
					out = append(out, filepath.Join(in, e.Name()))
				}
			}
		case err == nil:
			out = append(out, in)
		default:
			m, gerr := filepath.Glob(in)
			if gerr != nil {
				return nil, gerr
			}
			if len(m) == 0 && !strings.ContainsAny(in, "*?[") {
				continue // a single file not created yet
			}
			for _, p := range m {
				if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
					out = append(out, p)
				}
			}
		}
	}
	abs := out[:0]
	for _, p := range out {
		a, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		if skip != "" && filepath.Dir(a) == skip {
			continue
		}
		abs = append(abs, a)
	}
	slices.Sort(abs)
	return slices.Compact(abs), nil
}

// headDigest hashes the first min(size, 64) bytes of f.
func headDigest(f *os.File) (string, int, error) {
	var b [headSpan]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && err != io.EOF {
		return "", 0, err
	}
	s := sha256.Sum256(b[:n])
	return hex.EncodeToString(s[:]), n, nil
}

// identify fills a new entry's identity from the file at path.
func identify(path string) (FileEntry, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileEntry{}, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return FileEntry{}, 0, err
	}
	e := FileEntry{Path: path}
	e.Dev, e.Ino = devIno(st)
	if e.Head, e.HeadLen, err = headDigest(f); err != nil {
		return FileEntry{}, 0, err
	}
	return e, st.Size(), nil
}

// sameFile reports whether the file at e.Path is still the file e describes: same device
// and inode, at least the committed bytes, and the same first bytes. When the file has
// grown past a short digest, the digest is extended (update is true).
func sameFile(e *FileEntry) (same, update bool, size int64, err error) {
	f, err := os.Open(e.Path)
	if err != nil {
		if os.IsNotExist(err) {
			return false, false, 0, nil
		}
		return false, false, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, false, 0, err
	}
	size = st.Size()
	if dev, ino := devIno(st); dev != e.Dev || ino != e.Ino || size < e.Committed || size < int64(e.HeadLen) {
		return false, false, size, nil
	}
	var b [headSpan]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && err != io.EOF {
		return false, false, size, err
	}
	s := sha256.Sum256(b[:e.HeadLen])
	if hex.EncodeToString(s[:]) != e.Head {
		return false, false, size, nil
	}
	if n > e.HeadLen {
		s = sha256.Sum256(b[:n])
		e.Head, e.HeadLen = hex.EncodeToString(s[:]), n
		update = true
	}
	return true, update, size, nil
}

var (
	dumpcapRing = regexp.MustCompile(`_(\d{5,})_(\d{14})`)
	trailingNum = regexp.MustCompile(`(\d+)$`)
	timeDigits  = regexp.MustCompile(`\d{8,}`)
)

// orderKey is how new files sort: ring number, then strftime digits, then first packet
// time, then name.
type orderKey struct {
	ring    int64 // -1: none
	stamp   string
	first   int64
	hasTime bool
	name    string
}

func keyOf(path string) orderKey {
	base := filepath.Base(path)
	k := orderKey{ring: -1, name: base}
	if m := dumpcapRing.FindStringSubmatch(base); m != nil {
		k.ring, _ = strconv.ParseInt(m[1], 10, 64)
		k.stamp = m[2]
	} else if m := trailingNum.FindString(base); m != "" && len(m) < 8 {
		k.ring, _ = strconv.ParseInt(m, 10, 64)
	} else if m := strings.Join(timeDigits.FindAllString(base, -1), ""); m != "" {
		k.stamp = m
	}
	k.first, k.hasTime = firstTS(path)
	return k
}

// firstTS reads the time of a file's first whole packet.
func firstTS(path string) (int64, bool) {
	t, err := pcapng.OpenTail(path, pcapng.TailOptions{BufferSize: 4096})
	if err != nil {
		return 0, false
	}
	defer t.Close()
	var p pcapng.Packet
	if t.Next(&p) != nil {
		return 0, false
	}
	return p.TS, true
}

// sortNew orders newly found files (see orderKey). tcpdump -C names its first file without a
// number: a file whose name is a prefix of numbered siblings is ring 0.
func sortNew(paths []string) {
	keys := make(map[string]orderKey, len(paths))
	for _, p := range paths {
		keys[p] = keyOf(p)
	}
	for _, p := range paths {
		k := keys[p]
		if k.ring >= 0 {
			continue
		}
		for _, q := range paths {
			if q != p && keys[q].ring >= 0 && strings.HasPrefix(q, p) && trailingNum.MatchString(q[len(p):]) {
				k.ring = 0
				keys[p] = k
				break
			}
		}
	}
	slices.SortStableFunc(paths, func(a, b string) int {
		ka, kb := keys[a], keys[b]
		if ka.ring >= 0 && kb.ring >= 0 && ka.ring != kb.ring {
			return cmp.Compare(ka.ring, kb.ring)
		}
		if ka.stamp != "" && kb.stamp != "" && ka.stamp != kb.stamp {
			return cmp.Compare(ka.stamp, kb.stamp)
		}
		if ka.hasTime && kb.hasTime && ka.first != kb.first {
			return cmp.Compare(ka.first, kb.first)
		}
		return cmp.Compare(ka.name, kb.name)
	})
	// A tcpdump -C -W ring wraps: cap.pcap0 may be newer than cap.pcap2. When every file
	// is numbered and has a first packet, and the ring order read from the oldest file on
	// is in time order, start there.
	oldest := -1
	for i, p := range paths {
		k := keys[p]
		if k.ring < 0 || !k.hasTime {
			return
		}
		if oldest < 0 || k.first < keys[paths[oldest]].first {
			oldest = i
		}
	}
	if oldest <= 0 {
		return
	}
	rot := append(slices.Clone(paths[oldest:]), paths[:oldest]...)
	for i := 1; i < len(rot); i++ {
		if keys[rot[i]].first < keys[rot[i-1]].first {
			return
		}
	}
	copy(paths, rot)
}
