package index

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/pcapng"
)

// Capture sets: several files that are one logical capture (tcpdump -C/-G or dumpcap ring
// buffer rotations, or files given together). Flows continue across files, so the order
// matters: a set is ordered by each file's first packet time, ties by ring number (the N of
// tcpdump's NAME.pcapN, dumpcap's NAME_NNNNN_YYYYmmddHHMMSS.pcapng), then by name, whatever
// order a shell glob put them in ("x.pcap10" sorts before "x.pcap2" as text).

// rotated matches tcpdump -C/-W names: the capture name with the file number appended.
var rotated = regexp.MustCompile(`(?i)\.(pcap|pcapng|cap)(\d+)$`)

// dumpcapRing matches dumpcap's ring buffer names: NAME_NNNNN_YYYYmmddHHMMSS.EXT.
var dumpcapRing = regexp.MustCompile(`_(\d{5,})_(\d{14})\.[^/]*$`)

// isCaptureName reports whether a directory entry's name is a capture's: one of
// CaptureExts, or a tcpdump rotation name.
func isCaptureName(name string) bool {
	lower := strings.ToLower(name)
	return slices.ContainsFunc(CaptureExts, func(x string) bool { return strings.HasSuffix(lower, x) }) ||
		rotated.MatchString(name)
}

// ringKey returns the name a rotation family shares and the file's ring number.
func ringKey(path string) (stem string, ring int) {
	name := filepath.Base(path)
	if m := rotated.FindStringSubmatchIndex(name); m != nil {
		n, _ := strconv.Atoi(name[m[4]:m[5]])
		return name[:m[4]], n
	}
	if m := dumpcapRing.FindStringSubmatchIndex(name); m != nil {
		n, _ := strconv.Atoi(name[m[2]:m[3]])
		return name[:m[0]], n
	}
	return name, 0
}

// compareRing orders two paths by rotation family, ring number, then name.
func compareRing(a, b string) int {
	sa, ra := ringKey(a)
	sb, rb := ringKey(b)
	return cmp.Or(cmp.Compare(sa, sb), cmp.Compare(ra, rb), cmp.Compare(a, b))
}

// expand turns capture and directory arguments into capture paths. A directory gives its
// capture files (CaptureExts and tcpdump rotation names) in rotation order; its other
// files (sidecar indexes and hidden files aside) are listed in skipped.
func expand(args []string) (paths, skipped []string, err error) {
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			paths = append(paths, a)
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, nil, err
		}
		var caps []string
		for _, e := range ents {
			name := e.Name()
			switch {
			case !e.Type().IsRegular() || strings.HasPrefix(name, "."):
			case isCaptureName(name):
				caps = append(caps, filepath.Join(a, name))
			case !strings.HasSuffix(name, Suffix):
				skipped = append(skipped, filepath.Join(a, name)+": not a capture name ("+strings.Join(CaptureExts, " ")+", NAME.pcapN)")
			}
		}
		if len(caps) == 0 {
			return nil, nil, fmt.Errorf("%s: no capture files (%s)", a, strings.Join(CaptureExts, " "))
		}
		slices.SortFunc(caps, compareRing)
		paths = append(paths, caps...)
	}
	return paths, skipped, nil
}

// Set is a capture set as ExpandSet found it.
type Set struct {
	Paths []string // the readable captures, in set order
	// Skipped names the files left out, with why: a directory's files that are not
	// captures, and captures that cannot be opened (a set goes on without them).
	Skipped []string
	// Notes say what a reader of the answers should know: that the order differs from
	// the order given.
	Notes []string
	// Unreadable counts the captures left out because they could not be opened.
	Unreadable int
}

// ExpandSet expands args as ExpandCaptures does and, when that gives several captures,
// orders them as one capture set: by each file's first packet time, ties by ring number,
// then by name (stdin, "-", keeps the order given). A capture that cannot be opened is left
// out and named in Skipped; when none can, the first one's error is returned.
func ExpandSet(args []string, opt pcapng.Options) (*Set, error) {
	paths, skipped, err := expand(args)
	if err != nil {
		return nil, err
	}
	s := &Set{Skipped: skipped}
	if len(paths) < 2 || slices.Contains(paths, "-") {
		s.Paths = paths
		return s, nil
	}
	type file struct {
		path  string
		first int64
		has   bool
	}
	var files []file
	var firstErr error
	for _, p := range paths {
		ts, has, err := firstTime(p, opt)
		if err != nil {
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s: cannot be read: %v", p, err))
			s.Unreadable++
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		files = append(files, file{p, ts, has})
	}
	if len(files) == 0 {
		return nil, firstErr
	}
	given := make([]string, len(files))
	for i, f := range files {
		given[i] = f.path
	}
	slices.SortStableFunc(files, func(a, b file) int {
		if a.has != b.has {
			if a.has {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.first, b.first), compareRing(a.path, b.path))
	})
	for _, f := range files {
		s.Paths = append(s.Paths, f.path)
	}
	if !slices.Equal(given, s.Paths) {
		s.Notes = append(s.Notes, fmt.Sprintf("the set is read in order of each file's first packet (%s first, then %s)",
			filepath.Base(s.Paths[0]), filepath.Base(s.Paths[1])))
	}
	return s, nil
}

// firstTime returns the time of the first packet of the capture at path that has one.
func firstTime(path string, opt pcapng.Options) (int64, bool, error) {
	r, err := pcapng.Open(path, opt)
	if err != nil {
		return 0, false, err
	}
	defer r.Close()
	var p pcapng.Packet
	for range 64 {
		if err := r.Next(&p); err != nil {
			return 0, false, nil // empty or ends at once: reading it reports the rest
		}
		if p.HasTS {
			return p.TS, true, nil
		}
	}
	return 0, false, nil
}

// Overlaps returns a warning for each capture of a set whose packets start before the
// previous capture's last packet (from the per-capture summaries an index keeps): flows
// and TCP analysis across such files see time step back.
func Overlaps(files []CaptureFile) []string {
	var out []string
	var prevLast int64
	prev := ""
	for _, f := range files {
		var info struct {
			Earliest string `json:"earliest_ts"`
			Latest   string `json:"latest_ts"`
		}
		if json.Unmarshal(f.Info, &info) != nil {
			continue
		}
		lo, err1 := parseSeconds(info.Earliest)
		hi, err2 := parseSeconds(info.Latest)
		if err1 != nil || err2 != nil {
			continue
		}
		if prev != "" && lo < prevLast {
			out = append(out, fmt.Sprintf("%s starts %v before the end of %s: the files overlap in time",
				filepath.Base(f.Path), time.Duration(prevLast-lo), filepath.Base(prev)))
		}
		if prev == "" || hi > prevLast {
			prevLast = hi
		}
		prev = f.Path
	}
	return out
}

// parseSeconds parses "SECONDS.NANOSECONDS" (as capstats writes times) into Unix ns.
func parseSeconds(s string) (int64, error) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0, err
	}
	if len(frac) > 9 {
		return 0, errors.New("too many digits")
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64); err != nil {
			return 0, err
		}
	}
	if strings.HasPrefix(sec, "-") {
		return n*1e9 - f, nil
	}
	return n*1e9 + f, nil
}
