// Command truthcheck compares a flow table in CSV (pcapdex flows --format csv, or any CSV
// with the same column names) with a pcapgen ground-truth file, flow by flow.
//
//	pcapdex flows --format csv capture.pcap | truthcheck --truth capture.truth.json
//	truthcheck --truth capture.truth.json --flows flows.csv
//
// Flows are matched on (proto, orig address, orig port, resp address, resp port); ICMP
// flows whose key is not unique in the truth (echo ids differ) are left out. The columns
// compared are those present among: orig_pkts resp_pkts orig_bytes resp_bytes orig_ip_bytes
// resp_ip_bytes conn_state retransmissions fast_retransmissions out_of_order dup_acks
// zero_windows lost_segments. It exits 1 when a flow is missing or a value differs.
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/pcapdex/pcapdex/bench/synth"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

type key struct {
	proto, src string
	sport      uint16
	dst        string
	dport      uint16
}

// columns compared, with how to read the truth's value.
var columns = []struct {
	name string
	get  func(*synth.FlowTruth) string
}{
	{"orig_pkts", func(f *synth.FlowTruth) string { return u(f.Orig.Packets) }},
	{"resp_pkts", func(f *synth.FlowTruth) string { return u(f.Resp.Packets) }},
	{"orig_bytes", func(f *synth.FlowTruth) string { return u(f.Orig.PayloadBytes) }},
	{"resp_bytes", func(f *synth.FlowTruth) string { return u(f.Resp.PayloadBytes) }},
	{"orig_ip_bytes", func(f *synth.FlowTruth) string { return u(f.Orig.IPBytes) }},
	{"resp_ip_bytes", func(f *synth.FlowTruth) string { return u(f.Resp.IPBytes) }},
	{"conn_state", func(f *synth.FlowTruth) string { return f.ConnState }},
	{"retransmissions", func(f *synth.FlowTruth) string { return u(f.Retransmissions) }},
	{"fast_retransmissions", func(f *synth.FlowTruth) string { return u(f.FastRetransmissions) }},
	{"out_of_order", func(f *synth.FlowTruth) string { return u(f.OutOfOrder) }},
	{"dup_acks", func(f *synth.FlowTruth) string { return u(f.DupAcks) }},
	{"zero_windows", func(f *synth.FlowTruth) string { return u(f.ZeroWindows) }},
	{"lost_segments", func(f *synth.FlowTruth) string { return u(f.LostSegments) }},
}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("truthcheck", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	truthPath := fs.String("truth", "", "ground-truth JSON written by pcapgen (required)")
	flowsPath := fs.String("flows", "-", "flow CSV (- for stdin)")
	show := fs.Int("show", 5, "differences to show per column")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *truthPath == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "truthcheck: usage: truthcheck --truth FILE [--flows FLOWS.csv]")
		return 2
	}
	truth, err := readTruth(*truthPath)
	if err != nil {
		fmt.Fprintf(stderr, "truthcheck: %v\n", err)
		return 1
	}
	var in io.Reader = stdin
	if *flowsPath != "-" {
		f, err := os.Open(*flowsPath)
		if err != nil {
			fmt.Fprintf(stderr, "truthcheck: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	bad, err := compare(truth, bufio.NewReaderSize(in, 1<<20), *show, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "truthcheck: %s: %v\n", *flowsPath, err)
		return 1
	}
	if bad {
		return 1
	}
	return 0
}

// readTruth streams the truth file's flows array into a map (duplicate keys are dropped).
func readTruth(path string) (map[key]*synth.FlowTruth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := map[key]*synth.FlowTruth{}
	dup := map[key]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: offset %d: %w", path, dec.InputOffset(), err)
		}
		if tok != "flows" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("%s: offset %d: %w", path, dec.InputOffset(), err)
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for dec.More() {
			ft := new(synth.FlowTruth)
			if err := dec.Decode(ft); err != nil {
				return nil, fmt.Errorf("%s: offset %d: %w", path, dec.InputOffset(), err)
			}
			proto := ft.Proto
			if proto == "icmp" && ft.SrcPort == 128 {
				proto = "icmp6"
			}
			k := key{proto, ft.Src, ft.SrcPort, ft.Dst, ft.DstPort}
			if _, ok := m[k]; ok || dup[k] {
				delete(m, k)
				dup[k] = true
				continue
			}
			m[k] = ft
		}
		if err := expectDelim(dec, ']'); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return m, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("offset %d: %w", dec.InputOffset(), err)
	}
	if tok != d {
		return fmt.Errorf("offset %d: got %v, want %v", dec.InputOffset(), tok, d)
	}
	return nil
}

func compare(truth map[key]*synth.FlowTruth, in io.Reader, show int, out io.Writer) (bool, error) {
	r := csv.NewReader(in)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return false, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, need := range []string{"proto", "orig_h", "orig_p", "resp_h", "resp_p"} {
		if _, ok := col[need]; !ok {
			return false, fmt.Errorf("no %q column", need)
		}
	}
	type diff struct {
		n       int
		samples []string
	}
	diffs := map[string]*diff{}
	seen := map[key]bool{}
	rows, matched, extra := 0, 0, 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, err
		}
		rows++
		sp, _ := strconv.ParseUint(rec[col["orig_p"]], 10, 16)
		dp, _ := strconv.ParseUint(rec[col["resp_p"]], 10, 16)
		k := key{rec[col["proto"]], rec[col["orig_h"]], uint16(sp), rec[col["resp_h"]], uint16(dp)}
		ft := truth[k]
		if ft == nil {
			extra++
			continue
		}
		seen[k] = true
		matched++
		for _, c := range columns {
			i, ok := col[c.name]
			if !ok {
				continue
			}
			if want := c.get(ft); rec[i] != want {
				d := diffs[c.name]
				if d == nil {
					d = &diff{}
					diffs[c.name] = d
				}
				d.n++
				if len(d.samples) < show {
					d.samples = append(d.samples, fmt.Sprintf("flow id %d %s %s:%d-%s:%d: truth %s, got %s",
						ft.ID, k.proto, k.src, k.sport, k.dst, k.dport, want, rec[i]))
				}
			}
		}
	}
	missing := 0
	for k := range truth {
		if !seen[k] {
			missing++
		}
	}
	fmt.Fprintf(out, "truth flows %d (unique keys), csv rows %d, matched %d, missing from csv %d, not in truth %d\n",
		len(truth), rows, matched, missing, extra)
	names := make([]string, 0, len(diffs))
	for n := range diffs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := diffs[n]
		fmt.Fprintf(out, "%s: %d flows differ\n", n, d.n)
		for _, s := range d.samples {
			fmt.Fprintf(out, "  %s\n", s)
		}
	}
	return missing > 0 || len(diffs) > 0, nil
}
