package flowhash

import (
	"cmp"
	"slices"

	"github.com/pcapdex/pcapdex/fastparse"
)

// retire ends the live flow idx (in index slot slot): its record goes to the finished list and
// its state is freed.
func (t *Table) retire(slot uint64, idx int32) {
	t.fill(t.done.Add(), idx)
	f := t.flow(idx)
	if f.tcp >= 0 {
		if c := t.tcpAt(f.tcp).cold; c != 0 {
			t.cold.Release(c - 1)
		}
		t.tcp.Release(f.tcp)
	}
	if f.key.ipVersion == 6 {
		t.v6.Release(f.key.v6())
	}
	t.flows.Release(idx)
	t.remove(slot)
}

// fill converts live state to a Flow record.
func (t *Table) fill(out *Flow, idx int32) {
	f := t.flow(idx)
	o, r := f.orig, f.orig^1
	*out = Flow{
		Key: t.keyOf(f), Orig: o, FirstFrame: f.firstFrame, FirstTS: f.firstTS, LastTS: f.lastTS,
		OrigPkts: f.pkts[o], RespPkts: f.pkts[r],
		OrigBytes: f.bytes[o], RespBytes: f.bytes[r],
		OrigIPBytes: f.ipBytes[o], RespIPBytes: f.ipBytes[r],
		ICMPType: f.icmpType, ICMPCode: f.icmpCode, HasL4: f.hasL4(),
		newConv: f.hasL4() && !f.keySeenL4(), serial: f.serial,
	}
	if f.tcp < 0 {
		// Zeek's conn_state for flows without TCP state: UDP is S0 when only the
		// originator sent, SF when both did; anything else (ICMP, other IP protocols, TCP
		// without a decoded header) is OTH, as Zeek returns for every other transport.
		out.ConnState = StateOTH
		if f.key.proto == fastparse.ProtoUDP {
			out.ConnState = StateS0
			if f.pkts[r] > 0 {
				out.ConnState = StateSF
			}
		}
		out.TCP.WScale = [2]int8{-1, -1}
		return
	}
	s := t.tcpAt(f.tcp)
	out.HistLen = s.histLen
	s.hist.unpack(&out.Hist, s.histLen)
	ho, hr := &s.h[o], &s.h[r]
	out.ConnState = connState(ho.state, hr.state, &out.Hist, out.HistLen, f.bytes[o]+f.bytes[r] == 0)
	st := &out.TCP
	if s.hs&hsSynRTT != 0 {
		st.SynRTT = s.syn
	}
	if s.hs&hsAck != 0 {
		st.AckRTT = s.synAck
	}
	if s.rttN > 0 {
		st.RTTMin, st.RTTMax, st.RTTAvg, st.RTTSamples = int64(s.rttMin), int64(s.rttMax), s.rttSum/int64(s.rttN), s.rttN
	}
	st.MSS = [2]uint16{ho.mss, hr.mss}
	st.WScale = [2]int8{scaleOut(ho.winScale), scaleOut(hr.winScale)}
	st.SYNs = s.synCount
	c := t.coldIf(s)
	if c == nil {
		return
	}
	st.Retransmissions = c.retrans[0] + c.retrans[1]
	st.FastRetransmissions = c.fastRetrans
	st.SpuriousRetransmissions = c.spurious
	st.OutOfOrder = c.outOfOrder
	st.DupAcks = c.dupAcks
	st.ZeroWindows = c.zeroWin[0] + c.zeroWin[1]
	st.ZeroWindowProbes = c.zwProbe
	st.LostSegments = c.lost
	st.AckedUnseen = c.ackedUnseen
	st.KeepAlives = c.keepAlive
	st.WindowFull = c.windowFull
	st.RSTs = c.rstCount
}

func scaleOut(ws int8) int8 {
	if ws < 0 {
		return -1
	}
	return ws
}

// connState is Zeek's conn_state function (base/protocols/conn/main.zeek) over the two
// endpoint states. noData says neither side sent payload.
func connState(os, rs uint8, hist *[MaxHistory]byte, histLen uint8, noData bool) ConnState {
	oInactive := os == epInactive || os == epPartial
	rInactive := rs == epInactive || rs == epPartial
	switch {
	case rs == epReset:
		if os == epSynSent || os == epSynAckSent || (os == epReset && noData) {
			return StateREJ
		}
		if oInactive {
			return StateRSTRH
		}
		return StateRSTR
	case os == epReset:
		if rInactive {
			if rstos0History(hist[:histLen]) {
				return StateRSTOS0
			}
			return StateOTH
		}
		return StateRSTO
	case rs == epClosed && os == epClosed:
		return StateSF
	case os == epClosed:
		if rInactive {
			return StateSH
		}
		return StateS2
	case rs == epClosed:
		if oInactive {
			return StateSHR
		}
		return StateS3
	case os == epSynSent && rs == epInactive:
		return StateS0
	case os == epEstablished && rs == epEstablished:
		return StateS1
	}
	return StateOTH
}

// rstos0History matches Zeek's /\^?S[^HAFGIQ]*R.*/ on the history.
func rstos0History(h []byte) bool {
	i := 0
	if i < len(h) && h[i] == '^' {
		i++
	}
	if i >= len(h) || h[i] != 'S' {
		return false
	}
	for i++; i < len(h); i++ {
		switch h[i] {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

// Finish ends every live flow and returns the shard's flows (unordered), events and totals.
// The table must not be used afterwards.
func (t *Table) Finish() ([]Flow, []Event, Totals) {
	type liveFlow struct {
		first uint64
		idx   int32
	}
	live := make([]liveFlow, 0, t.nlive)
	for _, s := range t.slots {
		if s != 0 {
			idx := int32(uint32(s)) - 1
			live = append(live, liveFlow{t.flow(idx).firstFrame, idx})
		}
	}
	// Deterministic order regardless of hash order.
	slices.SortFunc(live, func(a, b liveFlow) int { return cmp.Compare(a.first, b.first) })
	for i := range live {
		t.fill(t.done.Add(), live[i].idx)
	}
	t.slots, t.nlive = nil, 0
	return t.done.AppendTo(nil), t.events.AppendTo(nil), t.totals
}
