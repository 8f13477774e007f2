package query

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/pcapng"
)

// selectPackets runs a packet-level plan: the flow-level over-approximation narrows the
// flows whose packets are read (every packet when it cannot), each packet is read back from
// its capture by (file, offset) and checked against the filter, and the selection keeps the
// matching frames and the flows holding them.
//
// With flowsOnly the caller reads flows, not packets: Frames stays nil, packets without a
// flow are not checked, and a flow's later packets are not read once one matched.
func selectPackets(st Store, plan *Plan, since, until int64, flowsOnly bool) (Selection, error) {
	sel := Selection{Since: since, Until: until, Rows: roaring.New(), Frames: roaring.New()}
	if st.NumPackets() > 1<<32 {
		return sel, fmt.Errorf("query: %d packets: a packet filter handles at most 2^32", st.NumPackets())
	}
	var cand *roaring.Bitmap
	if plan.root.kind != pAll {
		var err error
		if cand, err = plan.Eval(st); err != nil {
			return sel, err
		}
		if sel.Windowed() {
			w, err := st.Window(since, until)
			if err != nil {
				return sel, err
			}
			cand.And(w)
		}
		if cand.IsEmpty() {
			return sel, nil
		}
	}
	m := pktMatcher{root: plan.pkt.tree, flowHit: map[filter.Node][]bool{}}
	if len(plan.pkt.leaves) > 0 {
		u := st.Universe()
		nf := st.NumFlows()
		for leaf, pn := range plan.pkt.leaves {
			hit := make([]bool, nf)
			if u != nil {
				e := evaluator{src: st}
				b, err := e.eval(pn, u)
				if err != nil {
					return sel, err
				}
				it := b.Iterator()
				for it.HasNext() {
					if r := it.Next(); int(r) < nf {
						hit[r] = true
					}
				}
			}
			m.flowHit[leaf] = hit
		}
	}
	need := NeedRecord
	if hasDisplay(plan.pkt.tree) {
		need |= NeedTCP
		tcp, udp, err := streamNumbers(st)
		if err != nil {
			return sel, err
		}
		m.disp = &dispCtx{tcpStream: tcp, udpStream: udp}
	}
	files := st.Files()
	recs := newRecords(st, func(i int) (*pcapng.Reader, error) {
		r, err := pcapng.Open(capturePath(st, files[i]), pcapng.Options{})
		if err != nil {
			return nil, fmt.Errorf("a packet filter reads the packets back: %w", err)
		}
		return r, nil
	})
	defer recs.close()
	var pkt pcapng.Packet
	var v pktView
	err := st.Packets(cand, since, until, need, func(p *PacketRow) error {
		if !sel.inTime(p.TS) {
			return nil
		}
		if flowsOnly && (p.Flow == 0 || sel.Rows.Contains(p.Flow-1)) {
			return nil
		}
		if _, err := recs.read(p, &pkt); err != nil {
			return err
		}
		v = pktView{data: pkt.Data, wire: pkt.OrigLen, link: linkKindOf(pkt.LinkType), flowRow: int32(p.Flow) - 1}
		if m.disp != nil {
			m.disp.row, m.disp.lt, m.disp.decoded = p, pkt.LinkType, false
		}
		if !m.match(&v) {
			return nil
		}
		if !flowsOnly {
			sel.Frames.Add(uint32(p.Frame - 1))
		}
		if p.Flow != 0 {
			sel.Rows.Add(p.Flow - 1)
		} else {
			sel.Orphans = true
		}
		return nil
	})
	if flowsOnly {
		sel.Frames = nil
	}
	return sel, err
}
