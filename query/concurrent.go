package query

import (
	"fmt"
	"iter"
	"net/netip"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
)

// Sender says which end of a flow sent a packet.
type Sender uint8

const (
	SenderAny  Sender = iota // either end
	SenderOrig               // the originator (the client)
	SenderResp               // the responder (the server)
)

func (s Sender) String() string {
	switch s {
	case SenderAny:
		return ""
	case SenderOrig:
		return "orig"
	case SenderResp:
		return "resp"
	}
	return fmt.Sprintf("Sender(%d)", uint8(s))
}

// ParseSender parses orig, resp or "" (either end).
func ParseSender(s string) (Sender, error) {
	switch s {
	case "":
		return SenderAny, nil
	case "orig":
		return SenderOrig, nil
	case "resp":
		return SenderResp, nil
	}
	return 0, fmt.Errorf("unknown sender %q (orig, resp)", s)
}

// OpenFlowsAt returns the selected flows open at instant at (first packet <= at <= last
// packet), in id order, with their times, state and history filled. The *Flow is reused:
// it is valid until the next iteration.
func OpenFlowsAt(st Store, sel Selection, at int64) iter.Seq2[*flowhash.Flow, error] {
	return func(yield func(*flowhash.Flow, error) bool) {
		rows, err := sel.FlowRows(st)
		if err != nil {
			yield(nil, err)
			return
		}
		win, err := st.Window(at, at)
		if err != nil {
			yield(nil, err)
			return
		}
		if rows != nil {
			win.And(rows)
		}
		stopped := false
		err = st.Flows(win, FlowTimes|FlowState, func(f *flowhash.Flow) error {
			if !yield(f, nil) {
				stopped = true
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop && !stopped {
			yield(nil, err)
		}
	}
}

// RST is one reset of RSTs: the packet, its flow and how busy the capture was then.
type RST struct {
	Frame    uint64
	TS       int64 // Unix ns
	FlowID   uint64
	FromOrig bool // sent by the flow's originator
	// The flow's endpoints (ICMP type and code in the ports, as FlowPorts).
	Orig, Resp         netip.Addr
	OrigPort, RespPort uint16
	// OpenFlows is the number of OTHER flows of the capture open at TS.
	OpenFlows int
}

// Sender returns the address that sent the RST.
func (r *RST) Sender() netip.Addr {
	if r.FromOrig {
		return r.Orig
	}
	return r.Resp
}

// RSTs returns the RSTs of the selected flows in the window sent by from, in frame order.
func RSTs(st Store, sel Selection, from Sender) ([]RST, error) {
	if from > SenderResp {
		return nil, fmt.Errorf("query: rsts: sender %v", from)
	}
	rows, err := sel.FlowRows(st)
	if err != nil {
		return nil, err
	}
	var rsts []RST
	ids := roaring.New()
	err = st.Events(rows, []flowhash.EventType{flowhash.EvRST}, func(e *flowhash.Event) error {
		if e.Type != flowhash.EvRST || !sel.inTime(e.TS) {
			return nil
		}
		if from == SenderOrig && !e.FromOrig || from == SenderResp && e.FromOrig {
			return nil
		}
		rsts = append(rsts, RST{Frame: e.Frame, TS: e.TS, FlowID: e.FlowID, FromOrig: e.FromOrig})
		ids.Add(uint32(e.FlowID - 1))
		return nil
	})
	if err != nil {
		return nil, err
	}
	times := make([]int64, len(rsts))
	for i := range rsts {
		times[i] = rsts[i].TS
	}
	open, err := st.OpenAt(times)
	if err != nil {
		return nil, err
	}
	flows := map[uint64]flowhash.Flow{}
	if err := st.Flows(ids, 0, func(f *flowhash.Flow) error { flows[f.ID] = *f; return nil }); err != nil {
		return nil, err
	}
	for i := range rsts {
		r := &rsts[i]
		f, ok := flows[r.FlowID]
		if !ok {
			return nil, fmt.Errorf("event at frame %d names flow %d, which the flows table lacks", r.Frame, r.FlowID)
		}
		r.Orig, r.Resp = FlowAddrs(&f)
		r.OrigPort, r.RespPort = FlowPorts(&f)
		r.OpenFlows = max(open[i]-1, 0)
	}
	return rsts, nil
}

// openCounter counts, for each of a set of instants, the flows open then (first packet at
// or before it, last at or after it). Flows are added one at a time; each costs two binary
// searches among the sorted instants and a difference array keeps the counts, so the
// whole is O(flows x log instants) and nothing is sorted per flow.
type openCounter struct {
	order  []int   // instants' indexes, by time
	sorted []int64 // the instants, sorted
	diff   []int
}

func newOpenCounter(ts []int64) *openCounter {
	c := &openCounter{order: make([]int, len(ts)), sorted: make([]int64, len(ts)), diff: make([]int, len(ts)+1)}
	for i := range c.order {
		c.order[i] = i
	}
	sort.SliceStable(c.order, func(a, b int) bool { return ts[c.order[a]] < ts[c.order[b]] })
	for i, j := range c.order {
		c.sorted[i] = ts[j]
	}
	return c
}

// span returns the earliest and latest instant (ok false when there are none).
func (c *openCounter) span() (lo, hi int64, ok bool) {
	if len(c.sorted) == 0 {
		return 0, 0, false
	}
	return c.sorted[0], c.sorted[len(c.sorted)-1], true
}

// add counts a flow open from start to end (inclusive).
func (c *openCounter) add(start, end int64) {
	s := c.sorted
	// lo: the first instant >= start; hi: the first instant > end.
	lo, n := 0, len(s)
	for lo < n {
		m := int(uint(lo+n) >> 1)
		if s[m] < start {
			lo = m + 1
		} else {
			n = m
		}
	}
	hi, n := lo, len(s)
	for hi < n {
		m := int(uint(hi+n) >> 1)
		if s[m] <= end {
			hi = m + 1
		} else {
			n = m
		}
	}
	if lo < hi {
		c.diff[lo]++
		c.diff[hi]--
	}
}

// counts returns the number of flows open at each instant, in the order given.
func (c *openCounter) counts() []int {
	out := make([]int, len(c.order))
	n := 0
	for i, j := range c.order {
		n += c.diff[i]
		out[j] = n
	}
	return out
}

// openAt returns, for each instant of ts, the number of the flows (start[i], end[i]) open
// then.
func openAt(start, end, ts []int64) []int {
	c := newOpenCounter(ts)
	if len(ts) > 0 {
		for i := range start {
			c.add(start[i], end[i])
		}
	}
	return c.counts()
}
