package query_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/pcapng"
	. "github.com/pcapdex/pcapdex/query"
)

// tcpdumpGolden is one line of testdata/tcpdump-frames.tsv (made by tcpdump_frames.py): the
// frames tcpdump -r CAPTURE FILTER prints.
type tcpdumpGolden struct {
	capture, filter string
	frames          []int64 // nil for "-"
	tcpdumpErr      bool    // tcpdump rejected the filter for this link type
}

func readTcpdumpGoldens(t *testing.T) []tcpdumpGolden {
	return readFrameGoldens(t, "tcpdump-frames.tsv")
}

// readFrameGoldens reads a file of capture TAB filter TAB frame ranges.
func readFrameGoldens(t *testing.T, name string) []tcpdumpGolden {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tcpdumpGolden
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		g := tcpdumpGolden{capture: parts[0], filter: parts[1]}
		switch parts[2] {
		case "error":
			g.tcpdumpErr = true
		case "-":
		default:
			for _, r := range strings.Split(parts[2], ",") {
				a, b, isRange := strings.Cut(r, "-")
				lo, err1 := strconv.ParseInt(a, 10, 64)
				hi := lo
				var err2 error
				if isRange {
					hi, err2 = strconv.ParseInt(b, 10, 64)
				}
				if err1 != nil || err2 != nil {
					t.Fatalf("bad range %q", r)
				}
				for n := lo; n <= hi; n++ {
					g.frames = append(g.frames, n)
				}
			}
		}
		out = append(out, g)
	}
	return out
}

// TestTcpdumpFilters: for every filter and capture of the goldens, the packets pcapdex lists
// and extracts are exactly the frames tcpdump prints.
func TestTcpdumpFilters(t *testing.T) {
	testFrameGoldens(t, readTcpdumpGoldens(t), 60, 8, CompileFilter)
}

// TestDisplayFilters: Wireshark display filters select the frames tshark -Y selects.
func TestDisplayFilters(t *testing.T) {
	testFrameGoldens(t, readFrameGoldens(t, "tshark-display-frames.tsv"), 30, 8, CompileDisplayFilter)
}

// displayKnownDiffs are the display filters whose frames differ from tshark's on purpose or
// for a reason not yet handled, with the reason.
var displayKnownDiffs = map[[2]string]string{
	// tshark reassembles IP fragments and shows UDP on the last fragment; pcapdex decodes
	// packets one by one and sees UDP on the first.
	{"ip4_fragments.pcap", "udp.stream == 0"}:  "IP reassembly",
	{"ip4_fragments.pcap", "udp.length > 100"}: "IP reassembly",
	// tshark scales the window of flow 4 (whose SYN-ACK was not captured) by the SYN's
	// shift; pcapdex leaves it unscaled. Not yet examined further.
	{"raw_ip.pcap", "tcp.window_size < 1000"}: "window scaling of a flow without a captured SYN-ACK",
}

func testFrameGoldens(t *testing.T, goldens []tcpdumpGolden, minFilters, minCaptures int, compile func(string) (*Plan, error)) {
	dir := testcorpus.Dir(t)
	tmp := t.TempDir()
	inputs := map[string]*Input{}
	defer func() {
		for _, in := range inputs {
			in.Close()
		}
	}()
	filters, captures, compared := map[string]bool{}, map[string]bool{}, 0
	for _, g := range goldens {
		if g.tcpdumpErr {
			continue
		}
		in := inputs[g.capture]
		if in == nil {
			var err error
			in, err = Open([]string{filepath.Join(dir, g.capture)}, OpenOptions{IndexPath: filepath.Join(tmp, g.capture+".pcapdex")})
			if err != nil {
				t.Fatalf("%s: %v", g.capture, err)
			}
			inputs[g.capture] = in
		}
		plan, err := compile(g.filter)
		if err != nil {
			t.Errorf("%s: %q: %v", g.capture, g.filter, err)
			continue
		}
		sel, err := in.Select(plan, NoSince, NoUntil)
		if err != nil {
			t.Errorf("%s: %q: %v", g.capture, g.filter, err)
			continue
		}
		fsel, err := in.SelectFlows(plan, NoSince, NoUntil)
		if err != nil {
			t.Fatalf("%s: %q: %v", g.capture, g.filter, err)
		}
		if (fsel.Rows == nil) != (sel.Rows == nil) || sel.Rows != nil && !fsel.Rows.Equals(sel.Rows) {
			t.Errorf("%s: %q: SelectFlows chose other flows than Select", g.capture, g.filter)
		}
		var got []int64
		for p, err := range Packets(in.Store, sel, PacketsOptions{}) {
			if err != nil {
				t.Fatalf("%s: %q: %v", g.capture, g.filter, err)
			}
			got = append(got, p.Frame)
		}
		if !sameFrames(got, g.frames) {
			if why, ok := displayKnownDiffs[[2]string{g.capture, g.filter}]; ok {
				t.Logf("%s: %q differs from tshark (known: %s)", g.capture, g.filter, why)
				continue
			}
			t.Errorf("%s: packets %q: %d frames %s, want %d %s", g.capture, g.filter, len(got), head(got), len(g.frames), head(g.frames))
			continue
		}
		var buf bytes.Buffer
		st, err := Extract(in.Store, sel, ExtractOptions{}, &buf)
		if err != nil {
			t.Fatalf("%s: extract %q: %v", g.capture, g.filter, err)
		}
		if st.Packets != int64(len(g.frames)) {
			t.Errorf("%s: extract %q: %d packets, want %d", g.capture, g.filter, st.Packets, len(g.frames))
		}
		if n := countRecords(t, buf.Bytes()); n != len(g.frames) {
			t.Errorf("%s: extract %q wrote %d records, want %d", g.capture, g.filter, n, len(g.frames))
		}
		filters[g.filter] = true
		captures[g.capture] = true
		compared++
	}
	t.Logf("%d filters on %d captures: %d comparisons equal the tool's frames", len(filters), len(captures), compared)
	if len(filters) < minFilters || len(captures) < minCaptures {
		t.Errorf("%d filters on %d captures, want at least %d on %d", len(filters), len(captures), minFilters, minCaptures)
	}
}

// TestTcpdumpFiltersNoIndex: a packet filter selects the same frames when the captures are
// read in one pass (--no-index) as from the index.
func TestTcpdumpFiltersNoIndex(t *testing.T) {
	dir := testcorpus.Dir(t)
	n := 0
	for _, g := range readTcpdumpGoldens(t) {
		if g.tcpdumpErr || g.capture != "example.pcap" && g.capture != "VlanPackets.pcap" {
			continue
		}
		in, err := Open([]string{filepath.Join(dir, g.capture)}, OpenOptions{NoIndex: true, Keep: StreamKeepAll})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := CompileFilter(g.filter)
		if err != nil {
			t.Fatal(err)
		}
		sel, err := in.Select(plan, NoSince, NoUntil)
		if err != nil {
			t.Fatalf("%s %q: %v", g.capture, g.filter, err)
		}
		var got []int64
		for p, err := range Packets(in.Store, sel, PacketsOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Frame)
		}
		in.Close()
		if !sameFrames(got, g.frames) {
			if why, ok := displayKnownDiffs[[2]string{g.capture, g.filter}]; ok {
				t.Logf("%s: %q differs from tshark (known: %s)", g.capture, g.filter, why)
				continue
			}
			t.Errorf("%s --no-index: %q: %d frames, tcpdump %d", g.capture, g.filter, len(got), len(g.frames))
		}
		n++
	}
	if n < 100 {
		t.Errorf("only %d comparisons", n)
	}
}

// TestTCPStreamEqualsWireshark: the tcp.stream number pcapdex gives each TCP packet (its
// flow's rank among the TCP flows) equals tshark's on every corpus capture it reads.
func TestTCPStreamEqualsWireshark(t *testing.T) {
	dir := testcorpus.Dir(t)
	f, err := os.ReadFile(filepath.Join("testdata", "tshark-tcp-stream.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	ncap := 0
	for _, line := range strings.Split(strings.TrimSpace(string(f)), "\n") {
		capture, runs, _ := strings.Cut(line, "\t")
		want := map[int64]int64{}
		if runs != "-" {
			for _, r := range strings.Split(runs, ",") {
				fr, s, _ := strings.Cut(r, ":")
				a, b, isRange := strings.Cut(fr, "-")
				lo, _ := strconv.ParseInt(a, 10, 64)
				hi := lo
				if isRange {
					hi, _ = strconv.ParseInt(b, 10, 64)
				}
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					t.Fatalf("%s: bad run %q", capture, r)
				}
				for x := lo; x <= hi; x++ {
					want[x] = n
				}
			}
		}
		in, err := Open([]string{filepath.Join(dir, capture)}, OpenOptions{IndexPath: filepath.Join(tmp, capture+".pcapdex")})
		if err != nil {
			t.Logf("%s: %v", capture, err)
			continue
		}
		plan, err := CompileDisplayFilter("tcp.stream")
		if err != nil {
			t.Fatal(err)
		}
		sel, err := in.Select(plan, NoSince, NoUntil)
		if err != nil {
			t.Fatal(err)
		}
		tcp, _, err := StreamNumbers(in.Store)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]int64{}
		for p, err := range Packets(in.Store, sel, PacketsOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			if p.Flow > 0 && int(p.Flow) <= len(tcp) {
				got[p.Frame] = int64(tcp[p.Flow-1])
			}
		}
		in.Close()
		if capture == "frag-ip-tcp-syn.pcap" {
			// tshark reassembles the fragments and shows TCP on the last one (frame 3),
			// pcapdex on the first.
			delete(want, 3)
			delete(got, 1)
		}
		bad := 0
		for fr, s := range want {
			if g, ok := got[fr]; !ok || g != s {
				if bad < 3 {
					t.Errorf("%s: frame %d: tcp.stream %d (present %v), tshark %d", capture, fr, g, ok, s)
				}
				bad++
			}
		}
		for fr, g := range got {
			if _, ok := want[fr]; !ok {
				if bad < 3 {
					t.Errorf("%s: frame %d: tcp.stream %d, tshark has none", capture, fr, g)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d frames differ", capture, bad)
		}
		ncap++
	}
	t.Logf("tcp.stream equals tshark's on %d captures", ncap)
}

func countRecords(t *testing.T, b []byte) int {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := pcapng.Open(f, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	var p pcapng.Packet
	for r.Next(&p) == nil {
		n++
	}
	return n
}

func sameFrames(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func head(f []int64) string {
	if len(f) > 12 {
		f = f[:12]
	}
	var b strings.Builder
	for i, x := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(x, 10))
	}
	return "[" + b.String() + "]"
}
