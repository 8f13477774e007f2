package pcapng

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrPending is returned by Tail.Next and Tail.ReadBatch when no whole record follows the
// committed offset yet: the writer has not written it (or has written part of it). Call
// again once the file has grown; it is not sticky.
var ErrPending = errors.New("pcapng: no whole record yet (the capture is still being written)")

// Tail reads a capture that another process is still writing (tcpdump -w, dumpcap). It
// commits only whole records: a pcap record header plus its captured bytes, a pcapng block
// whose leading and trailing total lengths are both there. A record cut by the current end
// of the file is pending: Next returns ErrPending, and the next call retries it from its
// first byte. Once the writer is known to be done with the file (SetClosed: a newer file of
// the set exists, or the file stopped growing), a pending record is a truncated tail, as
// every other command reads it: io.EOF with Truncated set and a warning.
//
// A length that breaks the format (a captured length beyond the limit, a pcapng trailing
// length that differs from the leading one once the whole block is there) is a
// *FormatError as in Reader, at any time. An empty file or a file holding only part of its
// header is pending (Reader returns nil until the header is whole); a closed empty file is
// simply empty (io.EOF, no error).
//
// Tail reads with plain reads (never a mapping: the file grows and a ring may truncate
// it), so packet data is valid until the next Next; ReadBatch copies it into the batch
// as Reader.ReadBatch does. Nothing is allocated per packet. Compressed captures cannot be
// followed.
type Tail struct {
	name   string
	src    tailSrc
	file   *os.File // owned when opened by OpenTail
	r      *Reader  // nil until the file header is whole
	closed bool     // the writer is done: pending becomes truncated
	pended bool     // the last call stopped at a partial record
	opt    TailOptions
}

// TailOptions tune NewTail and OpenTail.
type TailOptions struct {
	// Limit, if > 0, reads only the first Limit bytes, as if the file ended there (with
	// SetClosed: a capture cut at a committed offset reads as the whole capture).
	Limit int64
	// BufferSize is the initial read buffer (default 1 MiB).
	BufferSize int
}

// OpenTail opens path for tail reading. The file may be empty.
func OpenTail(path string, opt TailOptions) (*Tail, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pcapng: %w", err)
	}
	t := NewTail(path, f, opt)
	t.file = f
	return t, nil
}

// NewTail reads the capture in ra (whose end may move) for tail reading; name is used in
// errors. Close does not close ra.
func NewTail(name string, ra io.ReaderAt, opt TailOptions) *Tail {
	return &Tail{name: name, src: tailSrc{ra: ra, limit: opt.Limit}, opt: opt}
}

// tailSrc reads ra sequentially from off, ending (io.EOF) wherever the data ends now or at
// limit; reads after io.EOF try again.
type tailSrc struct {
	ra    io.ReaderAt
	off   int64
	limit int64
}

func (s *tailSrc) Read(b []byte) (int, error) {
	if s.limit > 0 {
		if s.off >= s.limit {
			return 0, io.EOF
		}
		if rest := s.limit - s.off; int64(len(b)) > rest {
			b = b[:rest]
		}
	}
	n, err := s.ra.ReadAt(b, s.off)
	s.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	if err == nil && n == 0 {
		err = io.EOF
	}
	return n, err
}

// pend rewinds r to the start of the record at off, cut by the current end of the input,
// and ends this read with io.EOF without making it sticky: Tail turns it into ErrPending.
func (t *Tail) pend(off int64) error {
	r := t.r
	if off >= r.base && off <= r.base+int64(r.end) {
		r.pos = int(off - r.base)
	} else {
		// The bytes were skipped past (a large unknown block): read them again.
		t.src.off, r.base, r.pos, r.end = off, off, 0, 0
	}
	r.srcErr = nil
	t.pended = true
	return io.EOF
}

// skippedCut ends the capture at a skipped block cut by the end of the input. A tail will
// read the block again, so it is not counted twice.
func (r *Reader) skippedCut(off int64, typ, blen uint32) error {
	if r.tail != nil && !r.tail.closed && r.srcFailed() == nil {
		switch typ {
		case blockDSB:
			r.counts.DSB--
		case blockCustom, blockCustNC:
			r.counts.Custom--
		case blockNRB:
		default:
			r.counts.Unknown--
		}
	}
	return r.setTruncated(off, blockName(typ), int64(blen))
}

// open creates the Reader once the file header is whole (or the file is closed).
func (t *Tail) open() error {
	var head [12]byte
	n, err := t.src.ra.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("pcapng: file %s: %w", t.name, err)
	}
	if t.opt.Limit > 0 && int64(n) > t.opt.Limit {
		n = int(t.opt.Limit)
	}
	if !t.closed {
		if n < 4 {
			return ErrPending
		}
		if c := sniffCompression(head[:n]); c != CompressionNone {
			return &FormatError{File: t.name, Block: "file header", Msg: c.String() + "-compressed captures cannot be followed"}
		}
		need := 4
		switch m := u32(head[:], false); m {
		case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
			need = pcapHeaderLen
		case blockSHB:
			need = 12
			if n == 12 {
				var le bool
				switch u32(head[8:], true) {
				case byteOrderMagic:
					le = true
				case 0x4D3C2B1A:
				default:
					need = 0 // not a capture: let the reader say so
				}
				if blen := u32(head[4:], le); need != 0 && blen >= 28 && blen%4 == 0 && blen <= maxMetaBlock {
					need = int(blen)
				}
			}
		}
		if size, err := t.size(); err != nil {
			return err
		} else if size < int64(need) {
			return ErrPending
		}
	} else if n == 0 {
		return io.EOF // a closed empty file: no packets, no error
	}
	t.src.off = 0
	r, err := NewReader(&t.src, Options{Name: t.name, BufferSize: t.opt.BufferSize})
	if err != nil {
		return err
	}
	r.tail = t
	t.r = r
	return nil
}

// size returns the bytes there are to read now (bounded by Limit).
func (t *Tail) size() (int64, error) {
	var n int64
	if f, ok := t.src.ra.(*os.File); ok {
		st, err := f.Stat()
		if err != nil {
			return 0, fmt.Errorf("pcapng: file %s: %w", t.name, err)
		}
		n = st.Size()
	} else if s, ok := t.src.ra.(interface{ Size() int64 }); ok {
		n = s.Size()
	} else {
		return 0, fmt.Errorf("pcapng: file %s: tail source has no size", t.name)
	}
	if t.opt.Limit > 0 {
		n = min(n, t.opt.Limit)
	}
	return n, nil
}

// Next reads the next whole packet into p. It returns ErrPending when none is there yet,
// io.EOF at the end of a closed file (see Truncated), or the reader's *FormatError (sticky).
// p.Data is valid until the next call.
func (t *Tail) Next(p *Packet) error {
	if t.r == nil {
		if err := t.open(); err != nil {
			return err
		}
	}
	return t.fix(t.r.Next(p))
}

// ReadBatch fills b as Reader.ReadBatch does, with the whole records there are. It returns
// nil when at least one packet was read, else ErrPending, io.EOF or the reader's error.
func (t *Tail) ReadBatch(b *Batch) error {
	if t.r == nil {
		if err := t.open(); err != nil {
			b.Packets = b.Packets[:0]
			return err
		}
	}
	return t.fix(t.r.ReadBatch(b))
}

// fix turns the end of the data into ErrPending while the writer may still append.
func (t *Tail) fix(err error) error {
	if err != io.EOF || t.closed {
		t.pended = false
		return err
	}
	r := t.r
	r.err, r.srcErr = nil, nil
	return ErrPending
}

// Resume makes the Reader (see Reader) readable again after it returned io.EOF at the
// current end of a file that is still being written: call it before handing the Reader to
// another pass (flowhash.Pipeline.Run) once the file has grown.
func (t *Tail) Resume() {
	if t.r != nil && !t.closed && t.r.err == io.EOF && !t.r.truncated {
		t.r.err, t.r.srcErr = nil, nil
	}
}

// Reader returns the reader over the file (interfaces, sections, warnings), or nil while
// the file header is not whole. A pass that reads it directly sees io.EOF at the current
// end of the data (Resume makes it readable again).
func (t *Tail) Reader() *Reader { return t.r }

// Ready opens the reader if the file header is whole and reports whether it is open: a
// pass that takes a Reader (flowhash.Pipeline.Run) can start.
func (t *Tail) Ready() (bool, error) {
	if t.r != nil {
		return true, nil
	}
	err := t.open()
	switch {
	case err == nil:
		return true, nil
	case err == ErrPending || err == io.EOF:
		return false, nil
	}
	return false, err
}

// Committed returns the byte offset just past the last whole record read (the pcap header
// or first SHB once whole, 0 before): where a reader resuming this file starts.
func (t *Tail) Committed() int64 {
	if t.r == nil {
		return 0
	}
	return t.r.Offset()
}

// Pending reports whether the last read stopped at a partial record (not at the end of the
// data).
func (t *Tail) Pending() bool { return t.pended }

// SetClosed says the writer is done with the file: from now on a partial record at the end
// is a truncated tail (io.EOF, Truncated) rather than pending.
func (t *Tail) SetClosed() {
	t.closed = true
	if t.r != nil {
		t.r.srcErr = nil
		if t.r.err == io.EOF && !t.r.truncated {
			t.r.err = nil
		}
	}
}

// Closed reports whether SetClosed was called.
func (t *Tail) Closed() bool { return t.closed }

// Truncated reports whether the closed file ended inside a record (or inside its header).
func (t *Tail) Truncated() bool {
	if t.r == nil {
		if !t.closed {
			return false
		}
		size, err := t.size()
		return err == nil && size > 0
	}
	return t.r.truncated
}

// SkipTo reads (and drops) packets up to byte offset off, as a follower that restarts does
// to reach its checkpoint with the interfaces and packet ordinals the records before it
// define: the next packet read is the first whose record starts at or after off. It fails
// if off lies past the whole records there are.
func (t *Tail) SkipTo(off int64) error {
	var p Packet
	for t.Committed() < off {
		if err := t.Next(&p); err != nil {
			if err == ErrPending || err == io.EOF {
				return fmt.Errorf("pcapng: file %s: resume offset %#x lies past the whole records (%#x)", t.name, off, t.Committed())
			}
			return err
		}
		if p.Offset >= off {
			t.unread(&p)
			return nil
		}
	}
	return nil
}

// unread puts back the packet p just read (its record is still in the window).
func (t *Tail) unread(p *Packet) {
	r := t.r
	r.pos = int(p.Offset - r.base)
	r.ordinal--
	switch {
	case r.format == FormatPcap:
		r.counts.EPB--
	case u32(r.buf[r.pos:], r.le) == blockSPB:
		r.counts.SPB--
	case u32(r.buf[r.pos:], r.le) == blockOPB:
		r.counts.OPB--
	default:
		r.counts.EPB--
	}
}

// Close releases the reader and, when OpenTail opened it, the file.
func (t *Tail) Close() error {
	var err error
	if t.r != nil {
		err = t.r.Close()
	}
	if t.file != nil {
		err = errors.Join(err, t.file.Close())
	}
	return err
}
