package fastparse

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
)

// Packet builders for the tests: each returns fresh bytes laid out by the RFC, so a test
// reads as the stack it builds. Lengths are filled in unless a test overrides them.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// eth returns an Ethernet header whose EtherType is et, preceded by tags (each TPID<<16|TCI).
func eth(et uint16, tags ...uint32) []byte {
	b := []byte{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02}
	for _, t := range tags {
		b = binary.BigEndian.AppendUint32(b, t)
	}
	return append(b, u16(et)...)
}

func tag(tpid, vid uint16) uint32 { return uint32(tpid)<<16 | uint32(vid) }

type ip4 struct {
	proto    uint8
	src, dst string
	ttl      uint8
	id       uint16
	flags    uint16 // flags and fragment offset field
	opts     []byte // options (multiple of 4)
	totalLen int    // 0: computed
	verIHL   byte   // 0: computed
}

func (h ip4) build(payload []byte) []byte {
	hl := 20 + len(h.opts)
	b := make([]byte, 20, hl+len(payload))
	b[0] = 0x40 | byte(hl/4)
	if h.verIHL != 0 {
		b[0] = h.verIHL
	}
	tl := hl + len(payload)
	if h.totalLen != 0 {
		tl = h.totalLen
	}
	binary.BigEndian.PutUint16(b[2:], uint16(tl))
	binary.BigEndian.PutUint16(b[4:], h.id)
	binary.BigEndian.PutUint16(b[6:], h.flags)
	b[8] = h.ttl
	if b[8] == 0 {
		b[8] = 64
	}
	b[9] = h.proto
	s, d := netip.MustParseAddr(or(h.src, "10.0.0.1")).As4(), netip.MustParseAddr(or(h.dst, "10.0.0.2")).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	b = append(b, h.opts...)
	return append(b, payload...)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type ip6 struct {
	nh         uint8
	src, dst   string
	hop        uint8
	payloadLen int // -1: computed
}

func (h ip6) build(payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0] = 0x60
	pl := len(payload)
	if h.payloadLen >= 0 {
		pl = h.payloadLen
	}
	binary.BigEndian.PutUint16(b[4:], uint16(pl))
	b[6] = h.nh
	b[7] = h.hop
	if b[7] == 0 {
		b[7] = 64
	}
	s, d := netip.MustParseAddr(or(h.src, "2001:db8::1")).As16(), netip.MustParseAddr(or(h.dst, "2001:db8::2")).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

// v6 builds an IPv6 header with a computed payload length.
func v6(nh uint8, payload []byte) []byte { return ip6{nh: nh, payloadLen: -1}.build(payload) }

// extHdr builds a generic IPv6 extension header (hop-by-hop, routing, destination options)
// of 8*(units+1) bytes.
func extHdr(nh uint8, units int) []byte {
	b := make([]byte, 8*(units+1))
	b[0] = nh
	b[1] = byte(units)
	if len(b) > 2 {
		b[2] = 1 // PadN option, so the options area parses
		b[3] = byte(len(b) - 4)
	}
	return b
}

func fragHdr(nh uint8, offset uint16, more bool, id uint32) []byte {
	b := make([]byte, 8)
	b[0] = nh
	v := offset << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(b[2:], v)
	binary.BigEndian.PutUint32(b[4:], id)
	return b
}

// ahHdr builds an authentication header: 12 fixed bytes and an ICV of words 4-byte words
// (payload length field = total/4 - 2 = words+1).
func ahHdr(nh uint8, words int) []byte {
	b := make([]byte, 12+4*words)
	b[0] = nh
	b[1] = byte(words + 1)
	return b
}

type tcph struct {
	sport, dport uint16
	seq, ack     uint32
	flags        uint16
	win, urg     uint16
	opts         []byte // padded to a multiple of 4 by the builder
	dataOff      int    // 0: computed
}

func (h tcph) build(payload []byte) []byte {
	opts := append([]byte(nil), h.opts...)
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	hl := 20 + len(opts)
	if h.dataOff != 0 {
		hl = h.dataOff
	}
	b := make([]byte, 20, 20+len(opts)+len(payload))
	binary.BigEndian.PutUint16(b[0:], h.sport)
	binary.BigEndian.PutUint16(b[2:], h.dport)
	binary.BigEndian.PutUint32(b[4:], h.seq)
	binary.BigEndian.PutUint32(b[8:], h.ack)
	binary.BigEndian.PutUint16(b[12:], uint16(hl/4)<<12|h.flags&0x1ff)
	binary.BigEndian.PutUint16(b[14:], h.win)
	binary.BigEndian.PutUint16(b[18:], h.urg)
	b = append(b, opts...)
	return append(b, payload...)
}

func udp(sport, dport uint16, payload []byte) []byte {
	return udpLen(sport, dport, 8+len(payload), payload)
}

func udpLen(sport, dport uint16, length int, payload []byte) []byte {
	b := cat(u16(sport), u16(dport), u16(uint16(length)), u16(0))
	return append(b, payload...)
}

func icmp(typ, code uint8, rest []byte) []byte {
	return cat([]byte{typ, code, 0, 0, 0, 0, 0, 0}, rest)
}

func bytesN(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// TCP options.
func optMSS(v uint16) []byte { return cat([]byte{2, 4}, u16(v)) }
func optWS(v uint8) []byte   { return []byte{3, 3, v} }
func optSACKPerm() []byte    { return []byte{4, 2} }
func optTS(val, ecr uint32) []byte {
	return cat([]byte{8, 10}, u32(val), u32(ecr))
}
func optSACK(edges ...uint32) []byte {
	b := []byte{5, byte(2 + 4*len(edges))}
	for _, e := range edges {
		b = append(b, u32(e)...)
	}
	return b
}

// Linux cooked headers.
func sll(proto uint16) []byte {
	return cat(u16(0), u16(1), u16(6), []byte{2, 0, 0, 0, 0, 1, 0, 0}, u16(proto))
}

func sll2(proto uint16) []byte {
	return cat(u16(proto), u16(0), u32(3), u16(1), []byte{0, 6}, []byte{2, 0, 0, 0, 0, 1, 0, 0})
}

func nullLE(fam uint32) []byte { return binary.LittleEndian.AppendUint32(nil, fam) }
func nullBE(fam uint32) []byte { return u32(fam) }

func gre(flags, proto uint16, extra []byte) []byte { return cat(u16(flags), u16(proto), extra) }

// mpacket wraps an Ethernet frame in an 802.3br mPacket with SMD smd and a correct CRC
// (the frame's FCS, least significant byte first).
func mpacket(smd byte, frame []byte) []byte {
	b := cat([]byte{0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, smd}, frame)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(frame))
}
