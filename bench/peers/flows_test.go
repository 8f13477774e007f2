package peers

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/bench/internal/modroot"
	"github.com/pcapdex/pcapdex/bench/synth"
)

// TestCountFlowsMatchesTruth checks the baseline against the generator's ground truth on
// the committed samples: every flow's packets and frame bytes, and the totals.
func TestCountFlowsMatchesTruth(t *testing.T) {
	root := modroot.Dir(t)
	for _, name := range []string{"sample.pcap", "sample.pcapng"} {
		t.Run(name, func(t *testing.T) {
			res, err := CountFlowsFile(filepath.Join(root, "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			tr, err := synth.ReadTruthFile(filepath.Join(root, "testdata", name+".truth.json"))
			if err != nil {
				t.Fatal(err)
			}
			if res.Packets != uint64(tr.Totals.Packets) || res.Bytes != uint64(tr.Totals.FrameBytes) || res.NonIP != 0 || res.Truncated != 0 {
				t.Fatalf("packets %d bytes %d nonIP %d truncated %d; truth packets %d bytes %d",
					res.Packets, res.Bytes, res.NonIP, res.Truncated, tr.Totals.Packets, tr.Totals.FrameBytes)
			}
			matched := 0
			for _, f := range tr.Flows {
				if f.Proto == "icmp" {
					continue // ICMP flows are keyed by echo id in the truth; the baseline has no id
				}
				src, dst := netip.MustParseAddr(f.Src), netip.MustParseAddr(f.Dst)
				k := FlowKey{PortA: f.SrcPort, PortB: f.DstPort, V6: src.Is6(), Proto: 6}
				if f.Proto == "udp" {
					k.Proto = 17
				}
				a, b := src.As16(), dst.As16()
				if src.Is4() {
					a4, b4 := src.As4(), dst.As4()
					a, b = [16]byte{}, [16]byte{}
					copy(a[:], a4[:])
					copy(b[:], b4[:])
				}
				k.A, k.B = a, b
				if compareEndpoint(&k.A, k.PortA, &k.B, k.PortB) > 0 {
					k.A, k.B, k.PortA, k.PortB = k.B, k.A, k.PortB, k.PortA
				}
				fc := res.Flows[k]
				if fc == nil {
					t.Errorf("flow %d %s %s:%d-%s:%d missing", f.ID, f.Proto, f.Src, f.SrcPort, f.Dst, f.DstPort)
					continue
				}
				l2 := uint64(14)
				if f.VLAN != 0 {
					l2 = 18
				}
				pk := f.Orig.Packets + f.Resp.Packets
				by := f.Orig.IPBytes + f.Resp.IPBytes + pk*l2
				if fc.Packets != pk || fc.Bytes != by {
					t.Errorf("flow %d: baseline %d packets %d bytes, truth %d, %d", f.ID, fc.Packets, fc.Bytes, pk, by)
				}
				matched++
			}
			tcpudp := int(tr.Totals.TCPConvs + tr.Totals.UDPConvs)
			if matched != tcpudp {
				t.Errorf("matched %d TCP/UDP flows, truth has %d", matched, tcpudp)
			}
		})
	}
}

// BenchmarkCountFlows measures the baseline on the committed pcap sample.
func BenchmarkCountFlows(b *testing.B) {
	path := filepath.Join("..", "..", "testdata", "sample.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := CountFlows(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
