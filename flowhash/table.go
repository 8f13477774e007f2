package flowhash

import (
	"github.com/pcapdex/pcapdex/fastparse"
)

// Options tune flow tracking. The zero value is valid: see each field's default.
type Options struct {
	Workers     int   // decode workers and shards; <= 0 means GOMAXPROCS
	UDPTimeout  int64 // ns of idle time after which a UDP (or ICMP/other) flow ends; 0 = 60 s, < 0 never
	Events      bool  // collect the TCP event stream (Result.Events)
	StormCount  int   // RSTs (or FINs) within StormWindow that make a storm; 0 = 5
	StormWindow int64 // ns; 0 = 1 s
	AckStall    int64 // ns without ACK progress while data is outstanding; 0 = 1 s
	DecodeStats bool  // fill Result.Decode (fastparse.Stats of every packet); Pipeline only
}

func (o *Options) defaults() {
	if o.UDPTimeout == 0 {
		o.UDPTimeout = 60e9
	}
	if o.StormCount <= 0 {
		o.StormCount = 5
	}
	if o.StormWindow <= 0 {
		o.StormWindow = 1e9
	}
	if o.AckStall <= 0 {
		o.AckStall = 1e9
	}
}

// flowState is the live state of one flow in a shard's table. Kept small: see BytesPerFlow.
type flowState struct {
	key        Key
	hash       uint64 // key.Hash()
	firstFrame uint64
	firstTS    int64
	lastTS     int64
	pkts       [2]uint64 // by Dir (key order)
	bytes      [2]uint64
	ipBytes    [2]uint64
	tcp        int32 // index into Table.tcp, -1 if not TCP
	orig       Dir
	icmpType   uint8
	icmpCode   uint8
	hasL4      bool
	keySeenL4  bool // an earlier flow of the same key carried transport headers (same conversation)
	histLen    uint8
	histOnce   uint16 // letters recorded once per direction (bit per letter and direction)
	hist       [MaxHistory]byte
	serial     uint32 // the table's flow serial: 0, 1, ... in order of creation
	keySerial  uint32 // the table's key serial: a new flow on a key seen before keeps its number
}

// Table is one shard's flow table. It is not safe for concurrent use: each shard owns one.
type Table struct {
	opt     Options
	slots   []uint64 // live-flow index (see index.go)
	mask    uint64
	nlive   int
	fpages  [][]flowState // flow states in fixed pages: no copying as the table grows
	nflows  int32
	free    []int32
	tpages  [][]tcpState
	ntcp    int32
	tcpFree []int32
	done    paged[Flow]  // finished flows
	events  paged[Event] // when opt.Events
	totals  Totals
	nserial uint32 // flows created
	nkeys   uint32 // keys seen
	pktEv   uint32 // event bits of the packet being added
}

// Live returns the number of flows the table currently tracks.
func (t *Table) Live() int { return t.nlive }

// Flow and TCP states live in pages of pageSize, addressed by an int32 index.
const (
	pageBits = 10
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

func (t *Table) flow(i int32) *flowState { return &t.fpages[i>>pageBits][i&pageMask] }

// paged is an append-only list in fixed pages: growing it never copies what it holds.
type paged[T any] struct {
	pages [][]T
	n     int
}

func (p *paged[T]) len() int { return p.n }

func (p *paged[T]) at(i int) *T { return &p.pages[i>>pageBits][i&pageMask] }

// add appends a zero element and returns it.
func (p *paged[T]) add() *T {
	if p.n&pageMask == 0 {
		p.pages = append(p.pages, make([]T, pageSize))
	}
	p.n++
	return p.at(p.n - 1)
}

// appendTo appends every element to dst.
func (p *paged[T]) appendTo(dst []T) []T {
	for i, pg := range p.pages {
		dst = append(dst, pg[:min(pageSize, p.n-i*pageSize)]...)
	}
	return dst
}
func (t *Table) tcpAt(i int32) *tcpState { return &t.tpages[i>>pageBits][i&pageMask] }

// NewTable returns an empty shard table.
func NewTable(opt Options) *Table {
	opt.defaults()
	t := &Table{opt: opt}
	t.grow()
	return t
}

// Totals are file-level TCP analysis counts, as the corpus manifest counts them.
type Totals struct {
	Packets         uint64 // packets given to Add
	Retransmissions uint64 // tcp.analysis.retransmission packets (fast and spurious included)
	OutOfOrder      uint64
	DupAcks         uint64
	ZeroWindows     uint64
}

func (t *Totals) add(o *Totals) {
	t.Packets += o.Packets
	t.Retransmissions += o.Retransmissions
	t.OutOfOrder += o.OutOfOrder
	t.DupAcks += o.DupAcks
	t.ZeroWindows += o.ZeroWindows
}

// Add accounts one decoded IP packet to its flow. k and d come from KeyOf(p); frame is the
// packet's ordinal and ts its time in ns. Packets of one flow must be added in capture order.
// Add does not allocate once the table has grown to its working size.
func (t *Table) Add(k *Key, d Dir, p *fastparse.Packet, frame uint64, ts int64) PacketResult {
	var sg Segment
	sg.set(p)
	return t.add(k, k.Hash(), d, &sg, frame, ts)
}

// Segment is the part of a decoded packet the flow table reads (fields as in
// fastparse.Packet): 32 bytes instead of a whole fastparse.Packet, so batches handed from
// decode workers to shards stay small.
type Segment struct {
	Seq, Ack           uint32
	PayloadLen, IPLen  uint32
	TCPFlags, Window   uint16
	MSS, IPHdrLen      uint16
	HasL4              bool
	Frag               fastparse.FragInfo
	TCPOpts            fastparse.TCPOptFlags
	WScale             uint8
	ICMPType, ICMPCode uint8
}

func (s *Segment) set(p *fastparse.Packet) {
	*s = Segment{
		Seq: p.Seq, Ack: p.Ack, PayloadLen: p.PayloadLen, IPLen: p.IPLen,
		TCPFlags: p.TCPFlags, Window: p.Window, MSS: p.MSS, IPHdrLen: p.IPHdrLen,
		HasL4: p.HasL4, Frag: p.Frag, TCPOpts: p.TCPOpts, WScale: p.WScale,
		ICMPType: p.ICMPType, ICMPCode: p.ICMPCode,
	}
}

// PacketResult is what flow tracking found about one packet, for consumers that record
// per-packet facts (an index): the flow it belongs to and the TCP analysis of the segment.
type PacketResult struct {
	FlowFirstFrame uint64   // first frame of the packet's flow (flow ids are assigned at the end)
	Analysis       Analysis // Wireshark tcp.analysis flags of the segment
	ScaledWindow   uint32   // receive window << the sender's window scale (raw on SYNs and when unknown)
	FromOrig       bool     // sent by the flow's originator
	// Serial numbers the packet's flow among the table's flows (0, 1, ... in order of
	// creation), KeySerial its key among the table's keys (a flow that reuses a key keeps
	// the key's number). With one table (Tracker) they are the flow id and key id minus 1.
	Serial, KeySerial uint32
	Events            uint32 // bit 1<<EventType for each event of this packet (also without Options.Events)
}

// Analysis is a set of per-segment TCP analysis flags (Wireshark's tcp.analysis.*).
type Analysis uint32

// Analysis flags. Retransmission covers fast and spurious ones too, as tshark flags them.
const (
	Retransmission         = Analysis(aRetrans | aFastRetrans | aSpurious)
	FastRetransmission     = Analysis(aFastRetrans)
	SpuriousRetransmission = Analysis(aSpurious)
	OutOfOrder             = Analysis(aOutOfOrder)
	DuplicateAck           = Analysis(aDupAck)
	ZeroWindow             = Analysis(aZeroWindow)
	ZeroWindowProbe        = Analysis(aZeroWindowProbe)
	ZeroWindowProbeAck     = Analysis(aZeroWindowProbeAck)
	WindowFull             = Analysis(aWindowFull)
	WindowUpdate           = Analysis(aWindowUpdate)
	LostSegment            = Analysis(aLost)
	AckedUnseen            = Analysis(aAckLost)
	KeepAlive              = Analysis(aKeepAlive)
	KeepAliveAck           = Analysis(aKeepAliveAck)
	ReusedPorts            = Analysis(aReusedPorts)
)

// add is Add with the key's hash already computed.
func (t *Table) add(k *Key, h uint64, d Dir, p *Segment, frame uint64, ts int64) PacketResult {
	t.totals.Packets++
	t.pktEv = 0
	idx, slot, ok := t.lookup(k, h)
	reused, seenL4 := false, false
	keySerial := ^uint32(0) // a new key unless a retired flow had it
	isTCP := k.Proto == ProtoTCP && p.HasL4 && p.Frag&fastparse.FragNonFirst == 0
	// Wireshark analyses no segment of a fragmented datagram (pinfo->fragmented, with
	// reassembly off): a first fragment carries the header but is not analysed.
	analyze := isTCP && !p.Frag.IsFragment()
	if ok {
		f := t.flow(idx)
		switch {
		case analyze && f.tcp >= 0:
			// A SYN that reuses the 5-tuple with a different initial sequence number starts a
			// new flow, as Wireshark's tcp.stream does (conversation reuse: SYN without ACK,
			// base seq of that direction known, seq != base seq).
			half := &t.tcpAt(f.tcp).h[d]
			if p.TCPFlags&(thSYN|thACK) == thSYN && half.flags&hBaseSeqSet != 0 && p.Seq != half.baseSeq {
				seenL4, keySerial = f.hasL4 || f.keySeenL4, f.keySerial
				t.retire(slot, idx)
				_, slot, _ = t.lookup(k, h)
				ok, reused = false, true
			}
		case k.Proto != ProtoTCP && t.opt.UDPTimeout > 0 && ts-f.lastTS > t.opt.UDPTimeout:
			seenL4, keySerial = f.hasL4 || f.keySeenL4, f.keySerial
			t.retire(slot, idx)
			_, slot, _ = t.lookup(k, h)
			ok = false
		}
	}
	if !ok {
		idx = t.newFlow(k, h, slot, d, p, frame, ts, isTCP)
		nf := t.flow(idx)
		nf.keySeenL4 = seenL4
		nf.serial = t.nserial
		t.nserial++
		if keySerial == ^uint32(0) {
			keySerial = t.nkeys
			t.nkeys++
		}
		nf.keySerial = keySerial
	}
	f := t.flow(idx)
	if ts > f.lastTS {
		f.lastTS = ts
	}
	f.pkts[d]++
	if p.HasL4 {
		f.hasL4 = true
		f.bytes[d] += uint64(p.PayloadLen)
	} else if p.IPLen > uint32(p.IPHdrLen) {
		f.bytes[d] += uint64(p.IPLen - uint32(p.IPHdrLen))
	}
	f.ipBytes[d] += uint64(p.IPLen)
	r := PacketResult{FlowFirstFrame: f.firstFrame, FromOrig: d == f.orig, Serial: f.serial, KeySerial: f.keySerial}
	if f.tcp >= 0 && analyze {
		r.Analysis, r.ScaledWindow = t.tcpPacket(f, d, p, frame, ts, reused)
		r.Events = t.pktEv
	}
	return r
}

func (t *Table) newFlow(k *Key, h, slot uint64, d Dir, p *Segment, frame uint64, ts int64, isTCP bool) int32 {
	var idx int32
	if n := len(t.free); n > 0 {
		idx = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		if t.nflows&pageMask == 0 {
			t.fpages = append(t.fpages, make([]flowState, pageSize))
		}
		idx = t.nflows
		t.nflows++
	}
	f := t.flow(idx)
	*f = flowState{key: *k, hash: h, firstFrame: frame, firstTS: ts, lastTS: ts, tcp: -1, orig: d}
	if k.Proto == ProtoICMP || k.Proto == ProtoICMPv6 {
		f.icmpType, f.icmpCode = p.ICMPType, p.ICMPCode
	}
	if isTCP {
		// The originator is the SYN sender: a flow whose first packet is a SYN-ACK was
		// started by its receiver (Zeek marks that with '^').
		if p.TCPFlags&(thSYN|thACK) == thSYN|thACK {
			f.orig = d ^ 1
			f.addHist('^')
		}
		var ti int32
		if n := len(t.tcpFree); n > 0 {
			ti = t.tcpFree[n-1]
			t.tcpFree = t.tcpFree[:n-1]
		} else {
			if t.ntcp&pageMask == 0 {
				t.tpages = append(t.tpages, make([]tcpState, pageSize))
			}
			ti = t.ntcp
			t.ntcp++
		}
		ts := t.tcpAt(ti)
		*ts = tcpState{}
		ts.h[0].winScale, ts.h[1].winScale = -1, -1
		f.tcp = ti
	}
	t.insert(slot, h, idx)
	return idx
}

func (f *flowState) addHist(c byte) {
	if int(f.histLen) < MaxHistory {
		f.hist[f.histLen] = c
		f.histLen++
	}
}

// histOnceLetters are the history letters Zeek records at most once per direction.
const histOnceLetters = "SHADIQF"

// histLetter records letter c (uppercase form) for a packet from direction d: uppercase when
// d is the originator's direction, lowercase otherwise. once letters are recorded only the
// first time per direction.
func (f *flowState) histLetter(d Dir, c byte, once bool) {
	fromOrig := d == f.orig
	if once {
		bit := uint16(0)
		for i := 0; i < len(histOnceLetters); i++ {
			if histOnceLetters[i] == c {
				bit = 1 << (uint(i)*2 + uint(d^f.orig))
				break
			}
		}
		if f.histOnce&bit != 0 {
			return
		}
		f.histOnce |= bit
	}
	if !fromOrig {
		c += 'a' - 'A'
	}
	f.addHist(c)
}

// histLog records a letter the way Zeek logs repeated events: at the 1st, 10th, 100th ...
// occurrence (n is the new count, *logged the letters written so far).
func (f *flowState) histLog(d Dir, c byte, n uint32, logged *uint8) {
	th := uint32(1)
	for i := uint8(0); i < *logged && th < 1e9; i++ {
		th *= 10
	}
	if n >= th {
		*logged++
		f.histLetter(d, c, false)
	}
}

func (t *Table) emit(f *flowState, typ EventType, d Dir, frame uint64, ts int64, detail int64) {
	t.pktEv |= 1 << typ
	if !t.opt.Events {
		return
	}
	*t.events.add() = Event{Frame: frame, TS: ts, Type: typ, FromOrig: d == f.orig, Detail: detail, serial: f.serial}
}

// tcpPacket runs TCP analysis and bookkeeping for one TCP segment (not a fragment, header
// decoded).
func (t *Table) tcpPacket(f *flowState, d Dir, p *Segment, frame uint64, ts int64, reused bool) (Analysis, uint32) {
	s := t.tcpAt(f.tcp)
	fwd, rev := &s.h[d], &s.h[d^1]
	fl := p.TCPFlags
	syn, ack := fl&thSYN != 0, fl&thACK != 0

	// Handshake timing. ts_mru_syn is the most recent SYN; the first RTT (Wireshark's
	// ts_first_rtt, used as the out-of-order threshold) runs from it to the first ACK
	// without SYN.
	if syn && !ack {
		s.tsMruSyn = ts
		s.synCount++
		if s.synCount == 1 {
			s.synTime = ts
			s.hs |= hsSyn
		} else if s.hs&hsSynAck == 0 {
			// Repeated SYN without a SYN-ACK yet.
			t.emit(f, EvSYNRetry, d, frame, ts, int64(s.synCount))
		}
	}
	if syn && ack && s.hs&hsSynAck == 0 {
		s.synAckTime = ts
		s.hs |= hsSynAck
		if s.hs&hsSyn != 0 {
			t.emit(f, EvHandshakeRTT, d, frame, ts, ts-s.synTime)
		}
	}
	if ack && !syn && s.hs&hsAck == 0 && s.hs&hsSynAck != 0 {
		// The first ACK after the SYN-ACK ends the handshake.
		s.hs |= hsAck
		s.ackRTT = ts - s.synAckTime
		t.emit(f, EvHandshakeAckRTT, d, frame, ts, s.ackRTT)
	}
	if ack && !syn && s.firstRTT == 0 && s.tsMruSyn != 0 {
		// Wireshark's ts_first_rtt (zero means unknown, as in Wireshark).
		s.firstRTT = ts - s.tsMruSyn
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
		if ack && gtSeq(p.Ack, fwd.lastack) || s.lastProgress == 0 {
			s.lastProgress = ts
			s.stormFlags &^= 4
		} else if p.Ack == fwd.lastack && gtSeq(rev.nextseq, p.Ack) && ts-s.lastProgress >= t.opt.AckStall && s.stormFlags&4 == 0 {
			s.stormFlags |= 4
			t.emit(f, EvAckStall, d, frame, ts, ts-s.lastProgress)
		}
	}

	// RTT sample (one timed segment per direction, Karn's rule): an ACK equal to the timed
	// segment's end completes it.
	if ack && rev.flags&hRTTPending != 0 && !leSeq(p.Ack, rev.rttSeq-1) {
		if p.Ack == rev.rttSeq {
			r := ts - rev.rttTime
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

	af, dupNum := s.analyzeSeq(d, ts, p.Seq, p.Ack, p.PayloadLen, fl, p.Window)
	if reused {
		af |= aReusedPorts
	}
	if ack && !syn {
		fwd.flags |= hSawAck
	}
	if af&(aRetrans|aFastRetrans|aSpurious|aOutOfOrder) != 0 {
		fwd.flags &^= hRTTPending
	} else if p.PayloadLen > 0 && fwd.flags&hRTTPending == 0 {
		fwd.rttSeq = p.Seq + p.PayloadLen
		fwd.rttTime = ts
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
		if fwd.flags&hSawRST == 0 {
			fwd.flags |= hSawRST
		}
		s.rstCount++
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
	s.stormN++
	if int(s.stormN) >= t.opt.StormCount {
		s.stormFlags |= bit
		t.emit(f, typ, d, frame, ts, int64(s.stormN))
	}
}

// account adds one packet's analysis flags to the counters and the event stream.
func (t *Table) account(f *flowState, s *tcpState, d Dir, af uint32, dupNum int32, frame uint64, ts int64, payload bool) {
	if af == 0 {
		return
	}
	fwd := &s.h[d]
	if af&(aRetrans|aFastRetrans|aSpurious) != 0 {
		// tshark flags fast and spurious retransmissions as tcp.analysis.retransmission too.
		t.totals.Retransmissions++
		fwd.retrans++
		if payload {
			// Zeek's 'T' is about data: a repeated SYN or FIN is not logged.
			fwd.retransData++
			f.histLog(d, 'T', fwd.retransData, &fwd.retransLog)
		}
	}
	if af&aFastRetrans != 0 {
		s.fastRetrans++
	}
	if af&aSpurious != 0 {
		s.spurious++
	}
	if af&aOutOfOrder != 0 {
		s.outOfOrder++
		t.totals.OutOfOrder++
	}
	if af&aDupAck != 0 {
		s.dupAcks++
		t.totals.DupAcks++
	}
	if af&aZeroWindow != 0 {
		fwd.zeroWin++
		t.totals.ZeroWindows++
		f.histLog(d, 'W', fwd.zeroWin, &fwd.zwLog)
	}
	if af&aZeroWindowProbe != 0 {
		s.zwProbe++
	}
	if af&aLost != 0 {
		s.lost++
	}
	if af&aAckLost != 0 {
		s.ackedUnseen++
	}
	if af&aKeepAlive != 0 {
		s.keepAlive++
	}
	if af&aWindowFull != 0 {
		s.windowFull++
	}
	for b := uint32(1); b < aReusedPorts; b <<= 1 {
		if af&b == 0 {
			continue
		}
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
		f.histLetter(d, 'Q', true)
	} else if fin && rst {
		f.histLetter(d, 'I', true)
	}
	switch {
	case syn && !ack:
		f.histLetter(d, 'S', true)
	case syn && ack:
		f.histLetter(d, 'H', true)
	}
	if ack && !syn && !fin && !rst && p.PayloadLen == 0 {
		f.histLetter(d, 'A', true)
	}
	if p.PayloadLen > 0 {
		f.histLetter(d, 'D', true)
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
		f.histLetter(d, 'F', true)
		if fwd.state != epReset {
			fwd.state = epClosed
		}
	}
	if rst {
		if fwd.flags2&hHistRST == 0 || fwd.lastRSTSeq != p.Seq {
			f.histLetter(d, 'R', false)
		}
		fwd.flags2 |= hHistRST
		fwd.lastRSTSeq = p.Seq
		fwd.state = epReset
	}
}
