package anon

import (
	"encoding/binary"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Rewriter prepares packets for sharing: addresses anonymized (Ethernet MACs, ARP, the
// outer and the innermost IP header with their checksums kept valid) and payloads cut.
// One Rewriter serves one goroutine (it holds the decoder's scratch packet).
//
// Limits: addresses inside payloads (ICMP errors quoting a header, DNS answers, HTTP
// headers) are not touched, nor the IP headers between the outer and the innermost of a
// packet tunnelled more than once: cut payloads (Payload 0) before sharing such traffic.
type Rewriter struct {
	An *Anonymizer // nil: addresses are kept
	// Payload is how many bytes of each transport payload to keep (a packet that is not
	// IP keeps its link header only); negative: all.
	Payload int
	p       fastparse.Packet
}

// Rewrite appends to dst (reused by the caller) the rewritten copy of a packet of link
// type link and returns it; the packet's original length stays what it was on the wire.
func (w *Rewriter) Rewrite(dst, data []byte, link pcapng.LinkType, origLen uint32) []byte {
	out := append(dst[:0], data...)
	fastparse.Decode(&w.p, link, out, origLen)
	p := &w.p
	if w.An != nil {
		if link == pcapng.LinkTypeEthernet && len(out) >= 14 {
			w.mac(out[0:6])
			w.mac(out[6:12])
		}
		lh := int(p.LinkHdrLen)
		switch {
		case p.EtherType == 0x0806 && len(out) >= lh+28 && out[lh+4] == 6 && out[lh+5] == 4:
			// ARP for IPv4 over Ethernet: sender and target MAC and address.
			w.mac(out[lh+8 : lh+14])
			w.ip4(out[lh+14 : lh+18])
			w.mac(out[lh+18 : lh+24])
			w.ip4(out[lh+24 : lh+28])
		case p.IPVersion != 0:
			if p.TunnelDepth > 0 && lh != int(p.IPOff) {
				w.ipHeader(out, lh, false)
			}
			w.ipHeader(out, int(p.IPOff), true)
		}
	}
	if w.Payload >= 0 {
		keep := len(out)
		switch {
		case p.IPVersion != 0 && p.PayloadOff != 0:
			keep = int(p.PayloadOff) + w.Payload
		case p.EtherType == 0x0806:
		default:
			keep = int(p.LinkHdrLen)
		}
		out = out[:min(max(keep, 0), len(out))]
	}
	return out
}

func (w *Rewriter) mac(b []byte) {
	m := w.An.MAC([6]byte(b))
	copy(b, m[:])
}

func (w *Rewriter) ip4(b []byte) {
	a := w.An.Addr(netipFrom4(b))
	v := a.As4()
	copy(b, v[:])
}

// ipHeader anonymizes the addresses of the IP header at off; inner also fixes the TCP or
// UDP checksum (whose pseudo-header holds the addresses of the innermost header).
func (w *Rewriter) ipHeader(b []byte, off int, inner bool) {
	if off >= len(b) {
		return
	}
	var src, dst []byte
	switch b[off] >> 4 {
	case 4:
		if len(b) < off+20 {
			return
		}
		src, dst = b[off+12:off+16], b[off+16:off+20]
	case 6:
		if len(b) < off+40 {
			return
		}
		src, dst = b[off+8:off+24], b[off+24:off+40]
	default:
		return
	}
	var old [32]byte
	n := copy(old[:], src)
	copy(old[n:], dst)
	for _, a := range [][]byte{src, dst} {
		if len(a) == 4 {
			w.ip4(a)
		} else {
			v := w.An.Addr(netipFrom16(a)).As16()
			copy(a, v[:])
		}
	}
	if b[off]>>4 == 4 {
		ihl := int(b[off]&0x0f) * 4
		if ihl >= 20 && len(b) >= off+ihl {
			binary.BigEndian.PutUint16(b[off+10:], 0)
			binary.BigEndian.PutUint16(b[off+10:], ^fold(sum(b[off:off+ihl])))
		}
	}
	p := &w.p
	if !inner || !p.HasL4 {
		return
	}
	var at int
	switch p.Proto {
	case fastparse.ProtoTCP:
		at = int(p.L4Off) + 16
	case fastparse.ProtoUDP:
		at = int(p.L4Off) + 6
	default:
		return
	}
	if len(b) < at+2 {
		return
	}
	ck := binary.BigEndian.Uint16(b[at:])
	if p.Proto == fastparse.ProtoUDP && ck == 0 && p.IPVersion == 4 {
		return // no checksum
	}
	var now [32]byte
	m := copy(now[:], src)
	copy(now[m:], dst)
	// RFC 1624: HC' = ~(~HC + ~m + m') over the changed words.
	s := uint32(^ck) + uint32(^fold(sum(old[:n+n]))) + sum(now[:m+m])
	ck = ^fold(s)
	if p.Proto == fastparse.ProtoUDP && ck == 0 {
		ck = 0xffff
	}
	binary.BigEndian.PutUint16(b[at:], ck)
}

// sum adds b as big-endian 16-bit words (ones' complement, unfolded).
func sum(b []byte) uint32 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
