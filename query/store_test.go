package query

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

// corpusCaptures lists the capture files of the corpus.
func corpusCaptures(t testing.TB) []string {
	dir := corpusDir(t)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.Contains(n, ".pcap") && e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, n))
		}
	}
	if len(out) < 10 {
		t.Fatalf("corpus: only %d captures in %s", len(out), dir)
	}
	return out
}

// openBoth indexes paths (one set) into a temporary index and opens it, and reads the same
// captures in one streaming pass. ok is false when neither could read the captures.
func openBoth(t testing.TB, paths []string) (ix *IndexStore, st *StreamStore, ok bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "x.pcapdex")
	_, berr := index.BuildFiles(out, paths, index.BuildOptions{})
	st, serr := NewStreamStore(paths, false)
	if berr != nil || serr != nil {
		if (berr == nil) != (serr == nil) && !(serr == nil && st.NumPackets() == 0) {
			t.Fatalf("%v: index build error %v, stream error %v", paths, berr, serr)
		}
		return nil, nil, false
	}
	r, err := index.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ix, err = NewIndexStore(r)
	if err != nil {
		t.Fatal(err)
	}
	return ix, st, true
}

// queryCase is one command run: a name and a function writing its output.
type queryCase struct {
	name string
	run  func(s Store, sel Selection, w *bytes.Buffer) error
}

func allCommands(out Options) []queryCase {
	return []queryCase{
		{"flows", func(s Store, sel Selection, w *bytes.Buffer) error { return WriteFlows(s, sel, FlowsOptions{}, w, out) }},
		{"flows-limit", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteFlows(s, sel, FlowsOptions{Limit: 3}, w, out)
		}},
		{"flows-bytes", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteFlows(s, sel, FlowsOptions{Sort: "bytes", Limit: 5}, w, out)
		}},
		{"packets", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WritePackets(s, sel, PacketsOptions{}, w, out)
		}},
		{"timeline-1s", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteTimeline(s, sel, TimelineOptions{Bucket: 1e9}, w, out)
		}},
		{"timeline-start", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteTimeline(s, sel, TimelineOptions{Bucket: 1e9, Align: AlignStart}, w, out)
		}},
		{"gaps", func(s Store, sel Selection, w *bytes.Buffer) error { return WriteGaps(s, sel, 1e8, w, out) }},
		{"top-host", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteTop(s, sel, TopOptions{By: "host", Metric: "bytes", N: 10}, w, out)
		}},
		{"top-port", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteTop(s, sel, TopOptions{By: "port", Metric: "packets"}, w, out)
		}},
		{"top-pair", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteTop(s, sel, TopOptions{By: "pair", Metric: "bytes"}, w, out)
		}},
		{"sizes", func(s Store, sel Selection, w *bytes.Buffer) error { return WriteSizes(s, sel, false, w, out) }},
		{"sizes-hist", func(s Store, sel Selection, w *bytes.Buffer) error { return WriteSizes(s, sel, true, w, out) }},
		{"events", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteEvents(s, sel, EventsOptions{}, w, out)
		}},
		{"concurrent-rst", func(s Store, sel Selection, w *bytes.Buffer) error {
			return WriteConcurrent(s, sel, ConcurrentOptions{}, w, out)
		}},
		{"concurrent-at", func(s Store, sel Selection, w *bytes.Buffer) error {
			first, last := s.Span()
			return WriteConcurrent(s, sel, ConcurrentOptions{HasAt: true, At: first + (last-first)/2}, w, out)
		}},
		{"extract", func(s Store, sel Selection, w *bytes.Buffer) error {
			_, err := Extract(s, sel, ExtractOptions{Pcapng: true, Annotate: true, Filter: "x"}, w)
			return err
		}},
	}
}

var equalFilters = []string{"", "tcp", "udp or icmp", "port 443 or port 80", "rst", "retransmissions > 0 or dup_acks > 0", "not tcp", "vlan", "syn_rtt > 1ms"}

// keptStores reads paths once per distinct StreamKeepFor of the commands and returns, for
// a command name of allCommands ("top-host": top), the store built for it.
func keptStores(t testing.TB, paths []string) func(command string) *StreamStore {
	t.Helper()
	built := map[StreamKeep]*StreamStore{}
	for _, c := range allCommands(Options{}) {
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
	out := Options{Format: FormatJSONL, Start: a0}
	for _, f := range equalFilters {
		plan, err := Compile(filter.MustParse(f))
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
					t.Errorf("%s %s %q window %v: index and stream differ:\n%s", name, c.name, f, win, firstDiff(wa.String(), wb.String()))
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
					t.Errorf("%s %s %q window %v: index and stream kept %+v differ:\n%s", name, c.name, f, win, sk.Keep(), firstDiff(wa.String(), wc.String()))
				}
			}
		}
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			j := 0
			for j < len(x) && j < len(y) && x[j] == y[j] {
				j++
			}
			j = max(j-80, 0)
			return fmt.Sprintf("line %d, from byte %d:\nindex:  %.300s\nstream: %.300s", i+1, j, x[min(j, len(x)):], y[min(j, len(y)):])
		}
	}
	return "(equal)"
}

// TestIndexEqualsStream: every command gives byte-identical output from the index and
// from one streaming pass, keeping everything or only what the command reads
// (StreamKeepFor), for every corpus file and several filters and windows.
func TestIndexEqualsStream(t *testing.T) {
	for _, p := range corpusCaptures(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			ix, st, ok := openBoth(t, []string{p})
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
	dir := corpusDir(t)
	set := []string{filepath.Join(dir, "one_http_stream_rst.pcap"), filepath.Join(dir, "retransmit-fast009.pcap"), filepath.Join(dir, "gnutella.pcap")}
	ix, st, ok := openBoth(t, set)
	if !ok {
		t.Fatal("set not readable")
	}
	if got := len(ix.Files()); got != 3 {
		t.Fatalf("index lists %d files, want 3", got)
	}
	compareStores(t, "set", ix, st, keptStores(t, set))
}
