package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
	"github.com/spf13/pflag"
)

func cmdFlows() *command {
	return &command{
		name:    "flows",
		summary: "list flows (TCP, UDP, ICMP, other IP) with Zeek conn_state/history and Wireshark TCP analysis",
		usage:   "pcapdex flows [--sort KEY] [--limit N] [--columns C,...] [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex flows trace.pcap
  pcapdex flows trace.pcap host 10.0.0.5 and 'syn_rtt > 300ms'
  pcapdex flows --format jsonl --sort bytes --limit 10 trace.pcapng.gz
  pcapdex flows --columns flow_id,orig_h,resp_h,resp_p,duration,conn_state trace.pcap rst`,
		run: runFlows,
	}
}

// trackFlags are --workers and --udp-timeout, the flow tracking flags of flows and events.
type trackFlags struct {
	workers    int
	udpTimeout time.Duration
}

func (t *trackFlags) add(fs *pflag.FlagSet) {
	fs.IntVar(&t.workers, "workers", 0, "pipeline workers (read, decode, track) for --no-index (0: GOMAXPROCS); output is the same for any value")
	fs.DurationVar(&t.udpTimeout, "udp-timeout", time.Minute, "idle time that ends a UDP/ICMP/other flow (0: never); other than 1m reads the captures instead of the index")
}

// apply, after parsing, gives q --workers, and the tracking options when --udp-timeout is
// not the index's 1m (0 means never): the command then reads the captures instead of the
// index.
func (t *trackFlags) apply(fs *pflag.FlagSet, q *queryFlags) {
	q.workers = t.workers
	if !fs.Changed("udp-timeout") || t.udpTimeout == time.Minute {
		return
	}
	o := flowhash.Options{Workers: t.workers, Events: true, UDPTimeout: int64(t.udpTimeout)}
	if t.udpTimeout <= 0 {
		o.UDPTimeout = -1
	}
	q.track = &o
}

func runFlows(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var o query.FlowsOptions
	var columns, sortKey string
	var names []string
	var track trackFlags
	fs := newQueryFlags("flows", &q, stderr)
	fs.StringVar(&sortKey, "sort", "id", "order: "+strings.Join(query.FlowSortNames(), ", ")+" (id, ts, ts_end, orig_p, resp_p and proto ascending; the others largest first)")
	fs.IntVar(&o.Limit, "limit", 0, "print at most N flows (0: all)")
	fs.StringVar(&columns, "columns", "", "comma-separated columns (default: a readable subset for the table, all for csv/jsonl/json): "+strings.Join(flowColumnNames(), ","))
	track.add(fs)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	if o.Limit < 0 || track.workers < 0 {
		fmt.Fprintln(stderr, "pcapdex flows: --limit and --workers must not be negative")
		return exitUsage
	}
	if columns != "" {
		names = strings.Split(columns, ",")
	}
	format, err := output.ParseFormat(q.format)
	var cols []output.FlowColumn
	if err == nil {
		cols, err = output.PickFlowColumns(names, format)
	}
	if err == nil && sortKey != "" {
		if o.Sort, err = query.ParseFlowSort(sortKey); err != nil {
			err = fmt.Errorf("unknown --sort %q (%s)", sortKey, strings.Join(query.FlowSortNames(), ", "))
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex flows: %v\n", err)
		return exitUsage
	}
	o.Need = output.FlowColumnsNeed(cols)
	track.apply(fs, &q)
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		return output.WriteFlows(stdout, ctx.out, cols, query.Flows(ctx.st, ctx.sel, o))
	})
}

func flowColumnNames() []string {
	all := output.FlowColumns()
	n := make([]string, len(all))
	for i, c := range all {
		n[i] = c.Name
	}
	return n
}
