package report

import (
	"fmt"
	"net/netip"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/textenc"
	"github.com/pcapdex/pcapdex/query"
)

// Series is one named series of a flow chart: x in seconds since the flow's first packet.
type Series struct {
	Name string
	X, Y []float64
}

// Flow is the data of one per-flow section: the flow, which side sends the data, and its
// series, each reduced to the chart's pixel columns (Decimate).
type Flow struct {
	ID         uint64
	Orig, Resp netip.Addr
	OrigPort   uint16
	RespPort   uint16
	Start      int64 // Unix ns of the first packet
	Duration   int64 // ns
	Found      bool  // the flow is in the selection
	FromOrig   bool  // the data sender is the originator (it sent more payload)
	Packets    int   // packets read
	// Seq: data segments (relative sequence number of their end); Retrans: the segments
	// flagged as retransmissions; Ack: the receiver's ACK line; Win: ACK + receive window
	// (the edge the sender may fill); RWin: the receiver's window alone; Dips: the window's
	// zero or halving points; RTT: ACK RTT samples in ms (a data segment's first ACK
	// covering its end, retransmitted segments skipped, as Wireshark's tcp.analysis.ack_rtt);
	// InFlight: highest sequence sent minus highest ACK, bytes; Tput: the sender's payload
	// in bits/s per bucket.
	Seq, Retrans, Ack, Win, RWin, Dips, RTT, InFlight, Tput Series
}

// retransBits are the analysis bits marking a segment as sent again.
const retransBits = 1<<flowhash.EvRetransmission | 1<<flowhash.EvFastRetransmission | 1<<flowhash.EvSpuriousRetransmission

// FlowSeries reads flow id's packets through query.Packets and returns its chart series,
// each reduced to at most about 2*cols points.
func FlowSeries(st query.Store, sel query.Selection, id uint64, cols int) (*Flow, error) {
	fl := &Flow{ID: id}
	rows, err := sel.FlowRows(st)
	if err != nil {
		return nil, err
	}
	if id == 0 || id > uint64(st.NumFlows()) || rows != nil && !rows.Contains(uint32(id-1)) {
		return fl, nil
	}
	var f flowhash.Flow
	one := query.Selection{Rows: roaring.BitmapOf(uint32(id - 1)), Since: sel.Since, Until: sel.Until}
	for x, err := range query.Flows(st, one, query.FlowsOptions{Need: query.FlowAll}) {
		if err != nil {
			return nil, err
		}
		f = *x
	}
	if f.ID != id {
		return fl, nil
	}
	fl.Found = true
	fl.Orig, fl.Resp = query.FlowAddrs(&f)
	fl.OrigPort, fl.RespPort = query.FlowPorts(&f)
	fl.Start, fl.Duration = f.FirstTS, f.LastTS-f.FirstTS
	fl.FromOrig = f.OrigBytes >= f.RespBytes
	fl.Seq.Name, fl.Retrans.Name, fl.Ack.Name, fl.Win.Name = "seq", "retrans", "ack", "win"
	fl.RWin.Name, fl.Dips.Name, fl.RTT.Name, fl.InFlight.Name, fl.Tput.Name = "rwin", "dips", "rtt", "inflight", "tput"

	type pending struct {
		end uint32
		ts  int64
	}
	var queue []pending // unacknowledged data segments, by end
	var maxEnd, maxAck uint32
	var haveAck bool
	var lastWin float64 = -1
	dur := max(f.LastTS-f.FirstTS, 1)
	tbucket := max(dur/int64(max(cols/4, 1)), 1e6) // ns; a quarter of the columns, >= 1 ms
	tput := make([]float64, dur/tbucket+1)
	for p, err := range query.Packets(st, one, query.PacketsOptions{Flow: uint32(id)}) {
		if err != nil {
			return nil, err
		}
		fl.Packets++
		t := float64(p.TS-f.FirstTS) / 1e9
		if p.FromOrig == fl.FromOrig { // the data sender
			if p.PLen == 0 {
				continue
			}
			end := p.Seq + p.PLen
			fl.Seq.X, fl.Seq.Y = append(fl.Seq.X, t), append(fl.Seq.Y, float64(end))
			if p.Analysis&retransBits != 0 {
				fl.Retrans.X, fl.Retrans.Y = append(fl.Retrans.X, t), append(fl.Retrans.Y, float64(end))
			} else if end > maxEnd {
				queue = append(queue, pending{end, p.TS})
			}
			maxEnd = max(maxEnd, end)
			if b := (p.TS - f.FirstTS) / tbucket; b >= 0 && b < int64(len(tput)) {
				tput[b] += float64(p.PLen) * 8
			}
		} else if p.Flags&query.TCPAck != 0 { // the receiver
			win := float64(p.Win)
			fl.Ack.X, fl.Ack.Y = append(fl.Ack.X, t), append(fl.Ack.Y, float64(p.Ack))
			fl.Win.X, fl.Win.Y = append(fl.Win.X, t), append(fl.Win.Y, float64(p.Ack)+win)
			fl.RWin.X, fl.RWin.Y = append(fl.RWin.X, t), append(fl.RWin.Y, win)
			if lastWin >= 0 && (win == 0 && lastWin > 0 || win < lastWin/2) {
				fl.Dips.X, fl.Dips.Y = append(fl.Dips.X, t), append(fl.Dips.Y, win)
			}
			lastWin = win
			if !haveAck || p.Ack > maxAck {
				maxAck, haveAck = p.Ack, true
			}
			n := 0
			for n < len(queue) && queue[n].end <= p.Ack {
				n++
			}
			if n > 0 { // the newest covered segment gives the sample
				q := queue[n-1]
				fl.RTT.X, fl.RTT.Y = append(fl.RTT.X, t), append(fl.RTT.Y, float64(p.TS-q.ts)/1e6)
				queue = queue[n:]
			}
		}
		if haveAck && maxEnd >= maxAck {
			fl.InFlight.X, fl.InFlight.Y = append(fl.InFlight.X, t), append(fl.InFlight.Y, float64(maxEnd-maxAck))
		}
	}
	for i, v := range tput {
		fl.Tput.X = append(fl.Tput.X, float64(int64(i)*tbucket)/1e9)
		fl.Tput.Y = append(fl.Tput.Y, v/(float64(tbucket)/1e9))
	}
	for _, s := range []*Series{&fl.Seq, &fl.Retrans, &fl.Ack, &fl.Win, &fl.RWin, &fl.Dips, &fl.RTT, &fl.InFlight, &fl.Tput} {
		s.X, s.Y = Decimate(s.X, s.Y, cols)
	}
	return fl, nil
}

func (fl *Flow) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = textenc.AppendKeyUint(b, "flow_id", fl.ID)
	b = textenc.AppendKeyBool(b, "found", fl.Found)
	if !fl.Found {
		return append(b, '}')
	}
	b = textenc.AppendKeyString(b, "title", fmt.Sprintf("%s:%d → %s:%d", fl.Orig, fl.OrigPort, fl.Resp, fl.RespPort))
	b = textenc.AppendKeyFloat(b, "start", float64(fl.Start)/1e9, 6)
	b = textenc.AppendKeyInt(b, "duration_ns", fl.Duration)
	b = textenc.AppendKeyBool(b, "from_orig", fl.FromOrig)
	b = textenc.AppendKeyInt(b, "packets", int64(fl.Packets))
	b = textenc.AppendKey(b, "series")
	b = append(b, '{')
	for _, s := range []*Series{&fl.Seq, &fl.Retrans, &fl.Ack, &fl.Win, &fl.RWin, &fl.Dips, &fl.RTT, &fl.InFlight, &fl.Tput} {
		b = textenc.AppendKey(b, s.Name)
		b = append(b, '{')
		b = appendFloats(b, "x", s.X, 6)
		b = appendFloats(b, "y", s.Y, 3)
		b = append(b, '}')
	}
	return append(b, "}}"...)
}
