package index

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/intmath"
	"github.com/pcapdex/pcapdex/internal/slab"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Names of the builder's sections and tables: the contract between the builder and query/.
const (
	TablePackets    = "packets"      // one row per packet, PacketBlockRows rows per block
	TablePacketFlow = "packets.flow" // flow id and analysis flags per packet, same blocks as packets
	TableFlows      = "flows"        // one row per flow; row r is flow id r+1
	TableEvents     = "events"       // TCP analysis events, in frame order
	TableSeries     = "series"       // per-second counters, in time order
	SectionMeta     = "meta"         // build facts, JSON

	PostOrigAddr   = "post.orig_h"      // originator address (4 or 16 bytes) -> flow rows
	PostRespAddr   = "post.resp_h"      // responder address -> flow rows
	PostOrigPort   = "post.orig_p"      // originator port (u16 BE; TCP/UDP/SCTP) -> flow rows
	PostRespPort   = "post.resp_p"      // responder port -> flow rows
	PostProto      = "post.proto"       // IP protocol (1 byte) -> flow rows
	PostVLAN       = "post.vlan"        // outermost VLAN id (u16 BE) -> flow rows
	PostState      = "post.state"       // conn_state name ("SF") -> flow rows
	PostEvent      = "post.event"       // event type (1 byte, flowhash.EventType) -> flow rows
	PostFlowBlocks = "post.flow.blocks" // flow row (u32 BE) -> packet blocks, for flows spanning > WideFlowBlocks blocks
)

// Packet table columns, in order.
var packetColumns = []ColumnSpec{
	{"ts", KindInt64},         // ns since the epoch
	{"file", KindUint16},      // index into the captures section
	{"off", KindInt64},        // byte offset of the record in its (decompressed) file, stored as a gap (packets.go)
	{"caplen", KindUint32},    // captured bytes
	{"trunc", KindUint32},     // original length - captured length
	{"dir", KindUint8},        // flowhash.Dir of the packet relative to its flow key (A->B 0, B->A 1)
	{"tcp_flags", KindUint16}, // fastparse TCP flag bits, 0 for non-TCP
	{"seq", KindUint32},       // relative sequence number (SYN = 0; mid-stream start = 1), stored predicted (packets.go)
	{"ack", KindUint32},       // relative acknowledgement number (0 without ACK), stored predicted (packets.go)
	{"win", KindUint32},       // window, scaled when both SYNs carried a window scale, stored predicted (packets.go)
	{"plen", KindUint32},      // transport payload length, stored predicted for TCP rows (packets.go)
	{"kslot", KindUint32},     // block-local key slot of TCP packets (see packets.go)
}

// Packet-flow table columns.
var packetFlowColumns = []ColumnSpec{
	{"flow", KindUint32},     // flow id (row + 1), 0 for packets without IP; predicted for TCP rows (packets.go)
	{"analysis", KindUint32}, // bit (1 << EventType) for each event flagged on the packet
}

var flowColumns = []ColumnSpec{
	{"ts", KindInt64}, {"ts_end", KindInt64}, {"first_frame", KindInt64},
	{"proto", KindUint8}, {"ipver", KindUint8},
	{"orig_h", KindAddr}, {"orig_p", KindUint16}, {"resp_h", KindAddr}, {"resp_p", KindUint16},
	{"vlan", KindUint16}, // outermost VLAN id, 0xffff for none
	{"orig_pkts", KindInt64}, {"resp_pkts", KindInt64},
	{"orig_bytes", KindInt64}, {"resp_bytes", KindInt64},
	{"orig_ip_bytes", KindInt64}, {"resp_ip_bytes", KindInt64},
	{"conn_state", KindUint8}, {"history", KindBytes}, {"tcp_flags", KindUint16},
	{"syn_rtt", KindInt64}, {"ack_rtt", KindInt64},
	{"rtt_min", KindInt64}, {"rtt_avg", KindInt64}, {"rtt_max", KindInt64},
	{"retransmissions", KindUint32}, {"fast_retransmissions", KindUint32},
	{"spurious_retransmissions", KindUint32}, {"out_of_order", KindUint32},
	{"dup_acks", KindUint32}, {"zero_windows", KindUint32},
	{"lost_segments", KindUint32}, {"acked_unseen", KindUint32},
	{"orig_mss", KindUint16}, {"resp_mss", KindUint16},
	{"orig_wscale", KindUint8}, {"resp_wscale", KindUint8}, // int8 as two's complement, 0xff: none
	{"icmp_type", KindUint8}, {"icmp_code", KindUint8}, {"has_l4", KindUint8},
	{"pblk_first", KindUint32}, {"pblk_last", KindUint32}, // packet blocks of the first and last packet
}

var eventColumns = []ColumnSpec{
	{"frame", KindInt64}, {"ts", KindInt64}, {"flow", KindUint32},
	{"type", KindUint8}, {"from_orig", KindUint8}, {"detail", KindInt64},
}

var seriesColumns = []ColumnSpec{
	{"sec", KindInt64}, {"packets", KindInt64}, {"bytes", KindInt64},
	{"new_flows", KindInt64}, {"events", KindInt64},
}

// PacketBlockRows is the default number of packets per block of the packet tables.
const PacketBlockRows = 1 << 16

// FlowBlockRows is the number of flows per block of the flows table. A query for one host
// decodes the blocks holding its flows: 8Ki rows decode 8 times fewer values than 64Ki
// per block touched, for an index 0.4-0.6% larger (measured on generated and small-packet
// captures; 4Ki rows cost 0.9-6%, as dictionaries repeat per block).
const FlowBlockRows = 1 << 13

// WideFlowBlocks: flows whose packets span more blocks than this get a block bitmap in
// PostFlowBlocks; narrower ones are found by scanning pblk_first..pblk_last.
const WideFlowBlocks = 4

const noKey = ^uint32(0)

// chainedBit marks, in Builder.flags, packets that got a key slot (TCP with a header).
const chainedBit = 1 << 15

// BuildOptions tune a Builder.
type BuildOptions struct {
	BlockRows int              // packets per block; 0 means PacketBlockRows
	Flow      flowhash.Options // flow tracking options (Events is always on)
	// Consumers are more users of the same pass over the captures (ReadCapture): each gets
	// every batch after the Builder, in capture order (flowhash.Consumer).
	Consumers []flowhash.Consumer
	// NoMmap reads captures with plain reads (BuildFiles).
	NoMmap bool
	// Progress, if not nil, is called while BuildFiles reads (about every 64 Ki packets, on
	// the goroutine that called it).
	Progress func(Progress)
	// MaxWindow is the largest decompression window a compressed capture may ask for
	// (pcapng.Options.MaxWindow; 0: the default).
	MaxWindow int64
	// LockStale is how long BuildFiles waits for another process building the same index
	// that shows no progress (0: DefaultLockStale).
	LockStale time.Duration

	lockWait func() // tests: called when BuildFiles starts waiting for another builder
}

// BuildStats summarise a build.
type BuildStats struct {
	Files, Packets, Flows, Events int64
	Bytes                         int64    // index file size
	Warnings                      []string // captures that ended early (read errors), one line each
	EventsDropped                 uint64   // events not kept (flowhash.Options.MaxFlowEvents)
}

type keyState struct {
	rel   flowhash.RelSeq // relative seq/ack and window scaling, as Wireshark shows them
	vlan  uint16
	chain chainState
}

type secCount struct{ sec, pkts, bytes, flows, events int64 }

// flowRec is what the builder keeps per flow.
type flowRec struct {
	key         uint32 // key id - 1
	first, last uint32 // packet blocks of the first and last packet
	flags       uint16 // TCP flags seen
}

// flowBlock records that flow row reached packet block blk (once per flow and block).
type flowBlock struct{ row, blk uint32 }

// Builder turns one pass over captures into an index: per capture file BeginFile, then
// ReadCapture (the parallel flow pipeline, BuildOptions.Flow.Workers) or Add per packet (the
// single-goroutine form), then EndFile; then Finish. Both give the same bytes. Packet
// blocks and their flow ids are written as they fill (the flow ids compressed in memory
// until Finish); per flow and per key the Builder keeps a few dozen bytes, nothing per
// packet.
type Builder struct {
	w        *Writer
	opt      BuildOptions
	tr       *flowhash.Tracker   // Add
	pl       *flowhash.Pipeline  // ReadCapture
	pk       *TableWriter        // packets
	pf       *TableWriter        // packets.flow (spooled)
	ks       slab.List[keyState] // by key id - 1
	files    []CaptureFile
	inFile   bool
	secs     []secCount
	secIdx   map[int64]int
	last     int   // index in secs of the last packet's second
	lastLo   int64 // that second's first ns
	lastOK   bool  // lastLo is valid
	stats    BuildStats
	warnings []string
	npk      int   // packets added
	prevOff  int64 // offset and captured length of the previous packet
	prevCap  uint32
	chainBlk uint32   // block of the key slots being numbered (the current packet block)
	inBlk    int      // packets in that block
	nslot    uint32   // key slots used in that block
	slotFlow []uint32 // flow id of each key slot's previous packet in the block
	info     flowhash.PacketInfo

	fl         slab.List[flowRec] // by flow row (id - 1)
	flowBlocks []flowBlock        // each block each flow reached, for wide-flow bitmaps
	addErr     error              // a write error from the packet loop
}

// NewBuilder starts building into w. Finish closes w.
func NewBuilder(w *Writer, opt BuildOptions) (*Builder, error) {
	if opt.BlockRows == 0 {
		opt.BlockRows = PacketBlockRows
	}
	opt.Flow.Events = true
	opt.Flow.DecodeStats = true // the info object of a one-file set (Summary)
	pk, err := w.NewTable(TablePackets, packetColumns, TableOptions{BlockRows: opt.BlockRows, TimeColumn: "ts", Background: true})
	if err != nil {
		return nil, err
	}
	pf, err := w.NewTable(TablePacketFlow, packetFlowColumns, TableOptions{BlockRows: opt.BlockRows, Background: true, Spool: true})
	if err != nil {
		pk.stopWorker()
		return nil, err
	}
	return &Builder{w: w, opt: opt, pk: pk, pf: pf, secIdx: map[int64]int{}, last: -1, slotFlow: []uint32{0}}, nil
}

// BeginFile starts the next capture file of the set.
func (b *Builder) BeginFile(cf CaptureFile) error {
	if b.inFile {
		return errors.New("index: BeginFile inside a file")
	}
	if len(b.files) >= 1<<16 {
		return errors.New("index: more than 65536 capture files")
	}
	b.files = append(b.files, cf)
	b.inFile = true
	return nil
}

// EndFile ends the current file; info is its opaque summary (stored in the captures section).
func (b *Builder) EndFile(info []byte) {
	if b.inFile {
		b.files[len(b.files)-1].Info = slices.Clone(info)
		b.inFile = false
	}
}

// Add accounts one packet: p as read, d as decoded by fastparse (any status), tracking flows
// in the caller's goroutine. It does not allocate once its buffers have grown, and returns
// only write errors. A Builder takes either Add or ReadCapture, not both.
func (b *Builder) Add(p *pcapng.Packet, d *fastparse.Packet) error {
	if b.pl != nil {
		return errors.New("index: Builder.Add after ReadCapture")
	}
	if b.tr == nil {
		b.tr = flowhash.NewTracker(b.opt.Flow)
	}
	b.tr.AddInfo(d, uint64(b.npk)+1, p.TS, &b.info)
	return b.add(p, &b.info)
}

// ReadCapture feeds the capture r to the index through the flow pipeline (decoding and
// flow tracking on BuildOptions.Flow.Workers goroutines; the packet tables are filled on
// this one), and every batch, after the Builder has seen it, to BuildOptions.Consumers in
// the same pass. readErr is the reader's error other than io.EOF (the packets before it are
// indexed); err is a write error or a consumer's, after which the index can only be
// aborted (Finish reports it again).
func (b *Builder) ReadCapture(r *pcapng.Reader) (readErr, err error) {
	if b.tr != nil {
		return nil, errors.New("index: Builder.ReadCapture after Add")
	}
	if b.pl == nil {
		cs := append([]flowhash.Consumer{flowhash.BatchFunc(b.addBatch)}, b.opt.Consumers...)
		b.pl = flowhash.NewPipeline(b.opt.Flow, cs...)
	}
	rerr := b.pl.Run(r)
	if b.addErr != nil {
		return nil, b.addErr
	}
	if cerr := (*flowhash.ConsumerError)(nil); errors.As(rerr, &cerr) {
		b.addErr = cerr.Err
		return nil, cerr.Err
	}
	return rerr, nil
}

func (b *Builder) addBatch(bt *flowhash.Batch) error {
	for i := range bt.Packets {
		if err := b.add(&bt.Packets[i], &bt.Info[i]); err != nil {
			b.addErr = err
			return err
		}
	}
	return nil
}

// add encodes one packet with what flow tracking found about it.
func (b *Builder) add(p *pcapng.Packet, in *flowhash.PacketInfo) error {
	ts := p.TS
	cols := b.pk.Pending()
	cols[0].I64 = append(cols[0].I64, ts)
	cols[1].U16 = append(cols[1].U16, uint16(len(b.files)-1))
	// Record offsets are stored as the gap after the previous record's captured bytes (the
	// record header and padding: constant per file format), absolute at a block's start.
	off := p.Offset
	if len(cols[2].I64) > 0 {
		off -= b.prevOff + int64(b.prevCap)
	}
	b.prevOff, b.prevCap = p.Offset, p.CapLen
	cols[2].I64 = append(cols[2].I64, off)
	cols[3].U32 = append(cols[3].U32, p.CapLen)
	trunc := uint32(0)
	if p.OrigLen > p.CapLen {
		trunc = p.OrigLen - p.CapLen
	}
	cols[4].U32 = append(cols[4].U32, trunc)
	var flags uint16
	var seq, ack, win, plen, slot uint32
	var dir uint8
	if b.inBlk == b.opt.BlockRows {
		// A new packet block: key slots are numbered afresh.
		b.chainBlk, b.inBlk, b.nslot = b.chainBlk+1, 0, 0
		b.slotFlow = b.slotFlow[:1]
	}
	b.inBlk++
	blk := b.chainBlk
	id := uint32(0)
	if in.IP {
		ki := in.Key - 1
		if int(ki) == b.ks.Len() {
			*b.ks.Add() = keyState{rel: flowhash.NewRelSeq(), vlan: in.VLAN}
		}
		id = in.Flow
		dir, plen = uint8(in.Dir), in.PayloadLen
		if in.Proto == fastparse.ProtoTCP && in.HasL4 {
			flags = in.TCPFlags
			s := b.ks.At(int(ki))
			seq, ack, win = s.rel.Next(&in.Segment, int(in.Dir))
			slot, seq, ack, win, plen = s.chain.encode(blk, &b.nslot, int(in.Dir), seq, ack, win, plen, p.CapLen, flags)
		}
		// Per flow: key, block range, TCP flags; a new block entry for wide-flow bitmaps.
		r := id - 1
		var fr *flowRec
		if int(r) == b.fl.Len() {
			fr = b.fl.Add()
			*fr = flowRec{key: ki, first: blk, last: blk}
			b.flowBlocks = append(b.flowBlocks, flowBlock{r, blk})
		} else if fr = b.fl.At(int(r)); fr.last != blk {
			fr.last = blk
			b.flowBlocks = append(b.flowBlocks, flowBlock{r, blk})
		}
		fr.flags |= flags
	}
	cols[5].U8 = append(cols[5].U8, dir)
	cols[6].U16 = append(cols[6].U16, flags)
	cols[7].U32 = append(cols[7].U32, seq)
	cols[8].U32 = append(cols[8].U32, ack)
	cols[9].U32 = append(cols[9].U32, win)
	cols[10].U32 = append(cols[10].U32, plen)
	cols[11].U32 = append(cols[11].U32, slot)
	// Flow ids of chained packets are stored as the change from the slot's previous packet.
	stored := id
	if slot != 0 {
		if int(slot) == len(b.slotFlow) {
			b.slotFlow = append(b.slotFlow, 0)
		}
		stored = zz32(id - b.slotFlow[slot])
		b.slotFlow[slot] = id
	}
	fc := b.pf.Pending()
	fc[0].U32 = append(fc[0].U32, stored)
	fc[1].U32 = append(fc[1].U32, in.Events)
	b.npk++
	b.countSecond(ts, int64(p.OrigLen))
	if b.pk.Full() {
		if err := b.pk.Flush(); err != nil {
			return err
		}
		return b.pf.Flush()
	}
	return nil
}

func (b *Builder) countSecond(ts, bytes int64) {
	if i := b.last; i >= 0 && b.lastOK && ts >= b.lastLo && ts-b.lastLo < 1e9 {
		// The same second as the previous packet: no division, no lookup.
		b.secs[i].pkts++
		b.secs[i].bytes += bytes
		return
	}
	sec := intmath.FloorDiv(ts, 1e9)
	b.lastLo, b.lastOK = sec*1e9, sec > math.MinInt64/int64(1e9) // no overflow
	i := b.last
	if i < 0 || b.secs[i].sec != sec {
		var ok bool
		if i, ok = b.secIdx[sec]; !ok {
			i = len(b.secs)
			b.secIdx[sec] = i
			b.secs = append(b.secs, secCount{sec: sec})
		}
		b.last = i
	}
	b.secs[i].pkts++
	b.secs[i].bytes += bytes
}

func (b *Builder) addSecond(ts int64, flows, events int64) {
	sec := intmath.FloorDiv(ts, 1e9)
	i, ok := b.secIdx[sec]
	if !ok {
		i = len(b.secs)
		b.secIdx[sec] = i
		b.secs = append(b.secs, secCount{sec: sec})
	}
	b.secs[i].flows += flows
	b.secs[i].events += events
}

// Finish ends flow tracking, writes the flow, packet-flow, event and series tables and the
// postings, and closes the Writer (renaming the index into place). On error the Writer is
// aborted.
func (b *Builder) Finish() (*BuildStats, error) {
	st, err := b.finish()
	if err != nil {
		b.w.Abort()
		return nil, err
	}
	return st, nil
}

func (b *Builder) finish() (*BuildStats, error) {
	w := b.w
	if b.addErr != nil {
		b.pf.stopWorker()
		return nil, b.addErr
	}
	if err := b.pk.Close(); err != nil {
		b.pf.stopWorker()
		return nil, err
	}
	if err := b.pf.Close(); err != nil {
		return nil, err
	}
	var res *flowhash.Result
	switch {
	case b.pl != nil:
		res = b.pl.Result()
	case b.tr != nil:
		res = b.tr.Result()
	default:
		res = flowhash.NewTracker(b.opt.Flow).Result()
	}
	flows := res.Flows
	if len(flows) >= 1<<32-1 {
		return nil, fmt.Errorf("index: %d flows exceed the format's limit", len(flows))
	}
	if len(flows) != b.fl.Len() {
		return nil, fmt.Errorf("index: flow tracking found %d flows, the packets named %d", len(flows), b.fl.Len())
	}
	blockRows := b.opt.BlockRows
	nf := len(flows)
	events := res.Events
	// Block bitmaps of wide flows.
	wide := map[uint32]*roaring.Bitmap{}
	for _, fb := range b.flowBlocks {
		if fr := b.fl.At(int(fb.row)); fr.last-fr.first <= WideFlowBlocks {
			continue
		}
		bm := wide[fb.row]
		if bm == nil {
			bm = roaring.New()
			wide[fb.row] = bm
		}
		bm.Add(fb.blk)
	}
	b.flowBlocks = nil
	writePostings := b.startPostings(flows, events, wide)
	if err := b.writeFlows(flows); err != nil {
		return nil, err
	}
	if err := b.writeEvents(events); err != nil {
		return nil, err
	}
	for i := range flows {
		b.addSecond(flows[i].FirstTS, 1, 0)
	}
	for i := range events {
		b.addSecond(events[i].TS, 0, 1)
	}
	if err := b.writeSeries(); err != nil {
		return nil, err
	}
	if err := writePostings(); err != nil {
		return nil, err
	}
	meta := []byte(`{"format":` + strconv.Itoa(int(FormatVersion)) +
		`,"flow_hash_version":` + strconv.Itoa(flowhash.HashVersion) +
		`,"block_rows":` + strconv.Itoa(blockRows) +
		`,"files":` + strconv.Itoa(len(b.files)) +
		`,"packets":` + strconv.Itoa(b.npk) +
		`,"ip_packets":` + strconv.FormatUint(res.IPPackets, 10) +
		`,"flows":` + strconv.Itoa(nf) +
		`,"events":` + strconv.Itoa(len(events)) + `}`)
	if err := w.AddSection(SectionBlob, SectionMeta, meta, true); err != nil {
		return nil, err
	}
	if n := res.EventsDropped; n > 0 && len(b.files) > 0 {
		// A fact of the set, kept with its last capture so every query says it again.
		last := &b.files[len(b.files)-1]
		if info := last.Info; len(info) > 1 && info[len(info)-1] == '}' {
			info = append(slices.Clone(info[:len(info)-1]), `,"events_not_kept":`...)
			last.Info = append(strconv.AppendUint(info, n, 10), '}')
		}
	}
	if err := w.WriteCaptures(b.files); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b.stats = BuildStats{Files: int64(len(b.files)), Packets: int64(b.npk), Flows: int64(nf), Events: int64(len(events))}
	b.stats.Bytes = w.off
	b.stats.Warnings = b.warnings
	b.stats.EventsDropped = res.EventsDropped
	return &b.stats, nil
}

func (b *Builder) writeFlows(flows []flowhash.Flow) error {
	t, err := b.w.NewTable(TableFlows, flowColumns, TableOptions{BlockRows: FlowBlockRows, TimeColumn: "ts", Background: true})
	if err != nil {
		return err
	}
	for i := range flows {
		f := &flows[i]
		c := t.Pending()
		oh, op := f.OrigEndpoint()
		rh, rp := f.RespEndpoint()
		fr := b.fl.At(i)
		vlan := b.ks.At(int(fr.key)).vlan
		c[0].I64 = append(c[0].I64, f.FirstTS)
		c[1].I64 = append(c[1].I64, f.LastTS)
		c[2].I64 = append(c[2].I64, int64(f.FirstFrame))
		c[3].U8 = append(c[3].U8, f.Key.Proto)
		c[4].U8 = append(c[4].U8, f.Key.IPVersion)
		c[5].Addr = append(c[5].Addr, *oh)
		c[6].U16 = append(c[6].U16, op)
		c[7].Addr = append(c[7].Addr, *rh)
		c[8].U16 = append(c[8].U16, rp)
		c[9].U16 = append(c[9].U16, vlan)
		c[10].I64 = append(c[10].I64, int64(f.OrigPkts))
		c[11].I64 = append(c[11].I64, int64(f.RespPkts))
		c[12].I64 = append(c[12].I64, int64(f.OrigBytes))
		c[13].I64 = append(c[13].I64, int64(f.RespBytes))
		c[14].I64 = append(c[14].I64, int64(f.OrigIPBytes))
		c[15].I64 = append(c[15].I64, int64(f.RespIPBytes))
		c[16].U8 = append(c[16].U8, uint8(f.ConnState))
		c[17].Bytes = append(c[17].Bytes, f.Hist[:min(int(f.HistLen), len(f.Hist))])
		c[18].U16 = append(c[18].U16, fr.flags)
		tc := &f.TCP
		c[19].I64 = append(c[19].I64, tc.SynRTT)
		c[20].I64 = append(c[20].I64, tc.AckRTT)
		c[21].I64 = append(c[21].I64, tc.RTTMin)
		c[22].I64 = append(c[22].I64, tc.RTTAvg)
		c[23].I64 = append(c[23].I64, tc.RTTMax)
		c[24].U32 = append(c[24].U32, tc.Retransmissions)
		c[25].U32 = append(c[25].U32, tc.FastRetransmissions)
		c[26].U32 = append(c[26].U32, tc.SpuriousRetransmissions)
		c[27].U32 = append(c[27].U32, tc.OutOfOrder)
		c[28].U32 = append(c[28].U32, tc.DupAcks)
		c[29].U32 = append(c[29].U32, tc.ZeroWindows)
		c[30].U32 = append(c[30].U32, tc.LostSegments)
		c[31].U32 = append(c[31].U32, tc.AckedUnseen)
		c[32].U16 = append(c[32].U16, tc.MSS[0])
		c[33].U16 = append(c[33].U16, tc.MSS[1])
		ws0, ws1 := uint8(0xff), uint8(0xff)
		if f.Key.Proto == fastparse.ProtoTCP {
			ws0, ws1 = uint8(tc.WScale[0]), uint8(tc.WScale[1])
		}
		c[34].U8 = append(c[34].U8, ws0)
		c[35].U8 = append(c[35].U8, ws1)
		c[36].U8 = append(c[36].U8, f.ICMPType)
		c[37].U8 = append(c[37].U8, f.ICMPCode)
		c[38].U8 = append(c[38].U8, b2u8(f.HasL4))
		c[39].U32 = append(c[39].U32, fr.first)
		c[40].U32 = append(c[40].U32, fr.last)
		if t.Full() {
			if err := t.Flush(); err != nil {
				return err
			}
		}
	}
	return t.Close()
}

func b2u8(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

func (b *Builder) writeEvents(events []flowhash.Event) error {
	t, err := b.w.NewTable(TableEvents, eventColumns, TableOptions{BlockRows: PacketBlockRows, TimeColumn: "ts", Background: true})
	if err != nil {
		return err
	}
	for i := range events {
		e := &events[i]
		c := t.Pending()
		c[0].I64 = append(c[0].I64, int64(e.Frame))
		c[1].I64 = append(c[1].I64, e.TS)
		c[2].U32 = append(c[2].U32, uint32(e.FlowID))
		c[3].U8 = append(c[3].U8, uint8(e.Type))
		c[4].U8 = append(c[4].U8, b2u8(e.FromOrig))
		c[5].I64 = append(c[5].I64, e.Detail)
		if t.Full() {
			if err := t.Flush(); err != nil {
				return err
			}
		}
	}
	return t.Close()
}

func (b *Builder) writeSeries() error {
	slices.SortFunc(b.secs, func(x, y secCount) int { return cmp.Compare(x.sec, y.sec) })
	t, err := b.w.NewTable(TableSeries, seriesColumns, TableOptions{BlockRows: PacketBlockRows, TimeColumn: "sec"})
	if err != nil {
		return err
	}
	for _, s := range b.secs {
		c := t.Pending()
		c[0].I64 = append(c[0].I64, s.sec)
		c[1].I64 = append(c[1].I64, s.pkts)
		c[2].I64 = append(c[2].I64, s.bytes)
		c[3].I64 = append(c[3].I64, s.flows)
		c[4].I64 = append(c[4].I64, s.events)
		if t.Full() {
			if err := t.Flush(); err != nil {
				return err
			}
		}
	}
	return t.Close()
}

// postingsRows collects rows per key for one postings section, count then fill: a first
// pass over the rows interns each key once and counts its rows, a second stores the rows
// into one array cut per key (no slices growing per key), and bitmaps are built once at
// the end.
type postingsRows struct {
	idx     map[string]int32
	filling bool
	count   []uint32 // counting: rows per key; filling: next free place per key
	start   []uint32 // first place of each key in rows, then the end
	rows    []uint32
}

func newPostingsRows() *postingsRows { return &postingsRows{idx: map[string]int32{}} }

// fill runs fill twice, counting then filling.
func (m *postingsRows) fill(fill func(m *postingsRows)) {
	fill(m)
	m.start = make([]uint32, len(m.count)+1)
	for i, c := range m.count {
		m.start[i+1] = m.start[i] + c
	}
	copy(m.count, m.start)
	m.rows = make([]uint32, m.start[len(m.count)])
	m.filling = true
	fill(m)
}

func (m *postingsRows) add(key []byte, row uint32) {
	if m.filling {
		i := m.idx[string(key)]
		m.rows[m.count[i]] = row
		m.count[i]++
		return
	}
	i, ok := m.idx[string(key)]
	if !ok {
		i = int32(len(m.count))
		m.idx[string(key)] = i
		m.count = append(m.count, 0)
	}
	m.count[i]++
}

// encodedPostings is one postings section, ready to write.
type encodedPostings struct {
	name string
	data []byte
	err  error
}

func (m *postingsRows) encode(name string, width int) encodedPostings {
	keys := make([]string, 0, len(m.idx))
	for k := range m.idx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kb := make([][]byte, len(keys))
	ser := make([][]byte, len(keys))
	var area []byte                        // small bitmaps, serialized back to back
	single := make([]byte, 0, 4*len(keys)) // rows of keys with one row
	ends := make([]int, len(keys))
	for i, k := range keys {
		kb[i] = []byte(k)
		j := m.idx[k]
		rows := m.rows[m.start[j]:m.start[j+1]]
		if !slices.IsSorted(rows) {
			slices.Sort(rows)
		}
		rows = slices.Compact(rows)
		if len(rows) == 1 { // stored as the row itself
			n := len(single)
			single = AppendUint32(single, rows[0])
			ser[i] = single[n : n+4 : n+4]
			ends[i] = len(area)
			continue
		}
		var ok bool
		if area, ok = appendSmallBitmap(area, rows); !ok {
			bm := roaring.New()
			bm.AddMany(rows)
			bm.RunOptimize()
			b, err := bm.ToBytes()
			if err != nil {
				return encodedPostings{name: name, err: err}
			}
			ser[i] = b
		}
		ends[i] = len(area)
	}
	start := 0
	for i := range ser {
		if ser[i] == nil {
			ser[i] = area[start:ends[i]:ends[i]]
		}
		start = ends[i]
	}
	data, err := appendPostingsRaw(nil, name, width, kb, ser)
	return encodedPostings{name, data, err}
}

func addrKey(a *[16]byte, ipver uint8) []byte {
	if ipver == 4 {
		return a[:4]
	}
	return a[:]
}

// startPostings builds every postings section, each on a goroutine of its own (they are
// independent of each other and of the Writer), while the caller writes other tables; the
// function it returns waits for them and writes them in a fixed order.
func (b *Builder) startPostings(flows []flowhash.Flow, events []flowhash.Event, wide map[uint32]*roaring.Bitmap) (write func() error) {
	type job struct {
		name  string
		width int
		fill  func(m *postingsRows)
	}
	jobs := []job{
		{PostOrigAddr, 0, func(m *postingsRows) {
			for i := range flows {
				a, _ := flows[i].OrigEndpoint()
				m.add(addrKey(a, flows[i].Key.IPVersion), uint32(i))
			}
		}},
		{PostRespAddr, 0, func(m *postingsRows) {
			for i := range flows {
				a, _ := flows[i].RespEndpoint()
				m.add(addrKey(a, flows[i].Key.IPVersion), uint32(i))
			}
		}},
		{PostOrigPort, 2, func(m *postingsRows) {
			var k [2]byte
			for i := range flows {
				if f := &flows[i]; f.HasL4 && HasPortPostings(f.Key.Proto) {
					_, p := f.OrigEndpoint()
					binary.BigEndian.PutUint16(k[:], p)
					m.add(k[:], uint32(i))
				}
			}
		}},
		{PostRespPort, 2, func(m *postingsRows) {
			var k [2]byte
			for i := range flows {
				if f := &flows[i]; f.HasL4 && HasPortPostings(f.Key.Proto) {
					_, p := f.RespEndpoint()
					binary.BigEndian.PutUint16(k[:], p)
					m.add(k[:], uint32(i))
				}
			}
		}},
		{PostProto, 1, func(m *postingsRows) {
			for i := range flows {
				m.add([]byte{flows[i].Key.Proto}, uint32(i))
			}
		}},
		{PostVLAN, 2, func(m *postingsRows) {
			var k [2]byte
			for i := range flows {
				if v := b.ks.At(int(b.fl.At(i).key)).vlan; v != 0xffff {
					binary.BigEndian.PutUint16(k[:], v)
					m.add(k[:], uint32(i))
				}
			}
		}},
		{PostState, 0, func(m *postingsRows) {
			for i := range flows {
				m.add([]byte(flows[i].ConnState.String()), uint32(i))
			}
		}},
		{PostEvent, 1, func(m *postingsRows) {
			for i := range events {
				if id := events[i].FlowID; id >= 1 && id <= uint64(len(flows)) {
					m.add([]byte{uint8(events[i].Type)}, uint32(id-1))
				}
			}
		}},
	}
	out := make([]encodedPostings, len(jobs)+1)
	var wg sync.WaitGroup
	for j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := newPostingsRows()
			m.fill(jobs[j].fill)
			out[j] = m.encode(jobs[j].name, jobs[j].width)
		}()
	}
	// Flow -> packet blocks of wide flows (bitmaps already built).
	wg.Add(1)
	go func() {
		defer wg.Done()
		rows := make([]uint32, 0, len(wide))
		for r := range wide {
			rows = append(rows, r)
		}
		slices.Sort(rows)
		kb := make([][]byte, len(rows))
		bms := make([]*roaring.Bitmap, len(rows))
		for i, r := range rows {
			kb[i] = binary.BigEndian.AppendUint32(nil, r)
			bms[i] = wide[r]
			bms[i].RunOptimize()
		}
		data, err := appendPostings(nil, PostFlowBlocks, 4, kb, bms)
		out[len(jobs)] = encodedPostings{PostFlowBlocks, data, err}
	}()
	return func() error {
		wg.Wait()
		for _, p := range out {
			if p.err != nil {
				return b.w.fail(p.err)
			}
			if err := b.w.addPostings(p.name, p.data); err != nil {
				return err
			}
		}
		return nil
	}
}

// HasPortPostings reports whether flows of IP protocol proto (with a transport header) have
// their ports in the port postings: TCP, UDP and SCTP, the protocols tcpdump's port
// primitives apply to. ICMP flows carry type and code in the flow key's port fields; they are
// not indexed as ports. Everything that reads or shows flow ports (a port filter evaluated
// without the index, the port columns of a flow row, top by port) follows this, so a query
// answers the same from an index and from a capture.
func HasPortPostings(proto uint8) bool {
	switch proto {
	case fastparse.ProtoTCP, fastparse.ProtoUDP, fastparse.ProtoSCTP:
		return true
	}
	return false
}
