package flowhash

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/pcapng"
)

// corpusDir finds the shared corpus (internal/testcorpus), skipping when it is absent.
func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

type manifestRow map[string]string

func (m manifestRow) int(t testing.TB, col string) int {
	v, err := strconv.Atoi(m[col])
	if err != nil {
		t.Fatalf("manifest %s: column %s = %q: %v", m["file"], col, m[col], err)
	}
	return v
}

func readManifest(t testing.TB, _ string) []manifestRow {
	t.Helper()
	var rows []manifestRow
	for _, r := range testcorpus.Manifest(t) {
		rows = append(rows, manifestRow(r))
	}
	return rows
}

// runFile processes one corpus file. A file the reader rejects gives an empty result.
func runFile(t testing.TB, path string, opt Options) *Result {
	t.Helper()
	r, err := pcapng.Open(path, pcapng.Options{})
	if err != nil {
		return &Result{}
	}
	defer r.Close()
	res, _ := Process(r, opt)
	return res
}

// convRows renders a result's TCP/UDP conversations like the golden .conv files:
// proto addrA portA addrB portB frames_A_to_B frames_B_to_A, with A the smaller endpoint as
// tshark prints it (its first-seen source). Rows are keyed without direction so the order
// tshark picked for A and B does not matter.
func convRows(res *Result) map[string][2]uint64 {
	out := map[string][2]uint64{}
	for i := range res.Flows {
		f := &res.Flows[i]
		if !f.HasL4 || (f.Key.Proto != fastparse.ProtoTCP && f.Key.Proto != fastparse.ProtoUDP) {
			continue
		}
		proto := "tcp"
		if f.Key.Proto == fastparse.ProtoUDP {
			proto = "udp"
		}
		id := fmt.Sprintf("%s %s %d %s %d", proto, f.Key.Addr(DirAB), f.Key.PortA, f.Key.Addr(DirBA), f.Key.PortB)
		c := out[id]
		ab, ba := f.OrigPkts, f.RespPkts
		if f.Orig == DirBA {
			ab, ba = ba, ab
		}
		c[0] += ab
		c[1] += ba
		out[id] = c
	}
	return out
}

func readGoldenConv(t testing.TB, name string) map[string][2]uint64 {
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".conv"))
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	out := map[string][2]uint64{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		c := strings.Fields(line)
		if len(c) != 7 {
			continue
		}
		ab, _ := strconv.ParseUint(c[5], 10, 64)
		ba, _ := strconv.ParseUint(c[6], 10, 64)
		// Normalise to the Key order (smaller endpoint first).
		id := c[0] + " " + c[1] + " " + c[2] + " " + c[3] + " " + c[4]
		pa, _ := strconv.Atoi(c[2])
		pb, _ := strconv.Atoi(c[4])
		if !endpointStrLess(c[1], pa, c[3], pb) {
			id = c[0] + " " + c[3] + " " + c[4] + " " + c[1] + " " + c[2]
			ab, ba = ba, ab
		}
		v := out[id]
		out[id] = [2]uint64{v[0] + ab, v[1] + ba}
	}
	return out
}

func endpointStrLess(a string, pa int, b string, pb int) bool {
	var ka, kb Key
	aa, err1 := parseAddr(a)
	bb, err2 := parseAddr(b)
	if err1 != nil || err2 != nil {
		return a < b
	}
	ka.A, kb.A = aa, bb
	return endpointLess(&ka.A, uint16(pa), &kb.A, uint16(pb))
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
