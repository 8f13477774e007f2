package main

import (
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
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

func init() {
	register(&command{
		name:    "index",
		summary: "index captures once (flows, packets, events, postings) so later queries answer in milliseconds",
		usage:   "pcapdex index [-o PATH] [--force] [--verify] [--no-mmap] [--workers N] CAPTURE...|DIR",
		examples: `  pcapdex index trace.pcap                 # writes trace.pcap.pcapdex beside it
  pcapdex index captures/                  # one sidecar index per capture in the folder
  pcapdex index -o day.pcapdex rot-*.pcap  # one index over a set of rotated files
  pcapdex index --verify trace.pcapng.zst`,
		run: runIndex,
	})
}

// indexSuffix is appended to a capture's name for its sidecar index.
const indexSuffix = ".pcapdex"

// captureExts are the file names a DIR argument indexes.
var captureExts = []string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".pcap.zst", ".pcapng.zst", ".pcap.lz4", ".pcapng.lz4"}

type indexOptions struct {
	output    string
	force     bool
	verify    bool
	blockRows int
	workers   int
	progress  string // one of progressModes
	input     inputFlags
}

// sidecarWritable reports whether an index can be created in dir; a variable so tests can
// simulate a read-only capture folder (root ignores permission bits).
var sidecarWritable = func(dir string) bool {
	f, err := os.CreateTemp(dir, ".pcapdex-probe-*")
	if err != nil {
		return false
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return true
}

// cachedIndexPath is where the index of capture goes when its folder is not writable:
// UserCacheDir/pcapdex/HASH-NAME.pcapdex, HASH naming the capture's absolute path.
func cachedIndexPath(capture string) (string, error) {
	abs, err := filepath.Abs(capture)
	if err != nil {
		return "", err
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, "pcapdex", hex.EncodeToString(h[:8])+"-"+filepath.Base(abs)+indexSuffix), nil
}

// indexPathFor returns where the index of capture lives or is to be written: the sidecar
// CAPTURE.pcapdex when it exists or its folder is writable, else the cache path.
func indexPathFor(capture string) (string, error) {
	side := capture + indexSuffix
	if _, err := os.Stat(side); err == nil || sidecarWritable(filepath.Dir(side)) {
		return side, nil
	}
	if p, err := cachedIndexPath(capture); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		return p, nil
	}
	return side, nil
}

// expandCaptures turns CAPTURE and DIR arguments into capture paths.
func expandCaptures(args []string) ([]string, error) {
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
			if e.Type().IsRegular() && slices.ContainsFunc(captureExts, func(x string) bool { return strings.HasSuffix(name, x) }) {
				out = append(out, filepath.Join(a, e.Name()))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no capture files (%s)", a, strings.Join(captureExts, " "))
		}
	}
	return out, nil
}

func runIndex(args []string, stdout, stderr io.Writer) int {
	c := commands["index"]
	var o indexOptions
	fl := newFlags(c, stderr)
	fl.StringVarP(&o.output, "output", "o", "", "write one index over all CAPTUREs (a capture set, in order) to PATH")
	fl.BoolVar(&o.force, "force", false, "rebuild even when the index is up to date")
	fl.BoolVar(&o.verify, "verify", false, "after writing (or finding up to date), read the whole index back and check every checksum")
	fl.IntVar(&o.blockRows, "block-rows", index.PacketBlockRows, "packets per block of the packet table")
	fl.IntVar(&o.workers, "workers", 0, "decode and flow-tracking workers (0: GOMAXPROCS); the index is the same for any value")
	fl.StringVar(&o.progress, "progress", "auto", "progress on stderr: auto (when stderr is a terminal), always, never, or json (one object per update)")
	addInputFlags(fl, &o.input)
	if code, done := parseFlags(fl, args, stderr); done {
		return code
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "pcapdex index: no capture given (see 'pcapdex index --help')")
		return exitUsage
	}
	if o.workers < 0 {
		fmt.Fprintln(stderr, "pcapdex index: --workers must be 0 (GOMAXPROCS) or more")
		return exitUsage
	}
	if !slices.Contains(progressModes, o.progress) {
		fmt.Fprintf(stderr, "pcapdex index: --progress must be one of %s\n", strings.Join(progressModes, ", "))
		return exitUsage
	}
	if o.blockRows < 1 || o.blockRows > index.MaxBlockRows {
		fmt.Fprintf(stderr, "pcapdex index: --block-rows must be 1..%d\n", index.MaxBlockRows)
		return exitUsage
	}
	captures, err := expandCaptures(fl.Args())
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex index: %v\n", err)
		return exitInput
	}
	if slices.Contains(captures, "-") && o.output == "" {
		fmt.Fprintln(stderr, "pcapdex index: reading stdin needs -o PATH (no file to put a sidecar beside)")
		return exitUsage
	}
	var sets [][]string
	var outs []string
	if o.output != "" {
		sets, outs = [][]string{captures}, []string{o.output}
	} else {
		for _, c := range captures {
			p, err := indexPathFor(c)
			if err != nil {
				fmt.Fprintf(stderr, "pcapdex index: %s: %v\n", c, err)
				return exitInput
			}
			sets, outs = append(sets, []string{c}), append(outs, p)
		}
	}
	code := exitOK
	for i, set := range sets {
		code = max(code, indexSet(set, outs[i], &o, stdout, stderr))
	}
	return code
}

// upToDate reports whether out is a readable index of the current format for set.
func upToDate(out string, set []string) (bool, string) {
	r, err := index.Open(out)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, ""
		}
		return false, err.Error()
	}
	defer r.Close()
	stale, why, err := r.Stale(set)
	if err != nil {
		return false, err.Error()
	}
	return !stale, why
}

func indexSet(set []string, out string, o *indexOptions, stdout, stderr io.Writer) int {
	if !o.force && !slices.Contains(set, "-") {
		if ok, why := upToDate(out, set); ok {
			fmt.Fprintf(stdout, "%s: up to date\n", out)
			if o.verify {
				return verifyIndex(out, stderr)
			}
			return exitOK
		} else if why != "" {
			fmt.Fprintf(stderr, "pcapdex index: rebuilding %s: %s\n", out, why)
		}
	}
	start := time.Now()
	w, err := index.Create(out)
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex index: %v\n", err)
		return exitInput
	}
	b, err := index.NewBuilder(w, index.BuildOptions{BlockRows: o.blockRows, Flow: flowhash.Options{Workers: o.workers}})
	if err != nil {
		w.Abort()
		fmt.Fprintf(stderr, "pcapdex index: %v\n", err)
		return exitInput
	}
	prog := newProgress(stderr, set, o.progress)
	code := exitOK
	var inBytes int64
	for _, path := range set {
		cf := index.CaptureFile{Path: path}
		if path != "-" {
			if cf, err = index.Fingerprint(path); err != nil {
				w.Abort()
				fmt.Fprintf(stderr, "pcapdex index: %v\n", err)
				return exitInput
			}
		}
		inBytes += cf.Size
		if err := b.BeginFile(cf); err != nil {
			w.Abort()
			fmt.Fprintf(stderr, "pcapdex index: %v\n", err)
			return exitInput
		}
		s, werr := indexFileOf(b, path, o.input.noMmap, prog, len(set) > 1)
		if werr != nil {
			w.Abort()
			prog.done()
			fmt.Fprintf(stderr, "pcapdex index: %v\n", werr)
			return exitInput
		}
		for _, m := range s.warnings {
			fmt.Fprintf(stderr, "pcapdex index: warning: %s\n", m)
		}
		if s.errMsg != "" {
			fmt.Fprintf(stderr, "pcapdex index: %s\n", s.errMsg)
		}
		if s.openFailed {
			w.Abort()
			prog.done()
			return exitInput
		}
		code = max(code, s.exitCode())
		b.EndFile(s.appendJSON(nil))
	}
	st, err := b.Finish()
	prog.done()
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex index: %v\n", err)
		return exitInput
	}
	el := time.Since(start)
	pct := 0.0
	if inBytes > 0 {
		pct = 100 * float64(st.Bytes) / float64(inBytes)
	}
	fmt.Fprintf(stdout, "%s: %d packets, %d flows, %d events; %d bytes (%.2f%% of the capture) in %.2fs\n",
		out, st.Packets, st.Flows, st.Events, st.Bytes, pct, el.Seconds())
	if o.verify {
		code = max(code, verifyIndex(out, stderr))
	}
	return code
}

func verifyIndex(out string, stderr io.Writer) int {
	r, err := index.Open(out)
	if err == nil {
		err = r.Verify()
		r.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex index: verify: %v\n", err)
		return exitInput
	}
	return exitOK
}

// indexFile runs the single pass over one capture: the builder reads it through the flow
// pipeline (decode and flow tracking on every core) and every batch also feeds the info
// statistics (the same object `pcapdex info --format json` prints). The returned error is
// the builder's (a write error); capture problems are in the stats.
func indexFile(b *index.Builder, path string, noMmap bool, prog *progress) (*fileStats, error) {
	return indexFileOf(b, path, noMmap, prog, false)
}

// indexFileOf is indexFile; inSet says the capture is one of several in one index. The
// decoder counts of the info come from the pipeline, and so do the flow facts of a one-file
// set; a file of a larger set tracks its packets once more, from the pipeline's decoded
// fields, for its own flow facts (its flows are its own there, while the index's continue
// across files).
func indexFileOf(b *index.Builder, path string, noMmap bool, prog *progress, inSet bool) (*fileStats, error) {
	s := &fileStats{file: path}
	r, err := openCapture(path, noMmap)
	if err != nil {
		s.openFailed = true
		s.errMsg = err.Error()
		return s, nil
	}
	defer r.Close()
	s.begin(r)
	var nb int
	readErr, werr := b.ReadCapture(r, func(bt *flowhash.Batch) {
		for i := range bt.Packets {
			p := &bt.Packets[i]
			s.observeRecord(p)
			if inSet {
				s.tracker.AddKeyed(bt.Key(i), &bt.Info[i], p.Ordinal, p.TS)
			}
		}
		if nb++; nb&31 == 0 && len(bt.Packets) > 0 {
			// Not r.Offset(): the reader runs on another goroutine.
			last := &bt.Packets[len(bt.Packets)-1]
			prog.update(last.Offset+int64(last.CapLen), s.packets)
		}
	})
	if werr != nil {
		return s, werr
	}
	if readErr != nil {
		s.errMsg = readErr.Error()
	}
	s.finish(r)
	if sum, dec := b.Summary(); sum != nil {
		s.decode = *dec
		if !inSet {
			s.flows = sum
		}
	}
	prog.next(r.Offset(), s.packets)
	return s, nil
}

// progress reports an index build on stderr: in "auto" mode (the default) only when stderr
// is a terminal, as one line rewritten in place (done, bytes, packets/s, MB/s, ETA); "always"
// prints that line even to a file or pipe (one line per update); "json" prints one JSON
// object per update, for wrappers; "never" is silent. Updates come at most 5 times a second.
type progress struct {
	w       io.Writer
	mode    string // auto resolves to tty or never
	total   int64
	base    int64  // bytes of the files already done
	basePkt uint64 // packets of the files already done
	start   time.Time
	last    time.Time
}

// progressModes are the values of --progress.
var progressModes = []string{"auto", "always", "never", "json"}

func newProgress(stderr io.Writer, set []string, mode string) *progress {
	p := &progress{w: stderr, start: time.Now(), mode: mode}
	if mode == "" || mode == "auto" {
		p.mode = "never"
		if f, ok := stderr.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				p.mode = "tty"
			}
		}
	}
	for _, s := range set {
		if st, err := os.Stat(s); err == nil {
			p.total += st.Size()
		}
	}
	return p
}

// update reports off bytes and pkts packets read of the current file.
func (p *progress) update(off int64, pkts uint64) {
	if p.mode != "tty" && p.mode != "always" && p.mode != "json" || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	done, n := p.base+off, p.basePkt+pkts
	el := time.Since(p.start).Seconds()
	mbps, pps := float64(done)/el/1e6, float64(n)/el
	eta := -1.0
	if p.total > 0 && done > 0 && done <= p.total {
		eta = el * float64(p.total-done) / float64(done)
	}
	switch p.mode {
	case "json":
		fmt.Fprintf(p.w, "{\"bytes\":%d,\"total_bytes\":%d,\"packets\":%d,\"packets_per_s\":%.0f,\"mb_per_s\":%.1f,\"eta_s\":%.1f}\n",
			done, p.total, n, pps, mbps, eta)
	default:
		line := fmt.Sprintf("indexing: %d/%d MB, %.2fM packets/s, %.0f MB/s", done>>20, p.total>>20, pps/1e6, mbps)
		if eta >= 0 {
			line += fmt.Sprintf(", ETA %.0fs", eta)
		}
		if p.mode == "tty" {
			fmt.Fprintf(p.w, "\r%s\033[K", line)
		} else {
			fmt.Fprintln(p.w, line)
		}
	}
}

func (p *progress) next(off int64, pkts uint64) { p.base += off; p.basePkt += pkts }

func (p *progress) done() {
	if p.mode == "tty" && !p.last.IsZero() {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
