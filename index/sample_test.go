package index

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// sample is the content of the small index the tests build: every section type, every
// column kind, several blocks, fixed and variable postings keys.
type sample struct {
	ts    []int64
	flow  []uint32
	win   []uint16
	dir   []uint8
	state [][]byte
	addr  [][16]byte
	keys  [][]byte
	bms   []*roaring.Bitmap
	vkeys [][]byte
	meta  []byte
}

func newSample(rows int) *sample {
	s := &sample{}
	ts := int64(1_700_000_000_000_000_000)
	states := [][]byte{[]byte("SF"), []byte("S0"), []byte("RSTO")}
	for i := range rows {
		ts += int64(i%7) * 1000
		s.ts = append(s.ts, ts)
		s.flow = append(s.flow, uint32(i%13))
		s.win = append(s.win, uint16(i*31))
		s.dir = append(s.dir, uint8(i&1))
		s.state = append(s.state, states[i%3])
		s.addr = append(s.addr, [16]byte{10, 0, 0, byte(i % 5)})
	}
	for k := range 20 {
		s.keys = append(s.keys, binary.BigEndian.AppendUint16(nil, uint16(k*100)))
		bm := roaring.New()
		for j := range k * 37 {
			bm.Add(uint32(j * (k + 1)))
		}
		bm.AddRange(100000, 100000+uint64(k)*5000) // run containers
		bm.RunOptimize()
		s.bms = append(s.bms, bm)
	}
	s.vkeys = [][]byte{[]byte("REJ"), []byte("S0"), []byte("SF"), []byte("SF-long-state")}
	for i := range 40 {
		s.meta = append(s.meta, []byte("build parameters, repeated. ")...)
		s.meta = append(s.meta, byte(i))
	}
	return s
}

var sampleCols = []ColumnSpec{
	{"ts", KindInt64}, {"flow", KindUint32}, {"win", KindUint16},
	{"dir", KindUint8}, {"state", KindBytes}, {"addr", KindAddr},
}

// write writes the sample index to path with blocks of blockRows rows.
func (s *sample) write(path string, blockRows int, captures []CaptureFile) error {
	w, err := Create(path)
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := w.AddSection(SectionBlob, "meta", s.meta, true); err != nil {
		return err
	}
	if err := w.AddSection(SectionBlob, "raw", []byte("tiny"), true); err != nil {
		return err
	}
	if err := w.WriteCaptures(captures); err != nil {
		return err
	}
	tw, err := w.NewTable("packets", sampleCols, TableOptions{BlockRows: blockRows, TimeColumn: "ts"})
	if err != nil {
		return err
	}
	for i := range s.ts {
		c := tw.Pending()
		c[0].I64 = append(c[0].I64, s.ts[i])
		c[1].U32 = append(c[1].U32, s.flow[i])
		c[2].U16 = append(c[2].U16, s.win[i])
		c[3].U8 = append(c[3].U8, s.dir[i])
		c[4].Bytes = append(c[4].Bytes, s.state[i])
		c[5].Addr = append(c[5].Addr, s.addr[i])
		if tw.Full() {
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := w.WritePostings("post.port", 2, s.keys, s.bms); err != nil {
		return err
	}
	vb := make([]*roaring.Bitmap, len(s.vkeys))
	for i := range vb {
		vb[i] = roaring.BitmapOf(uint32(i), uint32(i*1000))
	}
	if err := w.WritePostings("post.state", 0, s.vkeys, vb); err != nil {
		return err
	}
	return w.Close()
}

// writeSample writes a small sample index into a temp dir and returns its path.
func writeSample(t testing.TB, rows, blockRows int) (string, *sample) {
	t.Helper()
	dir := t.TempDir()
	capPath := filepath.Join(dir, "c.pcap")
	if err := os.WriteFile(capPath, []byte("not really a capture"), 0o644); err != nil {
		t.Fatal(err)
	}
	cf, err := Fingerprint(capPath)
	if err != nil {
		t.Fatal(err)
	}
	cf.Info = []byte(`{"packets":1}`)
	s := newSample(rows)
	path := filepath.Join(dir, "c.pcap.pcapdex")
	if err := s.write(path, blockRows, []CaptureFile{cf}); err != nil {
		t.Fatal(err)
	}
	return path, s
}

// readAll reads every section, table chunk, key and bitmap of r through the public API and
// returns the first error (Verify does the same; this path does not go through Verify).
func readAll(r *Reader) error {
	for _, s := range r.Sections() {
		if _, err := r.Section(s.Name); err != nil {
			return err
		}
	}
	if _, ok := r.Lookup(TablePackets); ok {
		if pk, err := r.Packets(); err != nil {
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		} else {
			var pb PacketBlock
			for b := range pk.NumBlocks() {
				if err := pk.ReadBlock(b, &pb); err != nil {
					return err
				}
			}
		}
	}
	var col Column
	var scr Scratch
	bm := roaring.New()
	for _, s := range r.Sections() {
		switch s.Type {
		case SectionTableData:
			t, err := r.Table(s.Name)
			if err != nil {
				return err
			}
			for b := range t.NumBlocks() {
				for c := range t.Columns() {
					if err := t.ReadColumn(b, c, &col, &scr); err != nil {
						return err
					}
				}
			}
		case SectionPostings:
			p, err := r.Postings(s.Name)
			if err != nil {
				return err
			}
			for i := range p.Len() {
				k, err := p.Key(i)
				if err != nil {
					return err
				}
				if _, err := p.Lookup(k, bm); err != nil {
					return err
				}
			}
		case SectionCaptures:
			if _, err := r.Captures(); err != nil {
				return err
			}
		}
	}
	return nil
}

// sampleBytes writes a sample index (writeSample) and returns its bytes and sections, for
// tests that corrupt copies of it.
func sampleBytes(t testing.TB, rows, blockRows int) ([]byte, []SectionInfo) {
	t.Helper()
	path, _ := writeSample(t, rows, blockRows)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return good, slices.Clone(r.Sections())
}
