package query

import (
	"fmt"
	"math"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// StreamStore is a Store built by one pass over the captures, without an index: the flow
// tracker's result plus one PacketRow per packet, in memory (about 64 bytes a packet). It
// computes per-packet facts on its own (relative seq/ack, scaled window, direction, flow
// ids from the tracker), so comparing it with an IndexStore checks the index end to end.
type StreamStore struct {
	*FlowSet
	files      []string
	flows      []flowhash.Flow
	ff         []FlowFields
	pkts       [][]PacketRow // in chunks of streamChunk rows: growing never copies
	npkts      int64
	events     []flowhash.Event
	first      int64
	last       int64
	start, end []int64

	// Warnings are problems met while reading (a capture that ended early), one line each.
	Warnings []string
}

// streamChunk is the number of packet rows per chunk of StreamStore.pkts.
const streamChunk = 1 << 16

// streamKey is the per-5-tuple state: relative sequence numbers and window scaling
// (flowhash.RelSeq, the rule the index uses too) and the VLAN of the key's first packet.
type streamKey struct {
	rel  flowhash.RelSeq
	vlan int
}

// NewStreamStore reads the captures at paths (one capture set, in order). A capture that
// cannot be opened is an error; one that ends early (truncated, corrupt tail) keeps the
// packets read and adds a warning.
func NewStreamStore(paths []string, noMmap bool) (*StreamStore, error) {
	return NewStreamStoreOptions(paths, noMmap, flowhash.Options{})
}

// NewStreamStoreOptions is NewStreamStore with flow tracking options (events are always on).
// It runs flowhash's sharded pipeline (opt.Workers; 0 is GOMAXPROCS), so decoding and flow
// tracking use every core while one goroutine turns each batch, in capture order, into
// packet rows. Results equal an index's only for the options the index was built with (the
// defaults); they are the same for any number of workers.
func NewStreamStoreOptions(paths []string, noMmap bool, opt flowhash.Options) (*StreamStore, error) {
	s := &StreamStore{files: paths, first: math.MaxInt64, last: math.MinInt64}
	opt.Events = true
	var keys []streamKey // by flow key id - 1 (the pipeline numbers keys in order of first packet)
	var flowKey []uint32 // flow id - 1 -> key id
	var flags []uint16   // flow id - 1 -> TCP flags of its packets, ORed
	fi := 0
	pl := flowhash.NewPipeline(opt, func(b *flowhash.Batch) error {
		for i := range b.Packets {
			p, in := &b.Packets[i], &b.Info[i]
			row := PacketRow{Frame: int64(b.Frame) + int64(i), File: uint16(fi), Off: p.Offset, TS: p.TS,
				CapLen: p.CapLen, OrigLen: max(p.OrigLen, p.CapLen)}
			s.first, s.last = min(s.first, p.TS), max(s.last, p.TS)
			if in.IP {
				for int(in.Key) > len(keys) {
					vlan := -1
					if in.VLAN != 0xffff {
						vlan = int(in.VLAN)
					}
					keys = append(keys, streamKey{rel: flowhash.NewRelSeq(), vlan: vlan})
				}
				for int(in.Flow) > len(flowKey) {
					flowKey = append(flowKey, in.Key)
					flags = append(flags, 0)
				}
				ks := &keys[in.Key-1]
				row.Flow = in.Flow
				row.FromOrig = in.FromOrig
				row.PLen = in.PayloadLen
				row.Analysis = in.Events
				if in.Proto == flowhash.ProtoTCP && in.HasL4 {
					row.Flags = in.TCPFlags
					row.Seq, row.Ack, row.Win = ks.rel.Next(&in.Segment, int(in.Dir))
					flags[in.Flow-1] |= in.TCPFlags
				}
			}
			if n := len(s.pkts); n == 0 || len(s.pkts[n-1]) == streamChunk {
				s.pkts = append(s.pkts, make([]PacketRow, 0, streamChunk))
			}
			last := &s.pkts[len(s.pkts)-1]
			*last = append(*last, row)
			s.npkts++
		}
		return nil
	})
	for n, path := range paths {
		fi = n
		r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
		if err != nil {
			return nil, err
		}
		if err := pl.Run(r); err != nil {
			s.Warnings = append(s.Warnings, err.Error())
		}
		if r.Truncated() {
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: capture ends in a cut record", path))
		}
		r.Close()
	}
	if s.first > s.last {
		s.first, s.last = 0, 0
	}
	res := pl.Result()
	s.flows, s.events = res.Flows, res.Events
	// Filter fields: TCP flags as the index keeps them (OR over the flow's packets), VLAN of
	// the key's first packet.
	s.ff = make([]FlowFields, len(s.flows))
	for i := range s.flows {
		s.ff[i].SetFlow(&s.flows[i])
		if i < len(flowKey) {
			s.ff[i].Flags = TCPFlag(flags[i]) & (FlagFIN | FlagSYN | FlagRST)
			s.ff[i].VLAN = keys[flowKey[i]-1].vlan
		}
	}
	s.FlowSet = NewFlowSet(s.ff, 0)
	return s, nil
}

func (s *StreamStore) NumFlows() int             { return len(s.flows) }
func (s *StreamStore) NumPackets() int64         { return s.npkts }
func (s *StreamStore) Files() []string           { return s.files }
func (s *StreamStore) Span() (int64, int64)      { return s.first, s.last }
func (s *StreamStore) Close() error              { return nil }
func (s *StreamStore) Result() []flowhash.Flow   { return s.flows }
func (s *StreamStore) FlowRecords() []FlowFields { return s.ff }

func (s *StreamStore) Window(since, until int64) (*roaring.Bitmap, error) {
	out := roaring.New()
	for i := range s.ff {
		if s.ff[i].Overlaps(since, until) {
			out.Add(uint32(i))
		}
	}
	return out, nil
}

func (s *StreamStore) FlowTimes() ([]int64, []int64, error) {
	if s.start == nil {
		s.start, s.end = make([]int64, len(s.flows)), make([]int64, len(s.flows))
		for i := range s.flows {
			s.start[i], s.end[i] = s.flows[i].FirstTS, s.flows[i].LastTS
		}
	}
	return s.start, s.end, nil
}

func (s *StreamStore) Flows(rows *roaring.Bitmap, _ FlowNeed, fn func(f *flowhash.Flow) error) error {
	var f flowhash.Flow
	for i := range s.flows {
		if rows != nil && !rows.Contains(uint32(i)) {
			continue
		}
		f = s.flows[i]
		if err := fn(&f); err != nil {
			return err
		}
	}
	return nil
}

func (s *StreamStore) Packets(rows *roaring.Bitmap, since, until int64, need Need, fn func(p *PacketRow) error) error {
	m := newMatcher(rows, len(s.flows))
	var p PacketRow
	for _, chunk := range s.pkts {
		for i := range chunk {
			q := &chunk[i]
			if !m.flow(q.Flow) && rows != nil || q.TS < since || q.TS > until {
				continue
			}
			p = *q
			if need&NeedTCP == 0 {
				p.FromOrig, p.Flags, p.Seq, p.Ack, p.Win, p.PLen, p.Analysis = false, 0, 0, 0, 0, 0, 0
				if rows == nil {
					p.Flow = 0
				}
			}
			if err := fn(&p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *StreamStore) OpenAt(ts []int64) ([]int, error) {
	start, end, err := s.FlowTimes()
	if err != nil {
		return nil, err
	}
	return openAt(start, end, ts), nil
}

func (s *StreamStore) Events(rows *roaring.Bitmap, types []flowhash.EventType, fn func(e *flowhash.Event) error) error {
	m := newMatcher(rows, len(s.flows))
	want := eventSet(types)
	var e flowhash.Event
	for i := range s.events {
		if !m.flow(uint32(s.events[i].FlowID)) || !want[s.events[i].Type] {
			continue
		}
		e = s.events[i]
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}
