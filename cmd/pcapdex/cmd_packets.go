package main

import (
	"fmt"
	"io"

	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

func cmdPackets() *command {
	return &command{
		name:    "packets",
		summary: "per packet of the matching flows: time, time in flow, direction, TCP flags, relative seq/ack, length, scaled window, analysis",
		usage:   "pcapdex packets [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex packets trace.pcap --flow 12
  pcapdex packets trace.pcap host 10.0.0.5 and port 443 --format csv
  pcapdex packets trace.pcap 'retransmissions > 0' --limit 100`,
		run: runPackets,
	}
}

func runPackets(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var o query.PacketsOptions
	var flow int64
	fs := newQueryFlags("packets", &q, stderr)
	fs.Int64Var(&flow, "flow", 0, "only the flow with this id (see 'pcapdex flows')")
	fs.IntVar(&o.Limit, "limit", 0, "print at most N packets (0: all)")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	if flow < 0 || flow > 1<<32-1 || o.Limit < 0 {
		fmt.Fprintln(stderr, "pcapdex packets: --flow and --limit must be non-negative (--flow below 2^32)")
		return exitUsage
	}
	o.Flow = uint32(flow)
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		if n := ctx.st.NumFlows(); o.Flow > 0 && int(o.Flow) > n {
			ctx.note(stderr, "no flow %d: the capture has %d flows (ids 1 to %d)", o.Flow, n, n)
		}
		return output.WritePackets(stdout, ctx.out, query.Packets(ctx.st, ctx.sel, o))
	})
}
