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
// Each benchmark reports ns/packet; BenchmarkDecode's b.N counts passes over the mix.
package decodebench

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/pcapdex/pcapdex/pcapng"
)

// MixFiles are the corpus captures whose packets make up the mix.
var MixFiles = []string{"example.pcap", "many-protocols.pcap", "gnutella.pcap"}

// Packet is one packet of the mix, copied out of its capture.
type Packet struct {
	Link    pcapng.LinkType
	Data    []byte
	OrigLen uint32
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

// LoadMix reads every packet of the named captures in dir into memory.
func LoadMix(dir string, files []string) ([]Packet, error) {
	var out []Packet
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
			out = append(out, Packet{Link: p.LinkType, Data: append([]byte(nil), p.Data...), OrigLen: p.OrigLen})
		}
		r.Close()
	}
	return out, nil
}
