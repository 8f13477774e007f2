package synth

import "encoding/binary"

// payloadBlock is the pseudo-random content every payload is cut from. A segment's bytes
// depend only on its flow and stream offset, so a retransmission carries the same bytes
// as the original. Two prefix sums of 16-bit words (one at even alignment, one shifted by
// a byte) give the one's-complement sum of any payload slice in O(1), so checksums cost
// nothing per payload byte.
const (
	payloadWindow = 1 << 20  // offsets are taken modulo this
	payloadSlack  = 64 << 10 // a payload never crosses the block's end: segments are < 64 KiB
)

type payloadTable struct {
	block []byte   // payloadWindow + payloadSlack bytes
	even  []uint64 // even[k] = sum of words block[2j:2j+2] for j < k
	odd   []uint64 // odd[k] = sum of words block[2j+1:2j+3] for j < k
}

func newPayloadTable(seed uint64) *payloadTable {
	n := payloadWindow + payloadSlack
	t := &payloadTable{block: make([]byte, n+2)}
	x := seed | 1
	for i := 0; i < len(t.block); i += 8 {
		// xorshift64*: content only needs to look random, not be strong.
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		v := x * 2685821657736338717
		for j := 0; j < 8 && i+j < len(t.block); j++ {
			t.block[i+j] = byte(v >> (8 * j))
		}
	}
	words := n / 2
	t.even = make([]uint64, words+1)
	t.odd = make([]uint64, words+1)
	for k := 0; k < words; k++ {
		t.even[k+1] = t.even[k] + uint64(binary.BigEndian.Uint16(t.block[2*k:]))
		t.odd[k+1] = t.odd[k] + uint64(binary.BigEndian.Uint16(t.block[2*k+1:]))
	}
	return t
}

// slice returns the payload bytes for stream offset off (any value) and length n < payloadSlack,
// and their one's-complement sum (unfolded) as if the slice started at an even position.
func (t *payloadTable) slice(off uint64, n int) ([]byte, uint64) {
	a := int(off % payloadWindow)
	b := t.block[a : a+n]
	var s uint64
	half := n / 2
	if a&1 == 0 {
		s = t.even[a/2+half] - t.even[a/2]
	} else {
		s = t.odd[a/2+half] - t.odd[a/2]
	}
	if n&1 == 1 {
		s += uint64(b[n-1]) << 8
	}
	return b, s
}

// sum16 adds the big-endian 16-bit words of b (a trailing odd byte is padded with zero).
func sum16(b []byte) uint64 {
	var s uint64
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		s += v>>48 + (v>>32)&0xffff + (v>>16)&0xffff + v&0xffff
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// fold reduces an unfolded one's-complement sum and complements it.
func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// Link, network and transport constants used when building frames.
const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
	etherVLAN = 0x8100

	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

// endpoint addressing of one flow, fixed at flow creation.
type addrs struct {
	v6        bool
	vlan      uint16 // 0: untagged
	cli, srv  [16]byte
	cliMAC    [6]byte
	srvMAC    [6]byte
	cport     uint16
	sport     uint16
	proto     uint8
	cliTTL    uint8
	srvTTL    uint8
	ipidC     uint16
	ipidS     uint16
	pseudoSum uint64 // sum of the pseudo-header's addresses (same both directions)
}

func (a *addrs) init() {
	if a.v6 {
		a.pseudoSum = sum16(a.cli[:]) + sum16(a.srv[:])
	} else {
		a.pseudoSum = sum16(a.cli[:4]) + sum16(a.srv[:4])
	}
}

// appendL2L3 appends Ethernet (+802.1Q) and the IP header for a transport segment of l4len
// bytes, returning the frame and the offset of the IP header.
func (a *addrs) appendL2L3(dst []byte, fromResp bool, proto uint8, l4len int) []byte {
	var src, dstA *[16]byte
	var smac, dmac *[6]byte
	ttl := a.cliTTL
	if fromResp {
		src, dstA, smac, dmac, ttl = &a.srv, &a.cli, &a.srvMAC, &a.cliMAC, a.srvTTL
	} else {
		src, dstA, smac, dmac = &a.cli, &a.srv, &a.cliMAC, &a.srvMAC
	}
	dst = append(dst, dmac[:]...)
	dst = append(dst, smac[:]...)
	if a.vlan != 0 {
		dst = append(dst, etherVLAN>>8, etherVLAN&0xff, byte(a.vlan>>8)&0x0f, byte(a.vlan))
	}
	if a.v6 {
		dst = append(dst, etherIPv6>>8, etherIPv6&0xff)
		dst = append(dst, 0x60, 0, 0, 0, byte(l4len>>8), byte(l4len), proto, ttl)
		dst = append(dst, src[:]...)
		dst = append(dst, dstA[:]...)
		return dst
	}
	dst = append(dst, etherIPv4>>8, etherIPv4&0xff)
	var id uint16
	if fromResp {
		a.ipidS++
		id = a.ipidS
	} else {
		a.ipidC++
		id = a.ipidC
	}
	tot := 20 + l4len
	h := len(dst)
	dst = append(dst, 0x45, 0, byte(tot>>8), byte(tot), byte(id>>8), byte(id), 0x40, 0, ttl, proto, 0, 0)
	dst = append(dst, src[:4]...)
	dst = append(dst, dstA[:4]...)
	c := fold(sum16(dst[h : h+20]))
	dst[h+10], dst[h+11] = byte(c>>8), byte(c)
	return dst
}
