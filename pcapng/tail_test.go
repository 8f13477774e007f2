package pcapng

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// growing is a file being written: ReadAt sees only its first n bytes.
type growing struct {
	b []byte
	n int
}

func (g *growing) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(g.n) {
		return 0, io.EOF
	}
	n := copy(p, g.b[off:g.n])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (g *growing) Size() int64 { return int64(g.n) }

type tailPacket struct {
	off, ts int64
	ord     uint64
	iface   uint32
	data    string
}

// tailRead follows data as it grows by step bytes (cycling through steps), draining the
// whole records after each step, then closes it and reads to the end. It returns the
// packets, the final error (nil for io.EOF) and the tail.
func tailRead(t *testing.T, data []byte, steps []int) ([]tailPacket, error, *Tail) {
	g := &growing{b: data}
	tl := NewTail("tail", g, TailOptions{BufferSize: 64})
	var got []tailPacket
	var p Packet
	drain := func() error {
		for {
			err := tl.Next(&p)
			if err != nil {
				return err
			}
			got = append(got, tailPacket{p.Offset, p.TS, p.Ordinal, p.Iface, string(p.Data)})
			if tl.Committed() != p.Offset+int64(recordLen(t, data, &p)) && data[0] != 0x0a {
				t.Fatalf("committed %#x after the packet at %#x", tl.Committed(), p.Offset)
			}
		}
	}
	for i := 0; g.n < len(data); i++ {
		g.n = min(len(data), g.n+steps[i%len(steps)])
		if err := drain(); err != ErrPending {
			if err == io.EOF {
				t.Fatalf("io.EOF before the file was closed")
			}
			return got, err, tl
		}
		if c := tl.Committed(); c > int64(g.n) {
			t.Fatalf("committed %d past the %d bytes written", c, g.n)
		}
	}
	tl.SetClosed()
	err := drain()
	if err == io.EOF {
		err = nil
	}
	return got, err, tl
}

// recordLen is the length of a pcap record (the tests check Committed on pcap files).
func recordLen(t *testing.T, data []byte, p *Packet) int { return pcapRecordLen + int(p.CapLen) }

// memRead reads data whole through the in-memory reader.
func memRead(data []byte) ([]tailPacket, error, *Reader) {
	r, err := newMemReader("tail", data)
	if err != nil {
		return nil, err, nil
	}
	var got []tailPacket
	var p Packet
	for {
		if err := r.Next(&p); err != nil {
			if err == io.EOF {
				err = nil
			}
			return got, err, r
		}
		got = append(got, tailPacket{p.Offset, p.TS, p.Ordinal, p.Iface, string(p.Data)})
	}
}

// tailCheck: following data as it grows gives what reading it whole gives.
func tailCheck(t *testing.T, data []byte, steps []int) {
	want, werr, mr := memRead(data)
	got, gerr, tl := tailRead(t, data, steps)
	if len(data) == 0 {
		// An empty file is an empty capture to a tail (a writer has just created it).
		if gerr != nil || len(got) != 0 || tl.Truncated() {
			t.Fatalf("empty file: %v, %d packets", gerr, len(got))
		}
		return
	}
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("error: whole %v, tail %v", werr, gerr)
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets, whole file has %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("packet %d: tail %+v, whole %+v", i+1, got[i], want[i])
		}
	}
	if mr != nil && werr == nil {
		if tl.Truncated() != mr.Truncated() {
			t.Fatalf("truncated: tail %v, whole %v", tl.Truncated(), mr.Truncated())
		}
		if tl.Reader() != nil && tl.Reader().BlockCounts() != mr.BlockCounts() {
			t.Fatalf("block counts: tail %+v, whole %+v", tl.Reader().BlockCounts(), mr.BlockCounts())
		}
	}
}

func pcapFile(be bool, n int) []byte {
	e := enc{be: be}
	b := e.pcapHeader(0xa1b2c3d4, 2, 4, 65535, 1)
	for i := range n {
		b = append(b, e.pcapRecord(uint32(1000+i), uint32(i), bytes.Repeat([]byte{byte(i)}, 40+i%300), 1500)...)
	}
	return b
}

func TestTailGrowing(t *testing.T) {
	files := map[string][]byte{
		"pcap-le": pcapFile(false, 200), "pcap-be": pcapFile(true, 200),
		"pcapng-le": ngFile(false), "pcapng-be": ngFile(true),
		"two-sections": cat(ngFile(false), ngFile(true)),
	}
	for name, data := range files {
		for _, steps := range [][]int{{4096}, {1}, {7, 3, 100}, {len(data)}} {
			t.Run(name, func(t *testing.T) {
				tailCheck(t, data, steps)
				// Stopped mid-record: pending while open, a truncated tail once closed.
				tailCheck(t, data[:len(data)-3], steps)
			})
		}
	}
}

func TestTailPendingThenTruncated(t *testing.T) {
	data := pcapFile(false, 3)
	cut := len(data) - 10
	g := &growing{b: data, n: cut}
	tl := NewTail("t", g, TailOptions{})
	var p Packet
	n := 0
	for tl.Next(&p) == nil {
		n++
	}
	if err := tl.Next(&p); err != ErrPending || !tl.Pending() || n != 2 {
		t.Fatalf("got %v pending %v after %d packets, want ErrPending after 2", err, tl.Pending(), n)
	}
	at := tl.Committed()
	if err := tl.Next(&p); err != ErrPending || tl.Committed() != at {
		t.Fatalf("retry: %v committed %d, want ErrPending at %d", err, tl.Committed(), at)
	}
	g.n = len(data)
	if err := tl.Next(&p); err != nil || p.Offset != at || p.Ordinal != 3 {
		t.Fatalf("after growth: %v %+v", err, p)
	}
	if err := tl.Next(&p); err != ErrPending || tl.Pending() {
		t.Fatalf("at the end: %v pending %v, want ErrPending, not pending", err, tl.Pending())
	}
	// Closed with a cut record: truncated, as every reader says.
	g2 := &growing{b: data, n: cut}
	tl2 := NewTail("t", g2, TailOptions{})
	for tl2.Next(&p) == nil {
	}
	tl2.SetClosed()
	if err := tl2.Next(&p); err != io.EOF || !tl2.Truncated() || len(tl2.Reader().Warnings()) != 1 {
		t.Fatalf("closed: %v truncated %v warnings %q", err, tl2.Truncated(), tl2.Reader().Warnings())
	}
}

func TestTailEmptyAndHeaderOnly(t *testing.T) {
	hdr := pcapFile(false, 0)
	for n := 0; n <= len(hdr); n++ {
		g := &growing{b: hdr, n: n}
		tl := NewTail("t", g, TailOptions{})
		var p Packet
		if err := tl.Next(&p); err != ErrPending {
			t.Fatalf("%d header bytes: %v, want ErrPending", n, err)
		}
		if ok, err := tl.Ready(); ok != (n == len(hdr)) || err != nil {
			t.Fatalf("%d header bytes: ready %v %v", n, ok, err)
		}
		tl.SetClosed()
		err := tl.Next(&p)
		switch {
		case n == 0 || n == len(hdr):
			if err != io.EOF || tl.Truncated() {
				t.Fatalf("closed with %d bytes: %v truncated %v, want a clean io.EOF", n, err, tl.Truncated())
			}
		default:
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("closed with %d header bytes: %v, want the reader's FormatError", n, err)
			}
		}
	}
	ng := ngFile(false)
	g := &growing{b: ng, n: 20}
	if ok, err := NewTail("t", g, TailOptions{}).Ready(); ok || err != nil {
		t.Fatalf("partial SHB: ready %v %v", ok, err)
	}
}

func TestTailBadLengthMidFile(t *testing.T) {
	e := enc{}
	bad := cat(pcapFile(false, 2), e.pcapRecord(1, 2, nil, 0)[:8], e.u32(nil, 1<<30), e.u32(nil, 60))
	g := &growing{b: bad, n: len(bad)}
	tl := NewTail("t", g, TailOptions{})
	var p Packet
	var err error
	for err = tl.Next(&p); err == nil; err = tl.Next(&p) {
	}
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Offset != int64(len(pcapFile(false, 2))) {
		t.Fatalf("got %v, want a FormatError at the bad record while the file is open", err)
	}
	ng := ngFile(false)
	ng = append(ng, e.epb(0, 1, []byte{1, 2, 3, 4}, 4, nil)...)
	ng[len(ng)-1] ^= 0x40 // trailing length differs
	tl = NewTail("t", &growing{b: ng, n: len(ng)}, TailOptions{})
	for err = tl.Next(&p); err == nil; err = tl.Next(&p) {
	}
	if !errors.As(err, &fe) {
		t.Fatalf("pcapng trailing length: got %v, want a FormatError", err)
	}
}

func TestTailLimitAndSkipTo(t *testing.T) {
	data := pcapFile(false, 10)
	want, _, _ := memRead(data)
	lim := want[6].off
	tl := NewTail("t", &growing{b: data, n: len(data)}, TailOptions{Limit: lim})
	tl.SetClosed()
	var p Packet
	n := 0
	for tl.Next(&p) == nil {
		n++
	}
	if n != 6 || tl.Truncated() {
		t.Fatalf("limit: %d packets truncated %v, want 6, clean", n, tl.Truncated())
	}
	for _, data := range [][]byte{data, ngFile(false)} {
		want, _, _ := memRead(data)
		for i := range want {
			tl := NewTail("t", &growing{b: data, n: len(data)}, TailOptions{})
			if err := tl.SkipTo(want[i].off); err != nil {
				t.Fatal(err)
			}
			if err := tl.Next(&p); err != nil || p.Offset != want[i].off || p.Ordinal != want[i].ord {
				t.Fatalf("after SkipTo(%#x): %v %+v", want[i].off, err, p)
			}
		}
	}
}

func TestTailFile(t *testing.T) {
	data := pcapFile(false, 50)
	path := filepath.Join(t.TempDir(), "live.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tl, err := OpenTail(path, TailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	b := NewBatch(16)
	n := 0
	for off := 0; off < len(data); off += 4096 {
		if _, err := f.Write(data[off:min(off+4096, len(data))]); err != nil {
			t.Fatal(err)
		}
		for {
			err := tl.ReadBatch(b)
			if err == ErrPending {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n += len(b.Packets)
		}
	}
	if n != 50 {
		t.Fatalf("%d packets, want 50", n)
	}
}

func TestTailNoAllocs(t *testing.T) {
	data := pcapFile(false, 2000)
	g := &growing{b: data, n: len(data) / 2}
	tl := NewTail("t", g, TailOptions{})
	var p Packet
	for tl.Next(&p) == nil {
	}
	g.n = len(data)
	allocs := testing.AllocsPerRun(500, func() {
		if err := tl.Next(&p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per packet", allocs)
	}
	g.n = len(data) - 5
	tl = NewTail("t", g, TailOptions{})
	for tl.Next(&p) == nil {
	}
	allocs = testing.AllocsPerRun(100, func() {
		if err := tl.Next(&p); err != ErrPending {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per pending retry", allocs)
	}
}

func FuzzTail(f *testing.F) {
	f.Add(pcapFile(false, 3), uint16(4096), uint16(1))
	f.Add(pcapFile(true, 3)[:70], uint16(5), uint16(17))
	f.Add(ngFile(false), uint16(3), uint16(64))
	f.Add(ngFile(true), uint16(12), uint16(1))
	f.Add(cat(ngFile(false), ngFile(true))[:300], uint16(29), uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, a, b uint16) {
		if len(data) > 1<<16 || sniffCompression(data) != CompressionNone {
			return
		}
		tailCheck(t, data, []int{int(a%8192) + 1, int(b%8192) + 1})
	})
}
