package main

import (
	"fmt"
	"io"

	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

func cmdEvents() *command {
	return &command{
		name:    "events",
		summary: "print the TCP analysis event stream (retransmissions, dup ACKs, zero windows, RSTs, RTTs, ...)",
		usage:   "pcapdex events [--type T[,T...]] [--limit N] [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex events trace.pcap
  pcapdex events --type retransmission,duplicate_ack --format jsonl trace.pcapng host 10.0.0.5
  pcapdex events --type rst --limit 20 trace.pcap`,
		run: runEvents,
	}
}

func runEvents(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var o query.EventsOptions
	var types string
	var track trackFlags
	fs := newQueryFlags("events", &q, stderr)
	fs.StringVar(&types, "type", "", "only these event types, comma-separated: retransmission (timeout), fast_retransmission, spurious_retransmission, out_of_order, duplicate_ack, zero_window, zero_window_probe, window_full, lost_segment, ack_lost_segment, keep_alive, rst, fin, syn_retry, reused_ports, handshake_rtt, rst_storm, ack_stall, ...")
	fs.IntVar(&o.Limit, "limit", 0, "print at most N events (0: all)")
	track.add(fs)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	var err error
	if o.Types, err = query.ParseEventTypes(types); err != nil {
		fmt.Fprintf(stderr, "pcapdex events: --type: %v\n", err)
		return exitUsage
	}
	if types != "" && len(o.Types) == 0 {
		fmt.Fprintln(stderr, "pcapdex events: --type names no event type")
		return exitUsage
	}
	if o.Limit < 0 || track.workers < 0 {
		fmt.Fprintln(stderr, "pcapdex events: --limit and --workers must not be negative")
		return exitUsage
	}
	track.apply(fs, &q)
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		return output.WriteEvents(stdout, ctx.out, query.Events(ctx.st, ctx.sel, o))
	})
}
