package streams

import (
	"net/netip"
	"strconv"
)

// AppendFileName appends tcpflow's name for the direction from (src, sport) to (dst,
// dport), as tcpflow 1.6's default template "%A.%a-%B.%b%V%v%C%c" spells it: IPv4
// addresses as four zero-padded 3-digit numbers, IPv6 as inet_ntop writes them, ports as
// 5 zero-padded digits, then "--VLAN" when the packet carried a VLAN tag (vlan >= 0) and
// "cN" for the N-th reuse of the name (n > 0), e.g.
// 010.000.000.001.01234-010.000.000.002.00080c1.
func AppendFileName(dst []byte, src netip.Addr, sport uint16, dstAddr netip.Addr, dport uint16, vlan int, n int) []byte {
	dst = appendAddr(dst, src)
	dst = append(dst, '.')
	dst = appendPort(dst, sport)
	dst = append(dst, '-')
	dst = appendAddr(dst, dstAddr)
	dst = append(dst, '.')
	dst = appendPort(dst, dport)
	if vlan >= 0 {
		dst = append(dst, "--"...)
		dst = strconv.AppendInt(dst, int64(vlan), 10)
	}
	if n > 0 {
		dst = append(dst, 'c')
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	return dst
}

func appendAddr(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		for i, x := range b {
			if i > 0 {
				dst = append(dst, '.')
			}
			dst = append(dst, '0'+x/100, '0'+x/10%10, '0'+x%10)
		}
		return dst
	}
	return a.AppendTo(dst)
}

func appendPort(dst []byte, p uint16) []byte {
	return append(dst, '0'+byte(p/10000), '0'+byte(p/1000%10), '0'+byte(p/100%10), '0'+byte(p/10%10), '0'+byte(p%10))
}
