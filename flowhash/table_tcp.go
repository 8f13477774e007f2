package flowhash

import (
	"github.com/pcapdex/pcapdex/fastparse"
)

// The TCP side of a Table's per-packet work: Zeek history letters, analysis events, the
// cold record, Wireshark's tcp.analysis rules (tcpPacket, with tcp.go's state) and the
// counters they feed.

func (s *tcpState) addHist(c byte) {
	if s.histLen < MaxHistory {
		s.hist.set(s.histLen, c)
		s.histLen++
	}
}

// histOnceLetters are the history letters Zeek records at most once per direction.
const histOnceLetters = "SHADIQF"

// histOnceIndex maps a letter to its index in histOnceLetters + 1 (0: not a once letter).
var histOnceIndex = func() (x [256]uint8) {
	for i := 0; i < len(histOnceLetters); i++ {
		x[histOnceLetters[i]] = uint8(i + 1)
	}
	return x
}()

// histLetter records letter c (uppercase form) for a packet from direction d of flow f:
// uppercase when d is the originator's direction, lowercase otherwise. once letters are
// recorded only the first time per direction.
func (s *tcpState) histLetter(f *flowState, d Dir, c byte, once bool) {
	fromOrig := d == f.orig
	if once {
		bit := uint16(0)
		if i := histOnceIndex[c]; i != 0 {
			bit = 1 << (uint(i-1)*2 + uint(d^f.orig))
		}
		if s.histOnce&bit != 0 {
			return
		}
		s.histOnce |= bit
	}
	if !fromOrig {
		c += 'a' - 'A'
	}
	s.addHist(c)
}

// histLog records a letter the way Zeek logs repeated events: at the 1st, 10th, 100th ...
// occurrence (n is the new count, *logged the letters written so far).
func (s *tcpState) histLog(f *flowState, d Dir, c byte, n uint32, logged *uint8) {
	th := uint32(1)
	for i := uint8(0); i < *logged && th < 1e9; i++ {
		th *= 10
	}
	if n >= th {
		*logged++
		s.histLetter(f, d, c, false)
	}
}

func (t *Table) emit(f *flowState, typ EventType, d Dir, frame uint64, ts int64, detail int64) {
	t.pktEv |= 1 << typ
	if t.opt.Events {
		t.addEvent(f, typ, d, frame, ts, detail)
	}
}

// addEvent records an event of f, unless f has Options.MaxFlowEvents already (then it is
// only counted in evDrop). Out of line: events are rare next to packets, and emit, called
// for every flag a packet raises, stays inlinable.
//
//go:noinline
func (t *Table) addEvent(f *flowState, typ EventType, d Dir, frame uint64, ts int64, detail int64) {
	if limit := t.opt.MaxFlowEvents; limit > 0 {
		s := int(f.serial)
		if s >= len(t.evCount) {
			t.evCount = append(t.evCount, make([]uint32, s+1-len(t.evCount)+len(t.evCount)/2)...)
		}
		if int(t.evCount[s]) >= limit {
			t.evDrop++
			return
		}
		t.evCount[s]++
	}
	*t.events.Add() = Event{Frame: frame, TS: ts, Type: typ, FromOrig: d == f.orig, Detail: detail, serial: f.serial}
}

// coldOf returns s's cold record, allocating it on first use.
func (t *Table) coldOf(s *tcpState) *tcpCold {
	if s.cold == 0 {
		s.cold = t.cold.Alloc() + 1
	}
	return t.cold.At(s.cold - 1)
}

// coldIf returns s's cold record, or nil when it has none (every field in it is zero).
func (t *Table) coldIf(s *tcpState) *tcpCold {
	if s.cold == 0 {
		return nil
	}
	return t.cold.At(s.cold - 1)
}

// tcpPacket runs TCP analysis and bookkeeping for one TCP segment (not a fragment, header
// decoded).
func (t *Table) tcpPacket(f *flowState, d Dir, p *Segment, frame uint64, ts int64, reused bool) (Analysis, uint32) {
	s := t.tcpAt(f.tcp)
	fwd, rev := &s.h[d], &s.h[d^1]
	fl := p.TCPFlags
	syn, ack := fl&thSYN != 0, fl&thACK != 0

	// Handshake timing. The most recent SYN (Wireshark's ts_mru_syn) until the first ACK
	// without SYN turns it into the first RTT (ts_first_rtt, the out-of-order threshold; a
	// zero difference leaves it unknown, as in Wireshark). The first SYN's time until the
	// first SYN-ACK turns it into the SYN -> SYN-ACK RTT; the SYN-ACK's time until the
	// handshake's ACK turns it into the SYN-ACK -> ACK RTT.
	if syn && !ack {
		if s.hs&hsFirstRTT == 0 {
			s.rtt1 = ts
			s.hs |= hsMruSyn
			if ts == 0 {
				s.hs &^= hsMruSyn // zero is "not set" in Wireshark
			}
		}
		if s.synCount < 1<<16-1 {
			s.synCount++
		}
		if s.hs&hsSyn == 0 {
			s.syn = ts
			s.hs |= hsSyn
		} else if s.hs&hsSynAck == 0 {
			// Repeated SYN without a SYN-ACK yet.
			t.emit(f, EvSYNRetry, d, frame, ts, int64(s.synCount))
		}
	}
	if syn && ack && s.hs&hsSynAck == 0 {
		s.synAck = ts
		s.hs |= hsSynAck
		if s.hs&hsSyn != 0 {
			s.syn = ts - s.syn
			s.hs |= hsSynRTT
			t.emit(f, EvHandshakeRTT, d, frame, ts, s.syn)
		}
	}
	if ack && !syn && s.hs&(hsAck|hsSynAck) == hsSynAck {
		// The first ACK after the SYN-ACK ends the handshake.
		s.hs |= hsAck
		s.synAck = ts - s.synAck
		t.emit(f, EvHandshakeAckRTT, d, frame, ts, s.synAck)
	}
	if ack && !syn && s.hs&(hsFirstRTT|hsMruSyn) == hsMruSyn {
		if r := ts - s.rtt1; r != 0 {
			s.rtt1 = r
			s.hs |= hsFirstRTT
		}
	}
	if reused {
		t.emit(f, EvPortReuse, d, frame, ts, 0)
	}

	// Options of SYN segments: MSS, and window scaling, which is in use only when both SYN
	// and SYN-ACK carry it (Wireshark's verify_tcp_window_scaling: -2 = known unused).
	if syn {
		if p.TCPOpts&fastparse.OptMSS != 0 {
			fwd.mss = p.MSS
		}
		if p.TCPOpts&fastparse.OptWScale != 0 {
			ws := p.WScale
			if ws > 14 {
				ws = 14
			}
			fwd.winScale = int8(ws)
		}
		if fwd.winScale == -1 {
			fwd.winScale, rev.winScale = -2, -2
		} else if ack && rev.winScale == -2 {
			fwd.winScale = -2
		}
	}

	// ACK stall: the other side has data outstanding and this side's ACK has not moved for
	// AckStall; reported once per stall.
	if ack {
		if gtSeq(p.Ack, fwd.lastack) || s.lastProgress == 0 {
			s.lastProgress = ts
			s.stormFlags &^= 4
		} else if p.Ack == fwd.lastack && gtSeq(rev.nextseq, p.Ack) && ts-s.lastProgress >= t.opt.AckStall && s.stormFlags&4 == 0 {
			s.stormFlags |= 4
			t.emit(f, EvAckStall, d, frame, ts, ts-s.lastProgress)
		}
	}

	// RTT sample: an ACK for exactly everything the other side has sent, when the segment
	// that set that edge carried data and nothing was resent that way since (Karn's rule:
	// the ACK of a resent segment is ambiguous). The sample runs from that segment to the
	// ACK. An ACK beyond the edge (of segments not captured) ends the wait without a sample.
	if ack && rev.flags&hRTTPending != 0 && !ltSeq(p.Ack, rev.nextseq) {
		if p.Ack == rev.nextseq {
			r := ts - s.nextseqTime[d^1]
			r32 := uint32(min(max(r, 0), 1<<32-1))
			if s.rttN == 0 || r32 < s.rttMin {
				s.rttMin = r32
			}
			if r32 > s.rttMax {
				s.rttMax = r32
			}
			s.rttSum += r
			s.rttN++
		}
		rev.flags &^= hRTTPending
	}

	nextseq := fwd.nextseq
	af, dupNum := t.analyzeSeq(s, d, ts, p.Seq, p.Ack, p.PayloadLen, fl, p.Window)
	if reused {
		af |= aReusedPorts
	}
	if ack && !syn {
		fwd.flags |= hSawAck
	}
	if af&(aRetrans|aFastRetrans|aSpurious|aOutOfOrder) != 0 {
		fwd.flags &^= hRTTPending
	} else if fwd.nextseq != nextseq && p.PayloadLen > 0 {
		// This data segment set the edge: it is the one to time. (A FIN setting it after
		// data still waiting keeps the wait: the ACK then times the FIN, as Wireshark's
		// ack_rtt does; a FIN alone starts none.)
		fwd.flags |= hRTTPending
	}
	t.account(f, s, d, af, dupNum, frame, ts, p.PayloadLen > 0)

	// FIN and RST: who and when; storms of them.
	if fl&thFIN != 0 {
		if fwd.flags&hSawFIN == 0 {
			fwd.flags |= hSawFIN
			t.emit(f, EvFIN, d, frame, ts, 0)
		}
		t.storm(f, s, d, frame, ts, false)
	}
	if fl&thRST != 0 {
		if c := t.coldOf(s); c.rstCount < 1<<16-1 {
			c.rstCount++
		}
		t.emit(f, EvRST, d, frame, ts, 0)
		t.storm(f, s, d, frame, ts, true)
	}

	t.tcpHistory(f, s, d, p)
	// The receive window the sender advertises, scaled once scaling is known to be in use
	// (SYNs are never scaled), as Wireshark's tcp.window_size.
	win := uint32(p.Window)
	if !syn && fwd.winScale > 0 {
		win <<= uint(fwd.winScale)
	}
	return Analysis(af), win
}

// storm reports a RST (or FIN) storm: StormCount of them in one flow within StormWindow,
// once per flow and kind.
func (t *Table) storm(f *flowState, s *tcpState, d Dir, frame uint64, ts int64, rst bool) {
	bit, typ := uint8(2), EvFINStorm
	if rst {
		bit, typ = 1, EvRSTStorm
	}
	if s.stormFlags&bit != 0 {
		return
	}
	if s.stormStart == 0 || ts-s.stormStart > t.opt.StormWindow {
		s.stormStart = ts
		s.stormN = 0
	}
	if s.stormN < 255 {
		s.stormN++
	}
	if int(s.stormN) >= t.opt.StormCount {
		s.stormFlags |= bit
		t.emit(f, typ, d, frame, ts, int64(s.stormN))
	}
}

// countedFlags are the analysis flags with a counter in tcpCold: a segment with any of them
// gives its flow a cold record. (Window updates and keep-alive ACKs, common in healthy
// flows, are not counted.)
const countedFlags = aRetrans | aFastRetrans | aSpurious | aOutOfOrder | aDupAck | aZeroWindow |
	aZeroWindowProbe | aLost | aAckLost | aKeepAlive | aWindowFull

// account adds one packet's analysis flags to the counters and the event stream.
func (t *Table) account(f *flowState, s *tcpState, d Dir, af uint32, dupNum int32, frame uint64, ts int64, payload bool) {
	if af == 0 {
		return
	}
	if af&countedFlags != 0 {
		c := t.coldOf(s)
		if af&(aRetrans|aFastRetrans|aSpurious) != 0 {
			// tshark flags fast and spurious retransmissions as tcp.analysis.retransmission too.
			t.totals.Retransmissions++
			c.retrans[d]++
			if payload {
				// Zeek's 'T' is about data: a repeated SYN or FIN is not logged.
				c.retransData[d]++
				s.histLog(f, d, 'T', c.retransData[d], &c.retransLog[d])
			}
		}
		if af&aFastRetrans != 0 {
			c.fastRetrans++
		}
		if af&aSpurious != 0 {
			c.spurious++
		}
		if af&aOutOfOrder != 0 {
			c.outOfOrder++
			t.totals.OutOfOrder++
		}
		if af&aDupAck != 0 {
			c.dupAcks++
			t.totals.DupAcks++
		}
		if af&aZeroWindow != 0 {
			c.zeroWin[d]++
			t.totals.ZeroWindows++
			s.histLog(f, d, 'W', c.zeroWin[d], &c.zwLog[d])
		}
		if af&aZeroWindowProbe != 0 {
			c.zwProbe++
		}
		if af&aLost != 0 {
			c.lost++
		}
		if af&aAckLost != 0 {
			c.ackedUnseen++
		}
		if af&aKeepAlive != 0 {
			c.keepAlive++
		}
		if af&aWindowFull != 0 {
			c.windowFull++
		}
	}
	for rest := af &^ aReusedPorts; rest != 0; rest &= rest - 1 {
		b := rest & -rest
		typ := flagEvent(b)
		detail := int64(0)
		if b == aDupAck {
			detail = int64(dupNum)
		}
		t.emit(f, typ, d, frame, ts, detail)
	}
}

func flagEvent(b uint32) EventType {
	switch b {
	case aRetrans:
		return EvRetransmission
	case aFastRetrans:
		return EvFastRetransmission
	case aSpurious:
		return EvSpuriousRetransmission
	case aOutOfOrder:
		return EvOutOfOrder
	case aDupAck:
		return EvDupAck
	case aZeroWindow:
		return EvZeroWindow
	case aZeroWindowProbe:
		return EvZeroWindowProbe
	case aZeroWindowProbeAck:
		return EvZeroWindowProbeAck
	case aWindowFull:
		return EvWindowFull
	case aWindowUpdate:
		return EvWindowUpdate
	case aLost:
		return EvLostSegment
	case aAckLost:
		return EvAckedUnseen
	case aKeepAlive:
		return EvKeepAlive
	case aKeepAliveAck:
		return EvKeepAliveAck
	}
	return 0
}

// tcpHistory records Zeek history letters and endpoint states for one segment.
func (t *Table) tcpHistory(f *flowState, s *tcpState, d Dir, p *Segment) {
	fwd, rev := &s.h[d], &s.h[d^1]
	fl := p.TCPFlags
	syn, ack, fin, rst := fl&thSYN != 0, fl&thACK != 0, fl&thFIN != 0, fl&thRST != 0
	// Q: multi-flag (SYN with FIN or RST); I: inconsistent (FIN with RST, or flags with
	// no meaning together).
	if syn && (fin || rst) {
		s.histLetter(f, d, 'Q', true)
	} else if fin && rst {
		s.histLetter(f, d, 'I', true)
	}
	switch {
	case syn && !ack:
		s.histLetter(f, d, 'S', true)
	case syn && ack:
		s.histLetter(f, d, 'H', true)
	}
	if ack && !syn && !fin && !rst && p.PayloadLen == 0 {
		s.histLetter(f, d, 'A', true)
	}
	if p.PayloadLen > 0 {
		s.histLetter(f, d, 'D', true)
	}
	// Endpoint states move as in Zeek's TCP analyzer (TCPSessionAdapter::UpdateInactiveState
	// and UpdateEstablishedState): the responder's SYN-ACK (or SYN) establishes both sides at
	// once; an ACK never moves an endpoint out of SYN sent; an endpoint that starts without
	// SYN is partial, unless it ACKs a peer already established (a missed SYN) or, as the
	// responder, ACKs the originator's SYN without data.
	isOrig := d == f.orig
	switch fwd.state {
	case epInactive:
		switch {
		case syn && isOrig && ack:
			fwd.state = epSynAckSent
		case syn && isOrig:
			fwd.state = epSynSent
		case syn:
			if rev.state == epSynSent {
				rev.state = epEstablished
			}
			fwd.state = epEstablished
		case fin || rst:
			// set below
		case !isOrig && p.PayloadLen == 0 && rev.state == epSynSent:
			// stays inactive
		case ack && rev.state == epEstablished:
			fwd.state = epEstablished
		default:
			fwd.state = epPartial
		}
	case epPartial:
		if syn && !ack && rev.state == epInactive {
			fwd.state = epSynSent
		}
	}
	// R repeats when its sequence number differs from the previous RST's (Zeek also repeats F
	// that way; we record F once per direction to keep per-flow state small).
	if fin {
		s.histLetter(f, d, 'F', true)
		if fwd.state != epReset {
			fwd.state = epClosed
		}
	}
	if rst {
		c := t.coldOf(s)
		if fwd.flags&hSawRST == 0 || c.lastRSTSeq[d] != p.Seq {
			s.histLetter(f, d, 'R', false)
		}
		fwd.flags |= hSawRST
		c.lastRSTSeq[d] = p.Seq
		fwd.state = epReset
	}
}
