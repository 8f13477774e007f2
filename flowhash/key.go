package flowhash

import (
	"encoding/binary"
	"math/bits"
	"net/netip"

	"github.com/pcapdex/pcapdex/fastparse"
)

// Key identifies a flow in both directions: the two (address, port) endpoints are put in a
// fixed order (the smaller one first, comparing address bytes then port), so a packet and its
// reply give the same Key. It holds no pointers and is comparable: use it as a map key.
//
// For ICMP and ICMPv6 the "ports" are the message type and, for request/reply types, the
// counterpart type (else the code), as Community ID and Zeek define them, so an echo request
// and its reply share a Key. Protocols without ports have both ports zero.
type Key struct {
	A, B         [16]byte // endpoint addresses, A's endpoint <= B's; IPv4 in the first 4 bytes
	PortA, PortB uint16   // ports of A and B
	Proto        uint8    // IP protocol number
	IPVersion    uint8    // 4 or 6
}

// Dir says which way a packet travels relative to its Key: DirAB from A to B, DirBA from B to A.
type Dir uint8

const (
	DirAB Dir = 0
	DirBA Dir = 1
)

// Reverse returns the other direction.
func (d Dir) Reverse() Dir { return d ^ 1 }

// keyHasPorts reports whether proto carries ports (or ICMP port equivalents) in Key and in
// the Community ID hash. Which flows have port postings in an index is a narrower set:
// index.HasPortPostings.
func keyHasPorts(proto uint8) bool {
	switch proto {
	case fastparse.ProtoTCP, fastparse.ProtoUDP, fastparse.ProtoSCTP, fastparse.ProtoICMP, fastparse.ProtoICMPv6:
		return true
	}
	return false
}

// icmpPorts maps an ICMP (v4 or v6) type and code to port equivalents as Community ID v1 (and
// Zeek's ICMP analyzer) do: a request/reply type maps to (type, counterpart type); any other
// type to (type, code) and is one-way.
func icmpPorts(v6 bool, typ, code uint8) (sport, dport uint16, oneWay bool) {
	var c int
	if v6 {
		c = icmp6Counterpart[typ]
	} else {
		c = icmp4Counterpart[typ]
	}
	if c == 0 {
		return uint16(typ), uint16(code), true
	}
	return uint16(typ), uint16(c - 1), false
}

// counterpart type + 1 (0 = none).
var icmp4Counterpart = [256]int{
	8: 0 + 1, 0: 8 + 1, // echo request / reply
	13: 14 + 1, 14: 13 + 1, // timestamp
	15: 16 + 1, 16: 15 + 1, // information
	10: 9 + 1, 9: 10 + 1, // router solicitation / advertisement
	17: 18 + 1, 18: 17 + 1, // address mask
}

var icmp6Counterpart = [256]int{
	128: 129 + 1, 129: 128 + 1, // echo
	133: 134 + 1, 134: 133 + 1, // router solicitation / advertisement
	135: 136 + 1, 136: 135 + 1, // neighbour solicitation / advertisement
	130: 131 + 1, 131: 130 + 1, // MLD query / report
	139: 140 + 1, 140: 139 + 1, // node information query / reply
	144: 145 + 1, 145: 144 + 1, // home agent address discovery
}

// KeyOf returns the flow key of a decoded packet and the packet's direction. ok is false when
// the packet has no IP header (p.IPVersion == 0). A non-first IP fragment, or a packet whose
// transport header was not decoded, is keyed by addresses and protocol with zero ports.
func KeyOf(p *fastparse.Packet) (k Key, d Dir, ok bool) {
	d, ok = keyInto(&k, p)
	return k, d, ok
}

// keyInto is KeyOf writing the key in place (k is left as it was when ok is false).
func keyInto(k *Key, p *fastparse.Packet) (d Dir, ok bool) {
	if p.IPVersion != 4 && p.IPVersion != 6 {
		return 0, false
	}
	var sp, dp uint16
	if p.HasL4 && p.Frag&fastparse.FragNonFirst == 0 {
		switch p.Proto {
		case fastparse.ProtoICMP:
			sp, dp, _ = icmpPorts(false, p.ICMPType, p.ICMPCode)
		case fastparse.ProtoICMPv6:
			sp, dp, _ = icmpPorts(true, p.ICMPType, p.ICMPCode)
		default:
			if keyHasPorts(p.Proto) {
				sp, dp = p.SrcPort, p.DstPort
			}
		}
	}
	k.Proto = p.Proto
	k.IPVersion = p.IPVersion
	if endpointLess(&p.SrcIP, sp, &p.DstIP, dp) {
		k.A, k.PortA, k.B, k.PortB = p.SrcIP, sp, p.DstIP, dp
		return DirAB, true
	}
	k.A, k.PortA, k.B, k.PortB = p.DstIP, dp, p.SrcIP, sp
	return DirBA, true
}

// endpointLess orders endpoints by address bytes, then port; equal endpoints count as ordered.
// (Comparing the bytes as big-endian words is comparing them one by one.)
func endpointLess(a *[16]byte, ap uint16, b *[16]byte, bp uint16) bool {
	a0, b0 := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if a0 != b0 {
		return a0 < b0
	}
	a1, b1 := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	if a1 != b1 {
		return a1 < b1
	}
	return ap <= bp
}

// Addr returns the address of endpoint A (first) or B as a netip.Addr.
func (k *Key) Addr(d Dir) netip.Addr {
	a := &k.A
	if d == DirBA {
		a = &k.B
	}
	if k.IPVersion == 4 {
		return netip.AddrFrom4([4]byte{a[0], a[1], a[2], a[3]})
	}
	return netip.AddrFrom16(*a)
}

// HashVersion names the flow hash function below. It is part of the on-disk format: whatever
// stores Hash values stores this version next to them, and the function never changes under
// the same version.
const HashVersion = 1

// Hash returns the flow hash of k, version 1 (HashVersion). It is fixed and seedless across
// runs and machines, unlike maphash. Definition:
//
//	words w0..w4 = little-endian uint64s of: A[0:8], A[8:16], B[0:8], B[8:16],
//	               and PortA | PortB<<16 | Proto<<32 | IPVersion<<40
//	h = 0x243f6a8885a308d3 (seed: pi's fraction)
//	for each word w: h = rotl64(h ^ (w * 0x9e3779b97f4a7c15), 29) * 0xbf58476d1ce4e5b9
//	result = fmix64(h): h ^= h>>33; h *= 0xff51afd7ed558ccd; h ^= h>>33;
//	                    h *= 0xc4ceb9fe1a85ec53; h ^= h>>33
//
// Both directions of a flow hash alike because Key is already ordered.
func (k *Key) Hash() uint64 {
	h := uint64(0x243f6a8885a308d3)
	h = hashWord(h, le64(k.A[0:8]))
	h = hashWord(h, le64(k.A[8:16]))
	h = hashWord(h, le64(k.B[0:8]))
	h = hashWord(h, le64(k.B[8:16]))
	h = hashWord(h, uint64(k.PortA)|uint64(k.PortB)<<16|uint64(k.Proto)<<32|uint64(k.IPVersion)<<40)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func hashWord(h, w uint64) uint64 {
	return bits.RotateLeft64(h^(w*0x9e3779b97f4a7c15), 29) * 0xbf58476d1ce4e5b9
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// Shard maps a flow hash to one of n shards (n > 0), using the high bits (multiply-shift).
func Shard(hash uint64, n int) int {
	hi, _ := bits.Mul64(hash, uint64(n))
	return int(hi)
}
