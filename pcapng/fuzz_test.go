package pcapng

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

// addCorpusSeeds adds the small corpus files whose first bytes match one of the magics. Without
// the corpus it adds nothing: the seeds built in code and from ../testdata still run (a
// fuzz target must not skip, or it passes without fuzzing anything).
func addCorpusSeeds(f *testing.F, ng bool) {
	dir, err := testcorpus.Find()
	if err != nil {
		f.Logf("no corpus seeds: %v", err)
		return
	}
	for _, row := range readManifest(f, dir) {
		b, err := os.ReadFile(filepath.Join(dir, row["file"]))
		if err != nil || len(b) > 16<<10 || len(b) < 4 {
			continue
		}
		isNG := b[0] == 0x0a && b[1] == 0x0d && b[2] == 0x0d && b[3] == 0x0a
		if isNG == ng && sniffCompression(b) == CompressionNone {
			f.Add(b)
		}
	}
}

// fuzzCheck reads data through the in-memory (mapped) path and the streaming path with
// small reads, and checks they agree packet for packet and on the final error; that each
// packet is sane; and that ReadPacketAt finds each packet again at its offset.
func fuzzCheck(t *testing.T, data []byte) {
	if sniffCompression(data) != CompressionNone {
		// Only the streaming path decompresses: check it does not fail badly.
		if s, err := NewReader(bytes.NewReader(data), Options{Name: "fuzz", BufferSize: 256}); err == nil {
			var p Packet
			for s.Next(&p) == nil {
			}
		}
		return
	}
	m, errM := newMemReader("fuzz", data)
	s, errS := NewReader(&trickle{b: data, n: 13}, Options{Name: "fuzz", BufferSize: 256})
	if (errM == nil) != (errS == nil) || (errM != nil && errM.Error() != errS.Error()) {
		t.Fatalf("open: mem %v, stream %v", errM, errS)
	}
	if errM != nil {
		return
	}
	var p, q, at Packet
	var lastOff int64 = -1
	for i := 0; ; i++ {
		e1 := m.Next(&p)
		e2 := s.Next(&q)
		if (e1 == nil) != (e2 == nil) || (e1 != nil && e1.Error() != e2.Error()) {
			t.Fatalf("packet %d: mem %v, stream %v", i+1, e1, e2)
		}
		if e1 != nil {
			break
		}
		if !bytes.Equal(p.Data, q.Data) || p.TS != q.TS || p.Offset != q.Offset || p.Iface != q.Iface ||
			p.OrigLen != q.OrigLen || p.Flags != q.Flags || p.HasTS != q.HasTS || !bytes.Equal(p.Options, q.Options) {
			t.Fatalf("packet %d differs: mem %+v stream %+v", i+1, p, q)
		}
		if len(p.Data) != int(p.CapLen) || p.CapLen > maxPacketLen || p.Offset <= lastOff || int(p.Iface) >= len(m.Interfaces()) {
			t.Fatalf("packet %d insane: %+v", i+1, p)
		}
		lastOff = p.Offset
		_ = p.Comment()
		if err := m.ReadPacketAt(p.Offset, &at); err != nil || !bytes.Equal(at.Data, p.Data) || at.TS != p.TS {
			t.Fatalf("ReadPacketAt(%#x): %v %+v, want %+v", p.Offset, err, at, p)
		}
	}
	if m.Truncated() != s.Truncated() || len(m.Interfaces()) != len(s.Interfaces()) || m.BlockCounts() != s.BlockCounts() {
		t.Fatalf("metadata differs: truncated %v/%v ifaces %d/%d counts %+v/%+v", m.Truncated(), s.Truncated(),
			len(m.Interfaces()), len(s.Interfaces()), m.BlockCounts(), s.BlockCounts())
	}
}

// addSampleSeed adds the head of a capture of ../testdata (real traffic): the file cut at
// the first packet that starts past limit bytes, so the seed stays small and well formed.
func addSampleSeed(f *testing.F, path string, limit int64) {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatalf("seed: %v", err)
	}
	r, err := NewBytesReader(path, b)
	if err != nil {
		f.Fatalf("seed: %v", err)
	}
	var p Packet
	for r.Next(&p) == nil {
		if p.Offset > limit {
			f.Add(b[:p.Offset])
			return
		}
	}
	f.Fatalf("seed: %s holds less than %d bytes of packets", path, limit)
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func FuzzPcap(f *testing.F) {
	for _, be := range []bool{false, true} {
		e := enc{be: be}
		f.Add(cat(e.pcapHeader(0xa1b2c3d4, 2, 4, 65535, 1), e.pcapRecord(1, 2, []byte{1, 2, 3}, 3)))
		f.Add(cat(e.pcapHeader(0xa1b23c4d, 2, 4, 0, 0x30000001), e.pcapRecord(1, 2, nil, 3), e.pcapRecord(1, 2, []byte{1}, 3)[:10]))
	}
	e := enc{}
	f.Add(gzipped(cat(e.pcapHeader(0xa1b2c3d4, 2, 4, 65535, 1), e.pcapRecord(1, 2, []byte{1, 2, 3}, 3))))
	addSampleSeed(f, filepath.Join("..", "testdata", "sample.pcap"), 4<<10)
	addCorpusSeeds(f, false)
	f.Fuzz(fuzzCheck)
}

func FuzzPcapng(f *testing.F) {
	f.Add(ngFile(false))
	f.Add(ngFile(true))
	f.Add(cat(ngFile(false), ngFile(true))) // a second section in the other byte order
	addSampleSeed(f, filepath.Join("..", "testdata", "sample.pcapng"), 4<<10)
	addCorpusSeeds(f, true)
	f.Fuzz(fuzzCheck)
}
