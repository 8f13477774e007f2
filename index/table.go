package index

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
)

// Kind is the type of a table column (durable).
type Kind uint8

const (
	KindInt64  Kind = 1 // int64, delta coded (timestamps, offsets)
	KindUint32 Kind = 2 // uint32 (ids, lengths, sequence numbers)
	KindUint16 Kind = 3 // uint16 (ports, windows, flags)
	KindUint8  Kind = 4 // uint8 (direction, protocol, small flags)
	KindBytes  Kind = 5 // byte strings, dictionary coded
	KindAddr   Kind = 6 // 16-byte addresses, dictionary coded
)

func (k Kind) valid() bool { return k >= KindInt64 && k <= KindAddr }

func (k Kind) String() string {
	switch k {
	case KindInt64:
		return "int64"
	case KindUint32:
		return "uint32"
	case KindUint16:
		return "uint16"
	case KindUint8:
		return "uint8"
	case KindBytes:
		return "bytes"
	case KindAddr:
		return "addr"
	}
	return fmt.Sprintf("kind-%d", uint8(k))
}

// ColumnSpec names one column of a table.
type ColumnSpec struct {
	Name string
	Kind Kind
}

// Column holds the values of one column for a run of rows; only the slice matching Kind is
// used. Callers reuse Columns from block to block: Reset keeps the capacity.
type Column struct {
	Kind  Kind
	I64   []int64
	U32   []uint32
	U16   []uint16
	U8    []uint8
	Bytes [][]byte
	Addr  [][16]byte
}

// Len returns the number of values held for the column's kind.
func (c *Column) Len() int {
	switch c.Kind {
	case KindInt64:
		return len(c.I64)
	case KindUint32:
		return len(c.U32)
	case KindUint16:
		return len(c.U16)
	case KindUint8:
		return len(c.U8)
	case KindBytes:
		return len(c.Bytes)
	case KindAddr:
		return len(c.Addr)
	}
	return 0
}

// Reset empties the column, keeping its buffers.
func (c *Column) Reset() {
	c.I64, c.U32, c.U16, c.U8 = c.I64[:0], c.U32[:0], c.U16[:0], c.U8[:0]
	clear(c.Bytes) // drop references to old views
	c.Bytes, c.Addr = c.Bytes[:0], c.Addr[:0]
}

// TableOptions shape a table.
type TableOptions struct {
	// BlockRows is the nominal number of rows per block (1..MaxBlockRows); 0 means 65536.
	BlockRows int
	// TimeColumn names a KindInt64 column whose per-block minimum and maximum are kept in
	// the block index, so readers can skip blocks outside a time range. Empty for none.
	TimeColumn string
	// Background encodes, compresses and writes blocks on a goroutine of the table's own,
	// overlapping with the caller filling the next block (the output is identical).
	Background bool
	// Spool keeps the table's compressed chunks in memory, with a compressor of its own,
	// and writes its sections at Close: it can be filled while another table is open
	// (Close it when none is). The bytes written are the same as without Spool.
	Spool bool
}

// TableWriter writes a columnar table as two sections: NAME holds the column chunks, block
// after block (each chunk one compressed unit), and NAME.meta holds the schema and the block
// index (rows, time range, and per column chunk its offset, length and CRC32C).
//
// Fill the columns of Pending and call Flush when Full (or whenever a block should end);
// Close flushes the rest and writes the block index. While a TableWriter is open, no other
// section can be written.
type TableWriter struct {
	w         *Writer
	name      string
	specs     []ColumnSpec
	blockRows int
	tsCol     int
	sw        *sectionWriter
	pending   []Column
	enc       ColumnEncoder
	raw, unit []byte
	meta      []byte // encoded block entries
	nrows     uint64
	nblocks   uint64
	closed    bool

	jobs     chan []Column // background mode: blocks to write
	free     chan []Column // background mode: a column set to fill next
	done     chan struct{}
	bgFailed atomic.Bool
	mainErr  error

	spool    bool       // chunks go to data, written at Close
	data     []byte     // spooled chunks
	comp     compressor // spool mode: the table's own
	spoolErr error      // spool mode: written by the goroutine writing blocks
}

// NewTable starts the table name with the given columns.
func (w *Writer) NewTable(name string, cols []ColumnSpec, opt TableOptions) (*TableWriter, error) {
	if opt.BlockRows == 0 {
		opt.BlockRows = 1 << 16
	}
	if opt.BlockRows < 1 || opt.BlockRows > MaxBlockRows {
		return nil, w.fail(fmt.Errorf("index: table %q: block rows %d outside 1..%d", name, opt.BlockRows, MaxBlockRows))
	}
	if len(cols) == 0 || len(cols) > maxColumns {
		return nil, w.fail(fmt.Errorf("index: table %q: %d columns (want 1..%d)", name, len(cols), maxColumns))
	}
	t := &TableWriter{w: w, name: name, specs: append([]ColumnSpec(nil), cols...), blockRows: opt.BlockRows, tsCol: -1}
	seen := map[string]bool{}
	for i, c := range cols {
		if !c.Kind.valid() || c.Name == "" || len(c.Name) > maxNameLen || seen[c.Name] {
			return nil, w.fail(fmt.Errorf("index: table %q: bad column %d (%q, %v)", name, i, c.Name, c.Kind))
		}
		seen[c.Name] = true
		if c.Name == opt.TimeColumn {
			if c.Kind != KindInt64 {
				return nil, w.fail(fmt.Errorf("index: table %q: time column %q is %v, not int64", name, c.Name, c.Kind))
			}
			t.tsCol = i
		}
	}
	if opt.TimeColumn != "" && t.tsCol < 0 {
		return nil, w.fail(fmt.Errorf("index: table %q: no time column %q", name, opt.TimeColumn))
	}
	if opt.Spool {
		if err := t.comp.init(); err != nil {
			return nil, w.fail(err)
		}
		t.spool = true
	} else {
		sw, err := w.begin(SectionTableData, name)
		if err != nil {
			return nil, err
		}
		t.sw = sw
	}
	t.pending = make([]Column, len(cols))
	for i := range cols {
		t.pending[i].Kind = cols[i].Kind
	}
	if opt.Background {
		if !opt.Spool {
			w.bg = t
		}
		t.startWorker()
	}
	return t, nil
}

// Pending returns the columns of the block being filled, in schema order. Append the same
// number of values to each; values are copied out by Flush.
func (t *TableWriter) Pending() []Column { return t.pending }

// Rows returns the number of rows pending.
func (t *TableWriter) Rows() int { return t.pending[0].Len() }

// Full reports whether the pending block has reached the nominal block size.
func (t *TableWriter) Full() bool { return t.Rows() >= t.blockRows }

// Flush writes the pending rows as one block (nothing when none are pending). With
// TableOptions.Background the block is encoded and written by the table's goroutine while
// the caller fills the next one; its errors surface at a later Flush or at Close.
func (t *TableWriter) Flush() error {
	w := t.w
	if t.closed {
		return ErrClosed
	}
	if t.jobs != nil {
		if t.bgFailed.Load() {
			return errors.New("index: table " + t.name + ": background write failed (see Close)")
		}
	} else if t.spool && t.spoolErr != nil {
		return t.spoolErr
	} else if !t.spool && w.err != nil {
		return w.err
	}
	n := t.pending[0].Len()
	if n == 0 {
		return nil
	}
	if n > MaxBlockRows {
		return t.failMain(fmt.Errorf("index: table %q: block of %d rows exceeds %d", t.name, n, MaxBlockRows))
	}
	for i := range t.pending {
		if got := t.pending[i].Len(); got != n {
			return t.failMain(fmt.Errorf("index: table %q: column %q has %d rows, column %q has %d", t.name, t.specs[i].Name, got, t.specs[0].Name, n))
		}
	}
	t.nrows += uint64(n)
	t.nblocks++
	if t.jobs == nil {
		return t.writeBlock(t.pending)
	}
	t.jobs <- t.pending
	t.pending = <-t.free
	return nil
}

// failMain records err: directly, or (with a background goroutine running, which owns the
// Writer) for Close to report.
func (t *TableWriter) failMain(err error) error {
	if t.jobs == nil && !t.spool {
		return t.w.fail(err)
	}
	if t.mainErr == nil {
		t.mainErr = err
	}
	return err
}

// writeBlock encodes, compresses and writes one block, then resets its columns. It runs on
// the caller's goroutine or, in background mode, on the table's goroutine only.
func (t *TableWriter) writeBlock(cols []Column) error {
	w := t.w
	if t.spool {
		// Spooled tables touch nothing of the Writer here: the Writer may be busy with
		// another table on another goroutine.
		if t.spoolErr != nil {
			return t.spoolErr
		}
	} else if w.err != nil {
		return w.err
	}
	n := cols[0].Len()
	t.meta = AppendUvarint(t.meta, uint64(n))
	if t.tsCol >= 0 {
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for _, v := range cols[t.tsCol].I64 {
			lo, hi = min(lo, v), max(hi, v)
		}
		t.meta = AppendVarint(t.meta, lo)
		t.meta = AppendVarint(t.meta, hi)
	}
	for i := range cols {
		c := &cols[i]
		t.raw = t.raw[:0]
		switch c.Kind {
		case KindInt64:
			t.raw = AppendInt64s(t.raw, c.I64)
		case KindUint32:
			t.raw = t.enc.AppendUint32Column(t.raw, c.U32)
		case KindUint16:
			t.raw = AppendUint16s(t.raw, c.U16)
		case KindUint8:
			t.raw = AppendUint8s(t.raw, c.U8)
		case KindBytes:
			t.raw = t.enc.AppendBytesColumn(t.raw, c.Bytes)
		case KindAddr:
			t.raw = t.enc.AppendAddrColumn(t.raw, c.Addr)
		}
		if len(t.raw) > MaxRawUnit {
			err := fmt.Errorf("index: table %q column %q: chunk of %d bytes exceeds %d (use fewer rows per block)", t.name, t.specs[i].Name, len(t.raw), MaxRawUnit)
			if t.spool {
				t.spoolErr = err
				return err
			}
			return w.fail(err)
		}
		if t.spool {
			t.unit = t.comp.appendUnit(t.unit[:0], t.raw)
			t.meta = AppendUvarint(t.meta, uint64(len(t.data)))
			t.data = append(t.data, t.unit...)
		} else {
			t.unit = w.comp.appendUnit(t.unit[:0], t.raw)
			t.meta = AppendUvarint(t.meta, uint64(t.sw.info.Length))
			if _, err := t.sw.Write(t.unit); err != nil {
				return err
			}
		}
		t.meta = AppendUvarint(t.meta, uint64(len(t.unit)))
		t.meta = AppendUint32(t.meta, crc32c(t.unit))
		c.Reset()
	}
	return nil
}

// startWorker runs writeBlock on a goroutine of its own, with a second set of column
// buffers so the caller fills one block while the previous one is compressed.
func (t *TableWriter) startWorker() {
	t.jobs = make(chan []Column, 1)
	t.free = make(chan []Column, 1)
	t.done = make(chan struct{})
	spare := make([]Column, len(t.specs))
	for i := range spare {
		spare[i].Kind = t.specs[i].Kind
	}
	t.free <- spare
	go func() {
		defer close(t.done)
		for cols := range t.jobs {
			if !t.bgFailed.Load() {
				if err := t.writeBlock(cols); err != nil {
					t.bgFailed.Store(true)
				}
			}
			for i := range cols {
				cols[i].Reset()
			}
			t.free <- cols
		}
	}()
}

// stopWorker ends the background goroutine (if any) and waits for it; afterwards the
// Writer is owned by the caller's goroutine again.
func (t *TableWriter) stopWorker() {
	if t.jobs == nil {
		return
	}
	close(t.jobs)
	<-t.done
	t.jobs = nil
	if t.w.bg == t {
		t.w.bg = nil
	}
	if t.mainErr != nil {
		t.w.fail(t.mainErr)
	}
}

// Close flushes pending rows and writes the table's block index section.
func (t *TableWriter) Close() error {
	if t.closed {
		return t.w.err
	}
	err := t.Flush()
	t.stopWorker()
	if err == nil && t.spoolErr != nil {
		err = t.spoolErr
	}
	if err != nil {
		return t.w.fail(err)
	}
	if t.w.err != nil {
		return t.w.err
	}
	t.closed = true
	if t.spool {
		t.comp.close()
		sw, err := t.w.begin(SectionTableData, t.name)
		if err != nil {
			return err
		}
		t.sw = sw
		sw.Write(t.data)
		t.data = nil
	}
	if err := t.w.end(t.sw); err != nil {
		return err
	}
	m := AppendUvarint(nil, t.nrows)
	m = AppendUvarint(m, uint64(t.blockRows))
	m = AppendUvarint(m, uint64(len(t.specs)))
	for _, c := range t.specs {
		m = AppendBytes(m, []byte(c.Name))
		m = append(m, byte(c.Kind))
	}
	m = AppendUvarint(m, uint64(t.tsCol+1))
	m = AppendUvarint(m, t.nblocks)
	m = append(m, t.meta...)
	return t.w.AddSection(SectionTableMeta, t.name+".meta", m, true)
}

// maxColumns bounds the columns of one table (durable).
const maxColumns = 256

// Table reads a table written by TableWriter. It is safe for concurrent use; each goroutine
// brings its own Scratch.
type Table struct {
	r        *Reader
	name     string
	dataSec  int
	cols     []ColumnSpec
	tsCol    int
	nrows    int64
	nominal  int
	blocks   []tblock
	chunks   []tchunk // len(blocks) * len(cols)
	verified []atomic.Bool
}

type tblock struct {
	rows     int
	first    int64 // row number of the block's first row
	min, max int64
}

type tchunk struct {
	off, len int64 // within the data section
	crc      uint32
}

// Table returns the named table, reading and checking its block index on first use.
func (r *Reader) Table(name string) (*Table, error) {
	if t := cached(r, &r.tables, name); t != nil {
		return t, nil
	}
	di, ok := r.byName[name]
	mi, ok2 := r.byName[name+".meta"]
	if !ok || !ok2 || r.dir[di].Type != SectionTableData || r.dir[mi].Type != SectionTableMeta {
		return nil, fmt.Errorf("index: file %s: table %q: %w", r.path, name, ErrNotFound)
	}
	meta, err := r.section(mi)
	if err != nil {
		return nil, err
	}
	t, err := parseTableMeta(meta, r.dir[di].Length)
	if err != nil {
		s := r.dir[mi]
		return nil, &CorruptError{File: r.path, Section: s.Name, Offset: s.Offset, Msg: "block index", Err: err}
	}
	t.r, t.name, t.dataSec = r, name, di
	return keep(r, &r.tables, name, t), nil
}

func parseTableMeta(src []byte, dataLen int64) (*Table, error) {
	var nrows, nominal, ncols, ts, nblocks uint64
	var err error
	if src, nrows, err = UnmarshalUvarint(src); err != nil {
		return nil, err
	}
	if src, nominal, err = UnmarshalUvarint(src); err != nil {
		return nil, err
	}
	if nominal < 1 || nominal > MaxBlockRows {
		return nil, fmt.Errorf("block rows %d outside 1..%d", nominal, MaxBlockRows)
	}
	if src, ncols, err = UnmarshalUvarint(src); err != nil {
		return nil, err
	}
	if ncols < 1 || ncols > maxColumns || ncols > uint64(len(src)) {
		return nil, fmt.Errorf("column count %d", ncols)
	}
	t := &Table{cols: make([]ColumnSpec, ncols), nominal: int(nominal)}
	for i := range t.cols {
		var name []byte
		if src, name, err = UnmarshalBytes(src); err != nil {
			return nil, fmt.Errorf("column %d: %w", i, err)
		}
		if len(src) < 1 || !Kind(src[0]).valid() || len(name) == 0 {
			return nil, fmt.Errorf("column %d: bad name or kind", i)
		}
		t.cols[i] = ColumnSpec{Name: string(name), Kind: Kind(src[0])}
		src = src[1:]
	}
	if src, ts, err = UnmarshalUvarint(src); err != nil {
		return nil, err
	}
	if ts > ncols || (ts > 0 && t.cols[ts-1].Kind != KindInt64) {
		return nil, fmt.Errorf("time column %d", ts)
	}
	t.tsCol = int(ts) - 1
	if src, nblocks, err = UnmarshalUvarint(src); err != nil {
		return nil, err
	}
	// Each block entry takes at least 1 + 6*ncols bytes.
	if nblocks > uint64(len(src))/(1+6*ncols) {
		return nil, fmt.Errorf("block count %d too large for %d bytes", nblocks, len(src))
	}
	t.blocks = make([]tblock, nblocks)
	t.chunks = make([]tchunk, nblocks*ncols)
	t.verified = make([]atomic.Bool, len(t.chunks))
	var first int64
	for b := range t.blocks {
		var rows uint64
		if src, rows, err = UnmarshalUvarint(src); err != nil {
			return nil, fmt.Errorf("block %d: %w", b, err)
		}
		if rows < 1 || rows > MaxBlockRows {
			return nil, fmt.Errorf("block %d: %d rows", b, rows)
		}
		blk := tblock{rows: int(rows), first: first}
		first += int64(rows)
		if t.tsCol >= 0 {
			if src, blk.min, err = UnmarshalVarint(src); err != nil {
				return nil, fmt.Errorf("block %d: %w", b, err)
			}
			if src, blk.max, err = UnmarshalVarint(src); err != nil {
				return nil, fmt.Errorf("block %d: %w", b, err)
			}
		}
		t.blocks[b] = blk
		for c := range t.cols {
			var off, n uint64
			var crc uint32
			if src, off, err = UnmarshalUvarint(src); err != nil {
				return nil, fmt.Errorf("block %d column %d: %w", b, c, err)
			}
			if src, n, err = UnmarshalUvarint(src); err != nil {
				return nil, fmt.Errorf("block %d column %d: %w", b, c, err)
			}
			if src, crc, err = UnmarshalUint32(src); err != nil {
				return nil, fmt.Errorf("block %d column %d: %w", b, c, err)
			}
			if off > uint64(dataLen) || n > uint64(dataLen)-off || n < 1 {
				return nil, fmt.Errorf("block %d column %d: chunk [%d, +%d) outside data section of %d bytes", b, c, off, n, dataLen)
			}
			t.chunks[b*int(ncols)+c] = tchunk{off: int64(off), len: int64(n), crc: crc}
		}
	}
	if uint64(first) != nrows {
		return nil, fmt.Errorf("blocks hold %d rows, header says %d", first, nrows)
	}
	if len(src) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(src))
	}
	t.nrows = first
	return t, nil
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Columns returns the schema. Shared: do not modify.
func (t *Table) Columns() []ColumnSpec { return t.cols }

// ColumnIndex returns the index of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// NumRows returns the number of rows.
func (t *Table) NumRows() int64 { return t.nrows }

// NumBlocks returns the number of blocks.
func (t *Table) NumBlocks() int { return len(t.blocks) }

// BlockRows returns the nominal rows per block the table was written with.
func (t *Table) BlockRows() int { return t.nominal }

// Block returns the number of rows of block b and the row number of its first row.
func (t *Table) Block(b int) (rows int, first int64) { return t.blocks[b].rows, t.blocks[b].first }

// BlockTimeRange returns the minimum and maximum of the time column in block b; ok is false
// when the table has no time column.
func (t *Table) BlockTimeRange(b int) (lo, hi int64, ok bool) {
	if t.tsCol < 0 {
		return 0, 0, false
	}
	return t.blocks[b].min, t.blocks[b].max, true
}

// BlocksOverlapping appends to dst the blocks whose time range meets [lo, hi] (all blocks
// when the table has no time column).
func (t *Table) BlocksOverlapping(dst []int, lo, hi int64) []int {
	for b := range t.blocks {
		if t.tsCol < 0 || (t.blocks[b].max >= lo && t.blocks[b].min <= hi) {
			dst = append(dst, b)
		}
	}
	return dst
}

// Scratch holds the buffers one goroutine reuses while reading column chunks.
type Scratch struct {
	raw   []byte
	io    []byte
	bdict [][]byte
	adict [][16]byte
}

// ReadColumn decodes column col of block b into dst (reset first, buffers reused): with
// warm buffers it allocates nothing. The chunk's checksum is verified the first time it is
// read. Bytes values are views into the mapping or into s, valid until s is used again or
// the Reader is closed.
func (t *Table) ReadColumn(b, col int, dst *Column, s *Scratch) error {
	if b < 0 || b >= len(t.blocks) || col < 0 || col >= len(t.cols) {
		return fmt.Errorf("index: table %q: block %d column %d out of range", t.name, b, col)
	}
	r := t.r
	r.life.RLock()
	defer r.life.RUnlock()
	if r.closed {
		return ErrClosed
	}
	sec := r.dir[t.dataSec]
	ci := b*len(t.cols) + col
	ch := t.chunks[ci]
	unit, err := r.readAt(s.io[:0], sec.Offset+ch.off, ch.len)
	if err != nil {
		return err
	}
	if r.data == nil {
		s.io = unit
	}
	abs := sec.Offset + ch.off
	if !t.verified[ci].Load() || r.data == nil {
		if got := crc32c(unit); got != ch.crc {
			return r.corrupt(sec.Name, abs, "block %d column %q: crc32c mismatch (want %#08x, got %#08x)", b, t.cols[col].Name, ch.crc, got)
		}
		t.verified[ci].Store(true)
	}
	raw, buf, err := r.dec.decodeUnit(s.raw, unit)
	s.raw = buf
	if err != nil {
		return &CorruptError{File: r.path, Section: sec.Name, Offset: abs, Msg: fmt.Sprintf("block %d column %q", b, t.cols[col].Name), Err: err}
	}
	n := t.blocks[b].rows
	dst.Kind = t.cols[col].Kind
	dst.Reset()
	var tail []byte
	switch dst.Kind {
	case KindInt64:
		dst.I64, tail, err = UnmarshalInt64s(dst.I64, raw, n)
	case KindUint32:
		dst.U32, tail, err = UnmarshalUint32s(dst.U32, raw, n)
	case KindUint16:
		dst.U16, tail, err = UnmarshalUint16s(dst.U16, raw, n)
	case KindUint8:
		dst.U8, tail, err = UnmarshalUint8s(dst.U8, raw, n)
	case KindBytes:
		dst.Bytes, s.bdict, tail, err = UnmarshalBytesColumn(dst.Bytes, s.bdict, raw, n)
	case KindAddr:
		dst.Addr, s.adict, tail, err = UnmarshalAddrColumn(dst.Addr, s.adict, raw, n)
	}
	if err == nil && len(tail) != 0 {
		err = fmt.Errorf("%d trailing bytes", len(tail))
	}
	if err == nil && dst.Len() != n {
		err = fmt.Errorf("decoded %d values, want %d", dst.Len(), n)
	}
	if err != nil {
		dst.Reset()
		return &CorruptError{File: r.path, Section: sec.Name, Offset: abs, Msg: fmt.Sprintf("block %d column %q", b, t.cols[col].Name), Err: err}
	}
	return nil
}
