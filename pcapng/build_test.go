package pcapng

// Helpers that build capture bytes by hand, in either byte order, for table tests.

type enc struct{ be bool }

func (e enc) u16(b []byte, v uint16) []byte {
	if e.be {
		return append(b, byte(v>>8), byte(v))
	}
	return append(b, byte(v), byte(v>>8))
}

func (e enc) u32(b []byte, v uint32) []byte {
	if e.be {
		return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func (e enc) u64(b []byte, v uint64) []byte {
	if e.be {
		return e.u32(e.u32(b, uint32(v>>32)), uint32(v))
	}
	return e.u32(e.u32(b, uint32(v)), uint32(v>>32))
}

// opt encodes one option, padded.
func (e enc) opt(code uint16, val []byte) []byte {
	b := e.u16(nil, code)
	b = e.u16(b, uint16(len(val)))
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// opts joins options and appends opt_endofopt.
func (e enc) opts(o ...[]byte) []byte {
	var b []byte
	for _, x := range o {
		b = append(b, x...)
	}
	return append(b, 0, 0, 0, 0)
}

// block wraps body (padded to 4) into a block of type typ with both length fields.
func (e enc) block(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := e.u32(nil, typ)
	b = e.u32(b, n)
	b = append(b, body...)
	return e.u32(b, n)
}

func (e enc) shb(options []byte) []byte {
	body := e.u32(nil, byteOrderMagic)
	body = e.u16(body, 1)
	body = e.u16(body, 0)
	body = e.u64(body, 0xffffffffffffffff)
	return e.block(blockSHB, append(body, options...))
}

func (e enc) idb(lt LinkType, snap uint32, options []byte) []byte {
	body := e.u16(nil, uint16(lt))
	body = e.u16(body, 0)
	body = e.u32(body, snap)
	return e.block(blockIDB, append(body, options...))
}

func (e enc) epb(iface uint32, ts uint64, data []byte, orig uint32, options []byte) []byte {
	return e.packetBlock(blockEPB, e.u32(nil, iface), ts, data, orig, options)
}

func (e enc) opb(iface uint16, ts uint64, data []byte, orig uint32, options []byte) []byte {
	return e.packetBlock(blockOPB, e.u16(e.u16(nil, iface), 0), ts, data, orig, options)
}

// packetBlock builds an EPB or OPB: the interface field(s) in head, then the timestamp,
// lengths, padded data and options the two share.
func (e enc) packetBlock(typ uint32, head []byte, ts uint64, data []byte, orig uint32, options []byte) []byte {
	body := e.u32(head, uint32(ts>>32))
	body = e.u32(body, uint32(ts))
	body = e.u32(body, uint32(len(data)))
	body = e.u32(body, orig)
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return e.block(typ, append(body, options...))
}

func (e enc) spb(orig uint32, data []byte) []byte {
	return e.block(blockSPB, append(e.u32(nil, orig), data...))
}

func (e enc) isb(iface uint32, ts uint64, options []byte) []byte {
	body := e.u32(nil, iface)
	body = e.u32(body, uint32(ts>>32))
	body = e.u32(body, uint32(ts))
	return e.block(blockISB, append(body, options...))
}

// pcapHeader builds a classic pcap global header.
func (e enc) pcapHeader(magic uint32, major, minor uint16, snap, linkField uint32) []byte {
	b := e.u32(nil, magic)
	b = e.u16(b, major)
	b = e.u16(b, minor)
	b = e.u32(b, 0)
	b = e.u32(b, 0)
	b = e.u32(b, snap)
	return e.u32(b, linkField)
}

func (e enc) pcapRecord(sec, frac uint32, data []byte, orig uint32) []byte {
	b := e.u32(nil, sec)
	b = e.u32(b, frac)
	b = e.u32(b, uint32(len(data)))
	b = e.u32(b, orig)
	return append(b, data...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
