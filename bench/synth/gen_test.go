package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/bench/internal/modroot"
)

var update = flag.Bool("update", false, "rewrite the tshark golden files (needs tshark)")

// genBytes returns the capture and truth bytes for cfg.
func genBytes(t testing.TB, cfg Config, format string) (capture, truth []byte) {
	var cb, tb bytes.Buffer
	generate(t, cfg, format, &cb, &tb)
	return cb.Bytes(), tb.Bytes()
}

// generate runs the generator for cfg, writing the capture in format to capture and its
// ground truth to truth, as pcapgen does.
func generate(t testing.TB, cfg Config, format string, capture, truth io.Writer) {
	t.Helper()
	sink, err := NewFileSink(capture, format)
	if err != nil {
		t.Fatal(err)
	}
	tw := NewTruthWriter(truth, cfg.Seed, format)
	cfg.OnFlow = tw.Flow
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tot, err := Run(g, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(tot); err != nil {
		t.Fatal(err)
	}
}

func hash(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:8]) }

func TestDeterministic(t *testing.T) {
	for _, format := range []string{FormatPcap, FormatPcapng} {
		cfg := Config{Seed: 42, Packets: 20000}
		c1, t1 := genBytes(t, cfg, format)
		c2, t2 := genBytes(t, cfg, format)
		if !bytes.Equal(c1, c2) || !bytes.Equal(t1, t2) {
			t.Errorf("%s: same seed, different output: %s/%s vs %s/%s", format, hash(c1), hash(t1), hash(c2), hash(t2))
		}
		c3, _ := genBytes(t, Config{Seed: 43, Packets: 20000}, format)
		if bytes.Equal(c1, c3) {
			t.Errorf("%s: seeds 42 and 43 gave the same bytes", format)
		}
	}
}

// TestTimestampsAndCounts reads nothing back but checks the invariants the generator owes:
// timestamps never go back, the exact packet count is honoured, flows and totals agree.
func TestTimestampsAndCounts(t *testing.T) {
	var flows []FlowTruth
	cfg := Config{Seed: 3, Packets: 50000, OnFlow: func(f *FlowTruth) error { flows = append(flows, *f); return nil }}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	last := int64(0)
	var n int64
	for {
		ts, frame, ok := g.Next()
		if !ok {
			break
		}
		if ts < last {
			t.Fatalf("packet %d: ts %d < previous %d", n+1, ts, last)
		}
		if ts%1000 != 0 {
			t.Fatalf("packet %d: ts %d not whole microseconds", n+1, ts)
		}
		if len(frame) < 54 || len(frame) > 1522 {
			t.Fatalf("packet %d: frame length %d", n+1, len(frame))
		}
		last = ts
		n++
	}
	tot := g.Totals()
	if n != 50000 || tot.Packets != 50000 {
		t.Fatalf("wrote %d packets, totals say %d, want 50000", n, tot.Packets)
	}
	var sum uint64
	states := map[string]int64{}
	for _, f := range flows {
		sum += f.Orig.Packets + f.Resp.Packets
		states[f.ConnState]++
	}
	if int64(sum) != n || int64(len(flows)) != tot.Flows {
		t.Errorf("flows hold %d packets in %d flows; totals %d packets %d flows", sum, len(flows), n, tot.Flows)
	}
	if tot.IPv4+tot.IPv6 != n || tot.TCP+tot.UDP+tot.ICMP != n {
		t.Errorf("totals do not add up: %+v", tot)
	}
	for _, s := range []string{"SF", "S0", "REJ", "RSTO", "RSTR", "S1"} {
		if states[s] == 0 {
			t.Errorf("no flow in state %s: %v", s, states)
		}
	}
	if tot.VLANFrames == 0 || tot.IPv6 == 0 || tot.UDP == 0 || tot.ICMP == 0 {
		t.Errorf("mix lacks a feature: %+v", tot)
	}
}

// TestChecksums verifies the IPv4 header and TCP/UDP/ICMP checksums of every frame by
// summing over the received bytes (a correct checksum sums to 0xffff).
func TestChecksums(t *testing.T) {
	g, err := New(Config{Seed: 5, Packets: 20000})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; ; i++ {
		_, fr, ok := g.Next()
		if !ok {
			break
		}
		off := 12
		et := uint16(fr[off])<<8 | uint16(fr[off+1])
		if et == etherVLAN {
			off += 4
			et = uint16(fr[off])<<8 | uint16(fr[off+1])
		}
		ip := fr[off+2:]
		var l4 []byte
		var pseudo uint64
		var proto uint8
		if et == etherIPv4 {
			if fold(sum16(ip[:20])) != 0 {
				t.Fatalf("frame %d: bad IPv4 header checksum", i)
			}
			proto = ip[9]
			l4 = ip[20:]
			pseudo = sum16(ip[12:20]) + uint64(proto) + uint64(len(l4))
		} else {
			proto = ip[6]
			l4 = ip[40:]
			pseudo = sum16(ip[8:40]) + uint64(proto) + uint64(len(l4))
		}
		if proto == protoICMP {
			pseudo = 0
		}
		if fold(pseudo+sum16(l4)) != 0 {
			t.Fatalf("frame %d: bad proto %d checksum", i, proto)
		}
	}
}

// TestMemoryBounded generates 200k small flows and checks the live heap stays small:
// only open flows are kept, however many have been written.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	g, err := New(Config{Seed: 9, Flows: 200000, TargetBytes: 200000 * 800})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	var peak uint64
	var n int
	for {
		_, _, ok := g.Next()
		if !ok {
			break
		}
		n++
		if n%200000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	tot := g.Totals()
	t.Logf("%d packets, %d flows, peak heap in use %.1f MB, open flows at most %d", n, tot.Flows, float64(peak)/1e6, len(g.free))
	if tot.Flows != 200000 {
		t.Errorf("flows = %d, want 200000", tot.Flows)
	}
	if peak > 64<<20 {
		t.Errorf("peak heap %d MB > 64 MB", peak>>20)
	}
}

// sampleConfigs are the committed captures in testdata/ and the configs that made them
// (testdata/README.md gives the equivalent pcapgen commands).
var sampleConfigs = []struct {
	name, format string
	cfg          Config
}{
	{"sample.pcapng", FormatPcapng, Config{Seed: 1, Flows: 400, TargetBytes: 500e3}},
	{"sample.pcap", FormatPcap, Config{Seed: 1, Flows: 400, TargetBytes: 500e3}},
}

// TestTestdataReproducible regenerates the committed captures and truth files and
// compares them byte for byte.
func TestTestdataReproducible(t *testing.T) {
	root := modroot.Dir(t)
	for _, s := range sampleConfigs {
		c, tr := genBytes(t, s.cfg, s.format)
		for _, f := range []struct {
			path string
			want []byte
		}{{s.name, c}, {s.name + ".truth.json", tr}} {
			got, err := os.ReadFile(filepath.Join(root, "testdata", f.path))
			if errors.Is(err, os.ErrNotExist) {
				t.Errorf("testdata/%s missing: see testdata/README.md", f.path)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, f.want) {
				t.Errorf("testdata/%s (%s) differs from a regeneration (%s): regenerate it, see testdata/README.md", f.path, hash(got), hash(f.want))
			}
		}
	}
}

// TestGoldenTshark compares the ground truth of each committed capture with tshark's
// answers for it, kept in testdata/tshark/ (written by TestTsharkGoldenCurrent -update).
// It needs no tshark.
func TestGoldenTshark(t *testing.T) {
	root := modroot.Dir(t)
	for _, s := range sampleConfigs {
		tr, err := ReadTruthFile(filepath.Join(root, "testdata", s.name+".truth.json"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("testdata", "tshark", s.name+".tsv"))
		if err != nil {
			t.Fatal(err)
		}
		golden := strings.Split(strings.TrimRight(string(b), "\n"), "\n")[1:] // header
		diffLines(t, s.name, truthSummary(tr), golden)
	}
}

// TestTsharkGoldenCurrent checks the golden files are what tshark says today (or, with
// -update, rewrites them).
func TestTsharkGoldenCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: tshark runs skipped")
	}
	if _, err := execLookPath("tshark"); err != nil {
		t.Skip("tshark not installed: golden files not re-checked")
	}
	root := modroot.Dir(t)
	for _, s := range sampleConfigs {
		lines := tsharkSummary(t, filepath.Join(root, "testdata", s.name))
		path := filepath.Join("testdata", "tshark", s.name+".tsv")
		text := summaryHeader + "\n" + strings.Join(lines, "\n") + "\n"
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != text {
			diffLines(t, s.name+" golden vs tshark", strings.Split(strings.TrimRight(string(b), "\n"), "\n")[1:], lines)
		}
	}
}

// TestNoAllocsPerPacket pins the hot path: building and returning a frame allocates
// nothing (flows come from a free list; only new flows beyond the peak allocate).
func TestNoAllocsPerPacket(t *testing.T) {
	g, err := New(Config{Seed: 11, Flows: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200000; i++ { // reach a steady number of open flows
		g.Next()
	}
	if a := testing.AllocsPerRun(20000, func() { g.Next() }); a != 0 {
		t.Errorf("%v allocations per packet, want 0", a)
	}
}
