package query

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/index"
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

var bigOnce sync.Once

// bigIndexPath is where the big capture's index is, or is built.
func bigIndexPath() string {
	if p := os.Getenv("PCAPDEX_BIG_INDEX"); p != "" {
		return p
	}
	return "/tmp/pcapdex-query-bench/big.pcap.pcapdex"
}

func bigIndex(b *testing.B) (string, string) {
	capture := os.Getenv("PCAPDEX_BIG")
	if capture == "" {
		capture = "/tmp/pcapdex-big/big.pcap"
	}
	out := bigIndexPath()
	host := os.Getenv("PCAPDEX_BIG_HOST")
	if host == "" {
		host = "10.1.0.10"
	}
	st, err := os.Stat(capture)
	if err != nil || st.Size() < 1e9 {
		b.Skipf("no capture of at least 1 GB at %s (set PCAPDEX_BIG)", capture)
	}
	bigOnce.Do(func() {
		if r, err := index.Open(out); err == nil {
			stale, _, err := r.Stale([]string{capture})
			r.Close()
			if err == nil && !stale {
				return
			}
		}
		os.MkdirAll(filepath.Dir(out), 0o755)
		if _, err := index.BuildFiles(out, []string{capture}, index.BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	})
	return out, host
}

func BenchmarkCommand(b *testing.B) {
	idx, host := bigIndex(b)
	expr := "host " + host
	out := Options{Format: FormatTable}
	cases := []struct {
		name string
		run  func(st Store, sel Selection) error
	}{
		{"flows", func(st Store, sel Selection) error { return WriteFlows(st, sel, FlowsOptions{}, io.Discard, out) }},
		{"packets", func(st Store, sel Selection) error {
			return WritePackets(st, sel, PacketsOptions{}, io.Discard, out)
		}},
		{"timeline", func(st Store, sel Selection) error {
			return WriteTimeline(st, sel, TimelineOptions{Bucket: 3600e9}, io.Discard, out)
		}},
		{"gaps", func(st Store, sel Selection) error { return WriteGaps(st, sel, 1e9, io.Discard, out) }},
		{"top", func(st Store, sel Selection) error {
			return WriteTop(st, sel, TopOptions{By: "pair", Metric: "bytes", N: 10}, io.Discard, out)
		}},
		{"sizes", func(st Store, sel Selection) error { return WriteSizes(st, sel, false, io.Discard, out) }},
		{"events", func(st Store, sel Selection) error { return WriteEvents(st, sel, EventsOptions{}, io.Discard, out) }},
		{"concurrent", func(st Store, sel Selection) error {
			return WriteConcurrent(st, sel, ConcurrentOptions{}, io.Discard, out)
		}},
		{"extract", func(st Store, sel Selection) error {
			_, err := Extract(st, sel, ExtractOptions{}, io.Discard)
			return err
		}},
	}
	plan, err := Compile(filter.MustParse(expr))
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
