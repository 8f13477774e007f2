package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pcapdex/pcapdex/check"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/query"
)

func cmdCheck() *command {
	return &command{
		name:    "check",
		summary: "CI gates: judge each capture's metrics (retransmission rate, resets, gaps, drops, ...) and exit 1 when a gate trips",
		usage:   "pcapdex check --fail-on EXPR... [--format table|json|junit] [--baseline FILE] [--jobs N] CAPTURE...|DIR",
		examples: `  pcapdex check --fail-on 'retransmissions/tcp_packets > 1%' captures/
  pcapdex check --fail-on 'gaps(host 10.0.0.5 and port 443) > 30s' --fail-on 'client_resets > 0' day.pcap
  pcapdex check --format junit --fail-on 'unanswered_syns > 10' captures/ > check.xml
  pcapdex check --format json --fail-on 'drops > 0' captures/ > last.json
  pcapdex check --baseline last.json --fail-on 'retransmissions > baseline * 1.5' captures/

Metrics (durations in ns, sizes in bytes; a filter in parentheses narrows flow metrics):
` + check.MetricHelp() + `
Exit codes: 0 every gate held, 1 a gate tripped, 2 usage, 4 some capture could not be
read (or only in part): the others are judged and reported all the same.`,
		run: runCheck,
	}
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	var gates []string
	var format, baseline, junit string
	var noIndex bool
	var input inputFlags
	o := check.Options{}
	fs := newFlags(lookup("check"), stderr)
	fs.StringArrayVar(&gates, "fail-on", nil, "a gate: EXPR (see the metrics below); repeat for more; a capture fails when any holds")
	fs.StringVar(&format, "format", "table", "output: table, json (a later run's --baseline) or junit (JUnit XML)")
	fs.StringVar(&junit, "junit", "", "also write JUnit XML to FILE")
	fs.StringVar(&baseline, "baseline", "", "a previous --format json output that 'baseline' in a gate refers to (captures matched by file name)")
	fs.DurationVar(&o.SlowHandshake, "slow-handshake", 300*time.Millisecond, "SYN to SYN-ACK time above which slow_handshakes counts a flow")
	fs.IntVar(&o.Jobs, "jobs", 1, "captures judged at once")
	fs.BoolVar(&noIndex, "no-index", false, "read each capture in one pass instead of using (or building) its index")
	addInputFlags(fs, &input)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "pcapdex check: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case len(gates) == 0:
		return usage("no --fail-on gate given (see 'pcapdex check --help')")
	case fs.NArg() == 0:
		return usage("no capture given (see 'pcapdex check --help')")
	case o.Jobs < 1:
		return usage("--jobs must be 1 or more")
	case format != "table" && format != "json" && format != "junit":
		return usage("unknown --format %q (table, json or junit)", format)
	}
	for _, text := range gates {
		g, err := check.ParseGate(text)
		if err != nil {
			return usage("%v", err)
		}
		if g.UsesBaseline() && baseline == "" {
			return usage("--fail-on %q compares with the baseline: give --baseline FILE", text)
		}
		o.Gates = append(o.Gates, g)
	}
	if baseline != "" {
		b, err := check.ReadBaseline(baseline)
		if err != nil {
			fmt.Fprintf(stderr, "pcapdex check: %v\n", err)
			return exitInput
		}
		o.Baseline = b
	}
	o.Open = query.OpenOptions{NoIndex: noIndex, NoMmap: input.noMmap}
	captures, err := index.ExpandCaptures(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex check: %v\n", err)
		return exitInput
	}
	rep := check.Run(captures, o)
	for _, c := range rep.Captures {
		if c.Error != "" {
			fmt.Fprintf(stderr, "pcapdex check: %s: skipped: %s\n", c.File, c.Error)
		}
		for _, w := range c.Warnings {
			fmt.Fprintf(stderr, "pcapdex check: warning: %s\n", w)
		}
	}
	switch format {
	case "json":
		err = check.WriteJSON(stdout, rep)
	case "junit":
		err = check.WriteJUnit(stdout, rep)
	default:
		err = check.WriteTable(stdout, rep)
	}
	if err == nil && junit != "" {
		var f *os.File
		if f, err = os.Create(junit); err == nil {
			err = check.WriteJUnit(f, rep)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex check: %v\n", err)
		return exitInput
	}
	fmt.Fprintf(stderr, "pcapdex check: %d captures: %d tripped a gate, %d unreadable, %d read in part\n",
		len(rep.Captures), rep.Tripped, rep.Errors, rep.Partial)
	switch {
	case rep.Errors > 0 || rep.Partial > 0:
		return exitPartial
	case rep.Tripped > 0:
		return exitGate
	}
	return exitOK
}
