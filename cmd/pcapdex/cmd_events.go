package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
)

func init() {
	register(&command{
		name:    "events",
		summary: "print the TCP analysis event stream (retransmissions, dup ACKs, zero windows, RSTs, RTTs, ...)",
		usage:   "pcapdex events [--format table|jsonl] [--type T[,T...]] [--limit N] [--workers N] [--no-mmap] CAPTURE",
		examples: `  pcapdex events trace.pcap
  pcapdex events --type retransmission,duplicate_ack --format jsonl trace.pcapng
  pcapdex events --type rst --limit 20 trace.pcap`,
		run: runEvents,
	})
}

func runEvents(args []string, stdout, stderr io.Writer) int {
	c := commands["events"]
	var (
		format, types  string
		limit, workers int
		udpTimeout     time.Duration
		input          inputFlags
	)
	fs := newFlags(c, stderr)
	fs.StringVar(&format, "format", "table", "output format: table or jsonl")
	fs.StringVar(&types, "type", "", "only these event types, comma-separated: retransmission (timeout), fast_retransmission, spurious_retransmission, out_of_order, duplicate_ack, zero_window, zero_window_probe, window_full, lost_segment, ack_lost_segment, keep_alive, rst, fin, syn_retry, reused_ports, handshake_rtt, rst_storm, ack_stall, ...")
	fs.IntVar(&limit, "limit", 0, "print at most N events (0: all)")
	fs.IntVar(&workers, "workers", 0, "decode workers and flow shards (0: GOMAXPROCS); output is the same for any value")
	fs.DurationVar(&udpTimeout, "udp-timeout", time.Minute, "idle time that ends a UDP/ICMP/other flow (0: never); changes flow ids")
	addInputFlags(fs, &input)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	if format != "table" && format != "jsonl" {
		fmt.Fprintf(stderr, "pcapdex events: unknown --format %q (table, jsonl)\n", format)
		return exitUsage
	}
	var want [256]bool
	filter := types != ""
	for _, t := range strings.Split(types, ",") {
		if t == "" {
			continue
		}
		found := false
		for et := flowhash.EventType(1); et.String() != "unknown"; et++ {
			if et.String() == t {
				want[et], found = true, true
			}
		}
		if !found {
			fmt.Fprintf(stderr, "pcapdex events: unknown --type %q\n", t)
			return exitUsage
		}
	}
	if limit < 0 || workers < 0 {
		fmt.Fprintln(stderr, "pcapdex events: --limit and --workers must not be negative")
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "pcapdex events: give exactly one capture (see 'pcapdex events --help')")
		return exitUsage
	}
	res, code := trackFlows("events", fs.Arg(0), input.noMmap, trackOptions(workers, udpTimeout, true), stderr)
	if res == nil {
		return code
	}
	var b []byte
	if format == "table" {
		b = append(b, fmt.Sprintf("%8s %-30s %7s %-24s %-4s %s\n", "frame", "time", "flow", "type", "from", "detail")...)
	}
	n := 0
	for i := range res.Events {
		e := &res.Events[i]
		if filter && !want[e.Type] {
			continue
		}
		if limit > 0 && n >= limit {
			break
		}
		n++
		if format == "jsonl" {
			b = flowhash.AppendEventJSON(b, e)
		} else {
			b = appendEventRow(b, e)
		}
		b = append(b, '\n')
		if len(b) > 1<<16 {
			if _, err := stdout.Write(b); err != nil {
				fmt.Fprintf(stderr, "pcapdex events: %v\n", err)
				return exitInput
			}
			b = b[:0]
		}
	}
	if _, err := stdout.Write(b); err != nil {
		fmt.Fprintf(stderr, "pcapdex events: %v\n", err)
		return exitInput
	}
	return code
}

func appendEventRow(b []byte, e *flowhash.Event) []byte {
	col := func(b []byte, s []byte, w int, right bool) []byte {
		if right {
			for i := len(s); i < w; i++ {
				b = append(b, ' ')
			}
		}
		b = append(b, s...)
		if !right {
			for i := len(s); i < w; i++ {
				b = append(b, ' ')
			}
		}
		return append(b, ' ')
	}
	var tmp [64]byte
	b = col(b, strconv.AppendUint(tmp[:0], e.Frame, 10), 8, true)
	b = col(b, flowhash.AppendTime(tmp[:0], e.TS), 30, false)
	b = col(b, strconv.AppendUint(tmp[:0], e.FlowID, 10), 7, true)
	b = col(b, append(tmp[:0], e.Type.String()...), 24, false)
	from := "resp"
	if e.FromOrig {
		from = "orig"
	}
	b = col(b, []byte(from), 4, false)
	switch e.Type {
	case flowhash.EvHandshakeRTT, flowhash.EvHandshakeAckRTT, flowhash.EvAckStall:
		b = flowhash.AppendSeconds(b, e.Detail)
		b = append(b, 's')
	case flowhash.EvDupAck, flowhash.EvSYNRetry, flowhash.EvRSTStorm, flowhash.EvFINStorm:
		b = strconv.AppendInt(b, e.Detail, 10)
	default:
		b = append(b, '-')
	}
	return b
}
