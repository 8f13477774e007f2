package streams

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// collect runs segs through a Half and returns the stream with holes zero-filled, the
// holes and the stats.
type result struct {
	data  []byte
	holes [][3]int64 // off, len, reason
	st    Stats
}

func (r *result) add(t testing.TB, cs []Chunk) {
	for _, c := range cs {
		if c.Off != int64(len(r.data)) {
			t.Fatalf("chunk at %d, stream at %d", c.Off, len(r.data))
		}
		if c.Data == nil {
			r.holes = append(r.holes, [3]int64{c.Off, c.Hole, int64(c.Reason)})
			r.data = append(r.data, make([]byte, c.Hole)...)
			continue
		}
		r.data = append(r.data, c.Data...)
	}
}

func seg(seq uint32, data string) Segment {
	return Segment{Seq: seq, Len: uint32(len(data)), Data: []byte(data)}
}

func TestHalf(t *testing.T) {
	type op struct {
		s   Segment
		ack uint32 // an ACK from the other side instead of a segment (with isAck)
		isA bool
	}
	syn := func(seq uint32) op { return op{s: Segment{Seq: seq, SYN: true}} }
	sg := func(seq uint32, d string) op { return op{s: seg(seq, d)} }
	trunc := func(seq uint32, d string, wire uint32) op {
		return op{s: Segment{Seq: seq, Len: wire, Data: []byte(d)}}
	}
	ack := func(a uint32) op { return op{ack: a, isA: true} }
	tests := []struct {
		name      string
		ops       []op
		want      string
		holes     [][3]int64
		conflicts int64
		cbytes    int64
		keep      int64
	}{
		{name: "in order", ops: []op{syn(100), sg(101, "hello "), sg(107, "world")}, want: "hello world"},
		{name: "no SYN: starts at first seq", ops: []op{sg(5000, "abc"), sg(5003, "def")}, want: "abcdef"},
		{name: "out of order", ops: []op{syn(0), sg(4, "def"), sg(1, "abc"), sg(7, "g")}, want: "abcdefg"},
		{name: "retransmission, same bytes", ops: []op{syn(0), sg(1, "abc"), sg(1, "abc"), sg(4, "d")}, want: "abcd"},
		{name: "overlap with conflicting bytes: first copy wins",
			ops: []op{syn(0), sg(1, "abcd"), sg(3, "XYef")}, want: "abcdef", conflicts: 1, cbytes: 2},
		{name: "conflict while waiting beyond a gap",
			ops: []op{syn(0), sg(3, "cd"), sg(3, "CD"), sg(1, "ab")}, want: "abcd", conflicts: 1, cbytes: 2},
		{name: "wrap at 2^32", ops: []op{syn(0xfffffffd), sg(0xfffffffe, "ab"), sg(0, "cd"), sg(2, "ef")}, want: "abcdef"},
		{name: "wrap, out of order", ops: []op{sg(0xfffffffe, "ab"), sg(2, "ef"), sg(0, "cd")}, want: "abcdef"},
		{name: "hole declared by the other side's ACK",
			ops:   []op{syn(0), sg(1, "ab"), sg(6, "fg"), ack(8)},
			want:  "ab\x00\x00\x00fg",
			holes: [][3]int64{{2, 3, int64(HoleAcked)}}},
		{name: "ACK not past the waiting data: no hole",
			ops:  []op{syn(0), sg(1, "ab"), sg(6, "fg"), ack(6), sg(3, "cde")},
			want: "abcdefg"},
		{name: "hole at the end", ops: []op{syn(0), sg(1, "ab"), sg(6, "fg")}, want: "ab\x00\x00\x00fg",
			holes: [][3]int64{{2, 3, int64(HoleEnd)}}},
		{name: "snaplen-truncated segment", ops: []op{syn(0), trunc(1, "ab", 5), sg(6, "fg")}, want: "ab\x00\x00\x00fg",
			holes: [][3]int64{{2, 3, int64(HoleTruncated)}}},
		{name: "truncated, out of order", ops: []op{syn(0), trunc(3, "c", 3), sg(6, "f"), sg(1, "ab")}, want: "abc\x00\x00f",
			holes: [][3]int64{{3, 2, int64(HoleTruncated)}}},
		{name: "keep-alive one byte below next", ops: []op{syn(0), sg(1, "abc"), sg(3, "Z"), sg(4, "d")}, want: "abcd", keep: 1},
		{name: "zero-window probe then retransmission with more", ops: []op{syn(0), sg(1, "ab"), sg(3, "c"), sg(3, "cde")}, want: "abcde"},
		{name: "data before the first seq seen is dropped", ops: []op{sg(10, "klm"), sg(7, "hijk"), sg(13, "n")}, want: "klmn"},
		{name: "SYN with data", ops: []op{{s: Segment{Seq: 9, SYN: true, Len: 2, Data: []byte("ab")}}, sg(12, "c")}, want: "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Half
			h.Init(0, 0)
			var r result
			for i, o := range tc.ops {
				if o.isA {
					r.add(t, h.Ack(o.ack, int64(i+1), 0))
					continue
				}
				s := o.s
				s.Frame = int64(i + 1)
				r.add(t, h.Push(&s))
			}
			r.add(t, h.End(0, 0))
			if string(r.data) != tc.want {
				t.Errorf("stream %q, want %q", r.data, tc.want)
			}
			if len(r.holes) != len(tc.holes) || len(r.holes) > 0 && !equalHoles(r.holes, tc.holes) {
				t.Errorf("holes %v, want %v", r.holes, tc.holes)
			}
			if h.Conflicts != tc.conflicts || h.ConflictBytes != tc.cbytes {
				t.Errorf("conflicts %d (%d bytes), want %d (%d)", h.Conflicts, h.ConflictBytes, tc.conflicts, tc.cbytes)
			}
			if h.KeepAlives != tc.keep {
				t.Errorf("keep-alives %d, want %d", h.KeepAlives, tc.keep)
			}
			if h.Bytes+h.HoleBytes != int64(len(r.data)) {
				t.Errorf("bytes %d + holes %d != %d", h.Bytes, h.HoleBytes, len(r.data))
			}
		})
	}
}

func equalHoles(a, b [][3]int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHalfChunks pins chunk boundaries: one chunk per segment, as Wireshark's Follow
// prints them, with the bytes of an earlier copy taken in where the segment overlaps them.
func TestHalfChunks(t *testing.T) {
	var h Half
	h.Init(0, 0)
	var got []string
	push := func(seq uint32, d string) {
		s := seg(seq, d)
		for _, c := range h.Push(&s) {
			got = append(got, string(c.Data))
		}
	}
	push(0, "")
	push(20, "uv") // waits
	push(30, "xy") // waits
	push(10, "klmnopqrst")
	push(0, "abcdefghij") // fills the gap: its chunk, then one per waiting segment
	push(22, "wwwwwwww")  // [22,30): new bytes, then the waiting "xy" as its own chunk
	push(30, "xyz")       // old bytes and one new: the new byte is the chunk
	want := []string{"abcdefghij", "klmnopqrst", "uv", "wwwwwwww", "xy", "z"}
	if len(got) != len(want) {
		t.Fatalf("chunks %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("chunks %q, want %q", got, want)
		}
	}
}

// TestHalfWindow: data beyond a gap wider than the window becomes a hole, counted, and
// memory stays within the window.
func TestHalfWindow(t *testing.T) {
	var h Half
	h.Init(MinWindow, 0)
	var r result
	s := seg(0, "a")
	r.add(t, h.Push(&s))
	big := bytes.Repeat([]byte("z"), 1000)
	seq := uint32(1 + 100)
	for range 300 { // 300 KB beyond a 100-byte gap
		s := Segment{Seq: seq, Len: 1000, Data: big}
		r.add(t, h.Push(&s))
		seq += 1000
	}
	r.add(t, h.End(0, 0))
	if h.Overflows == 0 || len(r.holes) == 0 || r.holes[0] != [3]int64{1, 100, int64(HoleWindow)} {
		t.Fatalf("overflows %d, holes %v", h.Overflows, r.holes)
	}
	if len(r.data) != 1+100+300000 {
		t.Fatalf("stream length %d", len(r.data))
	}
	if len(h.buf) > 2*(MinWindow+DefaultHistory) {
		t.Fatalf("buffer %d bytes for a %d window", len(h.buf), MinWindow)
	}
}

// TestHalfOutOfWindow: a segment far beyond the window while the receiver acknowledges
// only what is here is dropped (as the receiver drops it), not taken as a gap.
func TestHalfOutOfWindow(t *testing.T) {
	var h Half
	h.Init(MinWindow, 0)
	var r result
	for _, s := range []Segment{{Seq: 0, SYN: true}, seg(1, "abc")} {
		r.add(t, h.Push(&s))
	}
	r.add(t, h.Ack(4, 0, 0))
	bogus := seg(1<<30, "zzz")
	r.add(t, h.Push(&bogus))
	s := seg(4, "def")
	r.add(t, h.Push(&s))
	r.add(t, h.End(0, 0))
	if string(r.data) != "abcdef" || h.OutOfWindow != 3 || h.Overflows != 0 {
		t.Fatalf("stream %q, out of window %d, overflows %d", r.data, h.OutOfWindow, h.Overflows)
	}
	// Once the receiver acknowledges beyond what is here, the gap is real: a hole.
	h.Ack(1<<30+3, 0, 0)
	far := seg(1<<30+3, "ghi")
	cs := h.Push(&far)
	if len(cs) != 2 || cs[0].Reason != HoleWindow || string(cs[1].Data) != "ghi" {
		t.Fatalf("chunks %+v", cs)
	}
}

func TestHalfNoAllocs(t *testing.T) {
	var h Half
	h.Init(0, 0)
	data := bytes.Repeat([]byte("0123456789"), 146)
	seq := uint32(1)
	s := Segment{Seq: 0, SYN: true}
	h.Push(&s)
	step := func() {
		// in order, a retransmission, an out-of-order pair and an ACK
		a := Segment{Seq: seq + 1460, Len: 1460, Data: data}
		b := Segment{Seq: seq, Len: 1460, Data: data}
		h.Push(&a)
		h.Ack(seq, 0, 0)
		h.Push(&b)
		h.Push(&b)
		seq += 2920
	}
	for range 1000 {
		step()
	}
	if n := testing.AllocsPerRun(1000, step); n != 0 {
		t.Fatalf("%v allocations per step", n)
	}
}

// model is the reference for FuzzHalf: the first copy of every offset.
func FuzzHalf(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 20, 5, 0, 10, 10, 1, 30, 2})
	f.Add([]byte{0xff, 0xff, 0xff, 0xf0, 0, 0, 40, 0, 30, 9, 0, 0, 30, 0, 4, 2, 0, 20, 20, 0})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22})
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, in []byte) {
	{
		if len(in) < 4 {
			return
		}
		base := binary.BigEndian.Uint32(in)
		in = in[4:]
		for _, small := range []bool{false, true} {
			var h Half
			if small {
				h.Init(MinWindow, 1024)
			} else {
				h.Init(0, 0)
			}
			// first[o] is the first copy of offset o over all segments pushed, -1 for none.
			// Offsets stay below 1<<19: seq offsets < 460000 (small window: spread out
			// to overflow it), segments < 17000 bytes.
			first := make([]int16, 1<<19)
			for i := range first {
				first[i] = -1
			}
			had := func(o int64) (byte, bool) {
				if o < 0 || o >= int64(len(first)) || first[o] < 0 {
					return 0, false
				}
				return byte(first[o]), true
			}
			var r result
			check := func(cs []Chunk) {
				for _, c := range cs {
					if c.Off != int64(len(r.data)) {
						t.Fatalf("chunk at %d, stream at %d", c.Off, len(r.data))
					}
					if c.Data == nil {
						for o := c.Off; o < c.Off+c.Hole; o++ {
							if _, ok := had(o); ok {
								t.Fatalf("hole (%v) over offset %d that had data", c.Reason, o)
							}
						}
						r.data = append(r.data, make([]byte, min(c.Hole, 1<<20))...)
						if c.Hole > 1<<20 {
							return
						}
						continue
					}
					for i, b := range c.Data {
						o := c.Off + int64(i)
						if fb, ok := had(o); !ok || fb != b {
							t.Fatalf("offset %d: %q, first copy %q (%v)", o, b, fb, ok)
						}
					}
					r.data = append(r.data, c.Data...)
				}
			}
			h.Push(&Segment{Seq: base, SYN: true})
			for i := 0; i+3 <= len(in) && i < 3*200; i += 3 { // at most 200 operations
				kind, at, n := in[i], uint32(in[i+1]), uint32(in[i+2])
				scale := uint32(7)
				if small {
					scale *= 64
				}
				seq := base + 1 + at*uint32(1+kind%4)*scale - 64
				if kind%5 == 4 {
					check(h.Ack(seq, 0, 0))
					continue
				}
				if small {
					n *= 64 // segments stay below the window, as IP lengths do
				}
				data := make([]byte, n)
				for k := range data {
					data[k] = byte(kind + byte(k))
				}
				s := Segment{Seq: seq, Len: n, Data: data}
				if kind%7 == 6 && n > 1 {
					s.Data = s.Data[:n/2] // truncated by the snaplen
				}
				off := h.offsetOf(seq)
				// Record first copies (captured bytes) before pushing, at offsets >= 0.
				keep := !(s.Len == 1 && off == h.next-1)
				var set []int64
				if keep {
					for k, b := range s.Data {
						o := off + int64(k)
						if _, ok := had(o); !ok && o >= 0 && o < int64(len(first)) {
							first[o] = int16(b)
							set = append(set, o)
						}
					}
				}
				oow := h.OutOfWindow
				cs := h.Push(&s)
				if h.OutOfWindow != oow {
					for _, o := range set { // dropped: not a copy after all
						first[o] = -1
					}
				}
				check(cs)
			}
			check(h.End(0, 0))
			if h.Bytes+h.HoleBytes != h.next {
				t.Fatalf("bytes %d + holes %d != next %d", h.Bytes, h.HoleBytes, h.next)
			}
		}
	}
}
