package flowhash

import "testing"

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
