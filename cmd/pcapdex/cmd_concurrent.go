package main

import (
	"fmt"
	"io"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

func cmdConcurrent() *command {
	return &command{
		name:    "concurrent",
		summary: "flows open at an instant (--at), or at each RST: who sent it and how many other flows were open",
		usage:   "pcapdex concurrent [--at TIME] [--from orig|resp] [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex concurrent trace.pcap                      # every RST, its sender, flows open then
  pcapdex concurrent trace.pcap --from orig host 10.0.0.5   # resets sent by the client
  pcapdex concurrent trace.pcap --at +30s             # flows open 30 s into the capture
  pcapdex concurrent trace.pcap --at 2024-03-01T12:00:00Z port 443`,
		run: runConcurrent,
	}
}

func runConcurrent(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var at, from string
	fs := newQueryFlags("concurrent", &q, stderr)
	fs.StringVar(&at, "at", "", "list the flows open at TIME (RFC 3339, epoch seconds or +DURATION from the capture start)")
	fs.StringVar(&from, "from", "", "RSTs sent by orig (the client) or resp (the server) only")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	var spec filter.TimeSpec
	if at != "" {
		var err error
		if spec, err = parseTimeFlag(at); err != nil {
			fmt.Fprintf(stderr, "pcapdex concurrent: --at: %v\n", err)
			return exitUsage
		}
	}
	sender, err := query.ParseSender(from)
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex concurrent: --from %q: want orig or resp\n", from)
		return exitUsage
	}
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		if at != "" {
			t := spec.Resolve(ctx.out.Start)
			if first, last := ctx.st.Span(); t < first || t > last {
				ctx.note(stderr, "--at %s is outside the capture (%s to %s): no flow is open then", at,
					output.AppendRFC3339(nil, first, 9), output.AppendRFC3339(nil, last, 9))
			}
			return output.WriteOpenFlows(stdout, ctx.out, query.OpenFlowsAt(ctx.st, ctx.sel, t))
		}
		rsts, err := query.RSTs(ctx.st, ctx.sel, sender)
		if err != nil {
			return err
		}
		return output.WriteRSTs(stdout, ctx.out, rsts)
	})
}
