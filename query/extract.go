package query

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pcapdex/pcapdex/pcapng"
)

// ExtractOptions configure Extract.
type ExtractOptions struct {
	Pcapng   bool   // write pcapng (else classic pcap with nanosecond timestamps)
	Annotate bool   // pcapng only: a comment on each packet saying why it matched
	Filter   string // the filter text, quoted in annotations
	NoMmap   bool   // read captures with plain reads
	// Open opens capture file i of the store (nil: pcapng.Open of Store.Files()[i]).
	Open func(i int) (*pcapng.Reader, error)
}

// ExtractStats count what Extract wrote.
type ExtractStats struct{ Packets, Bytes int64 }

// Extract writes the selected packets to w in capture order, read back from the captures
// by byte offset: bytes, original lengths, timestamps and link types as captured. pcapng
// output has one interface per (capture file, interface) met; pcap output needs every
// packet to share one link type. A packet whose record no longer matches the index (time
// or length differ) is an error: the capture changed since it was indexed.
func Extract(st Store, sel Selection, o ExtractOptions, w io.Writer) (ExtractStats, error) {
	var stats ExtractStats
	files := st.Files()
	readers := make([]*pcapng.Reader, len(files))
	defer func() {
		for _, r := range readers {
			if r != nil {
				r.Close()
			}
		}
	}()
	open := o.Open
	if open == nil {
		open = func(i int) (*pcapng.Reader, error) {
			return pcapng.Open(capturePath(st, files[i]), pcapng.Options{NoMmap: o.NoMmap})
		}
	}
	var ng *pcapng.PcapngWriter
	var pc *pcapng.PcapWriter
	var pcLink pcapng.LinkType
	ifaceMap := map[[2]uint32]int{}
	if o.Pcapng {
		var err error
		if ng, err = pcapng.NewPcapngWriter(w, pcapng.PcapngWriterOptions{UserAppl: "pcapdex extract"}); err != nil {
			return stats, err
		}
	}
	need := NeedRecord
	if o.Annotate {
		need = NeedTCP | NeedRecord
	}
	var pkt pcapng.Packet
	var comment []byte
	err := st.Packets(sel.packetRows(), sel.Since, sel.Until, need, func(p *PacketRow) error {
		if !sel.keep(p) {
			return nil
		}
		fi := int(p.File)
		if fi >= len(files) {
			return fmt.Errorf("frame %d names capture file %d of %d", p.Frame, fi, len(files))
		}
		r := readers[fi]
		if r == nil {
			var err error
			if r, err = open(fi); err != nil {
				return err
			}
			readers[fi] = r
		}
		if err := r.ReadPacketAt(p.Off, &pkt); err != nil {
			return fmt.Errorf("frame %d: %w", p.Frame, err)
		}
		if pkt.TS != p.TS || pkt.CapLen != p.CapLen {
			return fmt.Errorf("%s: record at offset %d (frame %d) has time %d and %d bytes, the index says %d and %d: the capture changed since it was indexed",
				files[fi], p.Off, p.Frame, pkt.TS, pkt.CapLen, p.TS, p.CapLen)
		}
		if o.Pcapng {
			k := [2]uint32{uint32(fi), pkt.Iface}
			id, ok := ifaceMap[k]
			if !ok {
				var snap uint32
				var name string
				if ifs := r.Interfaces(); int(pkt.Iface) < len(ifs) {
					snap, name = ifs[pkt.Iface].SnapLen, ifs[pkt.Iface].Name
				}
				var err error
				if id, err = ng.AddInterface(pkt.LinkType, snap, name, 9); err != nil {
					return err
				}
				ifaceMap[k] = id
			}
			comment = comment[:0]
			if o.Annotate {
				comment = appendAnnotation(comment, p, o.Filter)
			}
			if err := ng.WritePacketFlags(id, pkt.TS, pkt.Data, pkt.OrigLen, pkt.Flags, string(comment)); err != nil {
				return err
			}
		} else {
			if pc == nil {
				var err error
				if pc, err = pcapng.NewPcapWriter(w, pkt.LinkType, 0, true); err != nil {
					return err
				}
				pcLink = pkt.LinkType
			} else if pkt.LinkType != pcLink {
				return fmt.Errorf("frame %d has link type %d, earlier packets %d: pcap holds one link type, write pcapng instead", p.Frame, pkt.LinkType, pcLink)
			}
			if err := pc.WritePacket(pkt.TS, pkt.Data, pkt.OrigLen); err != nil {
				return err
			}
		}
		stats.Packets++
		stats.Bytes += int64(pkt.CapLen)
		return nil
	})
	if err != nil {
		return stats, err
	}
	if o.Pcapng {
		return stats, ng.Flush()
	}
	if pc == nil {
		// Nothing matched: an empty capture of the first file's link type (Ethernet if none).
		lt := pcapng.LinkType(1)
		if len(files) > 0 {
			if r, err := open(0); err == nil {
				if r.Next(&pkt) == nil {
					lt = pkt.LinkType
				}
				r.Close()
			}
		}
		var err error
		if pc, err = pcapng.NewPcapWriter(w, lt, 0, true); err != nil {
			return stats, err
		}
	}
	return stats, pc.Flush()
}

// appendAnnotation appends why p matched: its flow and the filter, and its TCP analysis.
func appendAnnotation(dst []byte, p *PacketRow, filter string) []byte {
	dst = append(dst, "pcapdex: "...)
	if p.Flow != 0 {
		dst = append(dst, "flow "...)
		dst = strconv.AppendUint(dst, uint64(p.Flow), 10)
		if p.FromOrig {
			dst = append(dst, " (orig->resp)"...)
		} else {
			dst = append(dst, " (resp->orig)"...)
		}
	} else {
		dst = append(dst, "no flow"...)
	}
	if filter != "" {
		dst = append(dst, " matched \""...)
		dst = append(dst, filter...)
		dst = append(dst, '"')
	}
	if p.Analysis != 0 {
		dst = append(dst, "; tcp analysis: "...)
		dst = AppendAnalysis(dst, p.Analysis)
	}
	return dst
}

// capturePath finds a capture named in an index: as stored (relative paths are relative to
// the directory the index was built from), else beside the index file.
func capturePath(st Store, path string) string {
	if _, err := os.Stat(path); err == nil || filepath.IsAbs(path) {
		return path
	}
	if is, ok := st.(*IndexStore); ok {
		dir := filepath.Dir(is.r.Path())
		for _, alt := range []string{filepath.Join(dir, path), filepath.Join(dir, filepath.Base(path))} {
			if _, err := os.Stat(alt); err == nil {
				return alt
			}
		}
	}
	return path
}
