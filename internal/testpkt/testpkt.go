// Package testpkt builds packets for tests that need exact bytes (hostile inputs, storms)
// without a capture on disk.
package testpkt

import "encoding/binary"

// TCPFrame returns an Ethernet/IPv4/TCP frame between 10.0.0.1:40000 (the client) and
// 10.0.0.2:80 with the given flags, sequence and ack numbers, direction and payload length
// (zero bytes). Checksums are left zero.
func TCPFrame(flags byte, seq, ack uint32, fromClient bool, payload int) []byte {
	b := make([]byte, 14+20+20+payload)
	b[12] = 8
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+payload))
	ip[8], ip[9] = 64, 6
	src, dst := []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
	sp, dp := uint16(40000), uint16(80)
	if !fromClient {
		src, dst, sp, dp = dst, src, dp, sp
	}
	copy(ip[12:], src)
	copy(ip[16:], dst)
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp, sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	return b
}
