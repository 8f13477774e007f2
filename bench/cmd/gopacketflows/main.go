// Command gopacketflows is the gopacket baseline: it reads a pcap or pcapng file with pcapgo,
// decodes every packet with a DecodingLayerParser and counts packets and bytes per flow
// (bench/peers.CountFlows). It prints a one-line summary to stderr, and with --csv every
// flow, sorted, to stdout.
//
//	gopacketflows [--csv] FILE
package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/pcapdex/pcapdex/bench/peers"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("gopacketflows", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	csv := fs.Bool("csv", false, "write every flow as CSV to stdout")
	quiet := fs.BoolP("quiet", "q", false, "no summary on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "gopacketflows: usage: gopacketflows [--csv] FILE")
		return 2
	}
	start := time.Now()
	res, err := peers.CountFlowsFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "gopacketflows: %v\n", err)
		return 1
	}
	if *csv {
		w := bufio.NewWriterSize(stdout, 1<<16)
		keys := make([]peers.FlowKey, 0, len(res.Flows))
		for k := range res.Flows {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b peers.FlowKey) int {
			return cmp.Or(cmp.Compare(a.Proto, b.Proto), slices.Compare(a.A[:], b.A[:]), cmp.Compare(a.PortA, b.PortA),
				slices.Compare(a.B[:], b.B[:]), cmp.Compare(a.PortB, b.PortB))
		})
		fmt.Fprintln(w, "proto,addr_a,port_a,addr_b,port_b,packets,bytes")
		for _, k := range keys {
			c := res.Flows[k]
			fmt.Fprintf(w, "%d,%s,%d,%s,%d,%d,%d\n", k.Proto, addr(k.A, k.V6), k.PortA, addr(k.B, k.V6), k.PortB, c.Packets, c.Bytes)
		}
		if err := w.Flush(); err != nil {
			fmt.Fprintf(stderr, "gopacketflows: %v\n", err)
			return 1
		}
	}
	if !*quiet {
		fmt.Fprintf(stderr, "gopacketflows: %s: %d packets, %d bytes, %d flows, %d non-IP, %d undecodable in %.3fs\n",
			fs.Arg(0), res.Packets, res.Bytes, len(res.Flows), res.NonIP, res.Truncated, time.Since(start).Seconds())
	}
	return 0
}

func addr(b [16]byte, v6 bool) string {
	if v6 {
		return netip.AddrFrom16(b).String()
	}
	return netip.AddrFrom4([4]byte(b[:4])).String()
}
