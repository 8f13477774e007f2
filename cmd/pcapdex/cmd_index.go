package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/internal/safefile"
)

func cmdIndex() *command {
	return &command{
		name:    "index",
		summary: "index captures once (flows, packets, events, postings) so later queries answer in milliseconds",
		usage:   "pcapdex index [-o PATH] [--force] [--verify] [--no-mmap] [--workers N] CAPTURE...|DIR",
		examples: `  pcapdex index trace.pcap                 # writes trace.pcap.pcapdex beside it
  pcapdex index captures/                  # one sidecar index per capture in the folder
  pcapdex index -o day.pcapdex rot-*.pcap  # one index over a set of rotated files
  pcapdex index --verify trace.pcapng.zst`,
		run: runIndex,
	}
}

type indexOptions struct {
	output    string
	force     bool
	verify    bool
	blockRows int
	workers   int
	progress  string // one of progressModes
	input     inputFlags
	locator   index.Locator // where sidecar and cache indexes go (tests simulate read-only folders)
}

func runIndex(args []string, stdout, stderr io.Writer) int {
	c := lookup("index")
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
	captures, err := index.ExpandCaptures(fl.Args())
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex index: %v\n", err)
		return exitInput
	}
	if slices.Contains(captures, "-") && o.output == "" {
		fmt.Fprintln(stderr, "pcapdex index: reading stdin needs -o PATH (no file to put a sidecar beside)")
		return exitUsage
	}
	if err := safefile.CheckNotInput(o.output, captures); err != nil {
		fmt.Fprintf(stderr, "pcapdex index: -o %v: give another file\n", err)
		return exitUsage
	}
	var sets [][]string
	var outs []string
	if o.output != "" {
		sets, outs = [][]string{captures}, []string{o.output}
	} else {
		for _, c := range captures {
			p, err := o.locator.PathFor(c)
			if err != nil {
				fmt.Fprintf(stderr, "pcapdex index: %s: %v\n", c, err)
				return exitInput
			}
			sets, outs = append(sets, []string{c}), append(outs, p)
		}
	}
	code := exitOK
	for i, set := range sets {
		code = worse(code, indexSet(set, outs[i], &o, stdout, stderr))
	}
	return code
}

func indexSet(set []string, out string, o *indexOptions, stdout, stderr io.Writer) int {
	if !o.force && !slices.Contains(set, "-") {
		if ok, why := index.UpToDate(out, set); ok {
			fmt.Fprintf(stdout, "%s: up to date\n", out)
			code := exitOK
			if r, err := index.Open(out); err == nil {
				if notes, err := notesFromIndex(r); err == nil {
					code = reportNotes("index", notes, stderr)
				}
				r.Close()
			}
			if o.verify {
				code = max(code, verifyIndex(out, stderr))
			}
			return code
		} else if why != "" {
			fmt.Fprintf(stderr, "pcapdex index: rebuilding %s: %s\n", out, why)
		}
	}
	start := time.Now()
	prog := newProgress(stderr, set, o.progress)
	res, err := index.BuildFiles(out, set, index.BuildOptions{BlockRows: o.blockRows,
		Flow: flowhash.Options{Workers: o.workers}, NoMmap: o.input.noMmap, MaxWindow: int64(o.input.maxWindow), Progress: prog.update})
	prog.done()
	if errors.Is(err, index.ErrBuiltByOther) {
		fmt.Fprintf(stdout, "%s: up to date (built by another process meanwhile)\n", out)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex index: %v\n", err)
		if errors.Is(err, index.ErrOutputIsInput) {
			return exitUsage
		}
		return exitInput
	}
	code := reportBuild("index", res, stderr)
	reportBuilt(stdout, out, res, time.Since(start))
	if o.verify {
		code = max(code, verifyIndex(out, stderr))
	}
	return code
}

// reportBuild writes each capture's warnings and error to stderr, prefixed with the
// command's name, and returns the exit code they call for (see reportNotes).
func reportBuild(cmd string, res *index.BuildResult, stderr io.Writer) int {
	return reportNotes(cmd, notesFromBuild(res), stderr)
}

// reportBuilt writes the one-line summary of a finished build.
func reportBuilt(w io.Writer, out string, res *index.BuildResult, el time.Duration) {
	var inBytes int64
	for _, f := range res.Files {
		if st, err := os.Stat(f.Path); err == nil {
			inBytes += st.Size()
		}
	}
	pct := 0.0
	if inBytes > 0 {
		pct = 100 * float64(res.Bytes) / float64(inBytes)
	}
	fmt.Fprintf(w, "%s: %d packets, %d flows, %d events; %d bytes (%.2f%% of the capture) in %.2fs\n",
		out, res.Packets, res.Flows, res.Events, res.Bytes, pct, el.Seconds())
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

// progress reports an index build on stderr: in "auto" mode (the default) only when stderr
// is a terminal, as one line rewritten in place (done, bytes, packets/s, MB/s, ETA); "always"
// prints that line even to a file or pipe (one line per update); "json" prints one JSON
// object per update, for wrappers; "never" is silent. Updates come at most 5 times a second.
type progress struct {
	w     io.Writer
	what  string // "indexing" (default), "reading"
	mode  string // auto resolves to tty or never
	total int64
	start time.Time
	last  time.Time
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

// update reports how far the build has read.
func (p *progress) update(pr index.Progress) {
	if p.mode != "tty" && p.mode != "always" && p.mode != "json" || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	done, n := pr.Bytes, pr.Packets
	el := time.Since(p.start).Seconds()
	mbps, pps := float64(done)/el/1e6, float64(n)/el
	eta := -1.0
	if p.total > 0 && done > 0 && done <= p.total {
		eta = el * float64(p.total-done) / float64(done)
	}
	total := p.total
	if done > total {
		total = 0 // a compressed capture: bytes decompressed, no total known
	}
	switch p.mode {
	case "json":
		fmt.Fprintf(p.w, "{\"bytes\":%d,\"total_bytes\":%d,\"packets\":%d,\"packets_per_s\":%.0f,\"mb_per_s\":%.1f,\"eta_s\":%.1f}\n",
			done, total, n, pps, mbps, eta)
	default:
		what := p.what
		if what == "" {
			what = "indexing"
		}
		line := fmt.Sprintf("%s: %d/%d MiB, %.2fM packets/s, %.0f MB/s", what, done>>20, total>>20, pps/1e6, mbps)
		if total == 0 {
			line = fmt.Sprintf("%s: %d MiB, %.2fM packets/s, %.0f MB/s", what, done>>20, pps/1e6, mbps)
		}
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

func (p *progress) done() {
	if p.mode == "tty" && !p.last.IsZero() {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
