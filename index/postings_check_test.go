package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// pagedPostings describes the postings sections of writePagedPostings: many pages each, so
// that a lookup reads only a few of them.
var pagedPostings = []struct {
	name  string
	width int
	n     int
	key   func(i int) []byte
}{
	{"post.fixed", 4, 20000, func(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i*7)) }},
	{"post.var", 0, 5000, func(i int) []byte { return fmt.Appendf(nil, "key-%05d%s", i, strings.Repeat("x", i%5)) }},
}

// pagedBitmap is the bitmap of key i: two containers, so 28 bytes serialized.
func pagedBitmap(i int) *roaring.Bitmap { return roaring.BitmapOf(uint32(i), uint32(i+100000)) }

func writePagedPostings(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "paged.pcapdex")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.AddSection(SectionBlob, "meta", []byte("x"), false); err != nil {
		t.Fatal(err)
	}
	for _, s := range pagedPostings {
		keys := make([][]byte, s.n)
		bms := make([]*roaring.Bitmap, s.n)
		for i := range keys {
			keys[i], bms[i] = s.key(i), pagedBitmap(i)
		}
		if err := w.WritePostings(s.name, s.width, keys, bms); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// verifiedPages returns the pages of p whose checksums have been verified.
func verifiedPages(p *Postings) []int {
	var pages []int
	for pg := range len(p.sums) / 4 {
		if p.verified(pg) {
			pages = append(pages, pg)
		}
	}
	return pages
}

// TestPostingsLookupChecksWhatItReads: a lookup verifies the pages it reads (a binary
// search's worth), not the whole section; Verify verifies every page.
func TestPostingsLookupChecksWhatItReads(t *testing.T) {
	path := writePagedPostings(t)
	for _, m := range openModes {
		for _, s := range pagedPostings {
			r, err := OpenOptions(path, m.opt)
			if err != nil {
				t.Fatal(err)
			}
			p, err := r.Postings(s.name)
			if err != nil {
				t.Fatal(err)
			}
			pages := len(p.sums) / 4
			if pages < 40 || p.Len() != s.n {
				t.Fatalf("%s: %d keys in %d pages: too few to tell", s.name, p.Len(), pages)
			}
			if got := verifiedPages(p); len(got) > 3 {
				t.Errorf("%s %s: opening verified pages %v", m.name, s.name, got)
			}
			bm := roaring.New()
			if ok, err := p.Lookup(s.key(s.n/3), bm); !ok || err != nil || !bm.Equals(pagedBitmap(s.n/3)) {
				t.Fatalf("%s %s: lookup: %v %v %v", m.name, s.name, ok, err, bm)
			}
			// Per binary-search probe a key page (and for variable keys an offsets page),
			// then the bitmap offsets and the bitmap.
			probes := bits.Len(uint(s.n))
			if got := verifiedPages(p); len(got) > 2*probes+5 || len(got) < 3 {
				t.Errorf("%s %s: one lookup verified %d of %d pages: %v", m.name, s.name, len(got), pages, got)
			}
			if err := r.Verify(); err != nil {
				t.Fatal(err)
			}
			if got := verifiedPages(p); len(got) != pages {
				t.Errorf("%s %s: Verify verified %d of %d pages", m.name, s.name, len(got), pages)
			}
			r.Close()
		}
	}
}

// TestPostingsCorruptPage flips a byte in a posting list a lookup does not read, and in one
// it does: the first lookup still answers (and exactly), the second fails with a
// *CorruptError naming the section and the page holding the flipped byte; reading the
// corrupt list fails the same way, and Verify refuses the file.
func TestPostingsCorruptPage(t *testing.T) {
	path := writePagedPostings(t)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pcapdex")
	for _, s := range pagedPostings {
		// Find, in the good file, which pages a lookup of key a reads, and a key b whose
		// key and bitmap lie on other pages.
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Postings(s.name)
		if err != nil {
			t.Fatal(err)
		}
		a := s.n / 3
		bm := roaring.New()
		if ok, err := p.Lookup(s.key(a), bm); !ok || err != nil {
			t.Fatal(ok, err)
		}
		touched := verifiedPages(p)
		keyAt := func(i int) int { // body offset of key i's first byte
			if p.width > 0 {
				return p.keysAt + i*p.width
			}
			return p.keysAt + int(binary.LittleEndian.Uint32(p.koffs[4*i:]))
		}
		bitmapAt := func(i int) int { return p.areaAt + int(binary.LittleEndian.Uint32(p.boffs[4*i:])) + 3 }
		b := -1
		for i := s.n - 1; i > a; i-- {
			if !slices.Contains(touched, keyAt(i)>>postingsShift) && !slices.Contains(touched, bitmapAt(i)>>postingsShift) {
				b = i
				break
			}
		}
		if b < 0 {
			t.Fatalf("%s: every key shares a page with the lookup of key %d", s.name, a)
		}
		base := p.base
		flips := []struct {
			what      string
			at        int // body offset of the flipped byte
			untouched int // key whose lookup must still answer
			touched   int // key whose lookup must fail
		}{
			{"bitmap not read", bitmapAt(b), a, b},
			{"bitmap read", bitmapAt(a), b, a},
			{"key not read", keyAt(b), a, b},
		}
		r.Close()

		for _, flip := range flips {
			img := slices.Clone(good)
			off := base + int64(flip.at)
			img[off] ^= 0x10
			if err := os.WriteFile(bad, img, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, m := range openModes {
				where := fmt.Sprintf("%s %s: %s (key %d, file offset %#x)", m.name, s.name, flip.what, flip.touched, off)
				r, err := OpenOptions(bad, m.opt)
				if err != nil {
					t.Fatalf("%s: Open: %v", where, err)
				}
				p, err := r.Postings(s.name)
				if err != nil {
					t.Fatalf("%s: Postings: %v", where, err)
				}
				bm := roaring.New()
				if ok, err := p.Lookup(s.key(flip.untouched), bm); !ok || err != nil || !bm.Equals(pagedBitmap(flip.untouched)) {
					t.Errorf("%s: lookup of key %d: %v %v %v", where, flip.untouched, ok, err, bm)
				}
				_, err = p.Lookup(s.key(flip.touched), bm)
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Section != s.name || ce.File != bad {
					t.Fatalf("%s: lookup: got %v", where, err)
				}
				pageStart := base + int64(flip.at&^(postingsPage-1))
				if ce.Offset != pageStart || !strings.Contains(err.Error(), "crc32c mismatch") || !bm.IsEmpty() {
					t.Errorf("%s: lookup: got %v at %#x with %d values, want the page at %#x", where, err, ce.Offset, bm.GetCardinality(), pageStart)
				}
				// Sticky: asking again gives the same answer, not the unverified bytes.
				if _, err2 := p.Lookup(s.key(flip.touched), bm); err2 == nil || err2.Error() != err.Error() {
					t.Errorf("%s: second lookup: %v", where, err2)
				}
				if err := r.Verify(); !errors.As(err, &ce) || ce.Section != s.name {
					t.Errorf("%s: Verify: %v", where, err)
				}
				r.Close()
			}
		}
	}
}

// TestPostingsCorruptAnywhere flips bytes all over each postings section (body, page
// checksums, trailer): reading every key and bitmap through Postings, without Section or
// Verify, fails with a *CorruptError at or before the flipped byte.
func TestPostingsCorruptAnywhere(t *testing.T) {
	good, secs := sampleBytes(t, 100, 64)
	bad := filepath.Join(t.TempDir(), "bad.pcapdex")
	checked := 0
	for _, s := range secs {
		if s.Type != SectionPostings {
			continue
		}
		for where := int64(0); where < s.Length; where += 1 + where%13 {
			img := slices.Clone(good)
			off := s.Offset + where
			img[off] ^= 0x04
			os.WriteFile(bad, img, 0o644)
			for _, m := range openModes {
				r, err := OpenOptions(bad, m.opt)
				if err != nil {
					t.Fatal(err)
				}
				err = readPostings(r, s.Name)
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Section != s.Name || ce.Offset < s.Offset || ce.Offset > off {
					t.Fatalf("%s: flip at %#x of %q [%#x, +%d): got %v", m.name, off, s.Name, s.Offset, s.Length, err)
				}
				if where < s.Length-8 || where >= s.Length-4 { // all but the body length
					if !strings.Contains(err.Error(), "crc32c mismatch") {
						t.Errorf("flip at %#x: %v", off, err)
					}
				}
				checked++
				r.Close()
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d flips", checked)
	}
}

// readPostings reads every key and bitmap of the named postings section.
func readPostings(r *Reader, name string) error {
	p, err := r.Postings(name)
	if err != nil {
		return err
	}
	bm := roaring.New()
	for i := range p.Len() {
		if _, err := p.Key(i); err != nil {
			return err
		}
		if err := p.Bitmap(i, bm); err != nil {
			return err
		}
	}
	return nil
}
