package query_test

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/output"
	. "github.com/pcapdex/pcapdex/query"
)

// queryCase is one command run: a name and a function writing its rows as output would.
type queryCase struct {
	name string
	run  func(s Store, sel Selection, w *bytes.Buffer) error
}

// writeFlows writes query.Flows with every column, as `flows --format jsonl` does.
func writeFlows(s Store, sel Selection, o FlowsOptions, w *bytes.Buffer, out output.Options) error {
	cols := output.FlowColumns()
	o.Need = output.FlowColumnsNeed(cols)
	return output.WriteFlows(w, out, cols, Flows(s, sel, o))
}

func allCommands(out output.Options) []queryCase {
	return []queryCase{
		{"flows", func(s Store, sel Selection, w *bytes.Buffer) error { return writeFlows(s, sel, FlowsOptions{}, w, out) }},
		{"flows-limit", func(s Store, sel Selection, w *bytes.Buffer) error {
			return writeFlows(s, sel, FlowsOptions{Limit: 3}, w, out)
		}},
		{"flows-bytes", func(s Store, sel Selection, w *bytes.Buffer) error {
			return writeFlows(s, sel, FlowsOptions{Sort: SortBytes, Limit: 5}, w, out)
		}},
		{"packets", func(s Store, sel Selection, w *bytes.Buffer) error {
			return output.WritePackets(w, out, Packets(s, sel, PacketsOptions{}))
		}},
		{"timeline-1s", func(s Store, sel Selection, w *bytes.Buffer) error {
			tl, err := Timeline(s, sel, TimelineOptions{Bucket: 1e9})
			if err != nil {
				return err
			}
			return output.WriteTimeline(w, out, tl)
		}},
		{"timeline-start", func(s Store, sel Selection, w *bytes.Buffer) error {
			tl, err := Timeline(s, sel, TimelineOptions{Bucket: 1e9, Align: AlignStart})
			if err != nil {
				return err
			}
			return output.WriteTimeline(w, out, tl)
		}},
		{"gaps", func(s Store, sel Selection, w *bytes.Buffer) error {
			gaps, err := Gaps(s, sel, 1e8)
			if err != nil {
				return err
			}
			return output.WriteGaps(w, out, gaps)
		}},
		{"top-host", func(s Store, sel Selection, w *bytes.Buffer) error {
			return writeTop(s, sel, TopOptions{By: TopHost, Metric: TopBytes, N: 10}, w, out)
		}},
		{"top-port", func(s Store, sel Selection, w *bytes.Buffer) error {
			return writeTop(s, sel, TopOptions{By: TopPort, Metric: TopPackets}, w, out)
		}},
		{"top-pair", func(s Store, sel Selection, w *bytes.Buffer) error {
			return writeTop(s, sel, TopOptions{By: TopPair, Metric: TopBytes}, w, out)
		}},
		{"sizes", func(s Store, sel Selection, w *bytes.Buffer) error {
			st, err := Sizes(s, sel)
			if err != nil {
				return err
			}
			return output.WriteSizes(w, out, st)
		}},
		{"sizes-hist", func(s Store, sel Selection, w *bytes.Buffer) error {
			st, err := Sizes(s, sel)
			if err != nil {
				return err
			}
			return output.WriteSizeHistogram(w, out, st)
		}},
		{"events", func(s Store, sel Selection, w *bytes.Buffer) error {
			return output.WriteEvents(w, out, Events(s, sel, EventsOptions{}))
		}},
		{"concurrent-rst", func(s Store, sel Selection, w *bytes.Buffer) error {
			rsts, err := RSTs(s, sel, SenderAny)
			if err != nil {
				return err
			}
			return output.WriteRSTs(w, out, rsts)
		}},
		{"concurrent-at", func(s Store, sel Selection, w *bytes.Buffer) error {
			first, last := s.Span()
			return output.WriteOpenFlows(w, out, OpenFlowsAt(s, sel, first+(last-first)/2))
		}},
		{"extract", func(s Store, sel Selection, w *bytes.Buffer) error {
			_, err := Extract(s, sel, ExtractOptions{Pcapng: true, Annotate: true, Filter: "x"}, w)
			return err
		}},
	}
}

func writeTop(s Store, sel Selection, o TopOptions, w *bytes.Buffer, out output.Options) error {
	rows, err := Top(s, sel, o)
	if err != nil {
		return err
	}
	return output.WriteTop(w, out, o.By, rows)
}

var equalFilters = []string{"", "tcp", "udp or icmp", "port 443 or port 80", "rst", "retransmissions > 0 or dup_acks > 0", "not tcp", "vlan", "syn_rtt > 1ms"}

// keptStores reads paths once per distinct StreamKeepFor of the commands and returns, for
// a command name of allCommands ("top-host": top), the store built for it.
func keptStores(t testing.TB, paths []string) func(command string) *StreamStore {
	t.Helper()
	built := map[StreamKeep]*StreamStore{}
	for _, c := range allCommands(output.Options{}) {
		k := StreamKeepFor(commandOf(c.name))
		if built[k] != nil {
			continue
		}
		s, err := NewStreamStoreOptions(paths, false, flowhash.Options{}, k)
		if err != nil {
			t.Fatalf("%v kept %+v: %v", paths, k, err)
		}
		built[k] = s
	}
	return func(command string) *StreamStore { return built[StreamKeepFor(commandOf(command))] }
}

// commandOf returns the command of an allCommands case name: "top-host" -> "top".
func commandOf(name string) string {
	c, _, _ := strings.Cut(name, "-")
	return c
}

// compareStores runs every command with every filter on both stores, and on the stream
// store built for the command (kept, nil: none), and requires byte-identical output.
func compareStores(t *testing.T, name string, ix *IndexStore, st *StreamStore, kept func(command string) *StreamStore) {
	t.Helper()
	if ix.NumPackets() != st.NumPackets() || ix.NumFlows() != st.NumFlows() {
		t.Fatalf("%s: index has %d packets %d flows, stream %d and %d", name, ix.NumPackets(), ix.NumFlows(), st.NumPackets(), st.NumFlows())
	}
	a0, a1 := ix.Span()
	b0, b1 := st.Span()
	if a0 != b0 || a1 != b1 {
		t.Fatalf("%s: span index [%d,%d] stream [%d,%d]", name, a0, a1, b0, b1)
	}
	out := output.Options{Format: output.FormatJSONL, Start: a0}
	for _, f := range equalFilters {
		plan, err := CompileFlows(filter.MustParse(f))
		if err != nil {
			t.Fatal(err)
		}
		windows := [][2]int64{{math.MinInt64, math.MaxInt64}}
		if f == "" || f == "tcp" {
			windows = append(windows, [2]int64{a0 + (a1-a0)/3, a0 + 2*(a1-a0)/3})
		}
		for _, win := range windows {
			sa, err := Select(ix, plan, win[0], win[1])
			if err != nil {
				t.Fatal(err)
			}
			sb, err := Select(st, plan, win[0], win[1])
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range allCommands(out) {
				var wa, wb bytes.Buffer
				ea, eb := c.run(ix, sa, &wa), c.run(st, sb, &wb)
				if fmt.Sprint(ea) != fmt.Sprint(eb) {
					t.Errorf("%s %s %q: index error %v, stream error %v", name, c.name, f, ea, eb)
					continue
				}
				if !bytes.Equal(wa.Bytes(), wb.Bytes()) {
					t.Errorf("%s %s %q window %v: index and stream differ:\n%s", name, c.name, f, win, FirstDiff(wa.String(), wb.String()))
				}
				if kept == nil {
					continue
				}
				sk := kept(c.name)
				sc, err := Select(sk, plan, win[0], win[1])
				if err != nil {
					t.Fatal(err)
				}
				var wc bytes.Buffer
				if ec := c.run(sk, sc, &wc); fmt.Sprint(ec) != fmt.Sprint(ea) {
					t.Errorf("%s %s %q: index error %v, stream kept %+v error %v", name, c.name, f, ea, sk.Keep(), ec)
				} else if !bytes.Equal(wa.Bytes(), wc.Bytes()) {
					t.Errorf("%s %s %q window %v: index and stream kept %+v differ:\n%s", name, c.name, f, win, sk.Keep(), FirstDiff(wa.String(), wc.String()))
				}
			}
		}
	}
}

// TestIndexEqualsStream: every command gives byte-identical output from the index and
// from one streaming pass, keeping everything or only what the command reads
// (StreamKeepFor), for every corpus file and several filters and windows.
func TestIndexEqualsStream(t *testing.T) {
	for _, p := range CorpusCaptures(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			ix, st, ok := OpenBoth(t, []string{p})
			if !ok {
				t.Skipf("%s: not readable as a capture", p)
			}
			compareStores(t, filepath.Base(p), ix, st, keptStores(t, []string{p}))
		})
	}
}

// TestIndexEqualsStreamSet: the same over a set of three captures read as one (flows
// continue across files; frames count over the set).
func TestIndexEqualsStreamSet(t *testing.T) {
	dir := CorpusDir(t)
	set := []string{filepath.Join(dir, "one_http_stream_rst.pcap"), filepath.Join(dir, "retransmit-fast009.pcap"), filepath.Join(dir, "gnutella.pcap")}
	ix, st, ok := OpenBoth(t, set)
	if !ok {
		t.Fatal("set not readable")
	}
	if got := len(ix.Files()); got != 3 {
		t.Fatalf("index lists %d files, want 3", got)
	}
	compareStores(t, "set", ix, st, keptStores(t, set))
}
