package pcapng

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

func compress(t testing.TB, kind Compression, data []byte) []byte {
	var buf bytes.Buffer
	var w io.WriteCloser
	switch kind {
	case CompressionGzip:
		w = gzip.NewWriter(&buf)
	case CompressionZstd:
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	case CompressionLZ4:
		w = lz4.NewWriter(&buf)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func corpusFiles(t testing.TB) []string {
	dir := corpusDir(t)
	var out []string
	for _, row := range readManifest(t, dir) {
		out = append(out, filepath.Join(dir, row["file"]))
	}
	return out
}

// TestCompressed: gzip, zstd and lz4 copies of a capture give the same packets with the same
// offsets (in the decompressed stream) as the plain file.
func TestCompressed(t *testing.T) {
	dir := corpusDir(t)
	for _, name := range []string{"example.pcap", "test202.pcapng", "sv-http-mime-truncated-input.pcap"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Open(filepath.Join(dir, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		want, _, wantErr := collect(r)
		wantTrunc := r.Truncated()
		r.Close()
		for _, kind := range []Compression{CompressionGzip, CompressionZstd, CompressionLZ4} {
			t.Run(name+"/"+kind.String(), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), name+".z")
				if err := os.WriteFile(path, compress(t, kind, raw), 0o644); err != nil {
					t.Fatal(err)
				}
				r, err := Open(path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if r.Compression() != kind || r.Mapped() {
					t.Fatalf("compression %v mapped %v", r.Compression(), r.Mapped())
				}
				got, _, err := collect(r)
				if err != wantErr || r.Truncated() != wantTrunc || len(got) != len(want) {
					t.Fatalf("%d packets err %v trunc %v; want %d, %v, %v", len(got), err, r.Truncated(), len(want), wantErr, wantTrunc)
				}
				for i := range want {
					if !bytes.Equal(got[i].Data, want[i].Data) || got[i].Offset != want[i].Offset || got[i].TS != want[i].TS {
						t.Fatalf("packet %d differs: %+v vs %+v", i+1, got[i], want[i])
					}
				}
			})
		}
	}
}

// TestReadPacketAt re-reads every packet of every corpus file from its offset, in file order
// and in reverse order on the mapped path, and forward on the plain-read path.
func TestReadPacketAt(t *testing.T) {
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, err := Open(path, Options{})
			if err != nil {
				t.Skip(err)
			}
			want, _, _ := collect(r)
			check := func(r *Reader, order []int) {
				var p Packet
				for _, i := range order {
					if err := r.ReadPacketAt(want[i].Offset, &p); err != nil {
						t.Fatalf("packet %d at %#x: %v", i+1, want[i].Offset, err)
					}
					w := want[i]
					if !bytes.Equal(p.Data, w.Data) || p.TS != w.TS || p.Iface != w.Iface || p.LinkType != w.LinkType ||
						p.OrigLen != w.OrigLen || p.HasTS != w.HasTS || p.Offset != w.Offset || p.Flags != w.Flags {
						t.Fatalf("packet %d: got %+v want %+v", i+1, p, w)
					}
				}
			}
			fwd := make([]int, len(want))
			rev := make([]int, len(want))
			for i := range want {
				fwd[i], rev[len(want)-1-i] = i, i
			}
			if r.Mapped() {
				check(r, fwd) // the same reader, after its Next pass
			}
			r.Close()
			r, _ = Open(path, Options{})
			if r.Mapped() {
				check(r, rev)
			} else {
				check(r, fwd)
			}
			if len(want) > 0 && r.Format() == FormatPcapng {
				var p Packet
				if err := r.ReadPacketAt(want[0].Offset+1, &p); err == nil {
					t.Errorf("offset inside a record accepted: %+v", p)
				}
			}
			r.Close()
			r, _ = Open(path, Options{NoMmap: true})
			check(r, fwd)
			if len(want) > 1 {
				var p Packet
				if err := r.ReadPacketAt(want[0].Offset, &p); err != ErrNotSeekable {
					t.Errorf("going back on a stream: %v", err)
				}
			}
			r.Close()
		})
	}
}

// TestBatch: batches carry the same packets as Next; on the plain-read path a batch's data
// survives later ReadBatch calls into other batches.
func TestBatch(t *testing.T) {
	dir := corpusDir(t)
	path := filepath.Join(dir, "example.pcap")
	r, _ := Open(path, Options{})
	want, _, _ := collect(r)
	r.Close()
	for _, noMmap := range []bool{false, true} {
		r, err := Open(path, Options{NoMmap: noMmap})
		if err != nil {
			t.Fatal(err)
		}
		var batches []*Batch
		for {
			b := NewBatch(100)
			if err := r.ReadBatch(b); err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
			batches = append(batches, b)
		}
		i := 0
		for _, b := range batches {
			for _, p := range b.Packets {
				if !bytes.Equal(p.Data, want[i].Data) || p.Ordinal != want[i].Ordinal {
					t.Fatalf("nommap=%v: packet %d differs", noMmap, i+1)
				}
				i++
			}
		}
		if i != len(want) {
			t.Fatalf("nommap=%v: %d packets in batches, want %d", noMmap, i, len(want))
		}
		r.Close()
	}
}

func TestNoAllocs(t *testing.T) {
	path := filepath.Join(corpusDir(t), "example.pcap")
	ngPath := writeTestPcapng(t, 1000)
	for _, tc := range []struct {
		name   string
		path   string
		noMmap bool
	}{{"pcap/mmap", path, false}, {"pcap/read", path, true}, {"pcapng/mmap", ngPath, false}, {"pcapng/read", ngPath, true}} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(tc.path, Options{NoMmap: tc.noMmap})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var p Packet
			n := testing.AllocsPerRun(100, func() {
				if err := r.Next(&p); err != nil {
					t.Fatal(err)
				}
				_ = p.Comment()
			})
			if n != 0 {
				t.Fatalf("Next allocates %v times per packet", n)
			}
			b := NewBatch(8)
			r.ReadBatch(b) // first batch sizes the buffer
			n = testing.AllocsPerRun(10, func() {
				if err := r.ReadBatch(b); err != nil {
					t.Fatal(err)
				}
			})
			if n != 0 {
				t.Fatalf("ReadBatch allocates %v times per batch", n)
			}
		})
	}
}

// TestNoAllocsMappedFile iterates a whole mapped file: no allocation over the Next loop.
func TestNoAllocsMappedFile(t *testing.T) {
	path := filepath.Join(corpusDir(t), "many-protocols.pcap")
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var p Packet
	n := 0
	allocs := testing.AllocsPerRun(1, func() {
		for r.Next(&p) == nil {
			n++
		}
	})
	if allocs != 0 || n < 4709 {
		t.Fatalf("%v allocations over %d packets", allocs, n)
	}
}

// writeTestPcapng writes n packets (every other one with a comment) over two interfaces.
func writeTestPcapng(t testing.TB, n int) string {
	path := filepath.Join(t.TempDir(), "gen.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := NewPcapngWriter(f, PcapngWriterOptions{Comment: "generated"})
	w.AddInterface(LinkTypeEthernet, 0, "eth0", 9)
	w.AddInterface(LinkTypeRaw, 128, "raw", 0x80|20)
	data := make([]byte, 200)
	for i := 0; i < n; i++ {
		c := ""
		if i%2 == 0 {
			c = "even"
		}
		if err := w.WritePacketFlags(i%2, 1_700_000_000_000_000_000+int64(i)*1000, data[:60+i%100], 1500, uint32(i%4), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}
