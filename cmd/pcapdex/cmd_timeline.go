package main

import (
	"fmt"
	"io"
	"time"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

func cmdTimeline() *command {
	return &command{
		name:    "timeline",
		summary: "packets and bytes per time bucket (empty buckets as zero), optionally for a filter",
		usage:   "pcapdex timeline [--bucket 1s|1m|1h|1d] [--align epoch|start] [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex timeline trace.pcap --bucket 1m
  pcapdex timeline trace.pcap --bucket 1s host 10.0.0.5 and port 443
  pcapdex timeline trace.pcap --bucket 10s --align start --format csv`,
		run: runTimeline,
	}
}

func cmdGaps() *command {
	return &command{
		name:    "gaps",
		summary: "silent intervals: stretches of at least --min with no (matching) packet",
		usage:   "pcapdex gaps [--min DURATION] [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex gaps trace.pcap --min 5s
  pcapdex gaps trace.pcap --min 1s host 10.0.0.5 and port 443`,
		run: runGaps,
	}
}

func runTimeline(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var bucket, align string
	fs := newQueryFlags("timeline", &q, stderr)
	fs.StringVar(&bucket, "bucket", "1s", "bucket width: 1s, 1m, 1h, 1d, or any duration such as 100ms or 5m")
	fs.StringVar(&align, "align", "epoch", "bucket starts: epoch (multiples of the width, UTC) or start (the capture's first packet, as tshark -z io,stat)")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	o, err := parseBucket(bucket, align)
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex timeline: %v\n", err)
		return exitUsage
	}
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		if n := bucketCount(ctx, o); n > query.MaxBuckets {
			return usageError{fmt.Errorf("--bucket %s: %d buckets exceed the limit of %d: use wider buckets", bucket, n, query.MaxBuckets)}
		}
		tl, err := query.Timeline(ctx.st, ctx.sel, o)
		if err != nil {
			return err
		}
		return output.WriteTimeline(stdout, ctx.out, tl)
	})
}

func parseBucket(bucket, align string) (query.TimelineOptions, error) {
	var o query.TimelineOptions
	if bucket == "1d" {
		o.Bucket = 86400e9
	} else {
		ns, err := filter.ParseDuration(bucket)
		if err != nil || ns == 0 || ns > 1<<62 {
			return o, fmt.Errorf("--bucket %q: want a positive duration (1s, 1m, 1h, 1d, 100ms)", bucket)
		}
		o.Bucket = time.Duration(ns)
	}
	var err error
	if o.Align, err = query.ParseAlign(align); err != nil {
		return o, fmt.Errorf("--align %q: want epoch or start", align)
	}
	return o, nil
}

func runGaps(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var minGap string
	fs := newQueryFlags("gaps", &q, stderr)
	fs.StringVar(&minGap, "min", "1s", "shortest silence to report")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	ns, err := filter.ParseDuration(minGap)
	if err != nil || ns > 1<<62 {
		fmt.Fprintf(stderr, "pcapdex gaps: --min %q: want a duration such as 500ms, 5s, 1m\n", minGap)
		return exitUsage
	}
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		gaps, err := query.Gaps(ctx.st, ctx.sel, time.Duration(ns))
		if err != nil {
			return err
		}
		return output.WriteGaps(stdout, ctx.out, gaps)
	})
}

// bucketCount is how many buckets of o the selection spans (0 when empty): a bucket too
// narrow for the capture is a usage error, known before any packet is read.
func bucketCount(ctx *queryCtx, o query.TimelineOptions) int64 {
	first, last := ctx.st.Span()
	lo, hi := max(first, ctx.sel.Since), min(last, ctx.sel.Until)
	width := int64(o.Bucket)
	if ctx.st.NumPackets() == 0 || lo > hi || width <= 0 {
		return 0
	}
	base := int64(0)
	if o.Align == query.AlignStart {
		base = first
	}
	floor := func(a int64) int64 {
		q := a / width
		if a%width != 0 && a < 0 {
			q--
		}
		return q
	}
	return floor(hi-base) - floor(lo-base) + 1
}
