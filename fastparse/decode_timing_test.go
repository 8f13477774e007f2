package fastparse

import (
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

type benchPacket struct {
	link    pcapng.LinkType
	data    []byte
	origLen uint32
}

var (
	benchOnce sync.Once
	benchMix  []benchPacket
)

// benchPackets loads a realistic mix (every packet of a few corpus captures) into memory
// once, or falls back to the table-test packets when the corpus is absent.
func benchPackets(b *testing.B) []benchPacket {
	benchOnce.Do(func() {
		if dir, err := findCorpus(); err == nil {
			for _, name := range []string{"example.pcap", "many-protocols.pcap", "gnutella.pcap", "sll.pcap", "raw_ip.pcap"} {
				r, err := pcapng.Open(filepath.Join(dir, name), pcapng.Options{})
				if err != nil {
					continue
				}
				var pk pcapng.Packet
				for r.Next(&pk) != io.EOF && len(pk.Data) > 0 {
					benchMix = append(benchMix, benchPacket{pk.LinkType, append([]byte(nil), pk.Data...), pk.OrigLen})
				}
				r.Close()
			}
		}
		if len(benchMix) == 0 {
			for _, c := range allCases() {
				benchMix = append(benchMix, benchPacket{c.link, c.data, uint32(len(c.data))})
			}
		}
	})
	return benchMix
}

var benchSink uint64

// BenchmarkDecode: one op is one packet of the mix; bytes/s counts captured bytes.
func BenchmarkDecode(b *testing.B) {
	m := benchPackets(b)
	total := 0
	for _, p := range m {
		total += len(p.data)
	}
	b.SetBytes(int64(total / len(m)))
	b.ReportAllocs()
	var p Packet
	var s uint64
	i := 0
	for b.Loop() {
		pk := &m[i]
		if i++; i == len(m) {
			i = 0
		}
		Decode(&p, pk.link, pk.data, pk.origLen)
		s += uint64(p.SrcPort) + uint64(p.PayloadLen)
	}
	benchSink = s
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/packet")
}

// BenchmarkDecodeTCP decodes one Ethernet/IPv4/TCP packet with options over and over: the
// floor of the per-packet cost.
func BenchmarkDecodeTCP(b *testing.B) {
	data := cat(eth(EtherTypeIPv4), ipTCP(tcpSyn))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var p Packet
	for b.Loop() {
		Decode(&p, pcapng.LinkTypeEthernet, data, uint32(len(data)))
	}
	benchSink = uint64(p.MSS)
}
