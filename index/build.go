package index

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapdex/pcapdex/capstats"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/safefile"
	"github.com/pcapdex/pcapdex/pcapng"
)

// ErrOutputIsInput is wrapped by the error of BuildFiles when the index would replace one
// of its captures: a usage error.
var ErrOutputIsInput = safefile.ErrInput

// Progress is how far BuildFiles has read.
type Progress struct {
	Bytes, TotalBytes int64 // bytes read of all captures (compressed ones: of the file), and their total size
	Packets           uint64
}

// BuildResult is what BuildFiles wrote and found.
type BuildResult struct {
	BuildStats
	// Files holds each capture's statistics (what `pcapdex info` reports, from the same
	// pass), in order; their JSON is the per-capture info the index stores.
	Files []*capstats.File
}

// Partial reports whether some capture was read only in part (a truncated tail, an error
// after its header): the index holds what was read.
func (r *BuildResult) Partial() bool {
	for _, f := range r.Files {
		if f.Partial() {
			return true
		}
	}
	return false
}

// BuildFiles indexes the captures at paths (one capture set, in order; "-" reads stdin)
// into the index file out, in one pass that also fills each capture's statistics and
// feeds opt.Consumers. It is the one build driver: `pcapdex index`, the queries that build
// a missing index, and the tests all use it.
//
// A capture that cannot be opened (or is not a capture) aborts the build: out is not
// written and the error names the file. A capture that ends early (truncated, a corrupt
// record) is indexed up to that point; its File says why (Err, Truncated) and Partial
// reports it. A write error aborts the build.
//
// out must not be one of the captures (by name, hard link or symlink): that error wraps
// ErrOutputIsInput and nothing is written. The index gets no more permissions than the
// captures have (a 0600 capture gets a 0600 index), less the umask.
func BuildFiles(out string, paths []string, opt BuildOptions) (*BuildResult, error) {
	if err := safefile.CheckNotInput(out, paths); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	fps := make([]CaptureFile, len(paths))
	var total int64
	prog := &buildProgress{fn: opt.Progress}
	perm := os.FileMode(0o644)
	for i, p := range paths {
		if p == "-" {
			fps[i] = CaptureFile{Path: p}
			continue
		}
		cf, err := fingerprintHead(p)
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(p); err == nil {
			perm &= st.Mode().Perm()
		}
		fps[i] = cf
		total += cf.Size
	}
	prog.total = total
	if !slices.Contains(paths, "-") {
		lock, waited := acquireBuildLock(out, opt.LockStale, opt.lockWait)
		defer lock.release()
		if waited && lock != nil {
			if ok, _ := UpToDate(out, paths); ok {
				return nil, ErrBuiltByOther
			}
		}
		prog.lock = lock
	}
	stats := &capstats.Collector{PerFileFlows: len(paths) > 1, Flow: opt.Flow}
	opt.Consumers = append([]flowhash.Consumer{stats, prog}, opt.Consumers...)
	w, err := CreatePerm(out, perm)
	if err != nil {
		return nil, err
	}
	b, err := NewBuilder(w, opt)
	if err != nil {
		w.Abort()
		return nil, err
	}
	res := &BuildResult{}
	for i, path := range paths {
		if err := b.BeginFile(fps[i]); err != nil {
			w.Abort()
			return nil, err
		}
		r, err := pcapng.Open(path, pcapng.Options{NoMmap: opt.NoMmap, MaxWindow: opt.MaxWindow})
		if err != nil {
			w.Abort()
			return nil, err
		}
		// The whole-file hash rides along the pass: another reader of the same pages.
		sum := make(chan error, 1)
		cf := &b.files[len(b.files)-1]
		if path != "-" {
			go func() {
				var err error
				cf.Sum, err = HashFile(cf.Path)
				sum <- err
			}()
		} else {
			sum <- nil
		}
		_, werr := b.ReadCapture(r)
		r.Close()
		herr := <-sum
		if werr != nil {
			w.Abort()
			return nil, werr
		}
		if herr != nil {
			w.Abort()
			return nil, fmt.Errorf("index: hash %s: %w", path, herr)
		}
		if path != "-" {
			// A capture written to while it was read is indexed as read, but its index is
			// stale at once (zero sum): the next query rebuilds it.
			if st, err := os.Stat(path); err != nil || !cf.sameStat(st) {
				cf.Sum = [32]byte{}
				b.warnings = append(b.warnings, fmt.Sprintf("%s: %v", path, errChanged))
			}
		}
		f := stats.Files()[len(stats.Files())-1]
		f.Path = path
		prog.base += fps[i].Size
		n := f.Decode.ByStatus[fastparse.UnknownLink]
		if n > 0 {
			// A fact of the capture, kept in the index so every later query says it too.
			f.Warnings = append(slices.Clone(f.Warnings), UndecodedWarning(path, n, f.LinkTypes()))
		}
		info := f.AppendJSON(nil)
		if n > 0 {
			info = append(info[:len(info)-1], `,"undecoded_link_packets":`...)
			info = append(strconv.AppendUint(info, n, 10), '}')
		}
		b.EndFile(info)
		if f.Err != "" {
			b.warnings = append(b.warnings, f.Err)
		}
	}
	res.Files = stats.Files()
	st, err := b.Finish()
	if err != nil {
		return nil, err
	}
	res.BuildStats = *st
	return res, nil
}

// Undecoded returns how many packets of the captures have a link type the decoder does
// not know, and how many packets there are in all.
func (r *BuildResult) Undecoded() (undecoded, packets uint64) {
	for _, f := range r.Files {
		undecoded += f.Decode.ByStatus[fastparse.UnknownLink]
		packets += f.Packets
	}
	return undecoded, packets
}

// UndecodedWarning says that n packets of capture path have a link type the decoder does
// not know: "x.pcap: 4,631 packets of link type 147 not decoded".
func UndecodedWarning(path string, n uint64, linkTypes []pcapng.LinkType) string {
	var lts []string
	var p fastparse.Packet
	for _, lt := range linkTypes {
		if fastparse.Decode(&p, lt, nil, 0) == fastparse.UnknownLink {
			lts = append(lts, strconv.Itoa(int(lt)))
		}
	}
	what := "an unknown link type"
	switch len(lts) {
	case 0:
	case 1:
		what = "link type " + lts[0]
	default:
		what = "link types " + strings.Join(lts, ", ")
	}
	return fmt.Sprintf("%s: %s packets of %s not decoded (no flows, addresses or ports)", path, groupDigits(n), what)
}

// EventsDroppedWarning says that n TCP analysis events were not kept because their flow
// had flowhash.Options.MaxFlowEvents already.
func EventsDroppedWarning(n uint64) string {
	return fmt.Sprintf("%s TCP analysis events not kept: their flow had %s already (the flows' counts are exact; 'events' lists the first ones)",
		groupDigits(n), groupDigits(flowhash.DefaultMaxFlowEvents))
}

// groupDigits writes n with commas between groups of three digits.
func groupDigits(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// buildProgress is the consumer that reports BuildFiles' progress.
type buildProgress struct {
	fn       func(Progress)
	total    int64
	base     int64 // bytes of the captures done
	packets  uint64
	nbatches int
	lock     *buildLock // refreshed as the build progresses
}

func (p *buildProgress) BeginFile(*pcapng.Reader) error  { return nil }
func (p *buildProgress) EndFile(*flowhash.FileEnd) error { return nil }

func (p *buildProgress) Batch(bt *flowhash.Batch) error {
	p.packets += uint64(len(bt.Packets))
	if p.nbatches&7 == 0 {
		p.lock.touch()
	}
	if p.fn == nil || len(bt.Packets) == 0 {
		return nil
	}
	if p.nbatches++; p.nbatches&31 == 0 {
		// Not the reader's Offset(): the reader runs on another goroutine.
		last := &bt.Packets[len(bt.Packets)-1]
		p.fn(Progress{Bytes: p.base + last.Offset + int64(last.CapLen), TotalBytes: p.total, Packets: p.packets})
	}
	return nil
}
