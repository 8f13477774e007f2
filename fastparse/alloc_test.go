package fastparse

import (
	"testing"

	"github.com/pcapdex/pcapdex/internal/inlinetest"
)

func TestDecodeNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are not meaningful under -cover or -race")
	}
	cases := allCases()
	var p Packet
	var s Stats
	for _, c := range cases {
		n := testing.AllocsPerRun(50, func() {
			Decode(&p, c.link, c.data, uint32(len(c.data)))
			s.Add(&p)
			_ = p.SrcAddr()
			_ = p.DstAddr()
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per Decode, want 0", c.name, n)
		}
	}
}

func TestAppendJSONFieldsNoAllocs(t *testing.T) {
	var s Stats
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(20, func() { buf = s.AppendJSONFields(buf[:0]) }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// TestInlining checks that the accessors the packet loop calls stay inlinable, the way
// net/netip pins its own.
func TestInlining(t *testing.T) {
	want := []string{
		"IPv4.Version", "IPv4.HeaderLen", "IPv4.TotalLen", "IPv4.ID", "IPv4.FlagsFragment",
		"IPv4.TTL", "IPv4.TOS", "IPv4.Protocol",
		"IPv6.Version", "IPv6.PayloadLen", "IPv6.NextHeader", "IPv6.HopLimit", "IPv6.TrafficClass",
		"TCP.SrcPort", "TCP.DstPort", "TCP.Seq", "TCP.Ack", "TCP.DataOff", "TCP.Flags",
		"TCP.Window", "TCP.Urgent",
		"UDP.SrcPort", "UDP.DstPort", "UDP.Length",
		// SrcAddr/DstAddr are one call each: netip's two constructors together exceed the
		// inlining budget, so addrOf is inlined into them instead.
		"addrOf", "(*Packet).IsTCP", "(*Packet).IsUDP",
		"(*Packet).markFlags", "FragInfo.IsFragment", "Status.Malformed", "be16", "be32", "b2u",
		"extHdrLen",
	}
	inlinetest.Check(t, want, nil)
}
