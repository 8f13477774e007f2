package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/pcapdex/pcapdex/internal/stagebench"
)

func cmdBench() *command {
	return &command{
		name:    "bench",
		summary: "time each stage (read, decode, flows with 1..N workers, index, queries) on one capture",
		usage:   "pcapdex bench [--stages LIST] [--workers LIST] [--repeat N] [--format table|json] CAPTURE",
		examples: `  pcapdex bench trace.pcap                          # every stage, median of 3 runs
  pcapdex bench --stages read,decode --repeat 5 trace.pcap
  pcapdex bench --workers 1,2,4 --stages flows trace.pcap
  pcapdex bench --format json trace.pcap > bench.json`,
		run: runBench,
	}
}

type benchOptions struct {
	format      string
	repeat      int
	queryRepeat int
	stages      []string
	workers     []int
	tmpDir      string
	quiet       bool
	input       inputFlags
}

func runBench(args []string, stdout, stderr io.Writer) int {
	c := lookup("bench")
	var o benchOptions
	fl := newFlags(c, stderr)
	fl.StringVar(&o.format, "format", "table", "output: table or json (one object with a stage array)")
	fl.IntVar(&o.repeat, "repeat", 3, "runs per stage; the run with the median wall time is reported")
	fl.IntVar(&o.queryRepeat, "query-repeat", 0, "runs per query (default max(--repeat, 15))")
	fl.StringSliceVar(&o.stages, "stages", stagebench.AllStages, "stages to run: read, decode, flows, index, query")
	fl.IntSliceVar(&o.workers, "workers", nil, "worker counts for the flows stage (default 1..GOMAXPROCS)")
	fl.StringVar(&o.tmpDir, "tmpdir", "", "where the temporary index is built (default the system's temp dir); removed afterwards")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines on stderr")
	addInputFlags(fl, &o.input)
	fl.Lookup("no-mmap").Usage = "decode, flows and index read with plain reads (read/plain always does)"
	if code, done := parseFlags(fl, args, stderr); done {
		return code
	}
	if fl.NArg() != 1 {
		fmt.Fprintln(stderr, "pcapdex bench: give exactly one capture (see 'pcapdex bench --help')")
		return exitUsage
	}
	if o.format != "table" && o.format != "json" {
		fmt.Fprintf(stderr, "pcapdex bench: --format %q: want table or json\n", o.format)
		return exitUsage
	}
	if o.repeat < 1 || o.queryRepeat < 0 {
		fmt.Fprintln(stderr, "pcapdex bench: --repeat must be at least 1 and --query-repeat not negative")
		return exitUsage
	}
	for _, s := range o.stages {
		if !slices.Contains(stagebench.AllStages, s) {
			fmt.Fprintf(stderr, "pcapdex bench: --stages: unknown stage %q (read, decode, flows, index, query)\n", s)
			return exitUsage
		}
	}
	for _, w := range o.workers {
		if w < 1 || w > 1024 {
			fmt.Fprintf(stderr, "pcapdex bench: --workers: %d is not in 1..1024\n", w)
			return exitUsage
		}
	}
	path := fl.Arg(0)
	if path == "-" {
		fmt.Fprintln(stderr, "pcapdex bench: needs a file (every stage reads it again), not stdin")
		return exitUsage
	}
	opt := stagebench.Options{
		Stages: o.stages, Workers: o.workers, Repeat: o.repeat, QueryRepeat: o.queryRepeat,
		NoMmap: o.input.noMmap, TempDir: o.tmpDir,
	}
	if !o.quiet {
		opt.Progress = stderr
	}
	rep, err := stagebench.Run(path, opt)
	if err != nil {
		// The capture, or the index built from it, could not be read or written.
		fmt.Fprintf(stderr, "pcapdex bench: %v\n", err)
		return exitInput
	}
	if o.format == "json" {
		_, err = stdout.Write(rep.AppendJSON(nil))
	} else {
		err = rep.WriteTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex bench: %v\n", err)
		return exitInput
	}
	return exitOK
}
