package pcapng

import (
	"io"
	"net/netip"
)

// pcapng: a sequence of blocks, each
//
//	type u32 | total length u32 | body | total length u32     (total length % 4 == 0)
//
// in the byte order of the section, which the Section Header Block (SHB) sets with its
// byte-order magic 0x1A2B3C4D. A file may hold several sections of different byte order;
// interface numbers (IDB order) restart in each section. Blocks read here:
//
//	SHB 0x0A0D0D0A  magic u32 | major u16 | minor u16 | section length i64 | options
//	IDB 1           linktype u16 | reserved u16 | snaplen u32 | options
//	OPB 2           iface u16 | drops u16 | ts high u32 | ts low u32 | caplen u32 | origlen u32 | data | options
//	SPB 3           origlen u32 | data (caplen = min(origlen, snaplen, room in the block))
//	NRB 4           records (type u16 | length u16 | value, padded) ended by type 0 | options
//	ISB 5           iface u32 | ts high u32 | ts low u32 | options
//	EPB 6           iface u32 | ts high u32 | ts low u32 | caplen u32 | origlen u32 | data | options
//
// Decryption secrets (DSB), custom and unknown blocks are skipped and counted.

const (
	blockSHB    = 0x0A0D0D0A
	blockIDB    = 1
	blockOPB    = 2
	blockSPB    = 3
	blockNRB    = 4
	blockISB    = 5
	blockEPB    = 6
	blockDSB    = 0x0A
	blockCustom = 0x00000BAD
	blockCustNC = 0x40000BAD

	byteOrderMagic = 0x1A2B3C4D
	maxPacketBlock = maxPacketLen + maxMetaBlock
)

func blockName(t uint32) string {
	switch t {
	case blockSHB:
		return "SHB"
	case blockIDB:
		return "IDB"
	case blockOPB:
		return "OPB"
	case blockSPB:
		return "SPB"
	case blockNRB:
		return "NRB"
	case blockISB:
		return "ISB"
	case blockEPB:
		return "EPB"
	case blockDSB:
		return "DSB"
	case blockCustom, blockCustNC:
		return "custom block"
	}
	return "block"
}

func pad4(n uint32) uint32 { return (n + 3) &^ 3 }

func (r *Reader) nextPcapng(p *Packet) error {
	for {
		isPacket, err := r.ngBlock(p)
		if err != nil {
			return err
		}
		if isPacket {
			return nil
		}
	}
}

// ngBlock reads one block. It reports whether it was a packet block (then p holds it).
func (r *Reader) ngBlock(p *Packet) (bool, error) {
	off := r.offset()
	h, ok := r.peek(28)
	if !ok {
		if r.avail() == 0 && r.srcFailed() == nil {
			r.err = io.EOF
			return false, io.EOF
		}
		if h, ok = r.peek(8); !ok {
			return false, r.setTruncated(off, "block header", 8)
		}
	}
	typ := u32(h, r.le)
	if typ == blockSHB {
		if err := r.readSHB(); err != nil {
			if err != io.EOF {
				r.err = err
			}
			return false, err
		}
		return false, nil
	}
	blen := u32(h[4:], r.le)
	if blen < 12 || blen%4 != 0 {
		r.err = r.formatErr(off, blockName(typ), "total length %d invalid (minimum 12, multiple of 4)", blen)
		return false, r.err
	}
	switch typ {
	case blockEPB, blockOPB:
		if blen < 32 {
			r.err = r.formatErr(off, blockName(typ), "total length %d < minimum 32", blen)
			return false, r.err
		}
		if len(h) < 28 {
			return false, r.setTruncated(off, blockName(typ), int64(blen))
		}
		capLen := u32(h[20:], r.le)
		if capLen > maxPacketLen {
			r.err = r.formatErr(off, blockName(typ), "captured length %d > maximum %d", capLen, maxPacketLen)
			return false, r.err
		}
		if 32+pad4(capLen) > blen {
			r.err = r.formatErr(off, blockName(typ), "captured length %d runs past total length %d", capLen, blen)
			return false, r.err
		}
		if blen > maxPacketBlock {
			r.err = r.formatErr(off, blockName(typ), "total length %d > maximum %d", blen, maxPacketBlock)
			return false, r.err
		}
		b, ok := r.peek(int(blen))
		if !ok || u32(b[blen-4:], r.le) != blen {
			return false, r.badBlock(off, typ, blen, b, ok)
		}
		var local uint32
		if typ == blockEPB {
			local = u32(b[8:], r.le)
			r.counts.EPB++
		} else {
			local = uint32(u16(b[8:], r.le))
			r.counts.OPB++
		}
		if local >= uint32(len(r.ifaces)-r.secBase) {
			r.err = r.formatErr(off, blockName(typ), "interface %d not defined (section has %d IDBs)", local, len(r.ifaces)-r.secBase)
			return false, r.err
		}
		ifc := &r.ifaces[r.secBase+int(local)]
		raw := uint64(u32(b[12:], r.le))<<32 | uint64(u32(b[16:], r.le))
		ts, tsOK := ifc.conv.ns(raw)
		if !tsOK {
			r.tsClamped++
		}
		dataEnd := 28 + capLen
		r.pos += int(blen)
		if r.src == nil {
			r.touch()
		}
		r.ordinal++
		*p = Packet{
			Data:     b[28:dataEnd:dataEnd],
			CapLen:   capLen,
			OrigLen:  u32(b[24:], r.le),
			TS:       ts,
			Iface:    uint32(r.secBase) + local,
			LinkType: ifc.LinkType,
			HasTS:    true,
			Offset:   off,
			Ordinal:  r.ordinal,
			FCSLen:   int8(ifc.FCSLen),
		}
		if o := b[28+pad4(capLen) : blen-4]; len(o) > 0 {
			p.Options, p.optsLE = o, r.le
			r.packetFlags(p)
		}
		return true, nil

	case blockSPB:
		if blen < 16 {
			r.err = r.formatErr(off, "SPB", "total length %d < minimum 16", blen)
			return false, r.err
		}
		if blen > maxPacketBlock {
			r.err = r.formatErr(off, "SPB", "total length %d > maximum %d", blen, maxPacketBlock)
			return false, r.err
		}
		if len(r.ifaces) == r.secBase {
			r.err = r.formatErr(off, "SPB", "simple packet block before any IDB in its section")
			return false, r.err
		}
		b, ok := r.peek(int(blen))
		if !ok || u32(b[blen-4:], r.le) != blen {
			return false, r.badBlock(off, typ, blen, b, ok)
		}
		ifc := &r.ifaces[r.secBase]
		orig := u32(b[8:], r.le)
		capLen := min(orig, blen-16)
		if ifc.SnapLen != 0 {
			capLen = min(capLen, ifc.SnapLen)
		}
		if capLen > maxPacketLen {
			r.err = r.formatErr(off, "SPB", "captured length %d > maximum %d", capLen, maxPacketLen)
			return false, r.err
		}
		r.pos += int(blen)
		if r.src == nil {
			r.touch()
		}
		r.ordinal++
		r.counts.SPB++
		end := 12 + capLen
		*p = Packet{
			Data:     b[12:end:end],
			CapLen:   capLen,
			OrigLen:  orig,
			Iface:    uint32(r.secBase),
			LinkType: ifc.LinkType,
			Offset:   off,
			Ordinal:  r.ordinal,
			FCSLen:   int8(ifc.FCSLen),
		}
		return true, nil

	case blockIDB, blockNRB, blockISB:
		if blen > maxMetaBlock {
			if typ == blockNRB {
				r.warnings = append(r.warnings, r.formatErr(off, "NRB", "total length %d > %d: skipped", blen, maxMetaBlock).Error())
				if err := r.skipBlock(off, typ, blen); err != nil {
					return false, err
				}
				return false, nil
			}
			r.err = r.formatErr(off, blockName(typ), "total length %d > maximum %d", blen, maxMetaBlock)
			return false, r.err
		}
		b, ok := r.peek(int(blen))
		if !ok || u32(b[blen-4:], r.le) != blen {
			return false, r.badBlock(off, typ, blen, b, ok)
		}
		var err error
		switch typ {
		case blockIDB:
			err = r.readIDB(off, b)
		case blockNRB:
			r.readNRB(off, b)
		case blockISB:
			err = r.readISB(off, b)
		}
		if err != nil {
			r.err = err
			return false, err
		}
		r.pos += int(blen)

	default:
		switch typ {
		case blockDSB:
			r.counts.DSB++
		case blockCustom, blockCustNC:
			r.counts.Custom++
		default:
			r.counts.Unknown++
		}
		if err := r.skipBlock(off, typ, blen); err != nil {
			return false, err
		}
	}
	return false, nil
}

// badBlock reports a block that peek could not return whole (ok false: the input ends
// inside it) or whose trailing length b[blen-4:] differs from its total length blen. It is
// kept out of ngBlock so the packet path carries only the test.
//
//go:noinline
func (r *Reader) badBlock(off int64, typ, blen uint32, b []byte, ok bool) error {
	if !ok {
		return r.setTruncated(off, blockName(typ), int64(blen))
	}
	r.err = r.formatErr(off, blockName(typ), "trailing length %d != total length %d", u32(b[blen-4:], r.le), blen)
	return r.err
}

// skipBlock consumes a block without parsing its body, checking its trailing length.
func (r *Reader) skipBlock(off int64, typ, blen uint32) error {
	if !r.skip(int64(blen) - 4) {
		return r.skippedCut(off, typ, blen)
	}
	t, ok := r.peek(4)
	if !ok {
		return r.skippedCut(off, typ, blen)
	}
	if u32(t, r.le) != blen {
		r.err = r.formatErr(off, blockName(typ), "trailing length %d != total length %d", u32(t, r.le), blen)
		return r.err
	}
	r.pos += 4
	return nil
}

// packetFlags reads epb_flags (and its FCS length) from p.Options.
func (r *Reader) packetFlags(p *Packet) {
	it := p.OptionReader()
	for it.Next() {
		if it.code == optEPBFlags && len(it.val) == 4 {
			p.Flags = u32(it.val, p.optsLE)
			if fcs := (p.Flags >> 5) & 0xf; fcs != 0 {
				p.FCSLen = int8(fcs)
			}
		}
	}
	if it.bad {
		r.badOpts++
	}
}

// readSHB reads the Section Header Block at the cursor and starts a new section.
func (r *Reader) readSHB() error {
	off := r.offset()
	h, ok := r.peek(12)
	if !ok {
		if off == 0 {
			return r.formatErr(off, "SHB", "file holds %d bytes, a section header needs at least 28", r.avail())
		}
		return r.setTruncated(off, "SHB", 28)
	}
	var le bool
	switch u32(h[8:], true) {
	case byteOrderMagic:
		le = true
	case 0x4D3C2B1A:
		le = false
	default:
		return r.formatErr(off, "SHB", "byte-order magic %#08x is neither 1a2b3c4d nor 4d3c2b1a", u32(h[8:], false))
	}
	blen := u32(h[4:], le)
	if blen < 28 || blen%4 != 0 {
		return r.formatErr(off, "SHB", "total length %d invalid (minimum 28, multiple of 4)", blen)
	}
	if blen > maxMetaBlock {
		return r.formatErr(off, "SHB", "total length %d > maximum %d", blen, maxMetaBlock)
	}
	b, ok := r.peek(int(blen))
	if !ok {
		if off == 0 {
			return r.formatErr(off, "SHB", "total length %d runs past the end of the input", blen)
		}
		return r.setTruncated(off, "SHB", int64(blen))
	}
	if t := u32(b[blen-4:], le); t != blen {
		return r.formatErr(off, "SHB", "trailing length %d != total length %d", t, blen)
	}
	s := Section{
		Offset:     off,
		BigEndian:  !le,
		Major:      u16(b[12:], le),
		Minor:      u16(b[14:], le),
		Length:     int64(u64(b[16:], le)),
		FirstIface: len(r.ifaces),
	}
	if s.Major != 1 {
		return r.formatErr(off, "SHB", "version %d.%d unsupported (major version must be 1)", s.Major, s.Minor)
	}
	it := NewOptionReader(b[24:blen-4], !le)
	for it.Next() {
		switch it.code {
		case optComment:
			s.Comments = append(s.Comments, optString(it.val))
		case optSHBHardware:
			s.Hardware = optString(it.val)
		case optSHBOS:
			s.OS = optString(it.val)
		case optSHBUserAppl:
			s.UserAppl = optString(it.val)
		}
	}
	if it.bad {
		return r.formatErr(off, "SHB", "option length runs past the block")
	}
	r.le = le
	r.secBase = len(r.ifaces)
	r.secStart = off
	r.sections = append(r.sections, s)
	r.counts.SHB++
	r.pos += int(blen)
	return nil
}

func (r *Reader) readIDB(off int64, b []byte) error {
	if len(b) < 20 {
		return r.formatErr(off, "IDB", "total length %d < minimum 20", len(b))
	}
	le := r.le
	ifc := Interface{
		LinkType:  LinkType(u16(b[8:], le)),
		SnapLen:   u32(b[12:], le),
		TSResol:   6,
		FCSLen:    -1,
		Section:   len(r.sections) - 1,
		BigEndian: !le,
		Offset:    off,
	}
	it := NewOptionReader(b[16:len(b)-4], !le)
	for it.Next() {
		v := it.val
		switch it.code {
		case optComment:
			ifc.Comments = append(ifc.Comments, optString(v))
		case optIfName:
			ifc.Name = optString(v)
		case optIfDesc:
			ifc.Description = optString(v)
		case optIfTSResol:
			if len(v) != 1 {
				return r.formatErr(off, "IDB", "if_tsresol length %d != 1", len(v))
			}
			ifc.TSResol = v[0]
		case optIfFCSLen:
			if len(v) != 1 {
				return r.formatErr(off, "IDB", "if_fcslen length %d != 1", len(v))
			}
			ifc.FCSLen = int(v[0])
		case optIfTSOffset:
			if len(v) != 8 {
				return r.formatErr(off, "IDB", "if_tsoffset length %d != 8", len(v))
			}
			ifc.TSOffset = int64(u64(v, le))
		}
	}
	if it.bad {
		return r.formatErr(off, "IDB", "option length runs past the block")
	}
	ifc.conv = newTSConv(ifc.TSResol, ifc.TSOffset)
	r.ifaces = append(r.ifaces, ifc)
	r.counts.IDB++
	return nil
}

func (r *Reader) readISB(off int64, b []byte) error {
	if len(b) < 24 {
		return r.formatErr(off, "ISB", "total length %d < minimum 24", len(b))
	}
	le := r.le
	r.counts.ISB++
	local := u32(b[8:], le)
	if local >= uint32(len(r.ifaces)-r.secBase) {
		r.warnings = append(r.warnings, r.formatErr(off, "ISB", "interface %d not defined: statistics ignored", local).Error())
		return nil
	}
	ifc := &r.ifaces[r.secBase+int(local)]
	ifc.HasStats = true
	tsAt := func(v []byte) int64 {
		t, _ := ifc.conv.ns(uint64(u32(v, le))<<32 | uint64(u32(v[4:], le)))
		return t
	}
	ifc.StatsEnd = tsAt(b[12:])
	it := NewOptionReader(b[20:len(b)-4], !le)
	for it.Next() {
		v := it.val
		if len(v) != 8 {
			continue
		}
		switch it.code {
		case optISBStart:
			ifc.StatsStart = tsAt(v)
		case optISBEnd:
			ifc.StatsEnd = tsAt(v)
		case optISBIfRecv:
			ifc.IfRecv, ifc.HasIfRecv = u64(v, le), true
		case optISBIfDrop:
			ifc.IfDrop, ifc.HasIfDrop = u64(v, le), true
		case optISBOSDrop:
			ifc.OSDrop, ifc.HasOSDrop = u64(v, le), true
		}
	}
	if it.bad {
		r.warnings = append(r.warnings, r.formatErr(off, "ISB", "option length runs past the block").Error())
	}
	return nil
}

func (r *Reader) readNRB(off int64, b []byte) {
	r.counts.NRB++
	le := r.le
	rec := b[8 : len(b)-4]
	for len(rec) >= 4 {
		typ, n := u16(rec, le), int(u16(rec[2:], le))
		if typ == 0 {
			return
		}
		padded := (n + 3) &^ 3
		if 4+n > len(rec) {
			r.warnings = append(r.warnings, r.formatErr(off, "NRB", "record length %d runs past the block", n).Error())
			return
		}
		v := rec[4 : 4+n]
		var e NameEntry
		switch {
		case typ == 1 && n >= 4:
			e.Addr = netip.AddrFrom4([4]byte(v[:4]))
			v = v[4:]
		case typ == 2 && n >= 16:
			e.Addr = netip.AddrFrom16([16]byte(v[:16]))
			v = v[16:]
		default:
			v = nil
		}
		if e.Addr.IsValid() {
			for len(v) > 0 {
				i := 0
				for i < len(v) && v[i] != 0 {
					i++
				}
				if i > 0 {
					e.Names = append(e.Names, string(v[:i]))
				}
				if i < len(v) {
					i++
				}
				v = v[i:]
			}
			r.names = append(r.names, e)
		}
		if 4+padded > len(rec) {
			return
		}
		rec = rec[4+padded:]
	}
}
