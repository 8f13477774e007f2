package synth

// flowKind says which script a flow follows.
type flowKind uint8

const (
	kindTCP         flowKind = iota // handshake, request, response rounds, teardown
	kindSynNoAnswer                 // SYN and its retries, never answered (Zeek S0)
	kindRejected                    // SYN answered by RST-ACK (Zeek REJ)
	kindDNS                         // UDP query and (usually) an answer
	kindICMP                        // ICMP echo requests and (usually) replies
)

// Events a tour flow is forced to show in its first eligible round.
const (
	injNone = iota
	injFast
	injRTO
	injOOO
	injZeroWin
)

// teardown styles.
const (
	closeCliFIN = iota
	closeSrvFIN
	closeCliRST
	closeSrvRST
	closeNone
)

// script stages of a TCP flow.
const (
	stHandshake = iota
	stRequest
	stResponse
	stTeardown
	stDone
)

// flow is one connection being generated: its addressing, its negotiated TCP parameters,
// where its script is, the packets of the current step (q) and the truth counted so far.
type flow struct {
	id   uint64
	kind flowKind
	a    addrs

	// TCP parameters.
	mss                uint16 // advertised MSS
	seg                uint16 // payload bytes of a full segment (MSS less options)
	wsC, wsS           uint8
	wsOK, sackOK, tsOK bool
	tsBaseC, tsBaseS   uint32
	lastTSC, lastTSS   uint32
	winC, winS         uint16 // raw window fields
	rC, rS             int64  // round trips capture<->client and capture<->server, ns
	gap                int64  // spacing of back-to-back segments, ns
	srvDelay           int64  // server's extra delay before the SYN-ACK
	isnC, isnS         uint32
	offC, offS         uint64 // bytes each side has sent (stream offsets)
	reqLen, respLen    uint64
	left               uint64 // bytes left in the current bulk phase
	wnd, wmax          int    // segments per round
	round              int
	synRetries         int
	closeHow           int
	force              int // injected event for tour flows
	forced             bool
	probes             int
	initRTT            int64
	payloadBase        uint64
	dns                bool
	dnsName            uint32
	icmpID             uint16
	icmpCount          int
	noAnswer           bool
	retryQuery         bool
	stage              int
	t                  int64 // script clock: time of the last packet generated
	q                  []pkt
	head               int
	tr                 flowTruth
	scaleBulk          float64
}

func (f *flow) push(p pkt) { f.q = append(f.q, p) }

// seqOf returns the sequence number of stream offset off for one side.
func (f *flow) seqOf(fromResp bool, off uint64) uint32 {
	if fromResp {
		return f.isnS + 1 + uint32(off)
	}
	return f.isnC + 1 + uint32(off)
}

// sortQ orders the current step by time (stable: equal times keep generation order).
func (f *flow) sortQ() {
	q := f.q[f.head:]
	for i := 1; i < len(q); i++ {
		for j := i; j > 0 && q[j].ts < q[j-1].ts; j-- {
			q[j], q[j-1] = q[j-1], q[j]
		}
	}
}

// refill generates the flow's next step into f.q. It returns false when the flow is over.
func (f *flow) refill(g *Generator) bool {
	f.q = f.q[:0]
	f.head = 0
	switch f.kind {
	case kindTCP:
		for len(f.q) == 0 && f.stage != stDone {
			f.stepTCP(g)
		}
	case kindSynNoAnswer, kindRejected:
		if f.stage == stHandshake {
			f.handshakeFail(g)
			f.stage = stDone
		}
	case kindDNS:
		if f.stage == stHandshake {
			f.dnsScript(g)
			f.stage = stDone
		}
	case kindICMP:
		if f.stage == stHandshake {
			f.icmpScript(g)
			f.stage = stDone
		}
	}
	if len(f.q) == 0 {
		return false
	}
	f.sortQ()
	f.t = f.q[len(f.q)-1].ts
	return true
}

func (f *flow) syn(ts int64) pkt {
	return pkt{ts: ts, seq: f.isnC, flags: tcpSYN, win: f.synWin(false), opt: optSYN}
}

// synWin is the window field of a SYN or SYN-ACK: never scaled.
func (f *flow) synWin(fromResp bool) uint16 {
	if fromResp {
		return 65160
	}
	return 64240
}

func (f *flow) handshakeFail(g *Generator) {
	t := f.t
	f.push(f.syn(t))
	if f.kind == kindRejected {
		f.push(pkt{ts: t + f.rS + g.us(10, 200), fromResp: true, seq: 0, ack: f.isnC + 1, flags: tcpRST | tcpACK})
		return
	}
	back := int64(1e9)
	for i := 0; i < f.synRetries; i++ {
		t += back
		back *= 2
		p := f.syn(t)
		p.ev = evRetrans
		f.push(p)
	}
}

func (f *flow) stepTCP(g *Generator) {
	switch f.stage {
	case stHandshake:
		t := f.t
		f.push(f.syn(t))
		sa := t + f.rS + f.srvDelay + g.us(5, 50)
		f.push(pkt{ts: sa, fromResp: true, seq: f.isnS, ack: f.isnC + 1, flags: tcpSYN | tcpACK, win: f.synWin(true), opt: optSYN})
		ack := sa + f.rC + g.us(5, 50)
		f.push(f.ackPkt(ack, false, f.winC))
		f.initRTT = ack - t
		f.stage = stRequest
		f.left = f.reqLen
		f.wnd = 10
		f.round = 0
	case stRequest:
		if g.windDown {
			f.left = 0
		}
		if f.left == 0 {
			f.stage = stResponse
			f.left = f.respLen
			f.wnd = 10
			f.round = 0
			f.t += g.us(50, 3000) // server think time
			return
		}
		f.bulkRound(g, false)
	case stResponse:
		if g.windDown {
			f.left = 0
		}
		if f.left == 0 {
			f.stage = stTeardown
			return
		}
		f.bulkRound(g, true)
	case stTeardown:
		f.teardown(g)
		f.stage = stDone
	}
}

// ackPkt is a pure ACK from one side with the current stream positions.
func (f *flow) ackPkt(ts int64, fromResp bool, win uint16) pkt {
	if fromResp {
		return pkt{ts: ts, fromResp: true, seq: f.seqOf(true, f.offS), ack: f.seqOf(false, f.offC), flags: tcpACK, win: win, opt: optTS}
	}
	return pkt{ts: ts, seq: f.seqOf(false, f.offC), ack: f.seqOf(true, f.offS), flags: tcpACK, win: win, opt: optTS}
}

// bulkRound generates one round of a bulk transfer: up to wnd segments from the sender,
// the receiver's ACKs (every second segment), and at most one injected event.
func (f *flow) bulkRound(g *Generator, fromResp bool) {
	sendWin, recvWin := f.winC, f.winS
	rRecv, rSend := f.rS, f.rC // receiver reacts after its round trip from the capture point
	if fromResp {
		sendWin, recvWin = f.winS, f.winC
		rRecv, rSend = f.rC, f.rS
	}
	mss := uint64(f.seg)
	var off0 uint64
	if fromResp {
		off0 = f.offS
	} else {
		off0 = f.offC
	}
	// Segment layout of this round.
	n := int((f.left + mss - 1) / mss)
	if n > f.wnd {
		n = f.wnd
	}
	var lens [64]uint32
	var offs [64]uint64
	var sends [64]int64
	o := off0
	t0 := f.t + rSend/8/1000*1000 + g.us(1, 30)
	if f.round > 0 {
		t0 = f.t + rSend + g.us(1, 30)
	}
	for i := 0; i < n; i++ {
		l := mss
		if f.left-(o-off0) < l {
			l = f.left - (o - off0)
		}
		lens[i], offs[i], sends[i] = uint32(l), o, t0+int64(i)*f.gap
		o += l
	}
	end := o
	remaining := f.left - (end - off0)

	// Pick the event for this round.
	inj := injNone
	if f.round >= 1 {
		if f.force != injNone && !f.forced {
			inj = f.force
		} else if f.force == injNone {
			switch x := g.rng.Float64(); {
			case x < g.k.pFast:
				inj = injFast
			case x < g.k.pFast+g.k.pRTO:
				inj = injRTO
			case x < g.k.pFast+g.k.pRTO+g.k.pOOO:
				inj = injOOO
			case x < g.k.pFast+g.k.pRTO+g.k.pOOO+g.k.pZW:
				inj = injZeroWin
			}
		}
		switch inj { // events need room in the round
		case injFast:
			if n < 6 {
				inj = injNone
			}
		case injRTO:
			// A resent 1-byte segment one below the next expected sequence number is a
			// keep-alive by Wireshark's rule, not a retransmission: don't inject one.
			if n < 2 || lens[n-1] <= 1 {
				inj = injNone
			}
		case injOOO:
			if n < 2 {
				inj = injNone
			}
		case injZeroWin:
			if remaining == 0 {
				inj = injNone
			}
		}
		if inj != injNone && f.force == inj {
			f.forced = true
		}
	}

	seg := func(i int, ts int64, ev uint8) pkt {
		p := pkt{ts: ts, fromResp: fromResp, seq: f.seqOf(fromResp, offs[i]), ack: f.seqOf(!fromResp, f.otherOff(fromResp)),
			plen: lens[i], off: offs[i], win: sendWin, flags: tcpACK, opt: optTS, ev: ev}
		if i == n-1 {
			p.flags |= tcpPSH
		}
		if fromResp {
			p.off += 1 << 40 // the two directions carry different bytes
		}
		return p
	}
	ack := func(ts int64, upto uint64, win uint16, ev uint8) pkt {
		p := f.ackPkt(ts, !fromResp, win)
		p.ack = f.seqOf(fromResp, upto)
		p.ev = ev
		return p
	}
	// normalAcks acknowledges segments [from, to) in pairs, the odd one out at once.
	normalAcks := func(from, to int) {
		for i := from; i < to; i++ {
			if (i-from)%2 == 1 || i == to-1 {
				f.push(ack(sends[i]+rRecv, offs[i]+uint64(lens[i]), recvWin, 0))
			}
		}
	}
	last := int64(0)
	switch inj {
	case injNone, injZeroWin:
		for i := 0; i < n; i++ {
			f.push(seg(i, sends[i], 0))
		}
		normalAcks(0, n)
		last = sends[n-1] + rRecv
		if inj == injZeroWin {
			// The final ACK closes the window; the sender probes; the receiver reopens.
			f.q[len(f.q)-1].win = 0
			f.q[len(f.q)-1].ev = evZeroWindow
			np := 1 + g.rng.IntN(3)
			pt := last + rSend
			backoff := int64(200e6) + 2*f.initRTT
			for k := 0; k < np; k++ {
				pt += backoff
				backoff *= 2
				p := pkt{ts: pt, fromResp: fromResp, seq: f.seqOf(fromResp, end), ack: f.seqOf(!fromResp, f.otherOff(fromResp)),
					plen: 1, off: end, win: sendWin, flags: tcpACK, opt: optTS, ev: evZeroWinProbe}
				if fromResp {
					p.off += 1 << 40
				}
				f.push(p)
				last = pt + rRecv
				f.push(ack(last, end, 0, evZeroWindow))
			}
			last += g.us(5000, 100000)
			f.push(ack(last, end, recvWin, evWindowUpdate))
			f.probes += np
		}
	case injFast:
		// Segment h is lost after the capture point: every later segment draws a duplicate
		// ACK with a SACK block, and the third one triggers the fast retransmission.
		h := 2 + 2*g.rng.IntN((n-4)/2)
		for i := 0; i < n; i++ {
			f.push(seg(i, sends[i], 0))
		}
		normalAcks(0, h)
		sackL := f.seqOf(fromResp, offs[h+1])
		var lastDup int64
		for j := h + 1; j < n; j++ {
			p := ack(sends[j]+rRecv, offs[h], recvWin, evDupAck)
			p.opt = optSACK
			p.sackL, p.sackR = sackL, f.seqOf(fromResp, offs[j]+uint64(lens[j]))
			f.push(p)
			lastDup = p.ts
		}
		// Resend after the last duplicate ACK, so that no segment is still in flight
		// when the receiver acknowledges the whole round.
		rt := lastDup + g.us(10, 60)
		f.push(seg(h, rt, evRetrans|evFastRetrans))
		last = rt + rRecv
		f.push(ack(last, end, recvWin, 0))
	case injRTO:
		// The round's last segment is lost; the sender's timer fires and resends it.
		h := n - 1
		for i := 0; i < n; i++ {
			f.push(seg(i, sends[i], 0))
		}
		normalAcks(0, h)
		if h%2 == 1 { // segment h-1 waited for a partner that never came: delayed ACK
			f.q[len(f.q)-1].ts += 40e6
		}
		rt := sends[h] + 200e6 + 2*f.initRTT
		f.push(seg(h, rt, evRetrans))
		last = rt + rRecv
		f.push(ack(last, end, recvWin, 0))
	case injOOO:
		// Segments h and h+1 swap places before the capture point (and the receiver).
		h := 2 * g.rng.IntN(n/2)
		d := f.gap / 2 / 1000 * 1000
		if d < 1000 {
			d = 1000
		}
		for i := 0; i < n; i++ {
			switch i {
			case h:
				f.push(seg(h+1, sends[h], evLostSegment))
			case h + 1:
				f.push(seg(h, sends[h]+d, evOutOfOrder))
			default:
				f.push(seg(i, sends[i], 0))
			}
		}
		normalAcks(0, h)
		p := ack(sends[h]+rRecv, offs[h], recvWin, evDupAck)
		p.opt = optSACK
		p.sackL, p.sackR = f.seqOf(fromResp, offs[h+1]), f.seqOf(fromResp, offs[h+1]+uint64(lens[h+1]))
		f.push(p)
		f.push(ack(sends[h]+d+rRecv, offs[h+1]+uint64(lens[h+1]), recvWin, 0))
		if h+2 < n {
			normalAcks(h+2, n)
		}
		last = sends[n-1] + rRecv
		if h+1 == n-1 {
			last = sends[h] + d + rRecv
		}
	}
	_ = last
	if fromResp {
		f.offS = end
	} else {
		f.offC = end
	}
	f.left = remaining
	f.round++
	f.wnd *= 2
	if f.wnd > f.wmax {
		f.wnd = f.wmax
	}
}

// otherOff is the stream offset of the side opposite to the sender.
func (f *flow) otherOff(fromResp bool) uint64 {
	if fromResp {
		return f.offC
	}
	return f.offS
}

func (f *flow) teardown(g *Generator) {
	t := f.t
	switch f.closeHow {
	case closeCliFIN, closeSrvFIN:
		first := f.closeHow == closeSrvFIN
		rFirst, rSecond := f.rC, f.rS // the peer of the first closer reacts after its round trip
		if first {
			rFirst, rSecond = f.rS, f.rC
		}
		t += rFirst/2/1000*1000 + g.us(100, 20000)
		p := f.ackPkt(t, first, f.winOf(first))
		p.flags |= tcpFIN
		f.push(p)
		f.bump(first)
		t += rFirst + g.us(5, 200)
		p = f.ackPkt(t, !first, f.winOf(!first))
		p.flags |= tcpFIN
		f.push(p)
		f.bump(!first)
		t += rSecond + g.us(5, 200)
		f.push(f.ackPkt(t, first, f.winOf(first)))
	case closeCliRST, closeSrvRST:
		who := f.closeHow == closeSrvRST
		t += g.us(100, 20000)
		p := f.ackPkt(t, who, 0)
		p.flags = tcpRST | tcpACK
		p.opt = optNone
		f.push(p)
	}
}

func (f *flow) winOf(fromResp bool) uint16 {
	if fromResp {
		return f.winS
	}
	return f.winC
}

// bump accounts for the sequence number a FIN consumes.
func (f *flow) bump(fromResp bool) {
	if fromResp {
		f.offS++
	} else {
		f.offC++
	}
}

func (f *flow) dnsScript(g *Generator) {
	t := f.t
	q := pkt{ts: t, plen: dnsLen(false)}
	f.push(q)
	if f.retryQuery {
		t += 1e9
		q.ts = t
		f.push(q)
	}
	if !f.noAnswer {
		f.push(pkt{ts: t + f.rS + g.us(200, 20000), fromResp: true, plen: dnsLen(true)})
	}
}

func (f *flow) icmpScript(g *Generator) {
	t := f.t
	req, rep := uint8(8), uint8(0)
	if f.a.v6 {
		req, rep = 128, 129
	}
	for i := 0; i < f.icmpCount; i++ {
		f.push(pkt{ts: t, flags: req, win: uint16(i + 1), plen: 56, off: uint64(i) * 56})
		if !f.noAnswer {
			f.push(pkt{ts: t + f.rS + g.us(5, 100), fromResp: true, flags: rep, win: uint16(i + 1), plen: 56, off: uint64(i) * 56})
		}
		t += 1e9 + g.us(0, 500)
	}
}
