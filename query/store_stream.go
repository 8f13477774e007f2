package query

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/pcapng"
)

// StreamStore is a Store built by one pass over the captures, without an index. It always
// holds the flow tracker's result (memory in proportion to flows); per-packet rows and the
// TCP events only when its StreamKeep asks for them, since they grow with the capture: a
// full PacketRow is 72 bytes a packet, 280 MB for the 3.9 million packets of a 2 GB capture.
// It computes per-packet facts on its own (relative seq/ack, scaled window, direction, flow
// ids from the tracker), so comparing it with an IndexStore checks the index end to end.
type StreamStore struct {
	*FlowSet
	keep       StreamKeep
	files      []string
	flows      []flowhash.Flow
	ff         []FlowFields
	pkts       chunks[PacketRow] // keep.Packets and Need beyond NeedBasic
	basic      chunks[basicRow]  // keep.Packets with NeedBasic: frame = position + 1
	npkts      int64
	events     []flowhash.Event
	first      int64
	last       int64
	start, end []int64

	// Warnings are problems met while reading (a capture that ended early, packets of a link
	// type the decoder does not know), one line each.
	Warnings []string
	// Undecoded counts the packets of link types the decoder does not know, of the Read packets.
	Undecoded, Read uint64
}

// StreamKeep says what a StreamStore holds besides the flows, which it always holds (filters
// select flows, so every filter is answered from them).
type StreamKeep struct {
	// Packets keeps per-packet data for Store.Packets; Need is the fields its callers read.
	// NeedBasic keeps 24 bytes a packet (time, lengths, flow id); NeedTCP or NeedRecord keep
	// the whole PacketRow. Without Packets, Packets returns ErrNotKept.
	Packets bool
	Need    Need
	// Events keeps the TCP analysis events for Store.Events (ErrNotKept without it).
	Events bool
}

// StreamKeepAll keeps everything any command reads.
var StreamKeepAll = StreamKeep{Packets: true, Need: NeedTCP | NeedRecord, Events: true}

// What the query commands read from a store, for StreamKeep: Flows and Top read flows
// only (Flows, Window, FlowTimes); Events and Concurrent also events (Events, OpenAt);
// Timeline, Gaps and Sizes packet times and lengths (Packets with NeedBasic); Packets the
// TCP fields (NeedTCP); Extract everything (StreamKeepAll). Filters select flows and never
// read packets, so what a store must keep does not depend on the filter.
var (
	KeepFlows       = StreamKeep{}
	KeepEvents      = StreamKeep{Events: true}
	KeepPacketTimes = StreamKeep{Packets: true, Need: NeedBasic}
	KeepPackets     = StreamKeep{Packets: true, Need: NeedTCP}
)

// ErrNotKept is returned by a StreamStore asked for packets, packet fields or events it
// was built without (see StreamKeep).
var ErrNotKept = errors.New("stream store: not kept")

// basicRow is a packet as NeedBasic callers read it.
type basicRow struct {
	TS              int64
	CapLen, OrigLen uint32
	Flow            uint32
}

// streamChunk is the number of rows per chunk of StreamStore.pkts and basic.
const streamChunk = 1 << 16

// chunks is a sequence of rows in fixed chunks of streamChunk: growing never copies.
type chunks[T any] struct {
	c [][]T
}

// add returns a pointer to a new zero row at the end.
func (c *chunks[T]) add() *T {
	n := len(c.c)
	if n == 0 || len(c.c[n-1]) == streamChunk {
		c.c = append(c.c, make([]T, 0, streamChunk))
		n++
	}
	last := &c.c[n-1]
	*last = append(*last, *new(T))
	return &(*last)[len(*last)-1]
}

// bytes returns the memory the chunks hold.
func (c *chunks[T]) bytes() int64 {
	var t T
	return int64(len(c.c)) * streamChunk * int64(unsafe.Sizeof(t))
}

// streamKey is the per-5-tuple state: relative sequence numbers and window scaling
// (flowhash.RelSeq, the rule the index uses too) and the VLAN of the key's first packet.
type streamKey struct {
	rel  flowhash.RelSeq
	vlan int
}

// NewStreamStore reads the captures at paths (one capture set, in order), keeping
// everything (StreamKeepAll). A capture that cannot be opened is an error; one that ends
// early (truncated, corrupt tail) keeps the packets read and adds a warning.
func NewStreamStore(paths []string, noMmap bool) (*StreamStore, error) {
	return NewStreamStoreOptions(paths, noMmap, flowhash.Options{}, StreamKeepAll)
}

// NewStreamStoreOptions is NewStreamStore with flow tracking options (opt.Events is
// keep.Events) and keeping what keep says. It runs flowhash's sharded pipeline
// (opt.Workers; 0 is GOMAXPROCS), so decoding and flow tracking use every core while one
// goroutine turns each batch, in capture order, into packet rows. Results equal an
// index's only for the options the index was built with (the defaults); they are the same
// for any number of workers and whatever keep says.
func NewStreamStoreOptions(paths []string, noMmap bool, opt flowhash.Options, keep StreamKeep) (*StreamStore, error) {
	s := &StreamStore{keep: keep, files: paths, first: math.MaxInt64, last: math.MinInt64}
	opt.Events = keep.Events
	full := keep.Packets && keep.Need&^NeedBasic != 0 // whole PacketRows
	basic := keep.Packets && !full
	var keys []streamKey // by flow key id - 1 (the pipeline numbers keys in order of first packet)
	var flowKey []uint32 // flow id - 1 -> key id
	var flags []uint16   // flow id - 1 -> TCP flags of its packets, ORed
	fi := 0
	pl := flowhash.NewPipeline(opt, flowhash.BatchFunc(func(b *flowhash.Batch) error {
		for i := range b.Packets {
			p, in := &b.Packets[i], &b.Info[i]
			s.first, s.last = min(s.first, p.TS), max(s.last, p.TS)
			s.npkts++
			origLen := max(p.OrigLen, p.CapLen)
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
				if in.Proto == fastparse.ProtoTCP && in.HasL4 {
					flags[in.Flow-1] |= in.TCPFlags
				}
			}
			switch {
			case basic:
				row := s.basic.add()
				*row = basicRow{TS: p.TS, CapLen: p.CapLen, OrigLen: origLen}
				if in.IP {
					row.Flow = in.Flow
				}
			case full:
				row := s.pkts.add()
				*row = PacketRow{Frame: int64(b.Frame) + int64(i), File: uint16(fi), Off: p.Offset, TS: p.TS,
					CapLen: p.CapLen, OrigLen: origLen}
				if in.IP {
					row.Flow = in.Flow
					row.FromOrig = in.FromOrig
					row.PLen = in.PayloadLen
					row.Analysis = in.Events
					if in.Proto == fastparse.ProtoTCP && in.HasL4 {
						row.Flags = in.TCPFlags
						row.Seq, row.Ack, row.Win = keys[in.Key-1].rel.Next(&in.Segment, int(in.Dir))
					}
				}
			}
		}
		return nil
	}))
	var linkTypes []pcapng.LinkType
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
			// The reader's words, as the index keeps them: file, offset and what was cut.
			if ws := r.Warnings(); len(ws) > 0 {
				s.Warnings = append(s.Warnings, ws...)
			} else {
				s.Warnings = append(s.Warnings, fmt.Sprintf("%s: capture ends in a cut record", path))
			}
		}
		for _, ifc := range r.Interfaces() {
			if !slices.Contains(linkTypes, ifc.LinkType) {
				linkTypes = append(linkTypes, ifc.LinkType)
			}
		}
		r.Close()
	}
	if s.first > s.last {
		s.first, s.last = 0, 0
	}
	res := pl.Result()
	s.Read, s.Undecoded = res.Packets, res.DecodeStatus[fastparse.UnknownLink]
	if res.EventsDropped > 0 {
		s.Warnings = append(s.Warnings, index.EventsDroppedWarning(res.EventsDropped))
	}
	if s.Undecoded > 0 {
		name := paths[0]
		if len(paths) > 1 {
			name = fmt.Sprintf("%s (and %d more)", paths[0], len(paths)-1)
		}
		s.Warnings = append(s.Warnings, index.UndecodedWarning(name, s.Undecoded, linkTypes))
	}
	s.flows, s.events = res.Flows, res.Events
	// Filter fields: TCP flags as the index keeps them (OR over the flow's packets), VLAN of
	// the key's first packet.
	s.ff = make([]FlowFields, len(s.flows))
	for i := range s.flows {
		s.ff[i].SetFlow(&s.flows[i])
		if i < len(flowKey) {
			s.ff[i].Flags = filter.TCPFlag(flags[i]) & (filter.FlagFIN | filter.FlagSYN | filter.FlagRST)
			s.ff[i].VLAN = keys[flowKey[i]-1].vlan
		}
	}
	s.FlowSet = NewFlowSet(s.ff, 0)
	return s, nil
}

// Keep returns what the store was built to keep.
func (s *StreamStore) Keep() StreamKeep { return s.keep }

// RowBytes returns the memory the store holds in per-packet rows (0 without keep.Packets).
func (s *StreamStore) RowBytes() int64 { return s.pkts.bytes() + s.basic.bytes() }

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
	if !s.keep.Packets || need&^s.keep.Need != 0 {
		return fmt.Errorf("%w: packets with fields %#x (kept: %+v)", ErrNotKept, need, s.keep)
	}
	m := newMatcher(rows, len(s.flows))
	var p PacketRow
	if s.basic.c != nil {
		frame := int64(0)
		for _, chunk := range s.basic.c {
			for i := range chunk {
				q := &chunk[i]
				frame++
				if !m.flow(q.Flow) && rows != nil || q.TS < since || q.TS > until {
					continue
				}
				p = PacketRow{Frame: frame, TS: q.TS, CapLen: q.CapLen, OrigLen: q.OrigLen}
				if rows != nil {
					p.Flow = q.Flow
				}
				if err := fn(&p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, chunk := range s.pkts.c {
		for i := range chunk {
			q := &chunk[i]
			if !m.flow(q.Flow) && rows != nil || q.TS < since || q.TS > until {
				continue
			}
			p = *q
			if need&NeedTCP == 0 {
				p.FromOrig, p.Flags, p.Seq, p.Ack, p.Win, p.PLen, p.Analysis = false, 0, 0, 0, 0, 0, 0
				if rows == nil && need&NeedRecord == 0 {
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
	if !s.keep.Events {
		return fmt.Errorf("%w: events (kept: %+v)", ErrNotKept, s.keep)
	}
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
