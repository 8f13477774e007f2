package synth

import (
	"fmt"
	"io"

	"github.com/pcapdex/pcapdex/pcapng"
)

// Sink receives Ethernet frames in timestamp order (nanoseconds since the epoch).
// The frame is only valid during the call.
type Sink interface {
	WritePacket(ts int64, frame []byte) error
}

// Run writes every frame of g to s and returns the totals. Flow truth goes to Config.OnFlow.
func Run(g *Generator, s Sink) (Totals, error) {
	for {
		ts, frame, ok := g.Next()
		if !ok {
			break
		}
		if err := s.WritePacket(ts, frame); err != nil {
			return g.Totals(), err
		}
	}
	return g.Totals(), g.Err()
}

// FileSink writes frames as a pcap or pcapng file with pcapdex's writers. Timestamps are
// whole microseconds, so both formats use microsecond resolution and hold the same packets.
type FileSink struct {
	pcap *pcapng.PcapWriter
	ng   *pcapng.PcapngWriter
}

// Formats NewFileSink accepts.
const (
	FormatPcap   = "pcap"
	FormatPcapng = "pcapng"
)

// NewFileSink writes the file header for format (FormatPcap or FormatPcapng) to w.
func NewFileSink(w io.Writer, format string) (*FileSink, error) {
	switch format {
	case FormatPcap:
		pw, err := pcapng.NewPcapWriter(w, pcapng.LinkTypeEthernet, 65535, false)
		if err != nil {
			return nil, err
		}
		return &FileSink{pcap: pw}, nil
	case FormatPcapng:
		pw, err := pcapng.NewPcapngWriter(w, pcapng.PcapngWriterOptions{UserAppl: "pcapgen (pcapdex bench/synth)"})
		if err != nil {
			return nil, err
		}
		if _, err := pw.AddInterface(pcapng.LinkTypeEthernet, 65535, "synth0", 6); err != nil {
			return nil, err
		}
		return &FileSink{ng: pw}, nil
	}
	return nil, fmt.Errorf("synth: unknown format %q (want pcap or pcapng)", format)
}

// WritePacket writes one frame.
func (s *FileSink) WritePacket(ts int64, frame []byte) error {
	if s.pcap != nil {
		return s.pcap.WritePacket(ts, frame, uint32(len(frame)))
	}
	return s.ng.WritePacket(0, ts, frame, uint32(len(frame)), "")
}

// Flush writes what is buffered.
func (s *FileSink) Flush() error {
	if s.pcap != nil {
		return s.pcap.Flush()
	}
	return s.ng.Flush()
}
