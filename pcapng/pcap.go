package pcapng

import "io"

// Classic pcap: a 24-byte global header, then records of a 16-byte header and the data.
//
//	magic u32 | major u16 | minor u16 | thiszone i32 | sigfigs u32 | snaplen u32 | linktype u32
//	ts_sec u32 | ts_frac u32 | incl_len u32 | orig_len u32 | data[incl_len]
//
// The magic a1b2c3d4 means microsecond fractions, a1b23c4d nanoseconds; read in the other
// byte order it says the file is byte-swapped. The link-type field holds the LINKTYPE in its
// low 16 bits, reserved bits 16-27, the FCS-present flag in bit 28 and the FCS length in
// 16-bit words in bits 29-31.

const (
	pcapHeaderLen = 24
	pcapRecordLen = 16
)

func (r *Reader) initPcap() error {
	h, ok := r.peek(pcapHeaderLen)
	if !ok {
		return r.formatErr(0, "pcap header", "file holds %d bytes, a pcap header needs %d", r.avail(), pcapHeaderLen)
	}
	switch {
	case h[0] == 0xd4 && h[1] == 0xc3:
		r.le, r.pcapTSMul = true, 1000
	case h[0] == 0xa1 && h[1] == 0xb2 && h[2] == 0xc3:
		r.le, r.pcapTSMul = false, 1000
	case h[0] == 0x4d:
		r.le, r.pcapTSMul = true, 1
	default:
		r.le, r.pcapTSMul = false, 1
	}
	r.pcapMajor, r.pcapMinor = u16(h[4:], r.le), u16(h[6:], r.le)
	if r.pcapMajor != 2 {
		return r.formatErr(0, "pcap header", "version %d.%d unsupported (major version must be 2)", r.pcapMajor, r.pcapMinor)
	}
	snap := u32(h[16:], r.le)
	r.linkField = u32(h[20:], r.le)
	ifc := Interface{
		LinkType:  LinkType(r.linkField),
		SnapLen:   snap,
		TSResol:   6,
		FCSLen:    -1,
		BigEndian: !r.le,
	}
	if r.pcapTSMul == 1 {
		ifc.TSResol = 9
	}
	if r.linkField&0x10000000 != 0 {
		ifc.FCSLen = int(r.linkField>>29) * 2
	}
	if r.linkField&0x0fff0000 != 0 {
		r.warnings = append(r.warnings, "file "+r.name+": pcap link-type field has reserved bits set (ignored)")
	}
	ifc.conv = newTSConv(ifc.TSResol, 0)
	r.ifaces = append(r.ifaces, ifc)
	r.sections = append(r.sections, Section{BigEndian: !r.le, Major: r.pcapMajor, Minor: r.pcapMinor, Length: -1})
	r.pos += pcapHeaderLen
	return nil
}

func (r *Reader) nextPcap(p *Packet) error {
	h, ok := r.peek(pcapRecordLen)
	if !ok {
		if r.avail() == 0 && r.srcFailed() == nil {
			r.err = io.EOF
			return io.EOF
		}
		return r.setTruncated(r.offset(), "record header", pcapRecordLen)
	}
	var sec, frac, incl, orig uint32
	if r.le {
		sec = uint32(h[0]) | uint32(h[1])<<8 | uint32(h[2])<<16 | uint32(h[3])<<24
		frac = uint32(h[4]) | uint32(h[5])<<8 | uint32(h[6])<<16 | uint32(h[7])<<24
		incl = uint32(h[8]) | uint32(h[9])<<8 | uint32(h[10])<<16 | uint32(h[11])<<24
		orig = uint32(h[12]) | uint32(h[13])<<8 | uint32(h[14])<<16 | uint32(h[15])<<24
	} else {
		sec = uint32(h[3]) | uint32(h[2])<<8 | uint32(h[1])<<16 | uint32(h[0])<<24
		frac = uint32(h[7]) | uint32(h[6])<<8 | uint32(h[5])<<16 | uint32(h[4])<<24
		incl = uint32(h[11]) | uint32(h[10])<<8 | uint32(h[9])<<16 | uint32(h[8])<<24
		orig = uint32(h[15]) | uint32(h[14])<<8 | uint32(h[13])<<16 | uint32(h[12])<<24
	}
	off := r.offset()
	if incl > maxPacketLen {
		r.err = r.formatErr(off, "record", "captured length %d > maximum %d", incl, maxPacketLen)
		return r.err
	}
	total := pcapRecordLen + int(incl)
	b, ok := r.peek(total)
	if !ok {
		return r.setTruncated(off, "record", int64(total))
	}
	r.pos += total
	if r.src == nil {
		r.touch()
	}
	r.ordinal++
	r.counts.EPB++
	*p = Packet{
		Data:     b[pcapRecordLen:total:total],
		CapLen:   incl,
		OrigLen:  orig,
		TS:       int64(sec)*1e9 + int64(frac)*r.pcapTSMul,
		LinkType: r.ifaces[0].LinkType,
		HasTS:    true,
		Offset:   off,
		Ordinal:  r.ordinal,
		FCSLen:   int8(r.ifaces[0].FCSLen),
	}
	return nil
}
