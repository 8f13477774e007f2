package streams

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/pcapdex/pcapdex/query"
)

// Input says where the packets come from: a Store (an index or one pass over the
// captures), read back from the captures by byte offset.
type Input struct {
	Store  query.Store
	NoMmap bool // read the captures with plain reads
	// Open opens capture file i of the store (nil: pcapng.Open of Store.Files()[i], found
	// beside the index when the stored path does not exist).
	Open func(i int) (*pcapng.Reader, error)
}

// flowLite is what streams keeps of a flow record (a flowhash.Flow is 300 bytes).
type flowLite struct {
	ID     uint64
	Key    flowhash.Key
	Orig   flowhash.Dir
	HasL4  bool
	LastTS int64
}

// AppendCommunityID appends the flow's Community ID (TCP and UDP flows only).
func (f *flowLite) AppendCommunityID(dst []byte) []byte {
	g := flowhash.Flow{Key: f.Key, Orig: f.Orig}
	return g.AppendCommunityID(dst)
}

// flowInfo is what the packet loop needs of a selected flow.
type flowInfo struct {
	f    flowLite
	left uint64 // packets not yet seen (the flow ends when it reaches 0)
	done bool   // finished: its files are closed
}

// flowNeed are the flows-table columns streams reads.
var flowNeed = query.NeedFlowColumns("ts", "ts_end", "first_frame", "proto", "ipver", "orig_h", "orig_p",
	"resp_h", "resp_p", "orig_pkts", "resp_pkts", "icmp_type", "icmp_code", "has_l4")

// selectFlows returns the flows of rows (nil: all) whose protocol keep accepts, by id,
// and their rows as a bitmap.
func selectFlows(st query.Store, rows *roaring.Bitmap, keep func(f *flowhash.Flow) bool) (map[uint32]*flowInfo, *roaring.Bitmap, error) {
	flows := map[uint32]*flowInfo{}
	bm := roaring.New()
	err := st.Flows(rows, flowNeed, func(f *flowhash.Flow) error {
		if !keep(f) {
			return nil
		}
		id := uint32(f.ID)
		flows[id] = &flowInfo{left: f.OrigPkts + f.RespPkts,
			f: flowLite{ID: f.ID, Key: f.Key, Orig: f.Orig, HasL4: f.HasL4, LastTS: f.LastTS}}
		bm.Add(id - 1)
		return nil
	})
	return flows, bm, err
}

// walker reads the packets of selected flows back from the captures and decodes them.
type walker struct {
	in      Input
	files   []string
	readers []*pcapng.Reader
	pkt     pcapng.Packet
	dec     fastparse.Packet
}

func newWalker(in Input) *walker {
	files := in.Store.Files()
	return &walker{in: in, files: files, readers: make([]*pcapng.Reader, len(files))}
}

func (w *walker) close() {
	for _, r := range w.readers {
		if r != nil {
			r.Close()
		}
	}
}

// run calls fn for every packet of the flows in rows in [since, until], in capture order,
// with the record and its decoding (valid during the call).
func (w *walker) run(rows *roaring.Bitmap, since, until int64, fn func(p *query.PacketRow, pkt *pcapng.Packet, dec *fastparse.Packet) error) error {
	return w.in.Store.Packets(rows, since, until, query.NeedRecord, func(p *query.PacketRow) error {
		if p.TS < since || p.TS > until {
			return nil
		}
		fi := int(p.File)
		if fi >= len(w.files) {
			return fmt.Errorf("frame %d names capture file %d of %d", p.Frame, fi, len(w.files))
		}
		r := w.readers[fi]
		if r == nil {
			var err error
			if r, err = w.open(fi); err != nil {
				return err
			}
			w.readers[fi] = r
		}
		if err := r.ReadPacketAt(p.Off, &w.pkt); err != nil {
			return fmt.Errorf("frame %d: %w", p.Frame, err)
		}
		if w.pkt.TS != p.TS || w.pkt.CapLen != p.CapLen {
			return fmt.Errorf("%s: record at offset %d (frame %d) has time %d and %d bytes, the index says %d and %d: the capture changed since it was indexed",
				w.files[fi], p.Off, p.Frame, w.pkt.TS, w.pkt.CapLen, p.TS, p.CapLen)
		}
		fastparse.DecodeFCS(&w.dec, w.pkt.LinkType, w.pkt.Data, w.pkt.OrigLen, int(w.pkt.FCSLen))
		return fn(p, &w.pkt, &w.dec)
	})
}

func (w *walker) open(i int) (*pcapng.Reader, error) {
	if w.in.Open != nil {
		return w.in.Open(i)
	}
	return pcapng.Open(capturePath(w.in.Store, w.files[i]), pcapng.Options{NoMmap: w.in.NoMmap})
}

// capturePath finds a capture named in an index: as stored (relative paths are relative to
// the directory the index was built from), else beside the index file.
func capturePath(st query.Store, path string) string {
	if _, err := os.Stat(path); err == nil || filepath.IsAbs(path) {
		return path
	}
	if is, ok := st.(*query.IndexStore); ok {
		dir := filepath.Dir(is.Reader().Path())
		for _, alt := range []string{filepath.Join(dir, path), filepath.Join(dir, filepath.Base(path))} {
			if _, err := os.Stat(alt); err == nil {
				return alt
			}
		}
	}
	return path
}

// payload returns the captured transport payload of a decoded packet and its length on
// the wire (from the IP length).
func payload(dec *fastparse.Packet, data []byte) ([]byte, uint32) {
	wire := dec.PayloadLen
	off := int(dec.PayloadOff)
	if off > len(data) {
		return nil, wire
	}
	d := data[off:]
	if uint32(len(d)) > wire {
		d = d[:wire]
	}
	return d, wire
}

// dirOf returns the direction of a decoded packet in flow f's key: DirAB when it comes
// from endpoint A.
func dirOf(f *flowLite, dec *fastparse.Packet) flowhash.Dir {
	if dec.SrcIP == f.Key.A && dec.SrcPort == f.Key.PortA {
		return flowhash.DirAB
	}
	return flowhash.DirBA
}
