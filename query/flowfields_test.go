package query

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

func TestSetFlow(t *testing.T) {
	var k flowhash.Key
	copy(k.A[:], []byte{10, 0, 0, 5})
	copy(k.B[:], []byte{192, 168, 1, 1})
	k.PortA, k.PortB, k.Proto, k.IPVersion = 443, 51000, 6, 4
	f := flowhash.Flow{
		Key: k, Orig: flowhash.DirBA, FirstTS: 1e9, LastTS: 3.5e9,
		OrigPkts: 3, RespPkts: 4, OrigBytes: 100, RespBytes: 2000, OrigIPBytes: 220, RespIPBytes: 2160,
		HasL4: true, ConnState: flowhash.StateRSTO, HistLen: 4, Hist: [flowhash.MaxHistory]byte{'S', 'h', 'A', 'R'},
	}
	f.TCP.SynRTT = 25e6
	f.TCP.Retransmissions, f.TCP.DupAcks, f.TCP.ZeroWindows, f.TCP.OutOfOrder = 1, 2, 3, 4
	var ff FlowFields
	ff.SetFlow(&f)
	want := FlowFields{
		Src: netip.MustParseAddr("192.168.1.1"), Dst: netip.MustParseAddr("10.0.0.5"),
		SrcPort: 51000, DstPort: 443, Proto: 6, VLAN: -1, State: "RSTO", Flags: filter.FlagSYN | filter.FlagRST, Start: 1e9, End: 3.5e9,
		OrigIPBytes: 220, RespIPBytes: 2160, OrigBytes: 100, RespBytes: 2000, OrigPkts: 3, RespPkts: 4,
		Duration: 2.5e9, SynRTT: 25e6, Retransmissions: 1, DupAcks: 2, ZeroWindows: 3, OutOfOrder: 4,
	}
	if ff != want {
		t.Fatalf("SetFlow:\n got %+v\nwant %+v", ff, want)
	}
	if n := testing.AllocsPerRun(100, func() { ff.SetFlow(&f) }); n != 0 {
		t.Fatalf("SetFlow: %v allocs", n)
	}
	// ICMP: type and code are not ports; IPv6 addresses stay IPv6; no handshake, no syn_rtt.
	k = flowhash.Key{PortA: 8, PortB: 0, Proto: 58, IPVersion: 6}
	k.A[0], k.A[1], k.A[15] = 0x20, 0x01, 1
	f = flowhash.Flow{Key: k, HasL4: true, ConnState: flowhash.StateS0}
	ff.SetFlow(&f)
	if ff.SrcPort != 0 || ff.DstPort != 0 || ff.Src != netip.MustParseAddr("2001::1") || ff.SynRTT != -1 || ff.State != "S0" || ff.Flags != 0 {
		t.Fatalf("ICMPv6 flow: %+v", ff)
	}
}

// TestCorpusFlows runs filters over the flows of real captures: the bitmap plan agrees with
// the row evaluator, the flows "retransmissions" selects hold every retransmission, and
// the protocol filters partition the flows.
func TestCorpusFlows(t *testing.T) {
	dir := corpusDir(t)
	filters := []string{
		"tcp", "udp", "not tcp and not udp", "retransmissions", "syn_rtt > 1ms", "not syn_rtt > 1ms",
		"state == SF", "state == S0 or state == REJ", "port 80 or 443", "dst portrange 1-1023",
		"bytes > 10KB and duration > 1s", "syn and not fin", "rst", "ip6", "net 10.0.0.0/8",
		"pkts >= 10 and (dup_acks or out_of_order)",
	}
	for _, name := range []string{"example.pcap", "many-protocols.pcap", "206_example_b.pcap"} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s: absent, skipped", name)
			continue
		}
		r, err := pcapng.Open(path, pcapng.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := flowhash.Process(r, flowhash.Options{})
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		flows := make([]FlowFields, len(res.Flows))
		var retrans uint64
		for i := range res.Flows {
			flows[i].SetFlow(&res.Flows[i])
			retrans += flows[i].Retransmissions
		}
		set := NewFlowSet(flows, 64)
		counts := map[string]uint64{}
		for _, fs := range filters {
			n, err := filter.Parse(fs)
			if err != nil {
				t.Fatalf("%q: %v", fs, err)
			}
			p, _ := CompileFlows(n)
			got, err := p.Eval(set)
			if err != nil {
				t.Fatal(err)
			}
			var want []uint32
			var sum uint64
			for i := range flows {
				if p.MatchFlow(&flows[i]) {
					want = append(want, uint32(i))
					sum += flows[i].Retransmissions
				}
			}
			if !slices.Equal(got.ToArray(), want) {
				t.Fatalf("%s %q: bitmap and rows differ", name, fs)
			}
			counts[fs] = got.GetCardinality()
			if fs == "retransmissions" && sum != retrans {
				t.Fatalf("%s: flows matching retransmissions hold %d of %d", name, sum, retrans)
			}
		}
		total := uint64(len(flows))
		if counts["tcp"]+counts["udp"]+counts["not tcp and not udp"] != total ||
			counts["syn_rtt > 1ms"]+counts["not syn_rtt > 1ms"] != total || counts["tcp"] == 0 {
			t.Fatalf("%s: counts %v of %d flows", name, counts, total)
		}
		// tshark's conversation counts (MANIFEST.tsv) for these files equal the flows that
		// "tcp" and "udp" select.
		m := manifest(t, dir, name)
		if fmt.Sprint(counts["tcp"]) != m["tcp_conversations"] || fmt.Sprint(counts["udp"]) != m["udp_conversations"] {
			t.Fatalf("%s: tcp %d udp %d flows; tshark has %s and %s conversations", name, counts["tcp"], counts["udp"], m["tcp_conversations"], m["udp_conversations"])
		}
		t.Logf("%s: %d flows, %d retransmissions; %v", name, total, retrans, counts)
	}
}

// manifest returns the MANIFEST.tsv row of file, by column name.
func manifest(t testing.TB, dir, file string) map[string]string {
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	head := strings.Split(lines[0], "\t")
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if f[0] == file && len(f) == len(head) {
			m := map[string]string{}
			for i, h := range head {
				m[h] = f[i]
			}
			return m
		}
	}
	t.Fatalf("MANIFEST.tsv has no row for %s", file)
	return nil
}

// corpusDir finds ../shared/corpus beside the directory holding go.mod.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("corpus: no go.mod above the package directory")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err != nil {
		t.Skip("corpus: ../shared/corpus/MANIFEST.tsv not found; skipping corpus tests")
	}
	return c
}
