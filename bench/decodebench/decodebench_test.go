package decodebench

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/pcapdex/pcapdex/bench/peers"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

var (
	mixOnce sync.Once
	mix     []Packet
	mixErr  error
	mixDir  string
)

func loadMix(tb testing.TB) []Packet {
	tb.Helper()
	mixOnce.Do(func() {
		mixDir, mixErr = FindCorpus()
		if mixErr == nil {
			mix, mixErr = LoadMix(mixDir, MixFiles)
		}
	})
	if mixErr != nil {
		tb.Skipf("packet mix unavailable: %v", mixErr)
	}
	for _, p := range mix {
		if p.Link != pcapng.LinkTypeEthernet {
			tb.Fatalf("mix holds link type %d; the gopacket parser starts at Ethernet", p.Link)
		}
	}
	return mix
}

var sink uint64

// BenchmarkFastparse decodes the mix with fastparse.Decode and reads the fields a flow
// tracker needs. One op is one packet.
func BenchmarkFastparse(b *testing.B) {
	for _, warm := range []bool{false, true} {
		b.Run(mode(warm), func(b *testing.B) {
			m := loadMix(b)
			var p fastparse.Packet
			var s uint64
			clock := startMix(b, m)
			i := 0
			for range b.N {
				pk := &m[i]
				i = wrap(i+1, len(m))
				s += readerTouch(pk, warm)
				fastparse.Decode(&p, pk.Link, pk.Data, pk.OrigLen)
				s += fastparseFields(&p)
			}
			sink = s
			clock.stopMix(b)
		})
	}
}

// BenchmarkFastparseStats is BenchmarkFastparse plus Stats.Add, what `pcapdex info` does.
func BenchmarkFastparseStats(b *testing.B) {
	for _, warm := range []bool{false, true} {
		b.Run(mode(warm), func(b *testing.B) {
			m := loadMix(b)
			var p fastparse.Packet
			var st fastparse.Stats
			var s uint64
			clock := startMix(b, m)
			i := 0
			for range b.N {
				pk := &m[i]
				i = wrap(i+1, len(m))
				s += readerTouch(pk, warm)
				fastparse.Decode(&p, pk.Link, pk.Data, pk.OrigLen)
				st.Add(&p)
			}
			sink = st.TCP + s
			clock.stopMix(b)
		})
	}
}

// BenchmarkGopacketDLP decodes the same packets with gopacket's DecodingLayerParser
// (Ethernet, Dot1Q, IPv4, IPv6, TCP, UDP) and reads the same fields.
func BenchmarkGopacketDLP(b *testing.B) {
	for _, warm := range []bool{false, true} {
		b.Run(mode(warm), func(b *testing.B) {
			m := loadMix(b)
			d := peers.NewLayers()
			var s uint64
			clock := startMix(b, m)
			i := 0
			for range b.N {
				pk := &m[i]
				i = wrap(i+1, len(m))
				s += readerTouch(pk, warm)
				s += decodeDLP(d, pk.Data)
			}
			sink = s
			clock.stopMix(b)
		})
	}
}

// BenchmarkGopacketNewPacket is gopacket's everyday API (a Packet and layer objects per
// packet, lazy off, no copy), for scale.
func BenchmarkGopacketNewPacket(b *testing.B) {
	m := loadMix(b)
	var s uint64
	clock := startMix(b, m)
	i := 0
	for range b.N {
		pk := &m[i]
		i = wrap(i+1, len(m))
		gp := gopacket.NewPacket(pk.Data, layers.LayerTypeEthernet, gopacket.NoCopy)
		if t, ok := gp.TransportLayer().(*layers.TCP); ok {
			s += uint64(t.SrcPort)
		}
	}
	sink = s
	clock.stopMix(b)
}

// fastparseFields sums the fields of a decoded packet a flow tracker reads; it inlines.
func fastparseFields(p *fastparse.Packet) uint64 {
	return uint64(p.SrcPort) + uint64(p.PayloadLen) + uint64(p.SrcIP[3]) + uint64(p.TCPFlags)
}

// decodeDLP decodes data with gopacket's DecodingLayerParser and sums the same fields
// fastparseFields reads, from the layers gopacket reached.
func decodeDLP(d *peers.Layers, data []byte) uint64 {
	var s uint64
	_ = d.Parser.DecodeLayers(data, &d.Decoded)
	for _, lt := range d.Decoded {
		switch lt {
		case layers.LayerTypeIPv4:
			s += uint64(d.IP4.SrcIP[len(d.IP4.SrcIP)-1])
		case layers.LayerTypeTCP:
			s += uint64(d.TCP.SrcPort) + uint64(len(d.TCP.Payload))
			if d.TCP.SYN {
				s++
			}
		case layers.LayerTypeUDP:
			s += uint64(d.UDP.SrcPort) + uint64(len(d.UDP.Payload))
		}
	}
	return s
}

// startMix prepares a benchmark whose op is one packet of m (allocations, bytes per op)
// and starts its CPU clock.
func startMix(b *testing.B, m []Packet) *cpuClock {
	b.ReportAllocs()
	b.SetBytes(avgLen(m))
	return startCPU(b)
}

// stopMix stops the clock and reports wall ns/packet beside cpu-ns/packet.
func (c *cpuClock) stopMix(b *testing.B) {
	c.stop(b)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/packet")
}

// wrap returns i, or 0 once i reaches n: the benchmarks walk the mix round and round.
func wrap(i, n int) int {
	if i == n {
		return 0
	}
	return i
}

// readerTouch is what the reader reads of pk before a decoder sees it in warm mode (incl_len
// in the record header); cold mode reads nothing. See the package doc.
func readerTouch(pk *Packet, warm bool) uint64 {
	if warm {
		return uint64(pk.Rec[8])
	}
	return 0
}

func avgLen(m []Packet) int64 {
	n := 0
	for _, p := range m {
		n += len(p.Data)
	}
	return int64(n / len(m))
}

// TestAgreeWithGopacket decodes the mix with both decoders and compares every field both
// produce for the packets where gopacket reached TCP or UDP without error.
func TestAgreeWithGopacket(t *testing.T) {
	m := loadMix(t)
	d := peers.NewLayers()
	var p fastparse.Packet
	compared := 0
	for n, pk := range m {
		fastparse.Decode(&p, pk.Link, pk.Data, pk.OrigLen)
		err := d.Parser.DecodeLayers(pk.Data, &d.Decoded)
		var ip4, ip6, vlan int
		var l4 gopacket.LayerType
		for _, lt := range d.Decoded {
			switch lt {
			case layers.LayerTypeIPv4:
				ip4++
			case layers.LayerTypeIPv6:
				ip6++
			case layers.LayerTypeDot1Q:
				vlan++
			case layers.LayerTypeTCP, layers.LayerTypeUDP:
				l4 = lt
			}
		}
		if err != nil || l4 == 0 || ip4+ip6 != 1 || len(pk.Data) < int(pk.OrigLen) {
			continue // gopacket stopped early, saw a tunnel, or the packet is cut
		}
		compared++
		fail := func(what string, got, want any) {
			t.Errorf("packet %d (%d bytes): %s: fastparse %v, gopacket %v", n, len(pk.Data), what, got, want)
		}
		if !p.HasL4 {
			fail("transport decoded", p.HasL4, true)
			continue
		}
		if int(p.VLANCount) != vlan {
			fail("VLAN tags", p.VLANCount, vlan)
		}
		var src, dst netip.Addr
		if ip4 == 1 {
			src, _ = netip.AddrFromSlice(d.IP4.SrcIP)
			dst, _ = netip.AddrFromSlice(d.IP4.DstIP)
			if p.TTL != d.IP4.TTL || p.IPID != uint32(d.IP4.Id) {
				fail("TTL/ID", [2]uint32{uint32(p.TTL), p.IPID}, [2]uint32{uint32(d.IP4.TTL), uint32(d.IP4.Id)})
			}
		} else {
			src, _ = netip.AddrFromSlice(d.IP6.SrcIP)
			dst, _ = netip.AddrFromSlice(d.IP6.DstIP)
		}
		if p.SrcAddr() != src.Unmap() || p.DstAddr() != dst.Unmap() {
			fail("addresses", [2]netip.Addr{p.SrcAddr(), p.DstAddr()}, [2]netip.Addr{src, dst})
		}
		if l4 == layers.LayerTypeTCP {
			c := &d.TCP
			flags := flagBits(c)
			if p.SrcPort != uint16(c.SrcPort) || p.DstPort != uint16(c.DstPort) || p.Seq != c.Seq || p.Ack != c.Ack ||
				p.TCPFlags != flags || p.Window != c.Window || p.Urgent != c.Urgent || int(p.TCPHdrLen) != int(c.DataOffset)*4 {
				fail("TCP header", []uint32{uint32(p.SrcPort), uint32(p.DstPort), p.Seq, p.Ack, uint32(p.TCPFlags), uint32(p.Window)},
					[]uint32{uint32(c.SrcPort), uint32(c.DstPort), c.Seq, c.Ack, uint32(flags), uint32(c.Window)})
			}
			if int(p.PayloadLen) != len(c.Payload) {
				fail("TCP payload length", p.PayloadLen, len(c.Payload))
			}
			checkOptions(t, n, &p, c)
		} else {
			u := &d.UDP
			if p.SrcPort != uint16(u.SrcPort) || p.DstPort != uint16(u.DstPort) {
				fail("UDP ports", [2]uint16{p.SrcPort, p.DstPort}, [2]layers.UDPPort{u.SrcPort, u.DstPort})
			}
			if int(p.PayloadLen) != len(u.Payload) && p.Status == fastparse.OK {
				fail("UDP payload length", p.PayloadLen, len(u.Payload))
			}
		}
	}
	if compared < len(m)/2 {
		t.Fatalf("compared only %d of %d packets", compared, len(m))
	}
	t.Logf("%d of %d packets compared field by field", compared, len(m))
}

func flagBits(c *layers.TCP) uint16 {
	var f uint16
	for i, set := range []bool{c.FIN, c.SYN, c.RST, c.PSH, c.ACK, c.URG, c.ECE, c.CWR, c.NS} {
		if set {
			f |= 1 << i
		}
	}
	return f
}

func checkOptions(t *testing.T, n int, p *fastparse.Packet, c *layers.TCP) {
	t.Helper()
	for _, o := range c.Options {
		switch o.OptionType {
		case layers.TCPOptionKindMSS:
			if len(o.OptionData) == 2 && (p.TCPOpts&fastparse.OptMSS == 0 || p.MSS != uint16(o.OptionData[0])<<8|uint16(o.OptionData[1])) {
				t.Errorf("packet %d: MSS %d (opts %#x), gopacket %v", n, p.MSS, p.TCPOpts, o.OptionData)
			}
		case layers.TCPOptionKindWindowScale:
			if len(o.OptionData) == 1 && (p.TCPOpts&fastparse.OptWScale == 0 || p.WScale != o.OptionData[0]) {
				t.Errorf("packet %d: window scale %d, gopacket %v", n, p.WScale, o.OptionData)
			}
		case layers.TCPOptionKindTimestamps:
			if len(o.OptionData) == 8 && (p.TCPOpts&fastparse.OptTimestamps == 0 ||
				p.TSVal != be32(o.OptionData) || p.TSEcr != be32(o.OptionData[4:])) {
				t.Errorf("packet %d: timestamps %d/%d, gopacket %v", n, p.TSVal, p.TSEcr, o.OptionData)
			}
		case layers.TCPOptionKindSACK:
			if k := len(o.OptionData) / 8; k > 0 && (int(p.SACKCount) != k || p.SACK[0][0] != be32(o.OptionData)) {
				t.Errorf("packet %d: %d SACK blocks, gopacket %d", n, p.SACKCount, k)
			}
		case layers.TCPOptionKindSACKPermitted:
			if p.TCPOpts&fastparse.OptSACKPermitted == 0 {
				t.Errorf("packet %d: SACK permitted missing", n)
			}
		}
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// BenchmarkTouch reads the EtherType of every packet and nothing else: the memory cost
// any decoder pays to reach the packet, the floor under the numbers above.
func BenchmarkTouch(b *testing.B) {
	m := loadMix(b)
	var s uint64
	clock := startMix(b, m)
	i := 0
	for range b.N {
		pk := &m[i]
		i = wrap(i+1, len(m))
		if len(pk.Data) >= 14 {
			s += uint64(pk.Data[12])<<8 | uint64(pk.Data[13])
		}
	}
	sink = s
	clock.stopMix(b)
}

func mode(warm bool) string {
	if warm {
		return "warm"
	}
	return "cold"
}
