// Command pcapgen writes a deterministic synthetic capture with a ground-truth file.
//
//	pcapgen -o out.pcapng [--format pcap|pcapng] [--seed N] [--size 1GB | --packets N | --flows N] [--truth out.truth.json]
//
// --flows and --size together generate that many flows, with transfer sizes scaled to make
// about that many bytes. The output streams: memory stays bounded for any size.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/bench/synth"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	out, format, truth, size string
	seed                     uint64
	packets, flows           int64
	rate                     float64
	quiet                    bool
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := pflag.NewFlagSet("pcapgen", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVarP(&o.out, "output", "o", "", "capture to write (required; - for stdout)")
	fs.StringVar(&o.format, "format", "", "pcap or pcapng (default: from the -o extension, else pcapng)")
	fs.StringVar(&o.truth, "truth", "", "ground-truth JSON to write (default: none)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	fs.StringVar(&o.size, "size", "", "target capture size, e.g. 500MB, 1GB, 2GiB")
	fs.Int64Var(&o.packets, "packets", 0, "exact number of packets")
	fs.Int64Var(&o.flows, "flows", 0, "number of flows")
	fs.Float64Var(&o.rate, "rate", 0, "new flows per second of capture time (default 2000)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no summary on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.out == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "pcapgen: usage: pcapgen -o FILE [--format pcap|pcapng] [--seed N] [--size 1GB | --packets N | --flows N] [--truth FILE]")
		return 2
	}
	if o.format == "" {
		o.format = synth.FormatPcapng
		if strings.HasSuffix(o.out, ".pcap") {
			o.format = synth.FormatPcap
		}
	}
	cfg := synth.Config{Seed: o.seed, Packets: o.packets, Flows: o.flows, FlowsPerSecond: o.rate}
	if o.size != "" {
		n, err := parseSize(o.size)
		if err != nil {
			fmt.Fprintf(stderr, "pcapgen: --size: %v\n", err)
			return 2
		}
		cfg.TargetBytes = n
	}
	if err := generate(&o, cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "pcapgen: %v\n", err)
		return 1
	}
	return 0
}

func generate(o *options, cfg synth.Config, stdout, stderr io.Writer) error {
	start := time.Now()
	var w io.Writer = stdout
	if o.out != "-" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	sink, err := synth.NewFileSink(bw, o.format)
	if err != nil {
		return err
	}
	var tw *synth.TruthWriter
	var tf *os.File
	if o.truth != "" {
		tf, err = os.Create(o.truth)
		if err != nil {
			return err
		}
		defer tf.Close()
		tw = synth.NewTruthWriter(tf, cfg.Seed, o.format)
		cfg.OnFlow = tw.Flow
	}
	g, err := synth.New(cfg)
	if err != nil {
		return err
	}
	tot, err := synth.Run(g, sink)
	if err != nil {
		return fmt.Errorf("%s: %w", o.out, err)
	}
	if err := sink.Flush(); err != nil {
		return fmt.Errorf("%s: %w", o.out, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", o.out, err)
	}
	if tw != nil {
		if err := tw.Close(tot); err != nil {
			return fmt.Errorf("%s: %w", o.truth, err)
		}
		if err := tf.Close(); err != nil {
			return fmt.Errorf("%s: %w", o.truth, err)
		}
	}
	if !o.quiet {
		el := time.Since(start)
		fmt.Fprintf(stderr, "pcapgen: %s: %d packets, %d flows, %d frame bytes in %.2fs (%.0f MB/s)\n",
			o.out, tot.Packets, tot.Flows, tot.FrameBytes, el.Seconds(), float64(tot.FrameBytes)/1e6/el.Seconds())
	}
	return nil
}

// parseSize reads "123", "10KB", "500MB", "1GB" (powers of 1000) or "1KiB", "2GiB" (powers of 1024).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"B", 1}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suf)), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(v * float64(mult)), nil
}
