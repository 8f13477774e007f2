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
