package index

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestPostingsSingleRows: a key of one row is stored as that row (4 bytes, no bitmap),
// between keys with bitmaps in any order; every lookup gives back its rows, and the
// section is smaller than with a bitmap per key.
func TestPostingsSingleRows(t *testing.T) {
	var keys [][]byte
	var bms []*roaring.Bitmap
	for i := range 300 {
		keys = append(keys, binary.BigEndian.AppendUint16(nil, uint16(i)))
		switch {
		case i%7 == 3:
			bms = append(bms, roaring.BitmapOf(uint32(i), uint32(i+5), 70000+uint32(i)))
		case i%11 == 5:
			bm := roaring.New()
			bm.AddRange(uint64(i), uint64(i+40))
			bm.RunOptimize()
			bms = append(bms, bm)
		default:
			bms = append(bms, roaring.BitmapOf(uint32(i)*4099+1<<31))
		}
	}
	path := filepath.Join(t.TempDir(), "single.pcapdex")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePostings("p", 2, keys, bms); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	all, err := appendPostingsRaw(nil, "p", 2, keys, func() (ser [][]byte) {
		for _, bm := range bms {
			b, _ := bm.ToBytes()
			ser = append(ser, b)
		}
		return ser
	}())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range openModes {
		r, err := OpenOptions(path, m.opt)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Postings("p")
		if err != nil {
			t.Fatal(err)
		}
		if p.sec.Length*3 > int64(len(all))*2 {
			t.Errorf("%s: %d bytes with single rows inline, %d with a bitmap per key", m.name, p.sec.Length, len(all))
		}
		bm := roaring.New()
		for i, k := range keys {
			if ok, err := p.Lookup(k, bm); !ok || err != nil || !bm.Equals(bms[i]) {
				t.Fatalf("%s: key %d: %v %v, rows %v want %v", m.name, i, ok, err, bm.ToArray(), bms[i].ToArray())
			}
		}
		if err := r.Verify(); err != nil {
			t.Error(err)
		}
		r.Close()
	}
	// An offset that is not a multiple of 4 is corrupt.
	img, _ := os.ReadFile(path)
	r, _ := Open(path)
	p, _ := r.Postings("p")
	at := p.base + int64(p.boffsAt) + 4
	r.Close()
	img[at] |= 1
	bad := filepath.Join(t.TempDir(), "bad.pcapdex")
	os.WriteFile(bad, img, 0o644)
	if r, err := Open(bad); err == nil {
		p, err := r.Postings("p")
		if err == nil {
			bm := roaring.New()
			_, err = p.Lookup(keys[0], bm)
		}
		if err == nil {
			t.Error("a damaged offset went unnoticed")
		}
		r.Close()
	}
}
