package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

func cmdTop() *command {
	return &command{
		name:    "top",
		summary: "the addresses, ports, address pairs or flows carrying the most bytes or packets",
		usage:   "pcapdex top [--by src|dst|host|port|pair|flow] [--metric bytes|packets] [-n N] [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex top trace.pcap --by host -n 10
  pcapdex top trace.pcap --by port --metric packets
  pcapdex top trace.pcap --by flow -n 1 host 10.0.0.5`,
		run: runTop,
	}
}

func runTop(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var o query.TopOptions
	var by, metric string
	fs := newQueryFlags("top", &q, stderr)
	fs.StringVar(&by, "by", "host", "group by "+strings.Join(query.TopByNames(), ", ")+" (src/dst: originator/responder address; host: either end; port: responder port)")
	fs.StringVar(&metric, "metric", "bytes", "rank by bytes (IP bytes, both directions) or packets")
	fs.IntVarP(&o.N, "n", "n", 10, "rows (0: all)")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	var errBy, errMetric error
	o.By, errBy = query.ParseTopBy(by)
	o.Metric, errMetric = query.ParseTopMetric(metric)
	if errBy != nil || errMetric != nil || o.N < 0 {
		fmt.Fprintf(stderr, "pcapdex top: --by must be one of %s, --metric bytes or packets, -n not negative\n", strings.Join(query.TopByNames(), ", "))
		return exitUsage
	}
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		rows, err := query.Top(ctx.st, ctx.sel, o)
		if err != nil {
			return err
		}
		return output.WriteTop(stdout, ctx.out, o.By, rows)
	})
}
