package fastparse_test

import (
	"encoding/hex"
	"fmt"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Decode fills a flat, caller-owned Packet from one frame's bytes without allocating.
func ExampleDecode() {
	// Ethernet, IPv4 10.0.0.1 -> 10.0.0.2, TCP 40000 -> 443 SYN with MSS 1460.
	frame, _ := hex.DecodeString("" +
		"0200000000020200000000010800" + // Ethernet
		"4500002c1234400040060000" + "0a000001" + "0a000002" + // IPv4, no checksum check
		"9c4001bb000003e800000000" + "6002faf00000" + "0000" + "020405b4") // TCP + MSS
	var p fastparse.Packet
	status := fastparse.Decode(&p, pcapng.LinkTypeEthernet, frame, uint32(len(frame)))
	fmt.Println(status, p.SrcAddr(), p.SrcPort, "->", p.DstAddr(), p.DstPort)
	fmt.Printf("seq %d flags %#x mss %d payload %d\n", p.Seq, p.TCPFlags, p.MSS, p.PayloadLen)
	// Output:
	// ok 10.0.0.1 40000 -> 10.0.0.2 443
	// seq 1000 flags 0x2 mss 1460 payload 0
}
