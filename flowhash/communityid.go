package flowhash

import (
	"crypto/sha1"
	"encoding/base64"

	"github.com/pcapdex/pcapdex/fastparse"
)

// AppendCommunityID appends the Community ID v1 string ("1:" + base64(sha1(...))) of a flow
// seen from its originator: saddr/sport is the originator, daddr/dport the responder. For
// ICMP/ICMPv6 pass the originator's first message type as sport and its code as dport; they
// are mapped to port equivalents as the spec says. ipv6 selects 16-byte addresses (else the
// first 4 bytes of each are used). seed is the spec's 16-bit seed (0 by default).
//
// The hash input is seed (2 bytes, big-endian), source address, destination address, protocol
// (1 byte), one zero byte, and for TCP/UDP/SCTP/ICMP/ICMPv6 source and destination port
// (2 bytes each, big-endian), after ordering the endpoints so that the smaller (address, port)
// comes first; one-way ICMP messages are never reordered. See
// https://github.com/corelight/community-id-spec. It does not allocate beyond growing dst.
func AppendCommunityID(dst []byte, seed uint16, ipv6 bool, saddr, daddr *[16]byte, proto uint8, sport, dport uint16) []byte {
	alen := 4
	if ipv6 {
		alen = 16
	}
	oneWay := false
	switch proto {
	case fastparse.ProtoICMP:
		sport, dport, oneWay = icmpPorts(false, uint8(sport), uint8(dport))
	case fastparse.ProtoICMPv6:
		sport, dport, oneWay = icmpPorts(true, uint8(sport), uint8(dport))
	}
	sa, da := saddr[:alen], daddr[:alen]
	if !oneWay && !cidLess(sa, sport, da, dport) {
		sa, da = da, sa
		sport, dport = dport, sport
	}
	var buf [2 + 16 + 16 + 2 + 4]byte
	buf[0], buf[1] = byte(seed>>8), byte(seed)
	n := 2
	n += copy(buf[n:], sa)
	n += copy(buf[n:], da)
	buf[n], buf[n+1] = proto, 0
	n += 2
	if keyHasPorts(proto) {
		buf[n], buf[n+1], buf[n+2], buf[n+3] = byte(sport>>8), byte(sport), byte(dport>>8), byte(dport)
		n += 4
	}
	sum := sha1.Sum(buf[:n])
	dst = append(dst, '1', ':')
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// cidLess is the spec's ordering: a < b by address bytes, then port (strictly).
func cidLess(a []byte, ap uint16, b []byte, bp uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return ap < bp
}
