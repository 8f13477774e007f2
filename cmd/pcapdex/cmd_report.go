package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/pcapdex/pcapdex/query"
	"github.com/pcapdex/pcapdex/report"
)

func cmdReport() *command {
	return &command{
		name:    "report",
		summary: "one self-contained offline HTML file with the charts of a capture study",
		usage:   "pcapdex report [-o FILE.html] [--host ADDR] [--flow ID]... [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex report trace.pcap -o report.html
  pcapdex report trace.pcap --host 10.0.0.5 -o host.html port 443
  pcapdex report trace.pcap --flow 17 --flow 42 --since +10m --until +20m -o slice.html`,
		run: runReport,
	}
}

// reportFlags are the flags report adds to the query flags.
type reportFlags struct {
	out   string
	host  string
	flows []uint
	worst int
	title string
}

func runReport(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var r reportFlags
	fs := newQueryFlags("report", &q, stderr)
	fs.StringVarP(&r.out, "output", "o", "-", "write the report to FILE (- for stdout)")
	fs.StringVar(&r.host, "host", "", "add the section of this address's TCP connections (start time against peer, size, duration)")
	fs.UintSliceVar(&r.flows, "flow", nil, "draw the per-flow section of flow ID (repeat for more); default: the worst problem flows")
	fs.IntVar(&r.worst, "worst", 3, "per-flow sections for the N worst problem flows when no --flow is given")
	fs.StringVar(&r.title, "title", "", "the report's title (default: pcapdex report of the captures)")
	// The query commands' text formats do not apply to a picture.
	fs.MarkHidden("format")
	fs.MarkHidden("time")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	if r.worst < 0 {
		fmt.Fprintf(stderr, "pcapdex report: --worst %d: want 0 or more\n", r.worst)
		return exitUsage
	}
	var host netip.Addr
	if r.host != "" {
		var err error
		if host, err = netip.ParseAddr(r.host); err != nil {
			fmt.Fprintf(stderr, "pcapdex report: --host %q: want an IPv4 or IPv6 address\n", r.host)
			return exitUsage
		}
	}
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		o := report.Options{
			Command: "pcapdex report " + strings.Join(args, " "),
			Filter:  ctx.filter, Warnings: ctx.in.Warnings, Host: host,
			Worst: r.worst,
		}
		for _, id := range r.flows {
			o.Flows = append(o.Flows, uint64(id))
		}
		if r.worst == 0 {
			o.Worst = -1 // none
		}
		o.Files = ctx.st.Files()
		o.Drops, o.HasDrops = captureDrops(ctx)
		if host.IsValid() {
			text := "tcp and host " + host.String() // its TCP connections
			if ctx.filter != "" {
				text = "(" + ctx.filter + ") and " + text
			}
			plan, err := query.CompileFilter(text)
			if err != nil {
				return err
			}
			o.HostPlan = plan
		}
		data, err := report.Gather(ctx.st, ctx.sel, o)
		if err != nil {
			return err
		}
		title := r.title
		if title == "" {
			names := make([]string, 0, len(o.Files))
			for _, f := range o.Files {
				names = append(names, filepath.Base(f))
			}
			title = "pcapdex report: " + strings.Join(names, ", ")
			if ctx.filter != "" {
				title += " [" + ctx.filter + "]"
			}
		}
		return writeOut(r.out, stdout, func(w io.Writer) error { return report.Write(w, title, data) })
	})
}

// captureDrops sums the interface drops (pcapng ISB if_drop) the index recorded for each
// capture in its per-file summary (pcapdex info's JSON); ok is false when none recorded any
// or the captures were streamed.
func captureDrops(ctx *queryCtx) (drops uint64, ok bool) {
	if ctx.ir == nil {
		return 0, false
	}
	files, err := ctx.ir.Captures()
	if err != nil {
		return 0, false
	}
	for _, f := range files {
		var info struct {
			IfDrops *uint64 `json:"if_drops"`
		}
		if json.Unmarshal(f.Info, &info) == nil && info.IfDrops != nil {
			drops, ok = drops+*info.IfDrops, true
		}
	}
	return drops, ok
}

// writeOut runs write on the file path ("-": stdout), reporting close errors.
func writeOut(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" || path == "" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
