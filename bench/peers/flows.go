package peers

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// FlowKey is a bidirectional 5-tuple as a careful gopacket user writes it: the two
// (address, port) endpoints in a fixed order, comparable, usable as a map key. IPv4
// addresses sit in the first 4 bytes. ICMP and other protocols have ports 0.
type FlowKey struct {
	A, B         [16]byte
	PortA, PortB uint16
	Proto        uint8
	V6           bool
}

// FlowCount counts one flow: packets and bytes on the wire (original frame length).
type FlowCount struct {
	Packets, Bytes uint64
}

// Result is what CountFlows found.
type Result struct {
	Packets   uint64 // records read
	Bytes     uint64 // sum of original frame lengths
	NonIP     uint64 // packets without a decodable IPv4/IPv6 header
	Truncated uint64 // packets the parser stopped on with an error (other than unsupported layers)
	Flows     map[FlowKey]*FlowCount
}

// CountFlows reads a pcap or pcapng stream with gopacket's pcapgo readers (zero-copy reads)
// and decodes every packet with one DecodingLayerParser over preallocated Ethernet, Dot1Q,
// IPv4, IPv6, TCP and UDP layers, counting packets and bytes per flow. It is the baseline
// pcapdex's flow table is compared with; it assumes Ethernet link type, as the generator writes.
func CountFlows(r io.Reader) (*Result, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("read magic: %w", err)
	}
	var next func() ([]byte, gopacket.CaptureInfo, error)
	switch binary.LittleEndian.Uint32(magic) {
	case 0x0a0d0d0a:
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("pcapng header: %w", err)
		}
		next = ng.ZeroCopyReadPacketData
	default:
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("pcap header: %w", err)
		}
		next = pr.ZeroCopyReadPacketData
	}

	l := NewLayers()
	res := &Result{Flows: make(map[FlowKey]*FlowCount)}
	for {
		data, ci, err := next()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("packet %d: %w", res.Packets+1, err)
		}
		res.Packets++
		res.Bytes += uint64(ci.Length)
		if err := l.Parser.DecodeLayers(data, &l.Decoded); err != nil {
			res.Truncated++
		}
		var k FlowKey
		var ok bool
		for _, lt := range l.Decoded {
			switch lt {
			case layers.LayerTypeIPv4:
				copy(k.A[:], l.IP4.SrcIP.To4())
				copy(k.B[:], l.IP4.DstIP.To4())
				k.Proto = uint8(l.IP4.Protocol)
				ok = true
			case layers.LayerTypeIPv6:
				copy(k.A[:], l.IP6.SrcIP)
				copy(k.B[:], l.IP6.DstIP)
				k.Proto = uint8(l.IP6.NextHeader)
				k.V6 = true
				ok = true
			case layers.LayerTypeTCP:
				k.PortA, k.PortB = uint16(l.TCP.SrcPort), uint16(l.TCP.DstPort)
			case layers.LayerTypeUDP:
				k.PortA, k.PortB = uint16(l.UDP.SrcPort), uint16(l.UDP.DstPort)
			}
		}
		if !ok {
			res.NonIP++
			continue
		}
		if c := compareEndpoint(&k.A, k.PortA, &k.B, k.PortB); c > 0 {
			k.A, k.B, k.PortA, k.PortB = k.B, k.A, k.PortB, k.PortA
		}
		fc := res.Flows[k]
		if fc == nil {
			fc = &FlowCount{}
			res.Flows[k] = fc
		}
		fc.Packets++
		fc.Bytes += uint64(ci.Length)
	}
}

func compareEndpoint(a *[16]byte, pa uint16, b *[16]byte, pb uint16) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa < pb:
		return -1
	case pa > pb:
		return 1
	}
	return 0
}

// CountFlowsFile is CountFlows over a file.
func CountFlowsFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := CountFlows(f)
	if err != nil {
		return res, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}
