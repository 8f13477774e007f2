package fastparse

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// fuzzSeedFiles are corpus captures whose packets seed FuzzDecode: every link type the
// corpus has, tags, fragments, extension headers, tunnels, ICMP errors, cut headers.
var fuzzSeedFiles = []string{
	"many-protocols.pcap", "gnutella.pcap", "gre-aruba.pcap", "pptp.pcap", "sll.pcap",
	"sv-decode-sll2-02-input.pcap", "raw_ip.pcap", "frag-ip-tcp-syn.pcap", "VlanPackets.pcap",
	"802.1ad_QinQ.pcap", "ip6_fragments.pcap", "ipv6_options.pcap", "ip4_fragments.pcap",
	"heapoverflow-tcp_print.pcap", "gap-data-missing.pcapng", "test202.pcapng", "timestamp.pcap",
	"sv-smb-length-5770-input.pcap", "pfcp.pcap",
}

// FuzzDecode checks that Decode never panics and that what it reports is consistent with
// the bytes it was given, whatever they are.
func FuzzDecode(f *testing.F) {
	for _, c := range allCases() {
		f.Add(uint16(c.link), c.data, uint32(len(c.data)))
	}
	if dir, err := findCorpus(); err == nil {
		for _, name := range fuzzSeedFiles {
			addFileSeeds(f, filepath.Join(dir, name), 40)
		}
	}
	f.Fuzz(func(t *testing.T, link uint16, data []byte, origLen uint32) {
		var p, q Packet
		st := Decode(&p, pcapng.LinkType(link), data, origLen)
		checkPacket(t, &p, st, data, origLen)
		Decode(&q, pcapng.LinkType(link), data, origLen)
		if p != q {
			t.Fatalf("Decode is not deterministic:\n%+v\n%+v", p, q)
		}
		if pcapng.LinkType(link) == pcapng.LinkTypeEthernet {
			// decodeLink's shortcut for untagged IP must agree with the general path.
			var g Packet
			g.Status = decodeEthernet(&g, data, 0, max(int(origLen), len(data)), 0)
			if g != p {
				t.Fatalf("Ethernet shortcut and general path differ:\n%+v\n%+v", p, g)
			}
		}
		for _, fcs := range []int{2, 4} {
			st := DecodeFCS(&q, pcapng.LinkType(link), data, origLen, fcs)
			checkPacket(t, &q, st, data, origLen)
		}
	})
}

func checkPacket(t *testing.T, p *Packet, st Status, data []byte, origLen uint32) {
	t.Helper()
	if st != p.Status || st >= NumStatus {
		t.Fatalf("status %d, Packet.Status %d", st, p.Status)
	}
	wire := uint64(max(int(origLen), len(data)))
	if uint64(p.IPOff) > uint64(len(data)) || uint64(p.LinkHdrLen) > uint64(len(data)) {
		t.Fatalf("IPOff %d / LinkHdrLen %d past the %d captured bytes", p.IPOff, p.LinkHdrLen, len(data))
	}
	if uint64(p.PayloadOff)+uint64(p.PayloadLen) > wire || p.L4Off > p.PayloadOff {
		t.Fatalf("payload [%d+%d] (L4 at %d) outside the %d-byte packet", p.PayloadOff, p.PayloadLen, p.L4Off, wire)
	}
	if p.HasL4 {
		if uint64(p.PayloadOff) > uint64(len(data)) || p.L4Off >= p.PayloadOff {
			t.Fatalf("HasL4 with header [%d, %d) not captured (%d bytes)", p.L4Off, p.PayloadOff, len(data))
		}
		if p.IPVersion != 4 && p.IPVersion != 6 {
			t.Fatalf("HasL4 with IP version %d", p.IPVersion)
		}
		switch p.Proto {
		case ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6:
		default:
			t.Fatalf("HasL4 with protocol %d", p.Proto)
		}
		if p.L4Off < p.IPOff+uint32(p.IPHdrLen) {
			t.Fatalf("transport header at %d inside the IP header [%d+%d]", p.L4Off, p.IPOff, p.IPHdrLen)
		}
	}
	if p.Proto == ProtoTCP && p.HasL4 && (p.TCPHdrLen < 20 || uint32(p.TCPHdrLen) != p.PayloadOff-p.L4Off) {
		t.Fatalf("TCP header length %d vs offsets %d..%d", p.TCPHdrLen, p.L4Off, p.PayloadOff)
	}
	if p.SACKCount > 4 {
		t.Fatalf("SACKCount %d", p.SACKCount)
	}
	l := p.Layers
	for _, pair := range [][2]Layers{{LayerOuterIPv4, LayerIPv4}, {LayerOuterIPv6, LayerIPv6},
		{LayerOuterTCP, LayerTCP}, {LayerOuterUDP, LayerUDP}, {LayerOuterICMP, LayerICMP}, {LayerIPv6Frag, LayerIPv6Ext}} {
		if l&pair[0] != 0 && l&pair[1] == 0 {
			t.Fatalf("Layers %#x: %#x without %#x", l, pair[0], pair[1])
		}
	}
	if l&(LayerOuterIPv4|LayerOuterIPv6) == LayerOuterIPv4|LayerOuterIPv6 {
		t.Fatalf("Layers %#x: two outer IP versions", l)
	}
	if p.TunnelDepth > maxTunnelDepth {
		t.Fatalf("TunnelDepth %d", p.TunnelDepth)
	}
	switch p.IPVersion {
	case 4:
		if a := p.SrcAddr(); !a.Is4() {
			t.Fatalf("IPv4 packet with source %v", a)
		}
	case 6:
		if a := p.DstAddr(); !a.Is6() {
			t.Fatalf("IPv6 packet with destination %v", a)
		}
	case 0:
		if p.SrcAddr().IsValid() {
			t.Fatal("address without IP")
		}
	default:
		t.Fatalf("IPVersion %d", p.IPVersion)
	}
	var s Stats
	s.Add(p)
	if s.Packets != 1 || s.Malformed+s.Other+s.TCPOuter+s.UDPOuter+s.ICMP == 0 {
		t.Fatalf("Stats.Add counted the packet nowhere: %+v", s)
	}
}

func addFileSeeds(f *testing.F, path string, n int) {
	r, err := pcapng.Open(path, pcapng.Options{})
	if err != nil {
		return
	}
	defer r.Close()
	var pk pcapng.Packet
	for i := 0; i < n; i++ {
		if err := r.Next(&pk); err == io.EOF || err != nil {
			return
		}
		f.Add(uint16(pk.LinkType), append([]byte(nil), pk.Data...), pk.OrigLen)
	}
}
