package pcapng

import (
	"io"
	"sort"
)

// atIndex is the state ReadPacketAt keeps on the mapped path: a second cursor over the same
// mapping that has walked the file's blocks up to walked, knowing every section and IDB
// before that point.
type atIndex struct {
	s        Reader // walker sharing the mapping
	walked   int64  // offset the walk has reached
	walkLE   bool
	walkBase int
	walkEnd  bool
}

// ReadPacketAt reads the packet record (pcap record, pcapng EPB, SPB or OPB) that starts at
// byte offset off, as reported in Packet.Offset by an earlier pass. Ordinal is left 0: the
// caller knows it from wherever it found the offset.
//
// On the mapped path any offset may be asked in any order; Data stays valid until Close.
// For pcapng the reader walks the blocks once, up to the highest offset asked, to learn
// the sections and interfaces; a pcapng offset that does not start a packet block is an
// error. Classic pcap has no framing to check: an offset inside a record reads garbage
// (bounded by the usual length checks). On the plain-read path (stdin, pipes, compressed input) the
// offsets must not decrease: the reader reads forward to off (ErrNotSeekable otherwise), and
// Data is valid until the next call, as with Next.
func (r *Reader) ReadPacketAt(off int64, p *Packet) error {
	if r.closed {
		return ErrClosed
	}
	if r.src != nil {
		return r.readPacketAtStream(off, p)
	}
	if off < 0 || off >= int64(r.end) {
		return r.formatErr(off, "record", "offset beyond the end of the file (%d bytes)", r.end)
	}
	if r.at == nil {
		a := &atIndex{}
		a.s = Reader{name: r.name, buf: r.buf, end: r.end, size: r.size, format: r.format,
			le: r.le, pcapTSMul: r.pcapTSMul, ifaces: r.ifaces[:len(r.ifaces):len(r.ifaces)]}
		if r.format == FormatPcapng {
			a.s.ifaces = nil
			if err := a.s.readSHB(); err != nil {
				return err
			}
			a.walked, a.walkLE, a.walkBase = a.s.offset(), a.s.le, a.s.secBase
		}
		r.at = a
	}
	a := r.at
	s := &a.s
	s.err = nil
	if r.format == FormatPcap {
		if off < pcapHeaderLen {
			return r.formatErr(off, "record", "offset inside the pcap file header")
		}
		s.pos = int(off)
		err := s.nextPcap(p)
		p.Ordinal = 0
		if err == io.EOF {
			return r.formatErr(off, "record", "no whole record at this offset")
		}
		return err
	}
	// Walk forward until the walk has passed off, learning sections and interfaces.
	var tmp Packet
	for !a.walkEnd && a.walked <= off {
		s.err = nil
		s.pos, s.le, s.secBase = int(a.walked), a.walkLE, a.walkBase
		if err := s.Next(&tmp); err != nil {
			a.walkEnd = true
		}
		a.walked, a.walkLE, a.walkBase = s.offset(), s.le, s.secBase
	}
	// The last section starting at or before off (sections are in file order): a binary
	// search, so reading every packet of a file of many sections stays linear.
	sec := sort.Search(len(s.sections), func(i int) bool { return s.sections[i].Offset > off }) - 1
	if sec < 0 {
		return r.formatErr(off, "record", "offset before the first section")
	}
	s.err = nil
	s.le, s.secBase, s.pos = !s.sections[sec].BigEndian, s.sections[sec].FirstIface, int(off)
	if h, ok := s.peek(8); !ok {
		return r.formatErr(off, "record", "no block header at this offset")
	} else if t := u32(h, s.le); t != blockEPB && t != blockSPB && t != blockOPB {
		return r.formatErr(off, blockName(t), "no packet block at this offset (block type %#x)", t)
	}
	err := s.Next(p)
	p.Ordinal = 0
	if err == io.EOF {
		return r.formatErr(off, "record", "no whole packet block at this offset")
	}
	return err
}

func (r *Reader) readPacketAtStream(off int64, p *Packet) error {
	if r.err != nil {
		return r.err
	}
	if off < r.offset() {
		return ErrNotSeekable
	}
	// Step one record or block at a time (keeping ordinals, sections and interfaces right)
	// until the cursor reaches off.
	for r.offset() < off {
		var err error
		if r.format == FormatPcap {
			err = r.nextPcap(p)
		} else {
			_, err = r.ngBlock(p)
		}
		if err == io.EOF {
			return r.formatErr(off, "record", "offset beyond the end of the input")
		}
		if err != nil {
			return err
		}
	}
	if r.offset() != off {
		return r.formatErr(off, "record", "no record starts at this offset")
	}
	if r.format == FormatPcapng {
		if h, ok := r.peek(8); ok {
			if t := u32(h, r.le); t != blockEPB && t != blockSPB && t != blockOPB {
				return r.formatErr(off, blockName(t), "no packet block at this offset (block type %#x)", t)
			}
		}
	}
	err := r.Next(p)
	if err == io.EOF {
		return r.formatErr(off, "record", "no whole record at this offset")
	}
	return err
}
