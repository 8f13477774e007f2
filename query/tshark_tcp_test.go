package query

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
)

// TestTsharkTCPPackets checks what `pcapdex packets` prints for every TCP packet against
// tshark's per-packet fields (testdata/tshark/NAME.tcp.txt, made by make.sh): TCP flags,
// relative sequence and acknowledgement numbers, payload length and the calculated
// (scaled) window, from the index and from the streaming store. tshark prints ack 0 on a
// segment without ACK; pcapdex has no ack there, so ack is compared only when ACK is set.
func TestTsharkTCPPackets(t *testing.T) {
	for _, tc := range tsharkCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			want := parseTsharkTCP(t, golden(t, tc.name+".tcp.txt"))
			stream, err := NewStreamStore([]string{tc.file}, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range []struct {
				name string
				s    Store
			}{{"stream", stream}, {"index", openIndexStore(t, tc.file)}} {
				got := map[int64]PacketRow{}
				err := st.s.Packets(nil, math.MinInt64, math.MaxInt64, NeedTCP, func(p *PacketRow) error {
					if p.Flags != 0 {
						got[p.Frame] = *p
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				bad := 0
				for _, w := range want {
					g, ok := got[w.frame]
					if !ok {
						t.Errorf("%s: frame %d: tshark shows a TCP header, pcapdex no TCP flags", st.name, w.frame)
						bad++
					} else if g.Flags != w.flags || g.Seq != w.seq || g.PLen != w.plen || g.Win != w.win ||
						w.flags&fastparse.TCPAck != 0 && g.Ack != w.ack {
						t.Errorf("%s: frame %d: pcapdex flags %#x seq %d ack %d len %d win %d; tshark flags %#x seq %d ack %d len %d win %d",
							st.name, w.frame, g.Flags, g.Seq, g.Ack, g.PLen, g.Win, w.flags, w.seq, w.ack, w.plen, w.win)
						bad++
					}
					if bad > 10 {
						t.Fatalf("%s: stopping after 10 differences", st.name)
					}
				}
				if len(got) != len(want) {
					t.Errorf("%s: %d packets with TCP flags, tshark %d TCP packets", st.name, len(got), len(want))
				}
			}
		})
	}
}

type tsharkTCP struct {
	frame               int64
	flags               uint16
	seq, ack, plen, win uint32
}

func parseTsharkTCP(t *testing.T, text string) []tsharkTCP {
	t.Helper()
	var out []tsharkTCP
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("golden line %q: want 6 fields", line)
		}
		var v [6]uint64
		for i, s := range f {
			base := 10
			if strings.HasPrefix(s, "0x") {
				s, base = s[2:], 16
			}
			n, err := strconv.ParseUint(s, base, 64)
			if err != nil {
				t.Fatalf("golden line %q: field %d: %v", line, i, err)
			}
			v[i] = n
		}
		out = append(out, tsharkTCP{int64(v[0]), uint16(v[1]), uint32(v[2]), uint32(v[3]), uint32(v[4]), uint32(v[5])})
	}
	if len(out) == 0 {
		t.Fatal("empty golden")
	}
	return out
}
