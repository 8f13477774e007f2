package pcapng

import (
	"errors"
	"fmt"
	"io"
)

// Writers encode into an internal buffer with append-style helpers and hand it to the
// underlying io.Writer when it fills; nothing is allocated per packet. Call Flush at the end.
// Both write little-endian files.

const writeBufSize = 512 << 10

// PcapWriter writes a classic pcap file (version 2.4, little-endian).
type PcapWriter struct {
	w       io.Writer
	buf     []byte
	nsec    bool
	snaplen uint32
	err     error
}

// NewPcapWriter writes the pcap global header for linktype and snaplen (0 means 262144), with
// nanosecond (magic a1b23c4d) or microsecond (a1b2c3d4) timestamps.
func NewPcapWriter(w io.Writer, linktype LinkType, snaplen uint32, nanosecond bool) (*PcapWriter, error) {
	if snaplen == 0 {
		snaplen = maxPacketLen
	}
	pw := &PcapWriter{w: w, buf: make([]byte, 0, writeBufSize), nsec: nanosecond, snaplen: snaplen}
	magic := uint32(0xa1b2c3d4)
	if nanosecond {
		magic = 0xa1b23c4d
	}
	b := appendU32(pw.buf, magic)
	b = appendU16(b, 2)
	b = appendU16(b, 4)
	b = appendU32(b, 0) // thiszone
	b = appendU32(b, 0) // sigfigs
	b = appendU32(b, snaplen)
	b = appendU32(b, uint32(linktype))
	pw.buf = b
	return pw, nil
}

// WritePacket appends one record: ts in ns since the epoch (0 <= seconds < 2^32), the
// captured bytes and the original length (raised to len(data) if smaller).
func (pw *PcapWriter) WritePacket(ts int64, data []byte, origLen uint32) error {
	if pw.err != nil {
		return pw.err
	}
	if len(data) > maxPacketLen {
		return fmt.Errorf("pcapng: pcap writer: captured length %d > maximum %d", len(data), maxPacketLen)
	}
	if ts < 0 || ts/1e9 > 0xffffffff {
		return fmt.Errorf("pcapng: pcap writer: timestamp %d ns outside the pcap range (0 to 2^32 s)", ts)
	}
	if origLen < uint32(len(data)) {
		origLen = uint32(len(data))
	}
	frac := uint32(ts % 1e9)
	if !pw.nsec {
		frac /= 1000
	}
	if len(pw.buf)+16+len(data) > cap(pw.buf) {
		if err := pw.flushBuf(); err != nil {
			return err
		}
	}
	b := appendU32(pw.buf, uint32(ts/1e9))
	b = appendU32(b, frac)
	b = appendU32(b, uint32(len(data)))
	b = appendU32(b, origLen)
	pw.buf = append(b, data...)
	return nil
}

// Flush writes buffered bytes to the underlying writer.
func (pw *PcapWriter) Flush() error { return pw.flushBuf() }

func (pw *PcapWriter) flushBuf() error {
	if pw.err != nil {
		return pw.err
	}
	if len(pw.buf) > 0 {
		if _, err := pw.w.Write(pw.buf); err != nil {
			pw.err = fmt.Errorf("pcapng: pcap writer: %w", err)
			return pw.err
		}
		pw.buf = pw.buf[:0]
	}
	return nil
}

// PcapngWriterOptions describe the section header a PcapngWriter writes.
type PcapngWriterOptions struct {
	Comment  string // SHB opt_comment
	Hardware string // shb_hardware
	OS       string // shb_os
	UserAppl string // shb_userappl, e.g. "pcapdex 1.2"
}

// PcapngWriter writes a pcapng file: one little-endian section, interfaces added with
// AddInterface, packets as Enhanced Packet Blocks.
type PcapngWriter struct {
	w      io.Writer
	buf    []byte
	ifaces []tsConv
	err    error
}

// NewPcapngWriter writes the Section Header Block.
func NewPcapngWriter(w io.Writer, opts PcapngWriterOptions) (*PcapngWriter, error) {
	pw := &PcapngWriter{w: w, buf: make([]byte, 0, writeBufSize)}
	start := len(pw.buf)
	b := appendU32(pw.buf, blockSHB)
	b = appendU32(b, 0) // total length, patched below
	b = appendU32(b, byteOrderMagic)
	b = appendU16(b, 1)
	b = appendU16(b, 0)
	b = appendU32(b, 0xffffffff) // section length -1
	b = appendU32(b, 0xffffffff)
	b = appendOptString(b, optComment, opts.Comment)
	b = appendOptString(b, optSHBHardware, opts.Hardware)
	b = appendOptString(b, optSHBOS, opts.OS)
	b = appendOptString(b, optSHBUserAppl, opts.UserAppl)
	pw.buf = finishBlock(b, start, opts.Comment != "" || opts.Hardware != "" || opts.OS != "" || opts.UserAppl != "")
	return pw, nil
}

// AddInterface writes an Interface Description Block and returns its interface number.
// tsresol is the raw if_tsresol byte: 6 for microseconds (written without the option),
// 9 for nanoseconds, 0x80|n for 2^-n seconds.
func (pw *PcapngWriter) AddInterface(linktype LinkType, snaplen uint32, name string, tsresol uint8) (int, error) {
	if pw.err != nil {
		return 0, pw.err
	}
	if len(name) > 0xffff {
		return 0, errors.New("pcapng: pcapng writer: interface name longer than 65535 bytes")
	}
	start := len(pw.buf)
	b := appendU32(pw.buf, blockIDB)
	b = appendU32(b, 0)
	b = appendU16(b, uint16(linktype))
	b = appendU16(b, 0)
	b = appendU32(b, snaplen)
	b = appendOptString(b, optIfName, name)
	hasOpts := name != ""
	if tsresol != 6 {
		b = appendU16(b, optIfTSResol)
		b = appendU16(b, 1)
		b = append(b, tsresol, 0, 0, 0)
		hasOpts = true
	}
	pw.buf = finishBlock(b, start, hasOpts)
	pw.ifaces = append(pw.ifaces, newTSConv(tsresol, 0))
	return len(pw.ifaces) - 1, pw.flushIfFull()
}

// WritePacket writes an Enhanced Packet Block for interface iface with ts in ns since the
// epoch, the captured bytes, the original length (raised to len(data) if smaller) and an
// optional comment ("" for none).
func (pw *PcapngWriter) WritePacket(iface int, ts int64, data []byte, origLen uint32, comment string) error {
	return pw.WritePacketFlags(iface, ts, data, origLen, 0, comment)
}

// WritePacketFlags is WritePacket with an epb_flags value (written when non-zero).
func (pw *PcapngWriter) WritePacketFlags(iface int, ts int64, data []byte, origLen, flags uint32, comment string) error {
	if pw.err != nil {
		return pw.err
	}
	if iface < 0 || iface >= len(pw.ifaces) {
		return fmt.Errorf("pcapng: pcapng writer: interface %d not added (have %d)", iface, len(pw.ifaces))
	}
	if len(data) > maxPacketLen {
		return fmt.Errorf("pcapng: pcapng writer: captured length %d > maximum %d", len(data), maxPacketLen)
	}
	if len(comment) > 0xffff {
		return errors.New("pcapng: pcapng writer: comment longer than 65535 bytes")
	}
	raw, ok := pw.ifaces[iface].toRaw(ts)
	if !ok {
		return fmt.Errorf("pcapng: pcapng writer: timestamp %d ns not representable for interface %d", ts, iface)
	}
	if origLen < uint32(len(data)) {
		origLen = uint32(len(data))
	}
	need := 32 + len(data) + 3 + 12 + 4 + len(comment) + 3 + 8
	if len(pw.buf)+need > cap(pw.buf) {
		if err := pw.flushBuf(); err != nil {
			return err
		}
	}
	start := len(pw.buf)
	b := appendU32(pw.buf, blockEPB)
	b = appendU32(b, 0)
	b = appendU32(b, uint32(iface))
	b = appendU32(b, uint32(raw>>32))
	b = appendU32(b, uint32(raw))
	b = appendU32(b, uint32(len(data)))
	b = appendU32(b, origLen)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	hasOpts := false
	if flags != 0 {
		b = appendU16(b, optEPBFlags)
		b = appendU16(b, 4)
		b = appendU32(b, flags)
		hasOpts = true
	}
	if comment != "" {
		b = appendOptString(b, optComment, comment)
		hasOpts = true
	}
	pw.buf = finishBlock(b, start, hasOpts)
	return nil
}

// Flush writes buffered bytes to the underlying writer.
func (pw *PcapngWriter) Flush() error { return pw.flushBuf() }

func (pw *PcapngWriter) flushIfFull() error {
	if len(pw.buf) > cap(pw.buf)/2 {
		return pw.flushBuf()
	}
	return nil
}

func (pw *PcapngWriter) flushBuf() error {
	if pw.err != nil {
		return pw.err
	}
	if len(pw.buf) > 0 {
		if _, err := pw.w.Write(pw.buf); err != nil {
			pw.err = fmt.Errorf("pcapng: pcapng writer: %w", err)
			return pw.err
		}
		pw.buf = pw.buf[:0]
	}
	return nil
}

func appendU16(b []byte, v uint16) []byte { return append(b, byte(v), byte(v>>8)) }

func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// appendOptString appends option code with value s (nothing when s is empty), padded.
func appendOptString(b []byte, code uint16, s string) []byte {
	if s == "" {
		return b
	}
	b = appendU16(b, code)
	b = appendU16(b, uint16(len(s)))
	b = append(b, s...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// finishBlock closes the block that starts at b[start:]: opt_endofopt if it has options,
// the trailing total length, and the total length patched into the header.
func finishBlock(b []byte, start int, hasOpts bool) []byte {
	if hasOpts {
		b = append(b, 0, 0, 0, 0)
	}
	n := uint32(len(b) - start + 4)
	b = appendU32(b, n)
	b[start+4], b[start+5], b[start+6], b[start+7] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return b
}
