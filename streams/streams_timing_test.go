package streams

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/pcapdex/pcapdex/query"
)

// benchCapture writes a capture of conns TCP connections sending segs segments of 1448
// bytes each, interleaved, with one segment in 50 sent out of order and one in 50 sent
// twice, and returns its path and the stream bytes it holds.
func benchCapture(b *testing.B, conns, segs int) (string, int64) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.pcap")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, err := pcapng.NewPcapWriter(f, 1, 0, true)
	if err != nil {
		b.Fatal(err)
	}
	payload := bytes.Repeat([]byte("pcapdex streams "), 1448/16+1)[:1448]
	ts := int64(1_700_000_000_000_000_000)
	put := func(p tcpPkt, port uint16) {
		data, orig := frame(p, port, 80)
		ts += 10_000
		if err := w.WritePacket(ts, data, orig); err != nil {
			b.Fatal(err)
		}
	}
	for c := range conns {
		for _, p := range handshake(1000, 5000) {
			put(p, uint16(10000+c))
		}
	}
	seqOf := func(i int) uint32 { return 1001 + uint32(i)*1448 }
	for i := 0; i < segs; i++ {
		for c := range conns {
			port := uint16(10000 + c)
			pk := tcpPkt{fromClient: true, flags: fACK, seq: seqOf(i), ack: 5001, data: string(payload)}
			switch {
			case i%50 == 10 && i+1 < segs: // the next one first
				pk.seq = seqOf(i + 1)
				put(pk, port)
				pk.seq = seqOf(i)
				put(pk, port)
				i2 := tcpPkt{flags: fACK, seq: 5001, ack: seqOf(i + 2)}
				put(i2, port)
				continue
			case i%50 == 11:
				continue // sent above
			case i%50 == 20:
				put(pk, port) // and again below
			}
			put(pk, port)
			if i%2 == 1 {
				put(tcpPkt{flags: fACK, seq: 5001, ack: seqOf(i + 1)}, port)
			}
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, int64(conns) * int64(segs) * 1448
}

// BenchmarkWrite measures stream content written per second, from a one-pass store of a
// generated capture (the store's pass is not timed).
func BenchmarkWrite(b *testing.B) {
	path, content := benchCapture(b, 32, 1000)
	st, err := query.NewStreamStore([]string{path}, false)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	sel := query.Selection{Since: -1 << 63, Until: 1<<63 - 1}
	b.SetBytes(content)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		out := b.TempDir()
		b.StartTimer()
		sum, err := Write(Input{Store: st}, sel, Options{Dir: out}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Bytes != content {
			b.Fatalf("wrote %d stream bytes, want %d", sum.Bytes, content)
		}
	}
}

// BenchmarkHalf measures the reassembler alone: in-order segments with a retransmission
// and an out-of-order pair every 50.
func BenchmarkHalf(b *testing.B) {
	var h Half
	h.Init(0, 0)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1448/16+1)[:1448]
	s := Segment{Seq: 0, SYN: true}
	h.Push(&s)
	seq := uint32(1)
	n := int64(0)
	b.SetBytes(1448)
	b.ReportAllocs()
	for b.Loop() {
		s := Segment{Seq: seq, Len: 1448, Data: data}
		for _, c := range h.Push(&s) {
			n += int64(len(c.Data))
		}
		seq += 1448
	}
	if n == 0 {
		b.Fatal("nothing delivered")
	}
}
