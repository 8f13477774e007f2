package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pcapdex/pcapdex/internal/textenc"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

func cmdPackets() *command {
	return &command{
		name:    "packets",
		summary: "the matching packets: time, time in flow, direction, TCP flags, relative seq/ack, length, scaled window, analysis; or tshark-named fields (-e)",
		usage:   "pcapdex packets [flags] [-e FIELD]... CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex packets trace.pcap --flow 12
  pcapdex packets trace.pcap host 10.0.0.5 and port 443 --format csv
  pcapdex packets trace.pcap 'tcp[tcpflags] & tcp-syn != 0'
  pcapdex packets trace.pcap -e frame.number -e frame.len -e ip.src -e tcp.stream -e tcp.seq --format csv
  pcapdex packets trace.pcap 'retransmissions > 0' --limit 100`,
		run: runPackets,
	}
}

func runPackets(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var o query.PacketsOptions
	var flow int64
	var fields []string
	stream := int64(-1)
	fs := newQueryFlags("packets", &q, stderr)
	fs.Int64Var(&stream, "stream", -1, "only the packets of TCP stream N, numbered as Wireshark's tcp.stream (the filter 'tcp_stream == N')")
	fs.Int64Var(&flow, "flow", 0, "only the flow with this id (see 'pcapdex flows')")
	fs.IntVar(&o.Limit, "limit", 0, "print at most N packets (0: all)")
	fs.StringArrayVarP(&fields, "field", "e", nil, "print this field of each packet, named as tshark -e names it (repeatable; 'pcapdex help fields'); --format tsv (default), csv or jsonl")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	if flow < 0 || flow > 1<<32-1 || o.Limit < 0 {
		fmt.Fprintln(stderr, "pcapdex packets: --flow and --limit must be non-negative (--flow below 2^32)")
		return exitUsage
	}
	o.Flow = uint32(flow)
	if stream >= 0 {
		if q.display {
			fmt.Fprintln(stderr, "pcapdex packets: with -Y write 'tcp.stream == N' in the filter instead of --stream")
			return exitUsage
		}
		// A separate argument: the filter's words join it with "and".
		fs.Parse(append(fs.Args(), "tcp_stream == "+strconv.FormatInt(stream, 10)))
	}
	if len(fields) == 0 {
		return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
			if n := ctx.st.NumFlows(); o.Flow > 0 && int(o.Flow) > n {
				ctx.note(stderr, "no flow %d: the capture has %d flows (ids 1 to %d)", o.Flow, n, n)
			}
			return output.WritePackets(stdout, ctx.out, query.Packets(ctx.st, ctx.sel, o))
		})
	}
	format := q.format
	switch format {
	case "table", "tsv":
		format, q.format = "tsv", "table"
	case "csv", "jsonl":
	default:
		fmt.Fprintf(stderr, "pcapdex packets: -e writes tsv, csv or jsonl, not %q\n", format)
		return exitUsage
	}
	if o.Flow != 0 {
		fmt.Fprintln(stderr, "pcapdex packets: -e selects packets by the filter; use 'tcp.stream == N' or 'orig host ...' instead of --flow")
		return exitUsage
	}
	return runQuery(fs, &q, stderr, func(ctx *queryCtx) error {
		return writeFields(stdout, format, fields, o.Limit, ctx)
	})
}

// writeFields writes the -e columns: a header line of the field names, then one row a packet.
func writeFields(stdout io.Writer, format string, fields []string, limit int, ctx *queryCtx) error {
	w := bufio.NewWriterSize(stdout, 1<<16)
	var line []byte
	if format != "jsonl" {
		sep := "\t"
		if format == "csv" {
			sep = ","
		}
		w.WriteString(strings.Join(fields, sep) + "\n")
	}
	n := 0
	err := query.PacketFields(ctx.st, ctx.sel, fields, func(frame int64, vals [][]byte) error {
		if limit > 0 && n >= limit {
			return errLimit
		}
		n++
		line = line[:0]
		switch format {
		case "jsonl":
			line = append(line, '{')
			for i, v := range vals {
				if i > 0 {
					line = append(line, ',')
				}
				line = textenc.AppendJSONString(line, fields[i])
				line = append(line, ':')
				line = textenc.AppendJSONString(line, v)
			}
			line = append(line, '}')
		case "csv":
			for i, v := range vals {
				if i > 0 {
					line = append(line, ',')
				}
				line = textenc.AppendCSVField(line, v)
			}
		default:
			for i, v := range vals {
				if i > 0 {
					line = append(line, '\t')
				}
				line = append(line, v...)
			}
		}
		line = append(line, '\n')
		_, err := w.Write(line)
		return err
	})
	if err == errLimit {
		err = nil
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

var errLimit = fmt.Errorf("limit reached")
