package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pcapdex/pcapdex/streams"
)

func cmdStreams() *command {
	return &command{
		name:    "streams",
		summary: "TCP (and UDP) payloads of the matching flows: one file per direction as tcpflow names them, or one flow on the terminal as Wireshark's Follow",
		usage:   "pcapdex streams -o DIR [--holes zero|skip|stop] [--udp] [flags] CAPTURE...|DIR|INDEX [FILTER]\n       pcapdex streams --flow ID [--print raw|ascii|hex] [flags] CAPTURE...|DIR|INDEX",
		examples: `  pcapdex streams -o out/ trace.pcap port 80
  pcapdex streams -o out/ --holes skip trace.pcap host 10.0.0.5
  pcapdex streams -o out/ --udp --udp-framing trace.pcap udp port 53
  pcapdex streams --flow 12 --print ascii trace.pcap`,
		run: runStreams,
	}
}

func runStreams(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var o streams.Options
	var holes, print, manifest string
	var flow int64
	fs := newQueryFlags("streams", &q, stderr)
	fs.StringVarP(&o.Dir, "output", "o", "", "directory for the stream files and the manifest (created if missing)")
	fs.StringVar(&holes, "holes", "zero", "what a file gets where the capture missed bytes: zero (one zero byte per missing byte), skip, or stop (end the file)")
	fs.BoolVar(&o.UDP, "udp", false, "also write the payloads of matching UDP flows (datagrams concatenated, files named NAME.udp)")
	fs.BoolVar(&o.UDPFraming, "udp-framing", false, "with --udp: prefix each datagram with its length (2 bytes, big-endian)")
	fs.BoolVar(&o.Force, "force", false, "replace stream files that exist (never an input)")
	fs.StringVar(&manifest, "manifest", "manifest.jsonl", "name of the JSON Lines manifest in DIR (- for stdout)")
	fs.Int64Var(&o.Window, "window", 0, "bytes a direction may hold beyond a gap before declaring a hole (default 8 MiB)")
	fs.Int64Var(&flow, "flow", 0, "print this flow's conversation instead of writing files (see 'pcapdex flows')")
	fs.StringVar(&print, "print", "raw", "with --flow: raw (hex per chunk), ascii or hex, as tshark -z follow,tcp,MODE")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	var err error
	if o.Holes, err = streams.ParseHoleMode(holes); err != nil {
		fmt.Fprintf(stderr, "pcapdex streams: --holes: %v\n", err)
		return exitUsage
	}
	mode, err := streams.ParsePrintMode(print)
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex streams: --print: %v\n", err)
		return exitUsage
	}
	if flow < 0 || flow > 1<<32-1 {
		fmt.Fprintln(stderr, "pcapdex streams: --flow must be between 1 and 2^32-1")
		return exitUsage
	}
	if (flow == 0) == (o.Dir == "") {
		fmt.Fprintln(stderr, "pcapdex streams: give -o DIR (write files) or --flow ID (print one flow), not both")
		return exitUsage
	}
	if slices.Contains(fs.Args(), "-") {
		fmt.Fprintln(stderr, "pcapdex streams: streams reads the packets back from the capture by offset: give a file, not stdin")
		return exitUsage
	}
	ctx, code := openQuery("streams", &q, fs.Args(), stderr)
	if ctx == nil {
		return code
	}
	defer ctx.close()
	in := streams.Input{Store: ctx.st, NoMmap: q.input.noMmap}
	if flow != 0 {
		err := streams.Follow(in, uint32(flow), streams.FollowOptions{Mode: mode, Window: o.Window,
			Since: ctx.sel.Since, Until: ctx.sel.Until}, stdout)
		return ctx.finish(err, stderr)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return ctx.finish(err, stderr)
	}
	o.Protect = fs.Args()
	var mw io.Writer = stdout
	var mf *os.File
	if manifest != "-" {
		path := filepath.Join(o.Dir, manifest)
		if _, err := os.Stat(path); err == nil && !o.Force {
			return ctx.finish(fmt.Errorf("%s exists (--force replaces it)", path), stderr)
		}
		if mf, err = os.CreateTemp(o.Dir, ".pcapdex-manifest-*"); err != nil {
			return ctx.finish(err, stderr)
		}
		defer os.Remove(mf.Name())
		mw = mf
	}
	bw := bufio.NewWriterSize(mw, 64<<10)
	sum, err := streams.Write(in, ctx.sel, o, bw)
	err = errors.Join(err, bw.Flush())
	if mf != nil {
		err = errors.Join(err, mf.Close())
		if err == nil {
			err = os.Rename(mf.Name(), filepath.Join(o.Dir, manifest))
		}
	}
	if err == nil {
		fmt.Fprintf(stderr, "pcapdex streams: %d flows, %d files, %d bytes (%d stream bytes, %d holes of %d bytes, %d conflicting segments)\n",
			sum.Flows, sum.Files, sum.FileBytes, sum.Bytes, sum.Holes, sum.HoleBytes, sum.Conflicts)
	}
	return ctx.finish(err, stderr)
}
