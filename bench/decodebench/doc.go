// Package decodebench measures fastparse.Decode against gopacket's DecodingLayerParser
// (Ethernet, Dot1Q, IPv4, IPv6, TCP, UDP) on the same packets, in the same run, and checks
// that both decoders agree on what they both decode.
//
// The packets are a realistic mix loaded once into memory from corpus captures
// (example.pcap, many-protocols.pcap, gnutella.pcap: Ethernet, IPv4 and IPv6, VLAN and QinQ
// tags, TCP, UDP, ICMP, fragments). Run:
//
//	cd bench && go test -run XXX -bench . -benchmem ./decodebench/
//
// One op is one packet. Each benchmark reports ns/packet (wall clock) and, on Linux,
// cpu-ns/packet (the thread's CPU time: on a shared machine it leaves out the time spent
// waiting for a core). Sub-benchmark "cold" decodes packets nobody has touched since the last
// pass over the ~8 MB mix; "warm" first reads the packet's 16-byte record header, as a reader
// does just before it hands the packet over, so the packet's first cache line is loaded.
package decodebench

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/pcapdex/pcapdex/pcapng"
)

// recordHeaderLen is the gap left before each packet in the mix buffer: a pcap record header.
const recordHeaderLen = 16

// MixFiles are the corpus captures whose packets make up the mix.
var MixFiles = []string{"example.pcap", "many-protocols.pcap", "gnutella.pcap"}

// Packet is one packet of the mix, copied out of its capture.
type Packet struct {
	Link    pcapng.LinkType
	Data    []byte
	OrigLen uint32
	Rec     []byte // the 16 bytes before Data, where a pcap file has the record header
}

// FindCorpus returns ../shared/corpus beside the first ancestor of the working directory
// that has one, or $PCAPDEX_CORPUS.
func FindCorpus() (string, error) {
	if d := os.Getenv("PCAPDEX_CORPUS"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		c := filepath.Join(dir, "..", "shared", "corpus")
		if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err == nil {
			return c, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("../shared/corpus not found above the working directory (set PCAPDEX_CORPUS)")
		}
		dir = parent
	}
}

// LoadMix reads every packet of the named captures in dir into memory. The packets are laid
// out one after another in a single buffer, 16 bytes apart as in a pcap file, so a pass over
// the mix walks memory the way a reader walks a mapped capture.
func LoadMix(dir string, files []string) ([]Packet, error) {
	var out []Packet
	var arena []byte
	for _, name := range files {
		r, err := pcapng.Open(filepath.Join(dir, name), pcapng.Options{})
		if err != nil {
			return nil, err
		}
		var p pcapng.Packet
		for {
			err := r.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				r.Close()
				return nil, err
			}
			arena = append(arena, make([]byte, recordHeaderLen)...)
			arena = append(arena, p.Data...)
			out = append(out, Packet{Link: p.LinkType, Data: p.Data[:len(p.Data):len(p.Data)], OrigLen: p.OrigLen})
		}
		r.Close()
	}
	// Data above still points into the readers' (closed) buffers, for its length only:
	// slice every packet out of the final arena, which may have moved while growing.
	off := 0
	for i := range out {
		out[i].Rec = arena[off : off+recordHeaderLen : off+recordHeaderLen]
		off += recordHeaderLen
		n := len(out[i].Data)
		out[i].Data = arena[off : off+n : off+n]
		off += n
	}
	return out, nil
}
