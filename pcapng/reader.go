package pcapng

import (
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/pcapdex/pcapdex/internal/mmap"
)

// Format is the container format of a capture.
type Format uint8

const (
	FormatPcap   Format = iota + 1 // classic libpcap format
	FormatPcapng                   // pcapng
)

func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapng:
		return "pcapng"
	}
	return "unknown"
}

// Interface describes one capture interface: the single implicit one of a classic pcap file,
// or one pcapng IDB. Interfaces are numbered over the whole file in the order their IDBs
// appear (Packet.Iface indexes Reader.Interfaces()).
type Interface struct {
	LinkType    LinkType
	SnapLen     uint32 // 0 means no limit
	Name        string // if_name
	Description string // if_description
	// TSResol is the raw if_tsresol byte: bit 7 clear means 10^-n seconds, set means 2^-n.
	// Classic pcap reports 6 (microseconds) or 9 (nanoseconds).
	TSResol  uint8
	TSOffset int64 // if_tsoffset in seconds, added to every timestamp
	// FCSLen is the number of FCS bytes at the end of each frame: if_fcslen, or the pcap
	// header's FCS bits; -1 when the file does not say.
	FCSLen    int
	Section   int  // index in Reader.Sections()
	BigEndian bool // byte order of the section holding the IDB (pcapng) or the file (pcap)
	Offset    int64
	Comments  []string
	// Statistics from the last ISB for this interface (HasStats false if there was none).
	HasStats   bool
	IfRecv     uint64 // isb_ifrecv: packets received by the interface
	IfDrop     uint64 // isb_ifdrop: packets dropped by the interface
	OSDrop     uint64 // isb_osdrop
	HasIfRecv  bool
	HasIfDrop  bool
	HasOSDrop  bool
	StatsStart int64 // isb_starttime in ns since the epoch, 0 if absent
	StatsEnd   int64 // isb_endtime, or the ISB timestamp

	conv tsConv
}

// Section is one pcapng section (one SHB). A classic pcap file has one section.
type Section struct {
	Offset       int64 // offset of the SHB
	BigEndian    bool
	Major, Minor uint16 // format version
	Length       int64  // section length from the SHB, -1 if unspecified
	Hardware     string // shb_hardware
	OS           string // shb_os
	UserAppl     string // shb_userappl
	Comments     []string
	FirstIface   int // index in Reader.Interfaces() of the section's interface 0
}

// NameEntry is one record of a pcapng Name Resolution Block.
type NameEntry struct {
	Addr  netip.Addr
	Names []string
}

// BlockCounts counts the blocks (pcapng) or records (pcap) a reader has walked.
type BlockCounts struct {
	SHB, IDB, EPB, SPB, OPB, NRB, ISB, DSB, Custom, Unknown int
}

// Reader reads packets from a capture. It is not safe for concurrent use; hand packets to
// other goroutines in batches (ReadBatch).
//
// On the mapped path (regular uncompressed files) Packet.Data points into the mapping of the
// file and stays valid until Close. On the plain-read path (stdin, pipes, compressed input,
// Options.NoMmap) it points into a buffer the reader reuses: valid until the next Next.
// ReadBatch copies plain-read packets into the batch's own buffer.
type Reader struct {
	name   string
	file   *os.File
	closer io.Closer
	mapped []byte
	size   int64 // input size if known (mapped or regular uncompressed file), else -1

	// the window (see source.go)
	buf    []byte
	pos    int
	end    int
	base   int64
	src    io.Reader
	srcErr error

	format      Format
	compression Compression
	le          bool // byte order of the current section / file

	// classic pcap
	pcapTSMul int64 // 1000 for microseconds, 1 for nanoseconds
	pcapMajor uint16
	pcapMinor uint16
	linkField uint32 // the raw pcap link-type field

	// pcapng
	sections  []Section
	ifaces    []Interface
	secBase   int // index in ifaces of the current section's interface 0
	secStart  int64
	names     []NameEntry
	counts    BlockCounts
	nonPacket int

	err       error // sticky: io.EOF or a *FormatError or a read error
	truncated bool
	warnings  []string
	ordinal   uint64
	closed    bool
	tsClamped int
	badOpts   int

	at *atIndex // section index for ReadPacketAt, built on first use

	tail *Tail // set while a Tail reads a file still being written (tail.go)

	pf       int  // mapped path: next offset touchAhead will read
	touched  byte // sink for touchAhead's loads
	prefault *prefaulter
}

// init reads the file header: the pcap global header or the first SHB.
func (r *Reader) init() error {
	head, ok := r.peek(4)
	if !ok {
		if err := r.srcFailed(); err != nil {
			return fmt.Errorf("pcapng: file %s: %w", r.name, err)
		}
		return &FormatError{File: r.name, Offset: 0, Block: "file header", Msg: fmt.Sprintf("file holds %d bytes, too short for a capture header (%v)", r.avail(), ErrNotCapture), Err: ErrNotCapture}
	}
	m := uint32(head[0])<<24 | uint32(head[1])<<16 | uint32(head[2])<<8 | uint32(head[3])
	switch m {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		r.format = FormatPcap
		return r.initPcap()
	case blockSHB:
		r.format = FormatPcapng
		if err := r.readSHB(); err != nil {
			r.err = err
			return err
		}
		return nil
	}
	return &FormatError{File: r.name, Offset: 0, Block: "file header", Msg: fmt.Sprintf("magic %#08x: %v", m, ErrNotCapture), Err: ErrNotCapture}
}

// Next reads the next packet into p. It returns io.EOF at the end of the capture (also after
// a truncated tail: see Truncated), or a *FormatError when the bytes break the format. Errors
// are sticky. See Reader for how long p.Data stays valid.
func (r *Reader) Next(p *Packet) error {
	if r.err != nil {
		return r.err
	}
	if r.format == FormatPcap {
		return r.nextPcap(p)
	}
	return r.nextPcapng(p)
}

// Close releases the mapping and the file. Packet data from the mapped path is invalid after
// Close.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.stopPrefault()
	var err error
	if r.closer != nil {
		err = r.closer.Close()
	}
	if r.mapped != nil {
		if e := mmap.Unmap(r.mapped); e != nil && err == nil {
			err = e
		}
		r.mapped, r.buf = nil, nil
		r.pos, r.end = 0, 0
	}
	if r.file != nil {
		if e := r.file.Close(); e != nil && err == nil {
			err = e
		}
	}
	if r.err == nil || r.err == io.EOF {
		r.err = ErrClosed
	}
	return err
}

// setTruncated ends the capture at a record cut short by the end of the input.
func (r *Reader) setTruncated(off int64, block string, need int64) error {
	if err := r.srcFailed(); err != nil {
		r.err = fmt.Errorf("pcapng: file %s: read at offset %#x: %w", r.name, off, err)
		return r.err
	}
	if r.tail != nil && !r.tail.closed {
		return r.tail.pend(off)
	}
	r.truncated = true
	have := r.offset() + int64(r.avail()) - off
	if r.src == nil {
		have = int64(r.end) - off
	}
	r.warnings = append(r.warnings, fmt.Sprintf("file %s: truncated: %s at offset %#x needs %d bytes, only %d left", r.name, block, off, need, have))
	r.err = io.EOF
	return io.EOF
}

// Name returns the file name given to Open.
func (r *Reader) Name() string { return r.name }

// Format returns FormatPcap or FormatPcapng.
func (r *Reader) Format() Format { return r.format }

// Compression returns the compression detected around the capture.
func (r *Reader) Compression() Compression { return r.compression }

// Mapped reports whether the reader uses the memory-mapped path.
func (r *Reader) Mapped() bool { return r.mapped != nil }

// Size returns the input size in bytes when known (regular uncompressed files), else -1.
func (r *Reader) Size() int64 { return r.size }

// Offset returns the stream offset of the next record.
func (r *Reader) Offset() int64 { return r.offset() }

// Truncated reports whether the capture ended in the middle of a record.
func (r *Reader) Truncated() bool { return r.truncated }

// Warnings returns problems that did not stop reading (truncated tail, clamped timestamps,
// malformed packet options, reserved bits). The slice is owned by the reader.
func (r *Reader) Warnings() []string {
	w := r.warnings
	if r.tsClamped > 0 {
		w = append(w[:len(w):len(w)], fmt.Sprintf("file %s: %d timestamps out of the int64 nanosecond range were clamped", r.name, r.tsClamped))
	}
	if r.badOpts > 0 {
		w = append(w[:len(w):len(w)], fmt.Sprintf("file %s: %d packet blocks with malformed options (options ignored)", r.name, r.badOpts))
	}
	return w
}

// Interfaces returns the interfaces seen so far (pcapng IDBs appear as the reader reaches
// them; read to io.EOF for the full list). The slice is owned by the reader.
func (r *Reader) Interfaces() []Interface { return r.ifaces }

// Sections returns the sections seen so far (one for classic pcap).
func (r *Reader) Sections() []Section { return r.sections }

// NameEntries returns the Name Resolution Block records seen so far.
func (r *Reader) NameEntries() []NameEntry { return r.names }

// BlockCounts returns the pcapng blocks walked so far (for pcap, EPB counts records).
func (r *Reader) BlockCounts() BlockCounts { return r.counts }

// PcapVersion returns the classic pcap header's version (0, 0 for pcapng).
func (r *Reader) PcapVersion() (major, minor uint16) { return r.pcapMajor, r.pcapMinor }

// PcapLinkField returns the raw 32-bit link-type field of a classic pcap header (with its
// FCS and reserved bits), 0 for pcapng.
func (r *Reader) PcapLinkField() uint32 { return r.linkField }

func u16(b []byte, le bool) uint16 {
	_ = b[1]
	if le {
		return uint16(b[0]) | uint16(b[1])<<8
	}
	return uint16(b[1]) | uint16(b[0])<<8
}

func u32(b []byte, le bool) uint32 {
	_ = b[3]
	if le {
		return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	}
	return uint32(b[3]) | uint32(b[2])<<8 | uint32(b[1])<<16 | uint32(b[0])<<24
}

func u64(b []byte, le bool) uint64 {
	_ = b[7]
	if le {
		return uint64(u32(b, true)) | uint64(u32(b[4:], true))<<32
	}
	return uint64(u32(b, false))<<32 | uint64(u32(b[4:], false))
}
