package flowhash

import (
	"encoding/binary"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/internal/slab"
)

// Options tune flow tracking. The zero value is valid: see each field's default.
type Options struct {
	Workers     int   // pipeline workers and shards; <= 0 means GOMAXPROCS
	UDPTimeout  int64 // ns of idle time after which a UDP (or ICMP/other) flow ends; 0 = 60 s, < 0 never
	Events      bool  // collect the TCP event stream (Result.Events)
	StormCount  int   // RSTs (or FINs) within StormWindow that make a storm; 0 = 5
	StormWindow int64 // ns; 0 = 1 s
	AckStall    int64 // ns without ACK progress while data is outstanding; 0 = 1 s
	DecodeStats bool  // fill Result.Decode (fastparse.Stats of every packet); Pipeline only
	// MaxFlowEvents caps the events kept per flow (Result.Events), so memory follows flows,
	// not packets (one flow of 134 M retransmissions held 6 GB of events); the flows'
	// counters stay exact and Result.EventsDropped counts what was not kept. 0 means
	// DefaultMaxFlowEvents, < 0 no cap.
	MaxFlowEvents int
}

// DefaultMaxFlowEvents is the default Options.MaxFlowEvents.
const DefaultMaxFlowEvents = 1 << 20

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
	if o.MaxFlowEvents == 0 {
		o.MaxFlowEvents = DefaultMaxFlowEvents
	}
}

// flowState is the live state of one flow in a shard's table: 104 bytes. Its TCP state is
// separate (Table.tcp) so other flows do not pay for it. See doc.go, Costs.
type flowState struct {
	firstFrame uint64
	firstTS    int64
	lastTS     int64
	pkts       [2]uint64 // by Dir (key order)
	bytes      [2]uint64
	ipBytes    [2]uint64
	key        flowKey
	tcp        int32  // index into Table.tcp, -1 if not TCP
	serial     uint32 // the table's flow serial: 0, 1, ... in order of creation
	keySerial  uint32 // the table's key serial: a new flow on a key seen before keeps its number
	orig       Dir
	icmpType   uint8
	icmpCode   uint8
	bits       uint8 // fs* bits
}

// flowState.bits
const (
	fsHasL4     uint8 = 1 << iota // packets carried a decoded transport header
	fsKeySeenL4                   // an earlier flow of the same key carried transport headers (same conversation)
)

func (f *flowState) hasL4() bool     { return f.bits&fsHasL4 != 0 }
func (f *flowState) keySeenL4() bool { return f.bits&fsKeySeenL4 != 0 }

// flowKey is a Key as a flow state stores it, 14 bytes instead of 38: IPv4 addresses inline,
// IPv6 address pairs in the table's v6 slab. Comparing two is three integer compares.
type flowKey struct {
	addr      uint64 // IPv4: A's address | B's address << 32 (little-endian loads); IPv6: index into Table.v6
	ports     uint32 // PortA | PortB << 16
	proto     uint8
	ipVersion uint8
}

func (k *flowKey) v6() int32 { return int32(k.addr) }

// compactKey returns k's flowKey; for IPv6 addr is left zero (the caller sets the index).
func compactKey(k *Key) flowKey {
	fk := flowKey{ports: uint32(k.PortA) | uint32(k.PortB)<<16, proto: k.Proto, ipVersion: k.IPVersion}
	if k.IPVersion != 6 {
		fk.addr = uint64(binary.LittleEndian.Uint32(k.A[:4])) | uint64(binary.LittleEndian.Uint32(k.B[:4]))<<32
	}
	return fk
}

// keyOf returns the full Key of flow f.
func (t *Table) keyOf(f *flowState) Key {
	fk := &f.key
	k := Key{PortA: uint16(fk.ports), PortB: uint16(fk.ports >> 16), Proto: fk.proto, IPVersion: fk.ipVersion}
	if fk.ipVersion == 6 {
		p := t.v6.At(fk.v6())
		k.A, k.B = p[0], p[1]
	} else {
		binary.LittleEndian.PutUint32(k.A[:4], uint32(fk.addr))
		binary.LittleEndian.PutUint32(k.B[:4], uint32(fk.addr>>32))
	}
	return k
}

// keyEqual reports whether flow key fk is k, whose compact form is ck.
func (t *Table) keyEqual(fk, ck *flowKey, k *Key) bool {
	if k.IPVersion != 6 {
		return *fk == *ck
	}
	if fk.ports != ck.ports || fk.proto != ck.proto || fk.ipVersion != 6 {
		return false
	}
	p := t.v6.At(fk.v6())
	return p[0] == k.A && p[1] == k.B
}

// Table is one shard's flow table. It is not safe for concurrent use: each shard owns one.
type Table struct {
	opt     Options
	slots   []uint64 // live-flow index (see index.go)
	mask    uint64
	nlive   int
	flows   slab.Pool[flowState]
	tcp     slab.Pool[tcpState]
	cold    slab.Pool[tcpCold]     // TCP records of flows with counted anomalies or RSTs
	v6      slab.Pool[[2][16]byte] // IPv6 address pairs of flow keys
	done    slab.List[Flow]        // finished flows
	events  slab.List[Event]       // when opt.Events
	evCount []uint32               // events kept per flow serial (opt.MaxFlowEvents)
	evDrop  uint64                 // events not kept: their flow had MaxFlowEvents already
	totals  Totals
	nserial uint32 // flows created
	nkeys   uint32 // keys seen
	pktEv   uint32 // event bits of the packet being added
}

// Live returns the number of flows the table currently tracks.
func (t *Table) Live() int { return t.nlive }

func (t *Table) flow(i int32) *flowState { return t.flows.At(i) }

func (t *Table) tcpAt(i int32) *tcpState { return t.tcp.At(i) }

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
// the decoding worker to the shards stay small.
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

// (Field by field, not a composite literal: that is built on the stack and copied, which
// the decode stage pays per packet.)
func (s *Segment) set(p *fastparse.Packet) {
	s.Seq, s.Ack, s.PayloadLen, s.IPLen = p.Seq, p.Ack, p.PayloadLen, p.IPLen
	s.TCPFlags, s.Window, s.MSS, s.IPHdrLen = p.TCPFlags, p.Window, p.MSS, p.IPHdrLen
	s.HasL4, s.Frag, s.TCPOpts, s.WScale = p.HasL4, p.Frag, p.TCPOpts, p.WScale
	s.ICMPType, s.ICMPCode = p.ICMPType, p.ICMPCode
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
	isTCP := k.Proto == fastparse.ProtoTCP && p.HasL4 && p.Frag&fastparse.FragNonFirst == 0
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
				seenL4, keySerial = f.bits != 0, f.keySerial
				t.retire(slot, idx)
				_, slot, _ = t.lookup(k, h)
				ok, reused = false, true
			}
		case k.Proto != fastparse.ProtoTCP && t.opt.UDPTimeout > 0 && ts-f.lastTS > t.opt.UDPTimeout:
			seenL4, keySerial = f.bits != 0, f.keySerial
			t.retire(slot, idx)
			_, slot, _ = t.lookup(k, h)
			ok = false
		}
	}
	if !ok {
		idx = t.newFlow(k, h, slot, d, p, frame, ts, isTCP)
		nf := t.flow(idx)
		if seenL4 {
			nf.bits |= fsKeySeenL4
		}
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
		f.bits |= fsHasL4
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
	idx := t.flows.Alloc()
	f := t.flow(idx)
	*f = flowState{key: compactKey(k), firstFrame: frame, firstTS: ts, lastTS: ts, tcp: -1, orig: d}
	if k.IPVersion == 6 {
		vi := t.v6.Alloc()
		*t.v6.At(vi) = [2][16]byte{k.A, k.B}
		f.key.addr = uint64(vi)
	}
	if k.Proto == fastparse.ProtoICMP || k.Proto == fastparse.ProtoICMPv6 {
		f.icmpType, f.icmpCode = p.ICMPType, p.ICMPCode
	}
	if isTCP {
		ti := t.tcp.Alloc()
		s := t.tcpAt(ti)
		s.h[0].winScale, s.h[1].winScale = -1, -1
		f.tcp = ti
		// The originator is the SYN sender: a flow whose first packet is a SYN-ACK was
		// started by its receiver (Zeek marks that with '^').
		if p.TCPFlags&(thSYN|thACK) == thSYN|thACK {
			f.orig = d ^ 1
			s.addHist('^')
		}
	}
	t.insert(slot, h, idx)
	return idx
}

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
