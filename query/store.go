package query

import (
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
)

// Store is what the query commands read: the flows, packets and TCP events of one capture
// set. IndexStore answers from an index file; StreamStore from one pass over the captures
// held in memory (--no-index). Both number flows the same way (flow id = row + 1, in order
// of first packet) and frames the same way (1-based over the whole set, in capture order),
// so every command prints the same rows from either.
//
// A Store is also the Source a Plan evaluates against. It is not safe for concurrent use,
// and the callbacks of Flows, Packets and Events must not call back into it (an index
// store reads every table through the same reused buffers).
type Store interface {
	Source
	// NumFlows returns the number of flows; NumPackets the number of packets.
	NumFlows() int
	NumPackets() int64
	// Files returns the capture paths of the set, in order (PacketRow.File indexes it).
	Files() []string
	// Span returns the times of the first and last packets (Unix ns; min and max over the
	// set, so a capture whose clock steps back still has first <= last).
	Span() (first, last int64)
	// Window returns the flows active at some time in [since, until].
	Window(since, until int64) (*roaring.Bitmap, error)
	// FlowTimes returns the first and last packet times of every flow, by row. The slices
	// are owned by the Store.
	FlowTimes() (start, end []int64, err error)
	// Flows calls fn for the flows of rows (nil: all) in id order, with at least the fields
	// need names filled (a stream store fills all). f is reused between calls.
	Flows(rows *roaring.Bitmap, need FlowNeed, fn func(f *flowhash.Flow) error) error
	// Packets calls fn for every packet of the flows in rows whose time is in [since, until],
	// in capture order; rows nil means every packet, with or without a flow. need says which
	// fields fn reads: an index reads only the columns needed and only the blocks holding the
	// flows and overlapping the window. p is reused.
	Packets(rows *roaring.Bitmap, since, until int64, need Need, fn func(p *PacketRow) error) error
	// OpenAt returns, for each instant of ts (Unix ns), the number of flows open then: first
	// packet at or before it, last at or after it. An index reads only the flows blocks that
	// can hold such flows.
	OpenAt(ts []int64) ([]int, error)
	// Events calls fn for the TCP analysis events of the flows in rows (nil: all) whose type
	// is in types (nil: any), in frame order. e is reused.
	Events(rows *roaring.Bitmap, types []flowhash.EventType, fn func(e *flowhash.Event) error) error
	// Close releases what the Store holds (not the index Reader it was given).
	Close() error
}

// Need says which PacketRow fields a Packets caller reads. Frame, TS, CapLen, OrigLen and
// (with a selection of flows) Flow are always filled.
type Need uint8

const (
	NeedBasic  Need = 0
	NeedTCP    Need = 1 << iota // FromOrig, Flags, Seq, Ack, Win, PLen, Analysis, Flow
	NeedRecord                  // File and Off (to read the packet back), Flow
)

// PacketRow is one packet as the commands see it.
type PacketRow struct {
	Frame    int64  // 1-based ordinal over the capture set
	File     uint16 // index into Store.Files
	Off      int64  // byte offset of the record in its (decompressed) file
	TS       int64  // Unix ns
	CapLen   uint32 // captured bytes
	OrigLen  uint32 // bytes on the wire (frame.len)
	Flow     uint32 // flow id (row + 1), 0 for packets without IP
	FromOrig bool   // sent by the flow's originator
	Flags    uint16 // TCP flags (fastparse bits), 0 for other packets
	Seq, Ack uint32 // relative sequence and acknowledgement numbers (TCP)
	Win      uint32 // receive window, scaled when both SYNs carried a window scale
	PLen     uint32 // transport payload length
	Analysis uint32 // bit 1 << flowhash.EventType for each event on the packet
}

// matcher answers "is flow row r selected" for a bitmap, with a dense table when the
// bitmap is not tiny (roaring Contains per packet costs more than a byte load).
type matcher struct {
	all   bool
	dense []bool
}

func newMatcher(rows *roaring.Bitmap, nflows int) matcher {
	if rows == nil {
		return matcher{all: true}
	}
	m := matcher{dense: make([]bool, nflows)}
	it := rows.Iterator()
	for it.HasNext() {
		if r := it.Next(); int(r) < nflows {
			m.dense[r] = true
		}
	}
	return m
}

// flow reports whether flow id (row + 1; 0: none) is selected.
func (m *matcher) flow(id uint32) bool {
	if m.all {
		return true
	}
	return id != 0 && int(id-1) < len(m.dense) && m.dense[id-1]
}
