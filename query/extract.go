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
	// MaxWindow is the largest decompression window a compressed capture may ask for
	// (pcapng.Options.MaxWindow; 0: the default).
	MaxWindow int64
	// Open opens capture file i of the store (nil: pcapng.Open of Store.Files()[i]).
	Open func(i int) (*pcapng.Reader, error)
	// Rewrite, if not nil, returns the bytes to write for each packet (anonymized, or its
	// payload cut: package anon), built in dst, which it may reuse.
	Rewrite func(dst, data []byte, link pcapng.LinkType, origLen uint32) []byte
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
	open := o.Open
	if open == nil {
		open = func(i int) (*pcapng.Reader, error) {
			return pcapng.Open(capturePath(st, files[i]), pcapng.Options{NoMmap: o.NoMmap, MaxWindow: o.MaxWindow})
		}
	}
	recs := newRecords(st, open)
	defer recs.close()
	var ng *pcapng.PcapngWriter
	var pc *pcapng.PcapWriter
	var pcLink pcapng.LinkType
	nsec, snap := true, uint32(0)
	if !o.Pcapng {
		nsec, snap = pcapHeaderFor(len(files), open)
	}
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
	var comment, rewritten []byte
	err := st.Packets(sel.packetRows(), sel.Since, sel.Until, need, func(p *PacketRow) error {
		if !sel.keep(p) {
			return nil
		}
		fi := int(p.File)
		r, err := recs.read(p, &pkt)
		if err != nil {
			return err
		}
		if o.Rewrite != nil {
			rewritten = o.Rewrite(rewritten, pkt.Data, pkt.LinkType, pkt.OrigLen)
			pkt.Data, pkt.CapLen = rewritten, uint32(len(rewritten))
		}
		if o.Pcapng {
			k := [2]uint32{uint32(fi), pkt.Iface}
			id, ok := ifaceMap[k]
			if !ok {
				var snap uint32
				var name string
				resol := uint8(9)
				if ifs := r.Interfaces(); int(pkt.Iface) < len(ifs) {
					snap, name = ifs[pkt.Iface].SnapLen, ifs[pkt.Iface].Name
					if tr := ifs[pkt.Iface].TSResol; tr <= 9 {
						resol = tr // a decimal resolution converts back exactly: keep the input's
					}
				}
				var err error
				if id, err = ng.AddInterface(pkt.LinkType, snap, name, resol); err != nil {
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
				if pc, err = pcapng.NewPcapWriter(w, pkt.LinkType, snap, nsec); err != nil {
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
		if pc, err = pcapng.NewPcapWriter(w, lt, snap, nsec); err != nil {
			return stats, err
		}
	}
	return stats, pc.Flush()
}

// pcapHeaderFor chooses the pcap header of an extract from the n captures open opens: the
// inputs' timestamp resolution and snap length where they all agree (microseconds only
// when no interface is finer; the snap length when every interface has the same), else
// nanoseconds and the default snap length. A capture's interfaces are those known once its
// first packet is read.
func pcapHeaderFor(n int, open func(i int) (*pcapng.Reader, error)) (nsec bool, snap uint32) {
	var pkt pcapng.Packet
	seen := false
	for i := range n {
		r, err := open(i)
		if err != nil {
			return true, 0
		}
		r.Next(&pkt)
		ifs := r.Interfaces()
		r.Close()
		if len(ifs) == 0 {
			return true, 0
		}
		for _, ifc := range ifs {
			if finerThanMicro(ifc.TSResol) {
				nsec = true
			}
			switch {
			case !seen:
				snap, seen = ifc.SnapLen, true
			case snap != ifc.SnapLen:
				snap = 0
			}
		}
	}
	if !seen {
		return true, 0
	}
	return nsec, snap
}

// finerThanMicro reports whether if_tsresol r counts in units below a microsecond.
func finerThanMicro(r uint8) bool {
	if r&0x80 != 0 {
		return r&0x7f > 19 // 2^-20 s < 1 µs
	}
	return r > 6
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

// CapturePath returns where capture file i of st is read from: for an index, a file of
// the capture's name beside the index first (an index copied or moved with its captures
// reads the copies, not the originals it was built from), else the path as stored
// (relative paths relative to the current directory).
func CapturePath(st Store, i int) string {
	files := st.Files()
	if i < 0 || i >= len(files) {
		return ""
	}
	return capturePath(st, files[i])
}

func capturePath(st Store, path string) string {
	if is, ok := st.(*IndexStore); ok && path != "-" {
		dir := filepath.Dir(is.r.Path())
		if alt := filepath.Join(dir, filepath.Base(path)); alt != filepath.Clean(path) {
			if st, err := os.Stat(alt); err == nil && st.Mode().IsRegular() {
				return alt
			}
		}
		if !filepath.IsAbs(path) {
			if _, err := os.Stat(path); err != nil {
				if alt := filepath.Join(dir, path); fileExists(alt) {
					return alt
				}
			}
		}
	}
	return path
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
