package query_test

import (
	"io"
	"math"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/output"
	. "github.com/pcapdex/pcapdex/query"
)

// The command benchmarks run on the index of a capture of at least 1 GB: PCAPDEX_BIG names
// the capture (default /tmp/pcapdex-big/big.pcap); its index is built once, to
// PCAPDEX_BIG_INDEX (default /tmp/pcapdex-query-bench/big.pcap.pcapdex), never into the
// repository. PCAPDEX_BIG_HOST is the one-host filter's address.
//
// Each iteration does what a fresh CLI process does after startup: open the index, open
// the store, evaluate the filter, and write the answer (to io.Discard, in the table format).
//
//	go test ./query/ -run '^$' -bench BenchmarkCommand -benchtime 20x

func BenchmarkCommand(b *testing.B) {
	idx, host := BigIndex(b)
	expr := "host " + host
	out := output.Options{Format: output.FormatTable}
	cases := []struct {
		name string
		run  func(st Store, sel Selection) error
	}{
		{"flows", func(st Store, sel Selection) error {
			cols, _ := output.PickFlowColumns(nil, out.Format)
			return output.WriteFlows(io.Discard, out, cols, Flows(st, sel, FlowsOptions{Need: output.FlowColumnsNeed(cols)}))
		}},
		{"packets", func(st Store, sel Selection) error {
			return output.WritePackets(io.Discard, out, Packets(st, sel, PacketsOptions{}))
		}},
		{"timeline", func(st Store, sel Selection) error {
			tl, err := Timeline(st, sel, TimelineOptions{Bucket: time.Hour})
			if err != nil {
				return err
			}
			return output.WriteTimeline(io.Discard, out, tl)
		}},
		{"gaps", func(st Store, sel Selection) error {
			gaps, err := Gaps(st, sel, time.Second)
			if err != nil {
				return err
			}
			return output.WriteGaps(io.Discard, out, gaps)
		}},
		{"top", func(st Store, sel Selection) error {
			rows, err := Top(st, sel, TopOptions{By: TopPair, Metric: TopBytes, N: 10})
			if err != nil {
				return err
			}
			return output.WriteTop(io.Discard, out, TopPair, rows)
		}},
		{"sizes", func(st Store, sel Selection) error {
			s, err := Sizes(st, sel)
			if err != nil {
				return err
			}
			return output.WriteSizes(io.Discard, out, s)
		}},
		{"events", func(st Store, sel Selection) error {
			return output.WriteEvents(io.Discard, out, Events(st, sel, EventsOptions{}))
		}},
		{"concurrent", func(st Store, sel Selection) error {
			rsts, err := RSTs(st, sel, SenderAny)
			if err != nil {
				return err
			}
			return output.WriteRSTs(io.Discard, out, rsts)
		}},
		{"extract", func(st Store, sel Selection) error {
			_, err := Extract(st, sel, ExtractOptions{}, io.Discard)
			return err
		}},
	}
	plan, err := CompileFlows(filter.MustParse(expr))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				r, err := index.Open(idx)
				if err != nil {
					b.Fatal(err)
				}
				st, err := NewIndexStore(r)
				if err != nil {
					b.Fatal(err)
				}
				sel, err := Select(st, plan, math.MinInt64, math.MaxInt64)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.run(st, sel); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}
