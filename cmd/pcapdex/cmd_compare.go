package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pcapdex/pcapdex/compare"
)

func cmdCompare() *command {
	return &command{
		name:    "compare",
		summary: "the same traffic captured at two points: is the loss in the network, or in a capture?",
		usage:   "pcapdex compare [flags] A B [FILTER]   (A and B: a capture, a directory of captures, or an index)",
		examples: `  pcapdex compare client-span.pcap server.pcapng
  pcapdex compare --format json a.pcap b.pcap port 443
  pcapdex compare --extract-missing missing.pcapng a.pcap b.pcap`,
		run: runCompare,
	}
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var o compare.Options
	var extract string
	fs := newQueryFlags("compare", &q, stderr)
	fs.DurationVar(&o.MaxDelay, "max-delay", 0, "largest one-way delay between the points plus clock error (default 2s)")
	fs.DurationVar(&o.MaxOffset, "max-offset", 0, "largest offset between the two capture clocks, for pairing flows by time (default 1h)")
	fs.IntVar(&o.PairThreshold, "pair-threshold", 0, "least evidence score to pair flows whose addresses differ (NAT) (default 5)")
	fs.StringVar(&extract, "extract-missing", "", "write every packet seen at one point only to this pcapng, each with a comment saying the point and the verdict")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	if q.format != "table" && q.format != "json" {
		fmt.Fprintf(stderr, "pcapdex compare: --format %q: want table or json\n", q.format)
		return exitUsage
	}
	if q.indexPath != "" {
		fmt.Fprintln(stderr, "pcapdex compare: --index names one index; give each side's index file as A or B instead")
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) < 2 {
		fmt.Fprintln(stderr, "pcapdex compare: two inputs needed: A and B (see 'pcapdex compare --help')")
		return exitUsage
	}
	if rest[0] == "-" || rest[1] == "-" {
		fmt.Fprintln(stderr, "pcapdex compare: compare reads the packets back from the captures by offset: give files, not stdin")
		return exitUsage
	}
	var sides [2]compare.Side
	code := exitOK
	for i := range 2 {
		ctx, c := openQuery("compare", &q, append([]string{rest[i]}, rest[2:]...), stderr)
		if ctx == nil {
			return c
		}
		defer ctx.close()
		code = max(code, ctx.code)
		sides[i] = compare.Side{Store: ctx.st, Sel: ctx.sel, NoMmap: q.input.noMmap, Index: ctx.ir}
	}
	if extract != "" {
		if err := notAnInput(extract, sides); err != nil {
			fmt.Fprintf(stderr, "pcapdex compare: %v\n", err)
			return exitUsage
		}
	}
	res, err := compare.Compare(sides[0], sides[1], o)
	if err == nil && extract != "" {
		err = extractMissing(extract, res, sides)
	}
	if err == nil {
		w := bufio.NewWriter(stdout)
		if q.format == "json" {
			err = compare.WriteJSON(w, res)
		} else {
			err = compare.WriteTable(w, res)
		}
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex compare: %v\n", err)
		return exitInput
	}
	return code
}

// notAnInput refuses an output path that names one of the input captures.
func notAnInput(out string, sides [2]compare.Side) error {
	st, err := os.Stat(out)
	if err != nil {
		return nil
	}
	for _, s := range sides {
		for _, f := range s.Store.Files() {
			if fi, err := os.Stat(f); err == nil && os.SameFile(st, fi) {
				return fmt.Errorf("--extract-missing %s is an input capture: not overwriting it", out)
			}
		}
	}
	return nil
}

// extractMissing writes the packets seen at one point only to out: beside it under a
// temporary name, then renamed (an input is refused before by notAnInput).
func extractMissing(out string, res *compare.Result, sides [2]compare.Side) error {
	f, err := os.CreateTemp(filepath.Dir(out), ".pcapdex-compare-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	_, err = compare.ExtractMissing(res, sides[0], sides[1], bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	return err
}
