package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pcapdex/pcapdex/plot"
)

func cmdPlot() *command {
	return &command{
		name:    "plot",
		summary: "one chart as an SVG or PNG image: " + strings.Join(plot.KindNames(), ", "),
		usage:   "pcapdex plot KIND [--flow ID] [flags] CAPTURE...|DIR|INDEX [FILTER] -o FILE.svg|FILE.png",
		examples: `  pcapdex plot timeline trace.pcap -o io.svg
  pcapdex plot activity trace.pcap -o activity.png host 10.0.0.5 and port 443
  pcapdex plot seq trace.pcap --flow 17 -o flow17.svg
  pcapdex plot events trace.pcap --since +10m --until +20m -o events.png`,
		run: runPlot,
	}
}

func runPlot(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "--help" && args[0] != "-h" {
		fmt.Fprintf(stderr, "pcapdex plot: the first argument is the chart kind: %s (see 'pcapdex plot --help')\n", strings.Join(plot.KindNames(), ", "))
		return exitUsage
	}
	var o plot.Options
	if args[0] != "--help" && args[0] != "-h" {
		var err error
		if o.Kind, err = plot.ParseKind(args[0]); err != nil {
			fmt.Fprintf(stderr, "pcapdex plot: %v\n", err)
			return exitUsage
		}
		args = args[1:]
	}
	var q queryFlags
	var out, bucket string
	var flow uint
	fs := newQueryFlags("plot", &q, stderr)
	fs.StringVarP(&out, "output", "o", "", "the image to write: FILE.svg or FILE.png (- writes SVG to stdout)")
	fs.UintVar(&flow, "flow", 0, "seq, window, rtt: the flow (default: the one with the most retransmissions)")
	fs.StringVar(&bucket, "bucket", "", "timeline: bucket width (default: chosen from the span)")
	fs.IntVar(&o.Width, "width", 1000, "image width, pixels")
	fs.IntVar(&o.Height, "height", 500, "image height, pixels (activity: 130 per day by default)")
	fs.StringVar(&o.Title, "title", "", "the chart's title")
	// The query commands' text formats do not apply to a picture.
	fs.MarkHidden("format")
	fs.MarkHidden("time")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	o.Flow = uint64(flow)
	switch ext := strings.ToLower(filepath.Ext(out)); {
	case out == "-" || ext == ".svg":
		o.Format = plot.SVG
	case ext == ".png":
		o.Format = plot.PNG
	default:
		fmt.Fprintf(stderr, "pcapdex plot: -o %q: want FILE.svg or FILE.png\n", out)
		return exitUsage
	}
	if o.Width < 100 || o.Width > 20000 || o.Height < 100 || o.Height > 20000 {
		fmt.Fprintf(stderr, "pcapdex plot: --width and --height: want 100 to 20000 pixels\n")
		return exitUsage
	}
	if bucket != "" {
		t, err := parseBucket(bucket, "epoch")
		if err != nil {
			fmt.Fprintf(stderr, "pcapdex plot: %v\n", err)
			return exitUsage
		}
		o.Bucket = t.Bucket
	}
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		return writeOut(out, stdout, func(w io.Writer) error { return plot.Render(w, ctx.st, ctx.sel, o) })
	})
}
