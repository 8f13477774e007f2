package index

import (
	"slices"
	"strings"
	"testing"
)

// chainBlock is one packet block's chained columns as stored, and the values they stand for.
type chainBlock struct {
	kslot, caplen                  []uint32
	dir                            []uint8
	flags                          []uint16
	plen, seq, ack, win, flow      []uint32 // stored
	wplen, wseq, wack, wwin, wflow []uint32 // decoded
}

// newChainBlock encodes n packets of three interleaved connections and some packets
// without a key slot (kslot 0: stored as they are), with the builder's encoder.
func newChainBlock(n int) *chainBlock {
	c := &chainBlock{}
	chains := make([]chainState, 3)
	var nslot uint32
	var next [3][2]uint32
	var prevFlow [4]uint32
	for i := range n {
		key, di := i%4, (i/4)%2
		caplen := uint32(54 + i%3*100)
		plen := caplen - 54
		flags := tcpAck
		if i < 8 {
			flags = tcpSyn
		}
		flow := uint32(10 + key)
		if key == 3 { // not TCP: values as they are
			c.kslot = append(c.kslot, 0)
			c.dir, c.flags, c.caplen = append(c.dir, uint8(di)), append(c.flags, 0), append(c.caplen, caplen)
			c.plen, c.seq, c.ack, c.win, c.flow = append(c.plen, plen), append(c.seq, 7), append(c.ack, 8), append(c.win, 9), append(c.flow, flow)
			c.wplen, c.wseq, c.wack, c.wwin, c.wflow = append(c.wplen, plen), append(c.wseq, 7), append(c.wack, 8), append(c.wwin, 9), append(c.wflow, flow)
			continue
		}
		seq, ack, win := next[key][di]+uint32(i%5/4)*1000, next[key][1-di], uint32(65535-i*7)
		next[key][di] = nextSeq(seq, plen, flags)
		slot, sseq, sack, swin, splen := chains[key].encode(0, &nslot, di, seq, ack, win, plen, caplen, flags)
		c.kslot = append(c.kslot, slot)
		c.dir, c.flags, c.caplen = append(c.dir, uint8(di)), append(c.flags, flags), append(c.caplen, caplen)
		c.plen, c.seq, c.ack, c.win = append(c.plen, splen), append(c.seq, sseq), append(c.ack, sack), append(c.win, swin)
		c.flow = append(c.flow, zz32(flow-prevFlow[slot]))
		prevFlow[slot] = flow
		if flags&tcpAck == 0 {
			ack = 0
		}
		c.wplen, c.wseq, c.wack, c.wwin, c.wflow = append(c.wplen, plen), append(c.wseq, seq), append(c.wack, ack), append(c.wwin, win), append(c.wflow, flow)
	}
	return c
}

// rows returns the block's rows whose key slot is in slots (0 included: rows without one).
func (c *chainBlock) rows(slots ...uint32) *chainBlock {
	s := &chainBlock{}
	for i, k := range c.kslot {
		if !slices.Contains(slots, k) {
			continue
		}
		s.kslot, s.caplen, s.dir, s.flags = append(s.kslot, k), append(s.caplen, c.caplen[i]), append(s.dir, c.dir[i]), append(s.flags, c.flags[i])
		s.plen, s.seq, s.ack, s.win, s.flow = append(s.plen, c.plen[i]), append(s.seq, c.seq[i]), append(s.ack, c.ack[i]), append(s.win, c.win[i]), append(s.flow, c.flow[i])
		s.wplen, s.wseq, s.wack, s.wwin, s.wflow = append(s.wplen, c.wplen[i]), append(s.wseq, c.wseq[i]), append(s.wack, c.wack[i]), append(s.wwin, c.wwin[i]), append(s.wflow, c.wflow[i])
	}
	return s
}

// TestResolveChains: ResolveFlowIDs and ResolveSeqAck give back the encoded values for a
// whole block, and ResolveSeqAck for a subset holding whole key slots (what query's column
// reader passes), with one scratch reused from call to call.
func TestResolveChains(t *testing.T) {
	const n = 40
	var scratch []uint32
	whole := newChainBlock(n)
	for _, tc := range []struct {
		name  string
		slots []uint32
	}{{"block", []uint32{0, 1, 2, 3}}, {"slot 2", []uint32{2}}, {"slots 1 3", []uint32{1, 3}}, {"slot 3 and no slot", []uint32{0, 3}}} {
		t.Run(tc.name, func(t *testing.T) {
			c := whole.rows(tc.slots...)
			if len(c.kslot) == 0 || len(c.kslot) == n && len(tc.slots) < 4 {
				t.Fatalf("%d rows", len(c.kslot))
			}
			var err error
			if len(c.kslot) == n {
				if scratch, err = ResolveFlowIDs(c.kslot, c.flow, scratch); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(c.flow, c.wflow) {
					t.Errorf("flows %v, want %v", c.flow, c.wflow)
				}
			}
			if scratch, err = ResolveSeqAck(n, c.kslot, c.dir, c.flags, c.caplen, c.plen, c.seq, c.ack, c.win, scratch); err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string][2][]uint32{"plen": {c.plen, c.wplen}, "seq": {c.seq, c.wseq}, "ack": {c.ack, c.wack}, "win": {c.win, c.wwin}} {
				if !slices.Equal(got[0], got[1]) {
					t.Errorf("%s %v, want %v", name, got[0], got[1])
				}
			}
		})
	}
	// The data segments and acks were predicted: their stored gaps are zero.
	if whole.seq[12] != 0 || whole.ack[12] != 0 || whole.wseq[12] == 0 {
		t.Errorf("row 12: stored seq %d ack %d for seq %d", whole.seq[12], whole.ack[12], whole.wseq[12])
	}
}

// TestResolveChainsErrors: stored values no encoder writes give errors, not panics or
// allocations sized by the bad value.
func TestResolveChainsErrors(t *testing.T) {
	u := func(v ...uint32) []uint32 { return v }
	seqAck := []struct {
		name      string
		blockRows int
		kslot     []uint32
		short     bool // win one value short
		want      string
	}{
		{"slot past the block", 3, u(1, 4, 1), false, "key slot 4 in a block of 3 rows"},
		{"huge slot", 3, u(1<<31, 0, 1), false, "key slot 2147483648"},
		{"more rows than the block", 2, u(1, 1, 1), false, "3 rows in a block of 2"},
		{"lengths", 3, u(1, 1, 1), true, "column lengths differ"},
	}
	for _, tc := range seqAck {
		n := len(tc.kslot)
		win := make([]uint32, n)
		if tc.short {
			win = win[:n-1]
		}
		_, err := ResolveSeqAck(tc.blockRows, tc.kslot, make([]uint8, n), make([]uint16, n), make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n), win, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ResolveSeqAck %s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	flows := []struct {
		name        string
		kslot, flow []uint32
		want        string
	}{
		{"slot past the block", u(1, 3), u(0, 0), "key slot 3 in a block of 2 rows"},
		{"huge slot", u(0, 1<<31), u(0, 0), "key slot 2147483648"},
		{"lengths", u(1, 1), u(0), "2 key slots, 1 flow values"},
	}
	for _, tc := range flows {
		if _, err := ResolveFlowIDs(tc.kslot, tc.flow, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ResolveFlowIDs %s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestResolveChainsAllocs: with its scratch grown, decoding a block allocates nothing.
func TestResolveChainsAllocs(t *testing.T) {
	c := newChainBlock(1000)
	flow, plen, seq, ack, win := slices.Clone(c.flow), slices.Clone(c.plen), slices.Clone(c.seq), slices.Clone(c.ack), slices.Clone(c.win)
	var scratch []uint32
	var err error
	allocs := testing.AllocsPerRun(20, func() {
		copy(flow, c.flow)
		copy(plen, c.plen)
		copy(seq, c.seq)
		copy(ack, c.ack)
		copy(win, c.win)
		if scratch, err = ResolveFlowIDs(c.kslot, flow, scratch); err != nil {
			t.Fatal(err)
		}
		if scratch, err = ResolveSeqAck(len(c.kslot), c.kslot, c.dir, c.flags, c.caplen, plen, seq, ack, win, scratch); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.0f allocations per block", allocs)
	}
	if !slices.Equal(seq, c.wseq) || !slices.Equal(flow, c.wflow) {
		t.Error("decoded values differ")
	}
}
