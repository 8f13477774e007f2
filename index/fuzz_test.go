package index

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

// FuzzOpen feeds arbitrary bytes to the reader, both as a mapped image and through plain
// reads: Open, Verify and reading every section, table chunk, key and bitmap must return
// data or an error, never panic, hang or allocate beyond the bounds the format sets.
func FuzzOpen(f *testing.F) {
	for _, shape := range []struct{ rows, block int }{{0, 64}, {3, 2}, {200, 64}} {
		path, _ := writeSample(f, shape.rows, shape.block)
		good, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(good)
		f.Add(good[:len(good)/2])
		f.Add(good[:len(good)-1])
		for _, off := range []int{20, len(good) / 3, len(good) - 40} {
			b := bytes.Clone(good)
			b[off] ^= 0x41
			f.Add(b)
		}
	}
	// Builder indexes of small corpus captures (skipped without the corpus).
	if dir := corpusDirOrEmpty(); dir != "" {
		for _, name := range []string{"tcp-handshake-nano.pcap", "802.1ad_QinQ.pcap", "y2038-bgp.pcap"} {
			out := filepath.Join(f.TempDir(), name+".pcapdex")
			if _, err := BuildFiles(out, []string{filepath.Join(dir, name)}, BuildOptions{BlockRows: 2}); err == nil {
				if b, err := os.ReadFile(out); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mapped := range []bool{true, false} {
			var img []byte
			if mapped {
				img = data
			}
			r, err := openReaderAt("fuzz.pcapdex", bytes.NewReader(data), img, int64(len(data)))
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
					t.Fatalf("Open: error of unexpected class: %v", err)
				}
				continue
			}
			verr := r.Verify()
			aerr := readAll(r)
			if verr == nil && aerr != nil {
				t.Fatalf("Verify passed but reading failed: %v", aerr)
			}
			for _, err := range []error{verr, aerr} {
				if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotFound) {
					t.Fatalf("error of unexpected class: %v", err)
				}
			}
			r.Close()
		}
	})
}

// FuzzDecodeColumn feeds arbitrary bytes to every column decoder (the bytes a chunk holds
// once its checksum has passed, which FuzzOpen rarely reaches): an error or values, and for
// values, re-encoding and decoding them again gives the same values.
func FuzzDecodeColumn(f *testing.F) {
	var e ColumnEncoder
	f.Add(AppendInt64s(nil, []int64{5, 9, 200, 1 << 40}), uint16(4))
	f.Add(AppendInt64s(nil, []int64{5, -9, 200}), uint16(3))
	f.Add(AppendUint32s(nil, []uint32{1, 70000, 3}), uint16(3))
	f.Add(e.AppendUint32Column(nil, slices.Repeat([]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 2, 1, 0}, 50)), uint16(650))
	f.Add(AppendUint16s(nil, []uint16{1, 700, 3}), uint16(3))
	f.Add(AppendUint8s(nil, []uint8{1, 7, 3}), uint16(3))
	f.Add(e.AppendBytesColumn(nil, [][]byte{[]byte("a"), []byte("a"), []byte("bc"), []byte("a")}), uint16(4))
	f.Add(e.AppendAddrColumn(nil, [][16]byte{{1}, {1}, {2, 15: 3}, {1}}), uint16(4))
	f.Fuzz(func(t *testing.T, src []byte, n16 uint16) {
		n := int(n16)
		if v, _, err := UnmarshalInt64s(nil, src, n); err == nil {
			if len(v) != n {
				t.Fatalf("int64: %d values, want %d", len(v), n)
			}
			w, _, err := UnmarshalInt64s(nil, AppendInt64s(nil, v), n)
			if err != nil || !slices.Equal(v, w) {
				t.Fatalf("int64 re-encode: %v", err)
			}
		}
		if v, _, err := UnmarshalUint32s(nil, src, n); err == nil {
			w, _, err := UnmarshalUint32s(nil, AppendUint32s(nil, v), n)
			if err != nil || !slices.Equal(v, w) || len(v) != n {
				t.Fatalf("uint32 re-encode: %v", err)
			}
			// The prediction decoders take any column values: slots past the block are errors.
			c := func() []uint32 { return slices.Clone(v) }
			d8 := make([]uint8, len(v))
			f16 := make([]uint16, len(v))
			for i := range v {
				d8[i], f16[i] = uint8(v[i]), uint16(v[i]>>8)
			}
			ResolveSeqAck(len(v), c(), d8, f16, c(), c(), c(), c(), c(), nil)
			ResolveFlowIDs(c(), c(), nil)
		}
		if v, _, err := UnmarshalUint16s(nil, src, n); err == nil {
			w, _, err := UnmarshalUint16s(nil, AppendUint16s(nil, v), n)
			if err != nil || !slices.Equal(v, w) || len(v) != n {
				t.Fatalf("uint16 re-encode: %v", err)
			}
		}
		if v, _, err := UnmarshalUint8s(nil, src, n); err == nil {
			w, _, err := UnmarshalUint8s(nil, AppendUint8s(nil, v), n)
			if err != nil || !slices.Equal(v, w) || len(v) != n {
				t.Fatalf("uint8 re-encode: %v", err)
			}
		}
		var enc ColumnEncoder
		if v, _, _, err := UnmarshalBytesColumn(nil, nil, src, n); err == nil {
			w, _, _, err := UnmarshalBytesColumn(nil, nil, enc.AppendBytesColumn(nil, v), n)
			if err != nil || len(v) != n || !slices.EqualFunc(v, w, bytes.Equal) {
				t.Fatalf("bytes re-encode: %v", err)
			}
		}
		if v, _, _, err := UnmarshalAddrColumn(nil, nil, src, n); err == nil {
			w, _, _, err := UnmarshalAddrColumn(nil, nil, enc.AppendAddrColumn(nil, v), n)
			if err != nil || !slices.Equal(v, w) || len(v) != n {
				t.Fatalf("addr re-encode: %v", err)
			}
		}
	})
}

// FuzzParsers feeds arbitrary bytes to the parsers of checksummed structures (directory,
// table block index, postings header, captures list), as if the checksum had passed.
func FuzzParsers(f *testing.F) {
	path, _ := writeSample(f, 200, 64)
	r, err := Open(path)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range r.Sections() {
		if s.Type != SectionTableData {
			b, _ := r.Section(s.Name)
			f.Add(bytes.Clone(b), int64(s.Length))
		}
	}
	r.Close()
	f.Fuzz(func(t *testing.T, b []byte, dataLen int64) {
		parseDirectory(b, max(dataLen, 0))
		parseTableMeta(b, max(dataLen, 0))
		parseCaptures(b)
		// b as a postings body (its page checksums made to match), then b as a whole section.
		p := &Postings{r: &Reader{path: "fuzz"}, sec: SectionInfo{Name: "p", Length: int64(len(b))}}
		if p.setChecks(appendPageChecks(bytes.Clone(b))) != nil {
			t.Fatalf("page checksums of a %d-byte body refused", len(b))
		}
		(&Postings{r: p.r, sec: p.sec}).setChecks(b)
		if p.parse() != nil {
			return
		}
		bm := roaring.New()
		for i := range min(p.Len(), 1000) {
			k, err := p.Key(i)
			if err == nil {
				p.Find(k)
			}
			p.Bitmap(i, bm)
		}
	})
}

// corpusDirOrEmpty is corpusDir for fuzz seeding: "" when the corpus is absent.
func corpusDirOrEmpty() string {
	d, _ := testcorpus.Find()
	return d
}
