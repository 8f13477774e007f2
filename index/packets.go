package index

import (
	"fmt"
	"slices"
)

// Sequence and acknowledgement numbers in the packet table (durable).
//
// Relative numbers of interleaved connections look random to a compressor, yet each is
// almost always predictable from the previous segment of the same connection. The packet
// table therefore stores, per TCP packet, the difference from a prediction, zigzag coded
// as an int32 so that small misses stay small:
//
//	kslot  block-local number of the packet's flow key (1, 2, ... in order of first
//	       appearance in the block), 0 for packets that are not TCP with a decoded header
//	seq    zz(seq - next[kslot][dir]), where next[s][d] starts at 0 in every block and
//	       after each packet becomes seq + plen + SYN + FIN
//	ack    with the ACK flag: zz(ack - next[kslot][1-dir]); without it: 0
//	win    zz(win - prev[kslot][dir]), prev being the window of the slot's previous packet
//	       in that direction in the block (0 at first)
//	plen   zz(plen - (caplen - hdr[kslot][dir])), hdr being caplen - plen of the slot's
//	       previous packet in that direction (0 at first); decoded before seq and ack
//
//	flow   (packets.flow) for kslot > 0: zz(flow - the flow of the slot's previous packet
//	       in the block, 0 at first); for kslot 0 the flow id itself
//
// Rows with kslot 0 store seq, ack and win as they are. The record offset column "off"
// holds, after a block's first row, off[i] - off[i-1] - caplen[i-1] (the record header and
// padding, nearly constant). Blocks decode independently: ReadBlock decodes all columns,
// and readers that decode only some columns resolve the chains with ResolveFlowIDs and
// ResolveSeqAck, the one implementation of each.

// chainState is the per-key state of the encoder.
type chainState struct {
	blk  uint32 // block number + 1 the slot belongs to (0: none yet)
	slot uint32
	next [2]uint32
	win  [2]uint32
	hdr  [2]uint32
}

func zz32(v uint32) uint32   { x := int32(v); return uint32(x<<1) ^ uint32(x>>31) }
func unzz32(u uint32) uint32 { return (u >> 1) ^ -(u & 1) }

func nextSeq(seq, plen uint32, flags uint16) uint32 {
	n := seq + plen
	if flags&tcpSyn != 0 {
		n++
	}
	if flags&tcpFin != 0 {
		n++
	}
	return n
}

// fastparse.TCPFin and TCPSyn; repeated here so the decoder below depends on nothing.
const (
	tcpFin uint16 = 1 << 0
	tcpSyn uint16 = 1 << 1
	tcpAck uint16 = 1 << 4
)

// encode returns the stored seq and ack of a TCP packet and its key slot in block blk;
// nslot is the block's slot counter.
func (c *chainState) encode(blk uint32, nslot *uint32, di int, seq, ack, win, plen, caplen uint32, flags uint16) (slot, seqGap, ackGap, winGap, plenGap uint32) {
	if c.blk != blk+1 {
		*nslot++
		c.blk, c.slot, c.next, c.win, c.hdr = blk+1, *nslot, [2]uint32{}, [2]uint32{}, [2]uint32{}
	}
	plenGap = zz32(plen - (caplen - c.hdr[di]))
	c.hdr[di] = caplen - plen
	winGap = zz32(win - c.win[di])
	c.win[di] = win
	seqGap = zz32(seq - c.next[di])
	if flags&tcpAck != 0 {
		ackGap = zz32(ack - c.next[1-di])
	}
	c.next[di] = nextSeq(seq, plen, flags)
	return c.slot, seqGap, ackGap, winGap, plenGap
}

// ResolveSeqAck turns the stored plen, seq, ack and win values of TCP rows of one packet
// block back into their values, in place, for readers that decode columns themselves
// (ReadBlock decodes every column and calls it). The rows may be a subset of the block's
// blockRows rows, in block order, provided they hold every row of each key slot they hold
// (a slot's chain runs through all of its rows); kslot, dir, flags and caplen are those
// rows' decoded columns. Rows with key slot 0 are left as stored. scratch is returned for
// reuse: once it has grown, ResolveSeqAck allocates nothing. Bad values (slots beyond the
// block, lengths that differ) give an error for the caller to place.
func ResolveSeqAck(blockRows int, kslot []uint32, dir []uint8, flags []uint16, caplen, plen, seq, ack, win, scratch []uint32) ([]uint32, error) {
	n := len(kslot)
	if len(dir) != n || len(flags) != n || len(caplen) != n || len(plen) != n || len(seq) != n || len(ack) != n || len(win) != n {
		return scratch, fmt.Errorf("column lengths differ")
	}
	var maxSlot uint32
	for _, s := range kslot {
		maxSlot = max(maxSlot, s)
	}
	if n > blockRows {
		return scratch, fmt.Errorf("%d rows in a block of %d", n, blockRows)
	}
	if maxSlot > uint32(blockRows) {
		return scratch, fmt.Errorf("key slot %d in a block of %d rows", maxSlot, blockRows)
	}
	next := slices.Grow(scratch[:0], 6*int(maxSlot+1))[:6*int(maxSlot+1)]
	clear(next)
	for i, s := range kslot {
		if s == 0 {
			continue
		}
		d := int(dir[i] & 1)
		nx := next[6*int(s) : 6*int(s)+6]
		plen[i] = unzz32(plen[i]) + caplen[i] - nx[4+d]
		nx[4+d] = caplen[i] - plen[i]
		win[i] = unzz32(win[i]) + nx[2+d]
		nx[2+d] = win[i]
		seq[i] = unzz32(seq[i]) + nx[d]
		if flags[i]&tcpAck != 0 {
			ack[i] = unzz32(ack[i]) + nx[1-d]
		}
		nx[d] = nextSeq(seq[i], plen[i], flags[i])
	}
	return next, nil
}

// Packets reads the packet table and its packet-flow companion together.
type Packets struct {
	pk, pf *Table
	cols   [14]int // column indexes, see packetColumns and packetFlowColumns
}

// PacketBlock holds the decoded columns of one packet block; slices are reused by the next
// ReadBlock into the same PacketBlock.
type PacketBlock struct {
	First    int64    // row (frame - 1) of the block's first packet
	TS       []int64  // ns since the epoch
	File     []uint16 // capture file index (Reader.Captures order)
	Off      []int64  // byte offset of the packet record in its file
	CapLen   []uint32
	OrigLen  []uint32
	Dir      []uint8  // 0: flow key A->B, 1: B->A
	Flags    []uint16 // TCP flags
	Seq, Ack []uint32 // relative sequence / acknowledgement numbers
	Win      []uint32 // window, scaled when known
	PLen     []uint32 // transport payload length
	Flow     []uint32 // flow id (flow table row + 1), 0 without IP
	Analysis []uint32 // 1 << flowhash.EventType for each event on the packet

	cols [14]Column
	scr  Scratch
	next []uint32
}

// Packets returns the packet tables of an index written by Builder.
func (r *Reader) Packets() (*Packets, error) {
	pk, err := r.Table(TablePackets)
	if err != nil {
		return nil, err
	}
	pf, err := r.Table(TablePacketFlow)
	if err != nil {
		return nil, err
	}
	if pk.NumRows() != pf.NumRows() || pk.NumBlocks() != pf.NumBlocks() {
		s := r.dir[pf.dataSec]
		return nil, r.corrupt(s.Name, s.Offset, "%d rows in %d blocks, packet table has %d in %d", pf.NumRows(), pf.NumBlocks(), pk.NumRows(), pk.NumBlocks())
	}
	p := &Packets{pk: pk, pf: pf}
	for i, c := range packetColumns {
		j := pk.ColumnIndex(c.Name)
		if j < 0 || pk.cols[j].Kind != c.Kind {
			s := r.dir[pk.dataSec]
			return nil, r.corrupt(s.Name, s.Offset, "packet table lacks column %q of kind %v", c.Name, c.Kind)
		}
		p.cols[i] = j
	}
	for i, c := range packetFlowColumns {
		j := pf.ColumnIndex(c.Name)
		if j < 0 || pf.cols[j].Kind != c.Kind {
			s := r.dir[pf.dataSec]
			return nil, r.corrupt(s.Name, s.Offset, "packet-flow table lacks column %q of kind %v", c.Name, c.Kind)
		}
		p.cols[len(packetColumns)+i] = j
	}
	for b := range pk.NumBlocks() {
		if pk.blocks[b].rows != pf.blocks[b].rows {
			s := r.dir[pf.dataSec]
			return nil, r.corrupt(s.Name, s.Offset, "block %d has %d rows, packet table block has %d", b, pf.blocks[b].rows, pk.blocks[b].rows)
		}
	}
	return p, nil
}

// NumRows returns the number of packets; NumBlocks the number of blocks.
func (p *Packets) NumRows() int64    { return p.pk.NumRows() }
func (p *Packets) NumBlocks() int    { return p.pk.NumBlocks() }
func (p *Packets) BlockRows() int    { return p.pk.BlockRows() }
func (p *Packets) Table() *Table     { return p.pk }
func (p *Packets) FlowTable() *Table { return p.pf }

// ReadBlock decodes every column of packet block b into dst (no allocation once dst's
// buffers have grown).
func (p *Packets) ReadBlock(b int, dst *PacketBlock) error {
	if b < 0 || b >= p.pk.NumBlocks() {
		return fmt.Errorf("index: packet block %d out of range", b)
	}
	for i := range packetColumns {
		if err := p.pk.ReadColumn(b, p.cols[i], &dst.cols[i], &dst.scr); err != nil {
			return err
		}
	}
	for i := range packetFlowColumns {
		j := len(packetColumns) + i
		if err := p.pf.ReadColumn(b, p.cols[j], &dst.cols[j], &dst.scr); err != nil {
			return err
		}
	}
	c := &dst.cols
	dst.First = p.pk.blocks[b].first
	dst.TS, dst.File, dst.Off = c[0].I64, c[1].U16, c[2].I64
	dst.CapLen = c[3].U32
	for i := 1; i < len(dst.Off); i++ {
		dst.Off[i] += dst.Off[i-1] + int64(dst.CapLen[i-1])
	}
	dst.OrigLen = append(dst.OrigLen[:0], c[4].U32...)
	for i, cl := range dst.CapLen {
		dst.OrigLen[i] += cl
	}
	dst.Dir, dst.Flags = c[5].U8, c[6].U16
	dst.Seq, dst.Ack, dst.Win, dst.PLen = c[7].U32, c[8].U32, c[9].U32, c[10].U32
	kslot := c[11].U32
	dst.Flow, dst.Analysis = c[12].U32, c[13].U32
	var err error
	dst.next, err = ResolveSeqAck(len(kslot), kslot, dst.Dir, dst.Flags, dst.CapLen, dst.PLen, dst.Seq, dst.Ack, dst.Win, dst.next)
	if err == nil {
		dst.next, err = ResolveFlowIDs(kslot, dst.Flow, dst.next)
	}
	if err != nil {
		s := p.pk.r.dir[p.pk.dataSec]
		return &CorruptError{File: p.pk.r.path, Section: s.Name, Offset: s.Offset + p.pk.chunks[b*len(p.pk.cols)].off, Msg: fmt.Sprintf("block %d: seq/ack", b), Err: err}
	}
	return nil
}

// ResolveFlowIDs turns the stored flow values of one packet block back into flow ids, in
// place, for readers that decode columns themselves (ReadBlock and ReadFlowIDs call it);
// kslot and flow are the block's decoded "kslot" and "flow" columns, every row. scratch is
// returned for reuse: once it has grown, ResolveFlowIDs allocates nothing. Bad values give
// an error for the caller to place.
func ResolveFlowIDs(kslot, flow, scratch []uint32) ([]uint32, error) {
	n := len(kslot)
	if len(flow) != n {
		return scratch, fmt.Errorf("%d key slots, %d flow values", n, len(flow))
	}
	prev := slices.Grow(scratch[:0], n+1)[:n+1]
	clear(prev)
	for i, s := range kslot {
		if s == 0 {
			continue
		}
		if s > uint32(n) {
			return prev, fmt.Errorf("key slot %d in a block of %d rows", s, n)
		}
		flow[i] = unzz32(flow[i]) + prev[s]
		prev[s] = flow[i]
	}
	return prev, nil
}

// ReadFlowIDs decodes only the flow ids and analysis bits of packet block b into dst.Flow
// and dst.Analysis (the packet table's key slots are read too: flow ids are stored as
// predictions); the other fields of dst are left as they were.
func (p *Packets) ReadFlowIDs(b int, dst *PacketBlock) error {
	if b < 0 || b >= p.pk.NumBlocks() {
		return fmt.Errorf("index: packet block %d out of range", b)
	}
	c := &dst.cols
	if err := p.pk.ReadColumn(b, p.cols[11], &c[11], &dst.scr); err != nil {
		return err
	}
	for _, j := range []int{12, 13} {
		if err := p.pf.ReadColumn(b, p.cols[j], &c[j], &dst.scr); err != nil {
			return err
		}
	}
	dst.First = p.pk.blocks[b].first
	dst.Flow, dst.Analysis = c[12].U32, c[13].U32
	var err error
	if dst.next, err = ResolveFlowIDs(c[11].U32, dst.Flow, dst.next); err != nil {
		s := p.pf.r.dir[p.pf.dataSec]
		return &CorruptError{File: p.pf.r.path, Section: s.Name, Offset: s.Offset + p.pf.chunks[b*len(p.pf.cols)].off, Msg: fmt.Sprintf("block %d: flow ids", b), Err: err}
	}
	return nil
}
