package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pcapdex/pcapdex/capstats"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/pcapng"
)

func cmdInfo() *command {
	return &command{
		name:    "info",
		summary: "summarize captures like capinfos: format, link types, packets, time span, sizes, drops",
		usage:   "pcapdex info [--format table|csv|json|jsonl] [--no-mmap] CAPTURE...",
		examples: `  pcapdex info trace.pcapng
  pcapdex info --format json trace.pcap.gz
  pcapdex info --format jsonl *.pcap > summary.jsonl
  pcapdex info --format csv captures/*.pcap > summary.csv
  cat trace.pcap | pcapdex info -`,
		run: runInfo,
	}
}

type infoOptions struct {
	format   string
	progress string
	input    inputFlags
}

func runInfo(args []string, stdout, stderr io.Writer) int {
	c := lookup("info")
	var o infoOptions
	fs := newFlags(c, stderr)
	fs.StringVar(&o.format, "format", "table", "output format: table, csv (one row per file, nested fields as parent.child), json (an array of one object per file, whatever the number of files) or jsonl (one object per line)")
	fs.StringVar(&o.progress, "progress", "auto", "progress on stderr: auto (when stderr is a terminal), always, never, or json")
	addInputFlags(fs, &o.input)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	switch o.format {
	case "table", "csv", "json", "jsonl":
	default:
		fmt.Fprintf(stderr, "pcapdex info: unknown --format %q (table, csv, json, jsonl)\n", o.format)
		return exitUsage
	}
	if !slices.Contains(progressModes, o.progress) {
		fmt.Fprintf(stderr, "pcapdex info: --progress must be one of %s\n", strings.Join(progressModes, ", "))
		return exitUsage
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "pcapdex info: no capture given (see 'pcapdex info --help')")
		return exitUsage
	}
	code := exitOK
	var out []byte
	if o.format == "json" {
		out = append(out, '[')
	}
	var rows []infoRow // csv: written at the end, under the union of the files' keys
	for i, path := range files {
		s := readInfo(path, pcapng.Options{NoMmap: o.input.noMmap, MaxWindow: int64(o.input.maxWindow)}, infoProgress(stderr, path, o.progress))
		// The same warnings and codes as every other command (see reportNotes).
		note := captureNote{Warnings: s.Warnings, Error: s.Err, Truncated: s.Truncated,
			Packets: s.Packets, Undecoded: s.Decode.ByStatus[fastparse.UnknownLink]}
		if note.Undecoded > 0 {
			note.Warnings = append(slices.Clone(note.Warnings), index.UndecodedWarning(path, note.Undecoded, s.LinkTypes()))
		}
		fcode := reportNotes("info", []captureNote{note}, stderr)
		if s.OpenFailed {
			fcode = exitInput
		}
		code = worse(code, fcode)
		switch o.format {
		case "table":
			if i > 0 {
				out = append(out, '\n')
			}
			out = output.AppendInfoTable(out, s)
		case "json":
			if i > 0 {
				out = append(out, ',', '\n')
			}
			out = s.AppendJSON(out)
		case "csv":
			row, err := flattenJSON(s.AppendJSON(nil))
			if err != nil {
				fmt.Fprintf(stderr, "pcapdex info: %v\n", err)
				return exitInput
			}
			rows = append(rows, row)
		case "jsonl":
			out = s.AppendJSON(out)
			out = append(out, '\n')
		}
		if _, err := stdout.Write(out); err != nil {
			fmt.Fprintf(stderr, "pcapdex info: %v\n", err)
			return exitInput
		}
		out = out[:0]
	}
	switch o.format {
	case "json":
		stdout.Write([]byte("]\n"))
	case "csv":
		stdout.Write(appendInfoCSV(nil, rows))
	}
	return code
}

// readInfo is capstats.ReadFile with progress on stderr: a full pass over a large capture
// says how far it is.
func readInfo(path string, ropt pcapng.Options, prog *progress) *capstats.File {
	defer prog.done()
	r, err := pcapng.Open(path, ropt)
	if err != nil {
		return &capstats.File{Path: path, OpenFailed: true, Err: err.Error()}
	}
	defer r.Close()
	var c capstats.Collector
	var packets uint64
	nb := 0
	report := flowhash.BatchFunc(func(b *flowhash.Batch) error {
		packets += uint64(len(b.Packets))
		if nb++; nb&31 == 0 && len(b.Packets) > 0 {
			last := &b.Packets[len(b.Packets)-1]
			prog.update(index.Progress{Bytes: last.Offset + int64(last.CapLen), Packets: packets})
		}
		return nil
	})
	pl := flowhash.NewPipeline(flowhash.Options{DecodeStats: true}, &c, report)
	pl.Run(r) // a read error is in the File
	f := c.Files()[0]
	f.Path = path
	return f
}

func infoProgress(stderr io.Writer, path, mode string) *progress {
	p := newProgress(stderr, []string{path}, mode)
	p.what = "reading"
	return p
}
