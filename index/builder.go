package index

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/intmath"
	"github.com/pcapdex/pcapdex/internal/slab"
	"github.com/pcapdex/pcapdex/pcapng"
)

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
