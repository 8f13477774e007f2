package synth

import "encoding/binary"

// Event bits a packet carries for the ground truth: what Wireshark's tcp.analysis is
// expected to say about it.
const (
	evRetrans      = 1 << iota // tcp.analysis.retransmission
	evFastRetrans              // tcp.analysis.fast_retransmission (also a retransmission)
	evOutOfOrder               // tcp.analysis.out_of_order
	evDupAck                   // tcp.analysis.duplicate_ack
	evLostSegment              // tcp.analysis.lost_segment (previous segment not captured)
	evZeroWindow               // tcp.analysis.zero_window
	evZeroWinProbe             // tcp.analysis.zero_window_probe
	evWindowUpdate             // tcp.analysis.window_update
)

// TCP option sets a segment carries.
const (
	optNone = iota
	optSYN  // MSS, SACK-permitted, timestamps, window scale (as negotiated for the flow)
	optTS   // timestamps only (when negotiated)
	optSACK // timestamps (when negotiated) + one SACK block
)

// pkt describes one packet of a flow before it is built into bytes. The heap and the
// per-flow queues hold these, never frames.
type pkt struct {
	ts       int64 // nanoseconds since the epoch, a multiple of 1000
	seq, ack uint32
	sackL    uint32
	sackR    uint32
	plen     uint32 // transport payload length
	off      uint64 // stream offset of the payload (selects payload bytes)
	win      uint16 // raw TCP window field, or ICMP echo sequence
	fromResp bool
	flags    uint8 // TCP flags, or ICMP type for ICMP
	opt      uint8
	ev       uint8
}

// build appends the frame for p to dst.
func (f *flow) build(dst []byte, g *Generator, p *pkt) []byte {
	a := &f.a
	switch a.proto {
	case protoTCP:
		return f.buildTCP(dst, g, p)
	case protoUDP:
		pay, ps := g.payload.slice(p.off+f.payloadBase, int(p.plen))
		l4 := 8 + int(p.plen)
		dst = a.appendL2L3(dst, p.fromResp, protoUDP, l4)
		h := len(dst)
		sp, dp := a.cport, a.sport
		if p.fromResp {
			sp, dp = dp, sp
		}
		dst = append(dst, byte(sp>>8), byte(sp), byte(dp>>8), byte(dp), byte(l4>>8), byte(l4), 0, 0)
		if f.dns {
			dst = appendDNS(dst, f, p)
			ps = sum16(dst[h+8:])
		} else {
			dst = append(dst, pay...)
		}
		s := a.pseudoSum + uint64(protoUDP) + uint64(l4) + sum16(dst[h:h+8]) + ps
		c := fold(s)
		if c == 0 {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(dst[h+6:], c)
		return dst
	default: // ICMP echo
		pay, ps := g.payload.slice(p.off+f.payloadBase, int(p.plen))
		l4 := 8 + int(p.plen)
		proto := uint8(protoICMP)
		if a.v6 {
			proto = protoICMPv6
		}
		dst = a.appendL2L3(dst, p.fromResp, proto, l4)
		h := len(dst)
		dst = append(dst, p.flags, 0, 0, 0, byte(f.icmpID>>8), byte(f.icmpID), byte(p.win>>8), byte(p.win))
		dst = append(dst, pay...)
		s := sum16(dst[h:h+8]) + ps
		if a.v6 {
			s += a.pseudoSum + uint64(protoICMPv6) + uint64(l4)
		}
		binary.BigEndian.PutUint16(dst[h+2:], fold(s))
		return dst
	}
}

func (f *flow) buildTCP(dst []byte, g *Generator, p *pkt) []byte {
	a := &f.a
	optLen := 0
	switch p.opt {
	case optSYN:
		optLen = 4 // MSS
		if f.sackOK {
			optLen += 2
		}
		if f.tsOK {
			optLen += 10
		}
		if f.wsOK {
			optLen += 3
		}
		optLen = (optLen + 3) &^ 3
	case optTS:
		if f.tsOK {
			optLen = 12
		}
	case optSACK:
		optLen = 12 // NOP NOP SACK(10)
		if f.tsOK {
			optLen += 12
		}
	}
	hl := 20 + optLen
	l4 := hl + int(p.plen)
	dst = a.appendL2L3(dst, p.fromResp, protoTCP, l4)
	h := len(dst)
	sp, dp := a.cport, a.sport
	if p.fromResp {
		sp, dp = dp, sp
	}
	dst = append(dst, byte(sp>>8), byte(sp), byte(dp>>8), byte(dp))
	dst = binary.BigEndian.AppendUint32(dst, p.seq)
	dst = binary.BigEndian.AppendUint32(dst, p.ack)
	dst = append(dst, byte(hl/4)<<4, p.flags, byte(p.win>>8), byte(p.win), 0, 0, 0, 0)
	// Timestamp values: a millisecond clock per host, echoing the last value seen from the peer.
	tsval := uint32(p.ts/1e6) + f.tsBaseC
	if p.fromResp {
		tsval = uint32(p.ts/1e6) + f.tsBaseS
	}
	var tsecr uint32
	if p.fromResp {
		tsecr = f.lastTSC
		f.lastTSS = tsval
	} else {
		tsecr = f.lastTSS
		f.lastTSC = tsval
	}
	if p.flags&(tcpSYN|tcpACK) == tcpSYN {
		tsecr = 0
	}
	start := len(dst)
	switch p.opt {
	case optSYN:
		mss := f.mss
		dst = append(dst, 2, 4, byte(mss>>8), byte(mss))
		if f.sackOK {
			dst = append(dst, 4, 2)
		}
		if f.tsOK {
			dst = append(dst, 8, 10)
			dst = binary.BigEndian.AppendUint32(dst, tsval)
			dst = binary.BigEndian.AppendUint32(dst, tsecr)
		}
		if f.wsOK {
			ws := f.wsC
			if p.fromResp {
				ws = f.wsS
			}
			dst = append(dst, 1, 3, 3, ws) // NOP + window scale
		}
		for len(dst)-start < optLen {
			dst = append(dst, 0) // end of options
		}
	case optTS:
		if f.tsOK {
			dst = append(dst, 1, 1, 8, 10)
			dst = binary.BigEndian.AppendUint32(dst, tsval)
			dst = binary.BigEndian.AppendUint32(dst, tsecr)
		}
	case optSACK:
		if f.tsOK {
			dst = append(dst, 1, 1, 8, 10)
			dst = binary.BigEndian.AppendUint32(dst, tsval)
			dst = binary.BigEndian.AppendUint32(dst, tsecr)
		}
		dst = append(dst, 1, 1, 5, 10)
		dst = binary.BigEndian.AppendUint32(dst, p.sackL)
		dst = binary.BigEndian.AppendUint32(dst, p.sackR)
	}
	pay, ps := g.payload.slice(p.off+f.payloadBase, int(p.plen))
	dst = append(dst, pay...)
	s := a.pseudoSum + uint64(protoTCP) + uint64(l4) + sum16(dst[h:h+hl]) + ps
	binary.BigEndian.PutUint16(dst[h+16:], fold(s))
	return dst
}

// appendDNS appends a DNS query or answer for one name; its length must be p.plen.
func appendDNS(dst []byte, f *flow, p *pkt) []byte {
	id := uint16(f.icmpID)
	flags := uint16(0x0100) // RD
	an := 0
	if p.fromResp {
		flags = 0x8180 // QR RD RA
		an = 1
	}
	dst = append(dst, byte(id>>8), byte(id), byte(flags>>8), byte(flags), 0, 1, 0, byte(an), 0, 0, 0, 0)
	dst = appendQName(dst, f.dnsName)
	dst = append(dst, 0, 1, 0, 1) // A IN
	if an == 1 {
		dst = append(dst, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 51, 100, byte(f.id))
	}
	return dst
}

func appendQName(dst []byte, n uint32) []byte {
	// "hNNNNNNNN.example.com": a label of 9 characters, then two fixed labels.
	dst = append(dst, 9, 'h')
	for i := 7; i >= 0; i-- {
		dst = append(dst, "0123456789abcdef"[(n>>(4*uint(i)))&0xf])
	}
	dst = append(dst, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0)
	return dst
}

// dnsLen is the UDP payload length appendDNS produces.
func dnsLen(resp bool) uint32 {
	n := uint32(12 + 23 + 4)
	if resp {
		n += 16
	}
	return n
}
