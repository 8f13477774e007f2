package flowhash

import (
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
)

// TestConnStates drives one short exchange per Zeek conn_state and checks state and history.
func TestConnStates(t *testing.T) {
	type s struct {
		client bool
		flags  uint16
		seq    uint32
		ack    uint32
		n      uint32
	}
	syn := s{true, fS, 1000, 0, 0}
	synack := s{false, fSA, 5000, 1001, 0}
	ack := s{true, fA, 1001, 5001, 0}
	cases := []struct {
		name    string
		segs    []s
		state   ConnState
		history string
	}{
		{"S0", []s{syn}, StateS0, "S"},
		{"S1", []s{syn, synack, ack}, StateS1, "ShA"},
		{"SF", []s{syn, synack, ack, {true, fFA, 1001, 5001, 0}, {false, fFA, 5001, 1002, 0}}, StateSF, "ShAFf"},
		{"REJ", []s{syn, {false, fR | fA, 0, 1001, 0}}, StateREJ, "Sr"},
		{"S2", []s{syn, synack, ack, {true, fFA, 1001, 5001, 0}}, StateS2, "ShAF"},
		{"S3", []s{syn, synack, ack, {false, fFA, 5001, 1001, 0}}, StateS3, "ShAf"},
		{"RSTO", []s{syn, synack, ack, {true, fR, 1001, 0, 0}}, StateRSTO, "ShAR"},
		{"RSTR", []s{syn, synack, ack, {false, fR, 5001, 0, 0}}, StateRSTR, "ShAr"},
		{"RSTOS0", []s{syn, {true, fR, 1001, 0, 0}}, StateRSTOS0, "SR"},
		{"RSTRH", []s{{false, fSA, 5000, 1001, 0}, {false, fR, 5001, 0, 0}}, StateRSTRH, "^hr"},
		{"SH", []s{syn, {true, fF, 1001, 0, 0}}, StateSH, "SF"},
		{"SHR", []s{{false, fSA, 5000, 1001, 0}, {false, fFA, 5001, 1001, 0}}, StateSHR, "^hf"},
		{"OTH", []s{{true, fPA, 1001, 5001, 10}, {false, fA, 5001, 1011, 0}}, StateOTH, "Da"},
		// Zeek establishes both endpoints on the responder's SYN-ACK: a capture that ends
		// before the handshake's ACK is S1, not OTH.
		{"S1 without the ACK", []s{syn, synack}, StateS1, "Sh"},
		{"S2 without the ACK", []s{syn, synack, {true, fFA, 1001, 5001, 0}}, StateS2, "ShF"},
		// A missed SYN: the originator's ACK to an established responder establishes it.
		{"S1 missed SYN", []s{{false, fSA, 5000, 1001, 0}, {true, fA, 1001, 5001, 0}}, StateS1, "^hA"},
		// An ACK does not move the originator out of SYN sent (no SYN-ACK seen).
		{"S0 SYN then ACK", []s{syn, {true, fA, 1001, 5001, 0}}, StateS0, "SA"},
		// The responder ACKing the SYN without data stays inactive; with a RST it rejects.
		{"REJ after an ACK", []s{syn, {false, fA, 5000, 1001, 0}, {false, fR, 5000, 0, 0}}, StateREJ, "Sar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := newExchange(t)
			for i, g := range c.segs {
				x.seg(g.client, float64(i), g.flags, g.seq, g.ack, g.n, 512)
			}
			flows, _ := x.finish()
			if len(flows) != 1 {
				t.Fatalf("%d flows", len(flows))
			}
			if flows[0].ConnState != c.state || flows[0].History() != c.history {
				t.Errorf("state %s history %q, want %s %q", flows[0].ConnState, flows[0].History(), c.state, c.history)
			}
		})
	}
}

// TestConnStatesNonTCP pins Zeek's conn_state for flows without TCP: UDP is S0 (no reply) or
// SF (answered); every other transport is OTH (Zeek's conn_state returns "OTH" for anything
// that is neither TCP nor UDP), answered or not.
func TestConnStatesNonTCP(t *testing.T) {
	cases := []struct {
		name     string
		src, dst string
		proto    uint8
		sp, dp   uint16 // ports, or ICMP type and code
		rsp, rdp uint16 // the reply's; rsp == 0 && rdp == 0 && !reply: no reply
		reply    bool
		want     ConnState
	}{
		{"udp one-way", "10.0.0.1", "10.0.0.2", fastparse.ProtoUDP, 5000, 53, 0, 0, false, StateS0},
		{"udp answered", "10.0.0.1", "10.0.0.2", fastparse.ProtoUDP, 5000, 53, 53, 5000, true, StateSF},
		{"udp6 answered", "fd00::1", "fd00::2", fastparse.ProtoUDP, 5000, 53, 53, 5000, true, StateSF},
		{"icmp echo answered", "10.0.0.1", "10.0.0.2", fastparse.ProtoICMP, 8, 0, 0, 0, true, StateOTH},
		{"icmp echo unanswered", "10.0.0.1", "10.0.0.2", fastparse.ProtoICMP, 8, 0, 0, 0, false, StateOTH},
		{"icmp6 echo answered", "fd00::1", "fd00::2", fastparse.ProtoICMPv6, 128, 0, 129, 0, true, StateOTH},
		{"icmp unreachable", "10.0.0.1", "10.0.0.2", fastparse.ProtoICMP, 3, 3, 0, 0, false, StateOTH},
		{"gre both ways", "10.0.0.1", "10.0.0.2", 47, 0, 0, 0, 0, true, StateOTH},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab := NewTable(Options{})
			p := ipPacket(t, c.src, c.dst, c.proto, c.sp, c.dp)
			if c.proto == 47 {
				p.HasL4 = false
			}
			p.PayloadLen, p.IPLen = 8, uint32(p.IPHdrLen)+16
			k, d, _ := KeyOf(&p)
			tab.Add(&k, d, &p, 1, 1e9)
			if c.reply {
				q := ipPacket(t, c.dst, c.src, c.proto, c.rsp, c.rdp)
				q.HasL4 = p.HasL4
				q.PayloadLen, q.IPLen = 8, uint32(q.IPHdrLen)+16
				k, d, _ := KeyOf(&q)
				tab.Add(&k, d, &q, 2, 2e9)
			}
			flows, _, _ := tab.Finish()
			if len(flows) != 1 {
				t.Fatalf("%d flows, want 1", len(flows))
			}
			f := &flows[0]
			wantResp := uint64(0)
			if c.reply {
				wantResp = 1
			}
			if f.OrigPkts != 1 || f.RespPkts != wantResp {
				t.Fatalf("orig/resp packets %d/%d, want 1/%d", f.OrigPkts, f.RespPkts, wantResp)
			}
			if f.ConnState != c.want {
				t.Errorf("conn_state %s, want %s", f.ConnState, c.want)
			}
		})
	}
}
