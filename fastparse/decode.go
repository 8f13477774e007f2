package fastparse

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/pcapdex/pcapdex/pcapng"
)

// Tunnel and quote limits. Inner headers are followed at most maxTunnelDepth times; the packet
// quoted by an ICMP error is decoded at depth quoteDepth, which follows no further tunnel or
// quote (Wireshark does not dissect an error quoted inside an error either).
const (
	maxTunnelDepth = 8
	quoteDepth     = 16
	maxMPLSLabels  = 16
)

// Decode decodes one packet's headers into p, overwriting all of it, and returns p.Status.
//
// link is the capture's link type for the packet's interface, data the captured bytes and
// origLen the packet's length on the wire (pass len(data) when it is not known). The wire
// length tells a snaplen cut (TruncatedIP, TruncatedTransport: the capture stopped early)
// from a length field that lies (BadIPLength, IPLengthOverrun: the packet itself is wrong).
//
// Decode never allocates, never panics and keeps no reference to data. A packet it cannot
// decode completely is described as far as it got, with a Status saying why it stopped.
// Ethernet frames are taken to have no FCS; use DecodeFCS when the capture says they do.
func Decode(p *Packet, link pcapng.LinkType, data []byte, origLen uint32) Status {
	return DecodeFCS(p, link, data, origLen, 0)
}

// DecodeFCS is Decode for captures whose link-layer frames end in an fcsLen-byte frame check
// sequence (pcapng if_fcslen, or the FCS bits of a pcap link-type field). The FCS bytes, where
// captured, are excluded from the frame before decoding.
func DecodeFCS(p *Packet, link pcapng.LinkType, data []byte, origLen uint32, fcsLen int) Status {
	*p = Packet{}
	wire := int(origLen)
	if wire < len(data) {
		wire = len(data) // a wire length below the captured one is a lie; trust the bytes
	}
	if fcsLen > 0 && fcsLen < wire {
		wire -= fcsLen
		if len(data) > wire {
			data = data[:wire]
		}
	}
	p.Status = decodeLink(p, link, data, wire)
	return p.Status
}

func decodeLink(p *Packet, link pcapng.LinkType, data []byte, wire int) Status {
	switch link {
	case pcapng.LinkTypeEthernet:
		// Most packets are untagged Ethernet carrying IP: go straight to the IP header.
		if len(data) >= ethHdrLen {
			switch et := be16(data[12:]); et {
			case EtherTypeIPv4:
				p.LinkHdrLen, p.EtherType = ethHdrLen, et
				return decodeIPv4(p, data, ethHdrLen, wire, 0)
			case EtherTypeIPv6:
				p.LinkHdrLen, p.EtherType = ethHdrLen, et
				return decodeIPv6(p, data, ethHdrLen, wire, 0)
			}
		}
		return decodeEthernet(p, data, 0, wire, 0)

	case pcapng.LinkTypeEthernetMPacket:
		return decodeMPacket(p, data, wire)

	case pcapng.LinkTypeLinuxSLL:
		if len(data) < sllHdrLen {
			return TruncatedLink
		}
		return decodeEtherType(p, data, sllHdrLen, wire, be16(data[14:]), 0)

	case pcapng.LinkTypeLinuxSLL2:
		if len(data) < sll2HdrLen {
			return TruncatedLink
		}
		return decodeEtherType(p, data, sll2HdrLen, wire, be16(data[0:]), 0)

	case pcapng.LinkTypeRaw, pcapng.LinkTypeRaw12, pcapng.LinkTypeRaw14:
		if len(data) < 1 {
			return TruncatedLink
		}
		switch data[0] >> 4 {
		case 4:
			return decodeNet(p, data, 0, wire, EtherTypeIPv4, 0)
		case 6:
			return decodeNet(p, data, 0, wire, EtherTypeIPv6, 0)
		}
		return BadIPVersion

	case pcapng.LinkTypeIPv4:
		return decodeNet(p, data, 0, wire, EtherTypeIPv4, 0)

	case pcapng.LinkTypeIPv6:
		return decodeNet(p, data, 0, wire, EtherTypeIPv6, 0)

	case pcapng.LinkTypeNull, pcapng.LinkTypeLoop:
		// A 4-byte address family: in the capturing host's byte order for NULL, in network
		// order for LOOP. Families are small numbers, so a value with its upper half set was
		// written little-endian (Wireshark's rule, which covers both link types).
		if len(data) < nullHdrLen {
			return TruncatedLink
		}
		fam := be32(data)
		if fam&0xffff0000 != 0 {
			fam = fam>>24 | fam>>8&0xff00 | fam<<8&0xff0000 | fam<<24
		}
		switch fam {
		case 2: // AF_INET everywhere
			return decodeNet(p, data, nullHdrLen, wire, EtherTypeIPv4, 0)
		case 24, 28, 30: // AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin
			return decodeNet(p, data, nullHdrLen, wire, EtherTypeIPv6, 0)
		}
		return NotIP

	case pcapng.LinkTypePPP, pcapng.LinkTypePPPHDLC:
		return decodePPP(p, data, 0, wire, 0)

	case pcapng.LinkTypePPPEther:
		return decodePPPoE(p, data, 0, wire, 0)

	case pcapng.LinkTypeIEEE80211:
		// 802.11 without radio header, taken (as Wireshark does by default) to have no FCS.
		return decode80211(p, data, 0, wire, 0)
	}
	return UnknownLink
}

// decodeMPacket decodes an 802.3br mPacket: 6 preamble bytes 0x55, a seventh 0x55 or a
// continuation SMD, the SMD (or fragment count) byte, the mData, and a 4-byte CRC. As in
// Wireshark, only an express frame or an unfragmented preemptable frame whose CRC checks
// holds an Ethernet frame; fragments (whose trailer is an mCRC), verify/respond frames and
// frames with a bad CRC carry no header Decode can follow (NotIP). The CRC needs the whole
// frame: a cut mPacket is TruncatedLink.
func decodeMPacket(p *Packet, data []byte, wire int) Status {
	const pre, crcLen = 8, 4
	if len(data) < pre+crcLen || len(data) < wire {
		return TruncatedLink
	}
	if data[6] != 0x55 {
		return NotIP // a continuation fragment
	}
	switch data[7] {
	case 0xd5, 0xe6, 0x4c, 0x7f, 0xb3: // SMD-E, SMD-S0..S3
	default:
		return NotIP
	}
	end := len(data) - crcLen
	if crc32.ChecksumIEEE(data[pre:end]) != binary.LittleEndian.Uint32(data[end:]) {
		return NotIP
	}
	return decodeEthernet(p, data[:end], pre, end, 0)
}

// decodeEthernet decodes an Ethernet II (or 802.3 + LLC/SNAP) header at off, at tunnel
// depth depth (0 for the capture's own link layer).
func decodeEthernet(p *Packet, data []byte, off, wire, depth int) Status {
	if len(data) < off+ethHdrLen {
		return TruncatedLink
	}
	return decodeEtherType(p, data, off+ethHdrLen, wire, be16(data[off+12:]), depth)
}

// decodeEtherType follows EtherType et, whose payload starts at off: any number of VLAN
// tags, MPLS labels, a PPPoE session header, 802.2 LLC/SNAP, down to IPv4 or IPv6.
// At depth 0, the tags that directly follow the link header count as the packet's VLANs
// (Wireshark's vlan_frames: tags in the outer link-layer stack only).
func decodeEtherType(p *Packet, data []byte, off, wire int, et uint16, depth int) Status {
	outer := depth == 0
	for {
		switch et {
		case EtherTypeIPv4, EtherTypeIPv6:
			return decodeNet(p, data, off, wire, et, depth)

		case EtherTypeVLAN, EtherTypeQinQ, EtherTypeQinQOld:
			// A tag counts even when the capture cut it: Wireshark lists the vlan layer.
			if outer && p.VLANCount < 255 {
				p.VLANCount++
			}
			if len(data) < off+vlanTagLen {
				return TruncatedLink
			}
			if outer && int(p.VLANCount) <= len(p.VLANs) {
				p.VLANs[p.VLANCount-1] = be16(data[off:]) & 0x0fff
			}
			et = be16(data[off+2:])
			off += vlanTagLen

		case EtherTypeMPLS, EtherTypeMPLSMC:
			outer = false
			for {
				if len(data) < off+4 {
					return TruncatedLink
				}
				if p.MPLSLabels < 255 {
					p.MPLSLabels++
				}
				bottom := data[off+2]&1 != 0
				off += 4
				if bottom {
					break
				}
				if p.MPLSLabels >= maxMPLSLabels {
					return setNotIP(p, et, depth)
				}
			}
			// No protocol field below MPLS: guess from the IP version nibble, as Wireshark
			// does first (pseudowire control words and Ethernet payloads are not decoded).
			if len(data) < off+1 {
				return TruncatedLink
			}
			switch data[off] >> 4 {
			case 4:
				et = EtherTypeIPv4
			case 6:
				et = EtherTypeIPv6
			default:
				return setNotIP(p, EtherTypeMPLS, depth)
			}

		case EtherTypePPPoES:
			return decodePPPoE(p, data, off, wire, depth)

		default:
			if et >= etherTypeMinValue {
				return setNotIP(p, et, depth)
			}
			// An 802.3 length: an 802.2 LLC header follows. Only SNAP with an EtherType
			// (AA AA 03, OUI 00 00 00) can lead to IP.
			if len(data) < off+8 {
				return setNotIP(p, et, depth)
			}
			if data[off] != 0xaa || data[off+1] != 0xaa || data[off+2] != 0x03 ||
				data[off+3] != 0 || data[off+4] != 0 || data[off+5] != 0 {
				return setNotIP(p, et, depth)
			}
			outer = false
			et = be16(data[off+6:])
			off += 8
			if et < etherTypeMinValue {
				return setNotIP(p, et, depth)
			}
		}
	}
}

// decodeNet starts the network layer at off for EtherType et (IPv4 or IPv6). At depth 0 it
// records where the outer link layer ended.
func decodeNet(p *Packet, data []byte, off, wire int, et uint16, depth int) Status {
	if depth == 0 {
		p.LinkHdrLen = uint16(min(off, 0xffff))
		p.EtherType = et
	}
	if et == EtherTypeIPv4 {
		return decodeIPv4(p, data, off, wire, depth)
	}
	return decodeIPv6(p, data, off, wire, depth)
}

// setNotIP ends decoding at a link layer that carries something other than IP. The
// EtherType is recorded only for the capture's own link layer.
func setNotIP(p *Packet, et uint16, depth int) Status {
	if depth == 0 {
		p.EtherType = et
	}
	return NotIP
}

// decodePPPoE decodes a PPPoE session header (RFC 2516) at off and the PPP protocol after it.
func decodePPPoE(p *Packet, data []byte, off, wire, depth int) Status {
	if len(data) < off+8 {
		return TruncatedLink
	}
	if depth == 0 {
		p.EtherType = EtherTypePPPoES
	}
	return pppProto(p, data, off+8, wire, be16(data[off+6:]), depth)
}

// decodePPP decodes PPP framing at off: an optional FF 03 address/control pair, then a one-
// or two-byte protocol field (RFC 1661 protocol-field compression).
func decodePPP(p *Packet, data []byte, off, wire, depth int) Status {
	if len(data) < off+2 {
		return TruncatedLink
	}
	if data[off] == 0xff && data[off+1] == 0x03 {
		off += 2
	}
	if len(data) < off+1 {
		return TruncatedLink
	}
	if data[off]&1 != 0 { // compressed one-byte protocol
		return pppProto(p, data, off+1, wire, uint16(data[off]), depth)
	}
	if len(data) < off+2 {
		return TruncatedLink
	}
	return pppProto(p, data, off+2, wire, be16(data[off:]), depth)
}

func pppProto(p *Packet, data []byte, off, wire int, proto uint16, depth int) Status {
	switch proto {
	case 0x0021:
		return decodeNet(p, data, off, wire, EtherTypeIPv4, depth)
	case 0x0057:
		return decodeNet(p, data, off, wire, EtherTypeIPv6, depth)
	}
	return setNotIP(p, proto, depth)
}
