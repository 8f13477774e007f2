package main

import (
	"io"

	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

func cmdSizes() *command {
	return &command{
		name:    "sizes",
		summary: "frame size distribution: min, quartiles, p90, p99, max (nearest rank), or a histogram with its CDF",
		usage:   "pcapdex sizes [--histogram] [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex sizes trace.pcap
  pcapdex sizes trace.pcap --histogram port 443
  pcapdex sizes trace.pcap --format json udp`,
		run: runSizes,
	}
}

func runSizes(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var hist bool
	fs := newQueryFlags("sizes", &q, stderr)
	fs.BoolVar(&hist, "histogram", false, "print the histogram (Wireshark's packet-length buckets) with fraction and CDF instead of the summary")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		s, err := query.Sizes(ctx.st, ctx.sel)
		if err != nil {
			return err
		}
		if hist {
			return output.WriteSizeHistogram(stdout, ctx.out, s)
		}
		return output.WriteSizes(stdout, ctx.out, s)
	})
}
