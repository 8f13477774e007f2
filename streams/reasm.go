package streams

import "slices"

// HoleReason says why a Half declared a hole: data it never received.
type HoleReason uint8

const (
	// HoleAcked: the other side acknowledged bytes beyond the hole, so the receiver had
	// them and the capture missed them (Wireshark's "[N bytes missing in capture file]").
	HoleAcked HoleReason = iota + 1
	// HoleTruncated: the capture kept only part of a segment (snaplen).
	HoleTruncated
	// HoleWindow: data waited beyond a gap for more than the out-of-order window.
	HoleWindow
	// HoleEnd: the capture ended with data still waiting beyond a gap.
	HoleEnd
)

func (r HoleReason) String() string {
	switch r {
	case HoleAcked:
		return "acked"
	case HoleTruncated:
		return "truncated"
	case HoleWindow:
		return "window"
	case HoleEnd:
		return "end"
	}
	return "none"
}

// Segment is one TCP segment of a direction, as captured.
type Segment struct {
	Seq   uint32 // sequence number from the header
	SYN   bool   // the SYN flag (its data, if any, starts at Seq+1)
	Len   uint32 // payload length on the wire (from the IP length)
	Data  []byte // captured payload: Len bytes, fewer when the snaplen cut the packet
	Frame int64  // frame number, for the chunks it delivers
	TS    int64  // time (Unix ns)
}

// Chunk is a run of stream bytes a Half delivered in sequence order: data, or a hole.
type Chunk struct {
	Off    int64      // stream offset of the first byte (0: the first byte after the ISN)
	Data   []byte     // the bytes; nil for a hole. Valid until the Half's next call
	Hole   int64      // length of a hole (0 for data)
	Reason HoleReason // why the hole (0 for data)
	Frame  int64      // frame of the segment whose bytes start the chunk (for a hole: the frame that declared it)
	TS     int64
}

// Stats count what a Half saw. Bytes and holes add up to the stream's length.
type Stats struct {
	Segments      int64 // segments pushed (with or without payload)
	Bytes         int64 // data bytes delivered
	Holes         int64 // holes declared
	HoleBytes     int64 // their bytes
	OverlapBytes  int64 // payload bytes received again (retransmissions, overlaps), first copy kept
	Conflicts     int64 // segments with overlapping bytes that differ from the first copy
	ConflictBytes int64 // the differing bytes
	Unchecked     int64 // overlapping bytes older than the history kept, not compared
	BeforeStart   int64 // bytes before the first sequence number seen (dropped)
	KeepAlives    int64 // one-byte segments at next-1 (ignored)
	Overflows     int64 // holes declared because the out-of-order window filled
	OutOfWindow   int64 // bytes of segments beyond the window the receiver had not acknowledged up to (dropped)
}

// Limits of a Half's memory. The window bounds what waits beyond a gap; the history is how
// far back overlapping retransmissions are compared with the first copy.
const (
	DefaultWindow  = 8 << 20
	DefaultHistory = 32 << 10
	MinWindow      = 128 << 10 // more than any one segment (IP length is 16 bits)
	minBuf         = 4 << 10
)

// piece is a run of bytes waiting beyond a gap, all from one segment.
type piece struct {
	off, end int64 // stream offsets [off, end), bytes in buf
	segEnd   int64 // end of the captured bytes of the segment the piece came from
	trunc    int64 // > end: the segment's wire end when the capture cut it here
	frame    int64
	ts       int64
}

// Half reassembles one direction of a TCP connection: segments in capture order in,
// chunks of bytes in sequence order out. The first copy of a byte wins (as Wireshark's
// reassembly keeps it); later copies that differ count as conflicts. Stream offsets are
// 64-bit, so sequence numbers wrap at 2^32 freely. A direction seen without its SYN starts
// at the first sequence number seen. Memory: one buffer holding the bytes waiting beyond a
// gap (at most the window) and the last delivered bytes (at most the history); it grows
// as needed and is kept between calls, so a steady stream allocates nothing.
//
// A Half is not safe for concurrent use. The zero Half is not ready: use Init.
type Half struct {
	window, history int64

	started   bool
	base      uint32 // sequence number of stream offset 0
	next      int64  // offset of the next byte to deliver
	histStart int64  // buf holds the delivered bytes [histStart, next), contiguous
	buf       []byte
	bufOff    int64 // stream offset of buf[0]; bufOff <= histStart
	pieces    []piece
	chunks    []Chunk
	pinned    bool   // chunks of this call point into buf: do not move it
	ack       uint32 // highest acknowledgement the other side sent (when ackSeen)
	ackSeen   bool

	Stats
}

// Init readies h with a window and history (<= 0: the defaults), keeping its buffers.
func (h *Half) Init(window, history int64) {
	if window <= 0 {
		window = DefaultWindow
	}
	window = max(window, MinWindow)
	if history <= 0 {
		history = DefaultHistory
	}
	buf, pieces, chunks := h.buf, h.pieces[:0], h.chunks[:0]
	*h = Half{window: window, history: history, buf: buf, pieces: pieces, chunks: chunks}
}

// Release returns the buffer h holds (to pool it); h needs Init before further use.
func (h *Half) Release() []byte {
	b := h.buf
	h.buf = nil
	return b
}

// Next returns the offset of the next byte to deliver (the stream length so far).
func (h *Half) Next() int64 { return h.next }

// Started reports whether h has seen a segment.
func (h *Half) Started() bool { return h.started }

// SeqAt returns the sequence number of stream offset off.
func (h *Half) SeqAt(off int64) uint32 { return h.base + uint32(off) }

// offsetOf returns the stream offset of seq: the one nearest to next (within 2^31).
func (h *Half) offsetOf(seq uint32) int64 {
	return h.next + int64(int32(seq-h.SeqAt(h.next)))
}

// Push adds a segment and returns the chunks it delivered (valid until the next call).
func (h *Half) Push(s *Segment) []Chunk {
	h.chunks, h.pinned = h.chunks[:0], false
	h.Segments++
	seq := s.Seq
	if s.SYN {
		seq++
	}
	if !h.started {
		h.started, h.base = true, seq
	}
	if s.Len == 0 {
		return nil
	}
	off := h.offsetOf(seq)
	end := off + int64(s.Len)
	data := s.Data
	if int64(len(data)) > int64(s.Len) {
		data = data[:s.Len]
	}
	if s.Len == 1 && off == h.next-1 {
		h.KeepAlives++
		return nil
	}
	if end > h.next+h.window {
		if h.ackSeen && h.offsetOf(h.ack) <= h.next {
			// The receiver has not acknowledged past what is here: it would drop a segment
			// this far outside its window too (a bogus sequence number, another
			// connection's packet). Waiting data and the stream stay as they are.
			h.OutOfWindow += int64(s.Len)
			return nil
		}
		h.overflow(off, s)
	}
	capEnd := off + int64(len(data))
	// Bytes below next were delivered already (or lie before the stream's start).
	if off < h.next {
		a, b := off, min(capEnd, h.next)
		if a < 0 {
			h.BeforeStart += min(b, 0) - a
			a = 0
		}
		if a < b {
			h.OverlapBytes += b - a
			lo := max(a, h.histStart)
			h.Unchecked += lo - a
			if lo < b {
				h.compare(data[lo-off:b-off], h.buf[lo-h.bufOff:b-h.bufOff])
			}
		}
	}
	if capEnd > h.next {
		h.reserve(capEnd)
		h.insert(off, end, capEnd, data, s)
	} else if end > h.next && off <= h.next {
		// Only the part the capture cut reaches past next: a hole at once, up to what waits.
		to := end
		if len(h.pieces) > 0 {
			to = min(to, h.pieces[0].off)
		}
		h.hole(to, HoleTruncated, s.Frame, s.TS)
	}
	h.deliver(s.Frame, s.TS)
	return h.chunks
}

// compare counts the bytes of a that differ from b (same length).
func (h *Half) compare(a, b []byte) {
	if string(a) == string(b) {
		return
	}
	n := int64(0)
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	h.Conflicts++
	h.ConflictBytes += n
}

// insert stores the captured bytes of [off, capEnd) at or beyond next that no earlier
// segment gave, comparing the rest with the first copy.
func (h *Half) insert(off, end, capEnd int64, data []byte, s *Segment) {
	a := max(off, h.next)
	i, _ := slices.BinarySearchFunc(h.pieces, a, func(p piece, x int64) int {
		if p.end <= x {
			return -1
		}
		return 1
	})
	conflict := int64(0)
	overlap := int64(0)
	for a < capEnd {
		if i < len(h.pieces) && h.pieces[i].off <= a {
			// Covered by an earlier copy.
			p := &h.pieces[i]
			b := min(p.end, capEnd)
			overlap += b - a
			x, y := data[a-off:b-off], h.buf[a-h.bufOff:b-h.bufOff]
			if string(x) != string(y) {
				for k := range x {
					if x[k] != y[k] {
						conflict++
					}
				}
			}
			a = b
			i++
			continue
		}
		b := capEnd
		if i < len(h.pieces) {
			b = min(b, h.pieces[i].off)
		}
		copy(h.buf[a-h.bufOff:b-h.bufOff], data[a-off:b-off])
		p := piece{off: a, end: b, segEnd: capEnd, frame: s.Frame, ts: s.TS}
		if b == capEnd && end > capEnd {
			p.trunc = end
		}
		h.pieces = slices.Insert(h.pieces, i, p)
		i++
		a = b
	}
	h.OverlapBytes += overlap
	if conflict > 0 {
		h.Conflicts++
		h.ConflictBytes += conflict
	}
}

// deliver moves next over the pieces that start at it, as chunks: one chunk per segment,
// taking in the pieces of others that lie within that segment's bytes.
func (h *Half) deliver(frame, ts int64) {
	for len(h.pieces) > 0 && h.pieces[0].off == h.next {
		p := h.pieces[0]
		start, segEnd := p.off, p.segEnd
		n := 0
		var trunc int64
		for n < len(h.pieces) && h.pieces[n].off == h.next && (n == 0 || h.pieces[n].off < segEnd) {
			h.next = h.pieces[n].end
			trunc = h.pieces[n].trunc
			n++
			if trunc > h.next {
				break
			}
		}
		h.pieces = slices.Delete(h.pieces, 0, n)
		h.Bytes += h.next - start
		h.pinned = true
		h.chunks = append(h.chunks, Chunk{Off: start, Data: h.buf[start-h.bufOff : h.next-h.bufOff], Frame: p.frame, TS: p.ts})
		if trunc > h.next {
			to := trunc
			if len(h.pieces) > 0 {
				to = min(to, h.pieces[0].off)
			}
			h.hole(to, HoleTruncated, frame, ts)
		}
	}
}

// hole declares [next, to) missing and moves next to it.
func (h *Half) hole(to int64, r HoleReason, frame, ts int64) {
	if to <= h.next {
		return
	}
	h.chunks = append(h.chunks, Chunk{Off: h.next, Hole: to - h.next, Reason: r, Frame: frame, TS: ts})
	h.Holes++
	h.HoleBytes += to - h.next
	h.next = to
	h.histStart = to
	if len(h.pieces) == 0 && !h.pinned {
		h.bufOff = to // nothing waits: the buffer starts afresh at next
	}
}

// overflow declares holes and delivers waiting data until next reaches at least to: a
// segment starting at to did not fit in the window.
func (h *Half) overflow(to int64, s *Segment) {
	h.Overflows++
	for h.next < to {
		if len(h.pieces) > 0 && h.pieces[0].off < to {
			// The whole gap before the first waiting piece is the hole.
			h.hole(h.pieces[0].off, HoleWindow, s.Frame, s.TS)
			h.deliver(s.Frame, s.TS)
			continue
		}
		h.hole(to, HoleWindow, s.Frame, s.TS)
	}
}

// reserve makes buf hold offsets up to end, keeping the waiting pieces and as much
// history as allowed: in place when the live bytes are at most half the buffer (so the
// copying costs at most one byte moved per byte stored), else in a buffer twice as large.
func (h *Half) reserve(end int64) {
	if end-h.bufOff <= int64(len(h.buf)) {
		return
	}
	lo := max(h.histStart, h.next-h.history)
	live := h.next
	if n := len(h.pieces); n > 0 {
		live = h.pieces[n-1].end
	}
	kept := max(live-lo, 0)
	need := end - lo
	if !h.pinned && need <= int64(len(h.buf)) && 2*kept <= int64(len(h.buf)) {
		if kept > 0 {
			copy(h.buf, h.buf[lo-h.bufOff:live-h.bufOff])
		}
	} else {
		size := max(int64(len(h.buf)), minBuf)
		for size < need || size < 2*kept {
			size *= 2
		}
		nb := make([]byte, size)
		if kept > 0 {
			copy(nb, h.buf[lo-h.bufOff:live-h.bufOff])
		}
		h.buf = nb
	}
	h.bufOff = lo
	h.histStart = lo
}

// Ack tells h the other side acknowledged up to ack: data waiting beyond a gap that ack
// passes had its gap received by the other side, so the gap is a hole in the capture.
// Returns the chunks delivered.
func (h *Half) Ack(ack uint32, frame, ts int64) []Chunk {
	h.chunks, h.pinned = h.chunks[:0], false
	if !h.ackSeen || int32(ack-h.ack) > 0 {
		h.ack, h.ackSeen = ack, true
	}
	if !h.started {
		return nil
	}
	for len(h.pieces) > 0 && int32(ack-h.SeqAt(h.pieces[0].off)) > 0 {
		h.hole(h.pieces[0].off, HoleAcked, frame, ts)
		h.deliver(frame, ts)
	}
	return h.chunks
}

// End delivers what still waits beyond gaps, with the gaps as holes: the capture is over.
func (h *Half) End(frame, ts int64) []Chunk {
	h.chunks, h.pinned = h.chunks[:0], false
	for len(h.pieces) > 0 {
		h.hole(h.pieces[0].off, HoleEnd, frame, ts)
		h.deliver(frame, ts)
	}
	return h.chunks
}
