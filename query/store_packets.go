package query

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

// Packet reads over the index, column by column.
//
// A block of the packet table is 64 Ki rows; a one-host query keeps a few thousand of them.
// So Packets decodes the flow ids first (kslot and flow: flow ids are stored as per-key
// predictions), picks the rows it keeps, and then decodes each other column it needs into
// one scratch column and copies out the kept rows only. Memory stays one block's column
// plus the kept rows, whatever the number of columns (fresh memory is what a short CLI
// process pays for most: page faults). TCP seq, ack, win and plen are stored as predictions
// chained per key slot within the block (index/packets.go), so with NeedTCP the kept rows
// include every row of the key slots of the selected rows, resolved in order by
// index.ResolveSeqAck (the decoder index.Packets.ReadBlock uses on whole blocks). When
// every row is kept the scratch and the destination swap buffers instead of copying.

// pktCols are the column indexes of the packet table (pk) and packet-flow table (pf).
type pktCols struct {
	ts, file, off, caplen, trunc, dir, flags, seq, ack, win, plen, kslot int // pk
	flow, analysis                                                       int // pf
}

// pktBuf holds the buffers Packets reuses from block to block and call to call.
type pktBuf struct {
	// The scratch columns (sc, sc2, scr) are the store's flowReader's: every read on the
	// store's goroutine shares them, so each kind's block-sized buffer is touched once.
	*flowReader
	kslot []uint32 // the block's key slots, every row
	flow  []uint32 // the block's flow ids, every row (resolved)
	prev  []uint32 // index.ResolveFlowIDs and ResolveSeqAck scratch
	want  []bool   // per key slot: a selected row uses it
	idx   []int32  // kept rows of the block, ascending (unused when all)
	all   bool     // every row of the block is kept

	// Values of the kept rows.
	ts, off                           []int64
	file                              []uint16
	caplen, trunc                     []uint32
	dir                               []uint8
	flags                             []uint16
	seq, ack, win, plen, slot, fl, an []uint32
}

// flowReader holds the buffers for reading a few rows' values out of flows-table blocks;
// one per goroutine.
type flowReader struct {
	sc, sc2 index.Column
	scr     index.Scratch
	sel     []uint32 // flowBlocks' offsets

	// Endpoints of the selected flows of one flows block (origB).
	oh, rh [][16]byte
	op, rp []uint32
}

// keep sets *dst to the kept rows of the decoded column *sc. When every row is kept it
// takes the decoded buffer and gives *sc the old one, so no values are copied.
func keep[T any](p *pktBuf, sc *[]T, dst *[]T) {
	if p.all {
		*sc, *dst = (*dst)[:0], *sc
		return
	}
	s, d := *sc, (*dst)[:0]
	for _, i := range p.idx {
		d = append(d, s[i])
	}
	*dst = d
}

// read decodes column col of block b of t into p.sc, checking it holds n values.
func (p *pktBuf) read(t *index.Table, b, col, n int) error {
	return readN(t, b, col, n, &p.sc, &p.scr)
}

// readN decodes column col of block b of t into dst, checking it holds n values.
func readN(t *index.Table, b, col, n int, dst *index.Column, scr *index.Scratch) error {
	if err := t.ReadColumn(b, col, dst, scr); err != nil {
		return err
	}
	if dst.Len() != n {
		return fmt.Errorf("query: %s block %d: column %s has %d values, want %d", t.Name(), b, t.Columns()[col].Name, dst.Len(), n)
	}
	return nil
}

// flowBlocks calls fn for each flows-table block holding members of rows (nil: every
// block), with the block's first row and the members in it as offsets from that row (nil:
// every row). The offsets are reused by the next call.
func (s *IndexStore) flowBlocks(fr *flowReader, rows *roaring.Bitmap, fn func(b, n int, lo uint32, sel []uint32) error) error {
	var it roaring.IntPeekable
	if rows != nil {
		it = rows.Iterator()
	}
	for b := range s.flows.NumBlocks() {
		n, first := s.flows.Block(b)
		lo, hi := uint32(first), uint32(first)+uint32(n)
		var sel []uint32
		if it != nil {
			it.AdvanceIfNeeded(lo)
			fr.sel = fr.sel[:0]
			for it.HasNext() && it.PeekNext() < hi {
				fr.sel = append(fr.sel, it.Next()-lo)
			}
			if len(fr.sel) == 0 {
				continue
			}
			sel = fr.sel
		}
		if err := fn(b, n, lo, sel); err != nil {
			return err
		}
	}
	return nil
}

// flowU32s decodes a uint32 or uint16 column of flows block b and appends its values at
// the offsets sel (nil: every row).
func (s *IndexStore) flowU32s(p *flowReader, dst []uint32, b, n int, sel []uint32, name string) ([]uint32, error) {
	if err := readN(s.flows, b, s.flowCols[name], n, &p.sc, &p.scr); err != nil {
		return dst, err
	}
	switch p.sc.Kind {
	case index.KindUint32:
		if sel == nil {
			return append(dst, p.sc.U32...), nil
		}
		for _, r := range sel {
			dst = append(dst, p.sc.U32[r])
		}
	case index.KindUint16:
		if sel == nil {
			for _, v := range p.sc.U16 {
				dst = append(dst, uint32(v))
			}
			return dst, nil
		}
		for _, r := range sel {
			dst = append(dst, uint32(p.sc.U16[r]))
		}
	default:
		return dst, fmt.Errorf("query: flows column %s is %v", name, p.sc.Kind)
	}
	return dst, nil
}

// flowAddrs is flowU32s for an address column.
func (s *IndexStore) flowAddrs(p *flowReader, dst [][16]byte, b, n int, sel []uint32, name string) ([][16]byte, error) {
	if err := readN(s.flows, b, s.flowCols[name], n, &p.sc, &p.scr); err != nil {
		return dst, err
	}
	if p.sc.Kind != index.KindAddr {
		return dst, fmt.Errorf("query: flows column %s is %v", name, p.sc.Kind)
	}
	if sel == nil {
		return append(dst, p.sc.Addr...), nil
	}
	for _, r := range sel {
		dst = append(dst, p.sc.Addr[r])
	}
	return dst, nil
}

// blockRanges returns pblk_first and pblk_last of the members of rows, in row order,
// reading only the flows blocks that hold them.
func (s *IndexStore) blockRanges(rows *roaring.Bitmap) (first, last []uint32, err error) {
	fr := &s.fr
	err = s.flowBlocks(fr, rows, func(b, n int, lo uint32, sel []uint32) error {
		var err error
		if first, err = s.flowU32s(fr, first, b, n, sel, "pblk_first"); err != nil {
			return err
		}
		last, err = s.flowU32s(fr, last, b, n, sel, "pblk_last")
		return err
	})
	return first, last, err
}

// packetBlocks returns the packet blocks holding packets of the flows in rows: each
// flow's pblk_first..pblk_last, or its block bitmap for flows spanning many blocks.
func (s *IndexStore) packetBlocks(rows *roaring.Bitmap) ([]bool, error) {
	first, last, err := s.blockRanges(rows)
	if err != nil {
		return nil, err
	}
	out := make([]bool, s.pk.NumBlocks())
	var wide *index.Postings
	nb := uint32(s.pk.NumBlocks())
	it := rows.Iterator()
	var key [4]byte
	var bm *roaring.Bitmap // reused for each long flow's block bitmap
	for j := 0; it.HasNext() && j < len(first); j++ {
		r := it.Next()
		lo, hi := first[j], last[j]
		if lo > hi || lo >= nb {
			continue
		}
		hi = min(hi, nb-1)
		if hi-lo > index.WideFlowBlocks {
			if wide == nil {
				p, err := s.postings(index.PostFlowBlocks)
				if err != nil {
					return nil, err
				}
				wide = p
			}
			if wide != nil {
				if bm == nil {
					bm = roaring.New()
				}
				binary.BigEndian.PutUint32(key[:], r)
				ok, err := wide.Lookup(key[:], bm)
				if err != nil {
					return nil, err
				}
				if ok {
					it := bm.Iterator()
					for it.HasNext() {
						if b := it.Next(); b < nb {
							out[b] = true
						}
					}
					continue
				}
			}
		}
		for b := lo; b <= hi; b++ {
			out[b] = true
		}
	}
	return out, nil
}

// origB returns, for the flows in rows (nil: all), whether the originator is endpoint B of
// the flow key (the packet table's dir is relative to the key), by row. Only the flows
// blocks holding the rows are read, and only their endpoint columns.
func (s *IndexStore) origB(p *flowReader, rows *roaring.Bitmap) ([]bool, error) {
	out := make([]bool, s.NumFlows())
	err := s.flowBlocks(p, rows, func(b, n int, lo uint32, sel []uint32) error {
		var err error
		if p.oh, err = s.flowAddrs(p, p.oh[:0], b, n, sel, "orig_h"); err != nil {
			return err
		}
		if p.rh, err = s.flowAddrs(p, p.rh[:0], b, n, sel, "resp_h"); err != nil {
			return err
		}
		if p.op, err = s.flowU32s(p, p.op[:0], b, n, sel, "orig_p"); err != nil {
			return err
		}
		if p.rp, err = s.flowU32s(p, p.rp[:0], b, n, sel, "resp_p"); err != nil {
			return err
		}
		for j := range p.oh {
			r := lo + uint32(j)
			if sel != nil {
				r = lo + sel[j]
			}
			if int(r) < len(out) {
				out[r] = !endpointLE(&p.oh[j], uint16(p.op[j]), &p.rh[j], uint16(p.rp[j]))
			}
		}
		return nil
	})
	return out, err
}

func (s *IndexStore) Packets(rows *roaring.Bitmap, since, until int64, need Need, fn func(p *PacketRow) error) error {
	m := newMatcher(rows, s.NumFlows())
	var blocks []bool
	var origB []bool
	if rows != nil {
		var err error
		if blocks, err = s.packetBlocks(rows); err != nil {
			return err
		}
	}
	// The originator sides come from the flows table's endpoint columns, read on a second
	// goroutine (its own buffers) while this one reads packet blocks.
	var origDone chan error
	if need&NeedTCP != 0 {
		origDone = make(chan error, 1)
		go func() {
			var err error
			origB, err = s.origB(&s.fr2, rows)
			origDone <- err
		}()
		defer func() {
			if origDone != nil {
				<-origDone
			}
		}()
	}
	// Flow ids are read when a selection needs them or a caller asks for them.
	withFlow := rows != nil || need&(NeedTCP|NeedRecord) != 0
	pk, pf, c := s.pk.Table(), s.pk.FlowTable(), &s.pc
	p := &s.pb
	tcp := need&NeedTCP != 0
	type u32col struct {
		col int
		dst *[]uint32
		on  bool
	}
	u32cols := [...]u32col{{c.trunc, &p.trunc, true}, {c.seq, &p.seq, tcp}, {c.ack, &p.ack, tcp}, {c.win, &p.win, tcp}, {c.plen, &p.plen, tcp}}
	var row PacketRow
	for b := range s.pk.NumBlocks() {
		if blocks != nil && !blocks[b] {
			continue
		}
		if lo, hi, ok := pk.BlockTimeRange(b); ok && (hi < since || lo > until) {
			continue
		}
		n, first := pk.Block(b)
		p.all, p.idx = true, p.idx[:0]
		if withFlow {
			if err := p.read(pk, b, c.kslot, n); err != nil {
				return err
			}
			p.kslot, p.sc.U32 = p.sc.U32, p.kslot[:0]
			if err := p.read(pf, b, c.flow, n); err != nil {
				return err
			}
			p.flow, p.sc.U32 = p.sc.U32, p.flow[:0]
			var err error
			if p.prev, err = index.ResolveFlowIDs(p.kslot, p.flow, p.prev); err != nil {
				return fmt.Errorf("query: %s: packet block %d: flow ids: %w", s.r.Path(), b, err)
			}
			if rows != nil && !s.pickRows(&m, n, need&NeedTCP != 0) {
				continue
			}
		}
		// The kept rows' columns, each decoded once into the scratch.
		if withFlow {
			kslot, flow := p.kslot, p.flow // keep swaps buffers when all rows are kept
			keep(p, &kslot, &p.slot)
			keep(p, &flow, &p.fl)
			p.kslot, p.flow = kslot, flow
		}
		if err := p.read(pk, b, c.ts, n); err != nil {
			return err
		}
		keep(p, &p.sc.I64, &p.ts)
		if err := p.read(pk, b, c.caplen, n); err != nil {
			return err
		}
		if need&NeedRecord != 0 {
			// Offsets are stored as gaps after the previous record: every row's caplen counts.
			if err := pk.ReadColumn(b, c.off, &p.sc2, &p.scr); err != nil {
				return err
			}
			off, capl := p.sc2.I64, p.sc.U32
			if len(off) != n {
				return fmt.Errorf("query: packet block %d: %d offsets, want %d", b, len(off), n)
			}
			for i := 1; i < n; i++ {
				off[i] += off[i-1] + int64(capl[i-1])
			}
			keep(p, &p.sc2.I64, &p.off)
		}
		keep(p, &p.sc.U32, &p.caplen)
		for _, x := range u32cols {
			if !x.on {
				continue
			}
			if err := p.read(pk, b, x.col, n); err != nil {
				return err
			}
			keep(p, &p.sc.U32, x.dst)
		}
		if need&NeedRecord != 0 {
			if err := p.read(pk, b, c.file, n); err != nil {
				return err
			}
			keep(p, &p.sc.U16, &p.file)
		}
		if need&NeedTCP != 0 {
			if err := p.read(pk, b, c.dir, n); err != nil {
				return err
			}
			keep(p, &p.sc.U8, &p.dir)
			if err := p.read(pk, b, c.flags, n); err != nil {
				return err
			}
			keep(p, &p.sc.U16, &p.flags)
			if err := p.read(pf, b, c.analysis, n); err != nil {
				return err
			}
			keep(p, &p.sc.U32, &p.an)
			var err error
			if p.prev, err = index.ResolveSeqAck(n, p.slot, p.dir, p.flags, p.caplen, p.plen, p.seq, p.ack, p.win, p.prev); err != nil {
				return fmt.Errorf("query: %s: packet block %d: seq/ack: %w", s.r.Path(), b, err)
			}
			if origDone != nil {
				err, origDone = <-origDone, nil
				if err != nil {
					return err
				}
			}
		}
		for j := range p.ts {
			i := j
			if !p.all {
				i = int(p.idx[j])
			}
			var flow uint32
			if withFlow {
				flow = p.fl[j]
			}
			if rows != nil && !m.flow(flow) || p.ts[j] < since || p.ts[j] > until {
				continue
			}
			row = PacketRow{Frame: first + int64(i) + 1, TS: p.ts[j], CapLen: p.caplen[j], OrigLen: p.caplen[j] + p.trunc[j], Flow: flow}
			if need&NeedRecord != 0 {
				row.File, row.Off = p.file[j], p.off[j]
			}
			if need&NeedTCP != 0 {
				row.Flags, row.Seq, row.Ack, row.Win, row.PLen, row.Analysis = p.flags[j], p.seq[j], p.ack[j], p.win[j], p.plen[j], p.an[j]
				if flow != 0 {
					o := flowhash.DirAB
					if int(flow-1) < len(origB) && origB[flow-1] {
						o = flowhash.DirBA
					}
					row.FromOrig = flowhash.Dir(p.dir[j]&1) == o
				}
			}
			if err := fn(&row); err != nil {
				return err
			}
		}
	}
	return nil
}

// pickRows sets p.idx to the rows of the block to keep (p.all when that is every row): the
// rows of selected flows and, with chains, every row of their key slots. It reports false
// when no row is selected.
func (s *IndexStore) pickRows(m *matcher, n int, chains bool) bool {
	p := &s.pb
	any := false
	if chains {
		p.want = slices.Grow(p.want[:0], n+1)[:n+1]
		clear(p.want)
	}
	for i, id := range p.flow {
		if m.flow(id) {
			any = true
			if chains {
				p.want[p.kslot[i]] = true
			}
		}
	}
	if !any {
		return false
	}
	for i, id := range p.flow {
		if k := p.kslot[i]; m.flow(id) || chains && k != 0 && p.want[k] {
			p.idx = append(p.idx, int32(i))
		}
	}
	p.all = len(p.idx) == n
	return true
}
