package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
)

func init() {
	register(&command{
		name:    "flows",
		summary: "list flows (TCP, UDP, ICMP, other IP) with Zeek conn_state/history and Wireshark TCP analysis",
		usage:   "pcapdex flows [--format table|csv|jsonl] [--sort KEY] [--limit N] [--workers N] [--udp-timeout D] [--no-mmap] CAPTURE",
		examples: `  pcapdex flows trace.pcap
  pcapdex flows --format jsonl --sort bytes --limit 10 trace.pcapng.gz
  pcapdex flows --format csv --workers 1 trace.pcap > flows.csv`,
		run: runFlows,
	})
}

// flowSortKeys: id and ts ascending (capture order), the others descending (largest first).
var flowSortKeys = []string{"id", "ts", "duration", "bytes", "pkts", "retransmissions"}

type flowsOptions struct {
	format     string
	sort       string
	limit      int
	workers    int
	udpTimeout time.Duration
	input      inputFlags
}

// trackOptions turns the shared flags into flowhash options: --udp-timeout 0 means never.
func trackOptions(workers int, udpTimeout time.Duration, events bool) flowhash.Options {
	o := flowhash.Options{Workers: workers, Events: events, UDPTimeout: int64(udpTimeout)}
	if udpTimeout <= 0 {
		o.UDPTimeout = -1
	}
	return o
}

func runFlows(args []string, stdout, stderr io.Writer) int {
	c := commands["flows"]
	var o flowsOptions
	fs := newFlags(c, stderr)
	fs.StringVar(&o.format, "format", "table", "output format: table, csv or jsonl")
	fs.StringVar(&o.sort, "sort", "id", "order: "+strings.Join(flowSortKeys, ", ")+" (id and ts ascending, the others largest first)")
	fs.IntVar(&o.limit, "limit", 0, "print at most N flows (0: all)")
	fs.IntVar(&o.workers, "workers", 0, "decode workers and flow shards (0: GOMAXPROCS); output is the same for any value")
	fs.DurationVar(&o.udpTimeout, "udp-timeout", time.Minute, "idle time that ends a UDP/ICMP/other flow (0: never)")
	addInputFlags(fs, &o.input)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	switch o.format {
	case "table", "csv", "jsonl":
	default:
		fmt.Fprintf(stderr, "pcapdex flows: unknown --format %q (table, csv, jsonl)\n", o.format)
		return exitUsage
	}
	if !slices.Contains(flowSortKeys, o.sort) {
		fmt.Fprintf(stderr, "pcapdex flows: unknown --sort %q (%s)\n", o.sort, strings.Join(flowSortKeys, ", "))
		return exitUsage
	}
	if o.limit < 0 || o.workers < 0 {
		fmt.Fprintln(stderr, "pcapdex flows: --limit and --workers must not be negative")
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "pcapdex flows: give exactly one capture (see 'pcapdex flows --help')")
		return exitUsage
	}
	res, code := trackFlows("flows", fs.Arg(0), o.input.noMmap, trackOptions(o.workers, o.udpTimeout, false), stderr)
	if res == nil {
		return code
	}
	flows := res.Flows
	sortFlows(flows, o.sort)
	if o.limit > 0 && len(flows) > o.limit {
		flows = flows[:o.limit]
	}
	var b []byte
	switch o.format {
	case "csv":
		b = append(b, strings.Join(flowhash.FlowFields, ",")...)
		b = append(b, '\n')
	case "table":
		b = appendFlowTableHeader(b)
	}
	for i := range flows {
		switch o.format {
		case "jsonl":
			b = flowhash.AppendFlowJSON(b, &flows[i])
		case "csv":
			b = flowhash.AppendFlowCSV(b, &flows[i])
		case "table":
			b = appendFlowTableRow(b, &flows[i])
		}
		b = append(b, '\n')
		if len(b) > 1<<16 {
			if _, err := stdout.Write(b); err != nil {
				fmt.Fprintf(stderr, "pcapdex flows: %v\n", err)
				return exitInput
			}
			b = b[:0]
		}
	}
	if _, err := stdout.Write(b); err != nil {
		fmt.Fprintf(stderr, "pcapdex flows: %v\n", err)
		return exitInput
	}
	return code
}

// trackFlows opens path and runs the flow pipeline. It reports problems to stderr as
// "pcapdex NAME: ..." and returns the exit code: exitInput when the capture cannot be read
// (res nil), exitPartial when reading stopped early or the tail was cut.
func trackFlows(name, path string, noMmap bool, opt flowhash.Options, stderr io.Writer) (*flowhash.Result, int) {
	r, err := openCapture(path, noMmap)
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex %s: %v\n", name, err)
		return nil, exitInput
	}
	defer r.Close()
	res, err := flowhash.Process(r, opt)
	code := exitOK
	for _, w := range r.Warnings() {
		fmt.Fprintf(stderr, "pcapdex %s: warning: %s\n", name, w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex %s: %v (results cover the packets before it)\n", name, err)
		code = exitPartial
	}
	if r.Truncated() {
		code = exitPartial
	}
	return res, code
}

func sortFlows(flows []flowhash.Flow, key string) {
	desc := func(a, b uint64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	}
	var val func(f *flowhash.Flow) uint64
	switch key {
	case "id":
		return // already in id order
	case "ts":
		slices.SortStableFunc(flows, func(a, b flowhash.Flow) int {
			switch {
			case a.FirstTS < b.FirstTS:
				return -1
			case a.FirstTS > b.FirstTS:
				return 1
			}
			return 0
		})
		return
	case "duration":
		val = func(f *flowhash.Flow) uint64 { return uint64(max(f.LastTS-f.FirstTS, 0)) }
	case "bytes":
		val = func(f *flowhash.Flow) uint64 { return f.OrigIPBytes + f.RespIPBytes }
	case "pkts":
		val = func(f *flowhash.Flow) uint64 { return f.OrigPkts + f.RespPkts }
	case "retransmissions":
		val = func(f *flowhash.Flow) uint64 { return uint64(f.TCP.Retransmissions) }
	}
	// Stable: ties keep id order, so the output is deterministic.
	slices.SortStableFunc(flows, func(a, b flowhash.Flow) int { return desc(val(&a), val(&b)) })
}

func appendFlowTableHeader(b []byte) []byte {
	return append(b, fmt.Sprintf("%6s %-5s %-41s %-41s %-30s %12s %9s %9s %12s %12s %-6s %-16s %5s %5s %5s %5s\n",
		"id", "proto", "orig", "resp", "start", "duration", "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes",
		"state", "history", "retr", "ooo", "dupak", "zwin")...)
}

func appendFlowTableRow(b []byte, f *flowhash.Flow) []byte {
	pad := func(b []byte, start, width int, right bool) []byte {
		n := len(b) - start
		if n >= width {
			return append(b, ' ')
		}
		if right {
			fill := width - n
			b = append(b, make([]byte, fill)...)
			copy(b[start+fill:], b[start:start+n])
			for i := start; i < start+fill; i++ {
				b[i] = ' '
			}
			return append(b, ' ')
		}
		for ; n < width; n++ {
			b = append(b, ' ')
		}
		return append(b, ' ')
	}
	num := func(b []byte, v uint64, w int) []byte {
		s := len(b)
		return pad(strconv.AppendUint(b, v, 10), s, w, true)
	}
	endpoint := func(b []byte, a *[16]byte, port uint16) []byte {
		s := len(b)
		k := flowhash.Key{A: *a, IPVersion: f.Key.IPVersion}
		addr := k.Addr(flowhash.DirAB)
		if addr.Is6() {
			b = append(b, '[')
			b = addr.AppendTo(b)
			b = append(b, ']')
		} else {
			b = addr.AppendTo(b)
		}
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(port), 10)
		return pad(b, s, 41, false)
	}
	b = num(b, f.ID, 6)
	s := len(b)
	b = pad(flowhash.AppendProtoName(b, f.Key.Proto), s, 5, false)
	oa, op := f.OrigEndpoint()
	ra, rp := f.RespEndpoint()
	if f.Key.Proto == flowhash.ProtoICMP || f.Key.Proto == flowhash.ProtoICMPv6 {
		op, rp = uint16(f.ICMPType), uint16(f.ICMPCode)
	}
	b = endpoint(b, oa, op)
	b = endpoint(b, ra, rp)
	s = len(b)
	b = pad(flowhash.AppendTime(b, f.FirstTS), s, 30, false)
	s = len(b)
	b = pad(flowhash.AppendSeconds(b, f.LastTS-f.FirstTS), s, 12, true)
	b = num(b, f.OrigPkts, 9)
	b = num(b, f.RespPkts, 9)
	b = num(b, f.OrigBytes, 12)
	b = num(b, f.RespBytes, 12)
	s = len(b)
	b = pad(append(b, f.ConnState.String()...), s, 6, false)
	s = len(b)
	b = pad(append(b, f.Hist[:f.HistLen]...), s, 16, false)
	b = num(b, uint64(f.TCP.Retransmissions), 5)
	b = num(b, uint64(f.TCP.OutOfOrder), 5)
	b = num(b, uint64(f.TCP.DupAcks), 5)
	b = num(b, uint64(f.TCP.ZeroWindows), 5)
	return b[:len(b)-1] // no trailing space
}
