package flowhash

import (
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
)

func TestRelSeq(t *testing.T) {
	const syn, ack = fastparse.TCPSyn, fastparse.TCPAck
	seg := func(flags uint16, seq, ackN uint32, win uint16, ws int) *Segment {
		s := &Segment{TCPFlags: flags, Seq: seq, Ack: ackN, Window: win}
		if ws >= 0 {
			s.TCPOpts, s.WScale = fastparse.OptWScale, uint8(ws)
		}
		return s
	}
	type step struct {
		s             *Segment
		dir           int
		seq, ack, win uint32
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"handshake with scaling", []step{
			{seg(syn, 1000, 0, 64240, 7), 0, 0, 0, 64240},
			{seg(syn|ack, 5000, 1001, 65160, 3), 1, 0, 1, 65160}, // SYNs are never scaled
			{seg(ack, 1001, 5001, 502, -1), 0, 1, 1, 502 << 7},
			{seg(ack, 5001, 1101, 100, -1), 1, 1, 101, 100 << 3},
		}},
		{"one side without window scale: no scaling", []step{
			{seg(syn, 10, 0, 1000, 7), 0, 0, 0, 1000},
			{seg(syn|ack, 20, 11, 2000, -1), 1, 0, 1, 2000},
			{seg(ack, 11, 21, 1000, -1), 0, 1, 1, 1000},
		}},
		{"mid-stream start is relative 1, ack fixes the peer's base", []step{
			{seg(ack, 7000, 9000, 100, -1), 0, 1, 1, 100},
			{seg(ack, 9000, 7010, 200, -1), 1, 1, 11, 200},
		}},
		{"port reuse: a new ISN on a SYN starts over", []step{
			{seg(syn, 100, 0, 1, -1), 0, 0, 0, 1},
			{seg(fastparse.TCPPsh, 101, 0, 1, -1), 0, 1, 0, 1},
			{seg(syn, 900, 0, 1, -1), 0, 0, 0, 1},
			{seg(syn|ack, 50, 901, 1, -1), 1, 0, 1, 1},
		}},
		{"shift capped at 14", []step{
			{seg(syn, 1, 0, 1, 15), 0, 0, 0, 1},
			{seg(syn|ack, 1, 2, 1, 15), 1, 0, 1, 1},
			{seg(ack, 2, 2, 1, -1), 0, 1, 1, 1 << 14},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRelSeq()
			for i, st := range tc.steps {
				seq, ack, win := r.Next(st.s, st.dir)
				if seq != st.seq || ack != st.ack || win != st.win {
					t.Errorf("step %d: seq %d ack %d win %d, want %d %d %d", i, seq, ack, win, st.seq, st.ack, st.win)
				}
			}
		})
	}
}
