package index

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

var openModes = []struct {
	name string
	opt  Options
}{{"mmap", Options{}}, {"read", Options{NoMmap: true}}}

func TestRoundTrip(t *testing.T) {
	path, s := writeSample(t, 1000, 128)
	for _, m := range openModes {
		t.Run(m.name, func(t *testing.T) {
			r, err := OpenOptions(path, m.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Mapped() == m.opt.NoMmap {
				t.Fatalf("Mapped() = %v with NoMmap %v", r.Mapped(), m.opt.NoMmap)
			}
			if err := r.Verify(); err != nil {
				t.Fatal(err)
			}
			meta, err := r.Section("meta")
			if err != nil || string(meta) != string(s.meta) {
				t.Fatalf("meta section: %v %q", err, meta)
			}
			if si, _ := r.Lookup("meta"); si.Codec != CodecZstd || si.Length >= si.RawLength {
				t.Errorf("meta section not compressed: %+v", si)
			}
			if si, _ := r.Lookup("raw"); si.Codec != CodecNone || si.Length != 4 {
				t.Errorf("tiny section: %+v", si)
			}
			if _, err := r.Section("nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("missing section: %v", err)
			}
			tb, err := r.Table("packets")
			if err != nil {
				t.Fatal(err)
			}
			if tb.NumRows() != 1000 || tb.NumBlocks() != 8 || tb.BlockRows() != 128 {
				t.Fatalf("table shape: %d rows %d blocks %d per block", tb.NumRows(), tb.NumBlocks(), tb.BlockRows())
			}
			if rows, first := tb.Block(7); rows != 1000-7*128 || first != 7*128 {
				t.Errorf("last block: %d rows from %d", rows, first)
			}
			var cols [6]Column
			var scr [6]Scratch
			var ts []int64
			var flow []uint32
			var win []uint16
			var dir []uint8
			var state [][]byte
			var addr [][16]byte
			for b := range tb.NumBlocks() {
				for c := range cols {
					if err := tb.ReadColumn(b, c, &cols[c], &scr[c]); err != nil {
						t.Fatal(err)
					}
				}
				lo, hi, ok := tb.BlockTimeRange(b)
				if !ok || lo != slices.Min(cols[0].I64) || hi != slices.Max(cols[0].I64) {
					t.Errorf("block %d time range %d..%d", b, lo, hi)
				}
				ts = append(ts, cols[0].I64...)
				flow = append(flow, cols[1].U32...)
				win = append(win, cols[2].U16...)
				dir = append(dir, cols[3].U8...)
				for _, v := range cols[4].Bytes {
					state = append(state, slices.Clone(v))
				}
				addr = append(addr, cols[5].Addr...)
			}
			if !slices.Equal(ts, s.ts) || !slices.Equal(flow, s.flow) || !slices.Equal(win, s.win) ||
				!slices.Equal(dir, s.dir) || !slices.Equal(addr, s.addr) ||
				!slices.EqualFunc(state, s.state, func(a, b []byte) bool { return string(a) == string(b) }) {
				t.Fatal("table columns differ from what was written")
			}
			// Time filter: only the blocks whose range meets the window.
			_, hi3, _ := tb.BlockTimeRange(3)
			lo4, _, _ := tb.BlockTimeRange(4)
			if got := tb.BlocksOverlapping(nil, hi3+1, lo4); !slices.Equal(got, []int{4}) && hi3 < lo4 {
				t.Errorf("blocks overlapping (%d, %d] = %v, want [4]", hi3, lo4, got)
			}
			p, err := r.Postings("post.port")
			if err != nil {
				t.Fatal(err)
			}
			if p.Len() != len(s.keys) {
				t.Fatalf("postings: %d keys", p.Len())
			}
			bm := roaring.New()
			for i, k := range s.keys {
				ok, err := p.Lookup(k, bm)
				if err != nil || !ok || !bm.Equals(s.bms[i]) {
					t.Fatalf("key %x: ok %v err %v card %d want %d", k, ok, err, bm.GetCardinality(), s.bms[i].GetCardinality())
				}
			}
			if ok, err := p.Lookup([]byte{0, 1}, bm); ok || err != nil {
				t.Errorf("absent key: ok %v err %v", ok, err)
			}
			// Bitmaps are copy-on-write views: mutating one must not touch the file.
			p.Lookup(s.keys[3], bm)
			bm.Add(999999999)
			bm.Remove(0)
			p.Lookup(s.keys[3], bm)
			if !bm.Equals(s.bms[3]) {
				t.Error("mutating a looked-up bitmap changed the stored one")
			}
			vp, err := r.Postings("post.state")
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range s.vkeys {
				if ok, err := vp.Lookup(k, bm); !ok || err != nil || !bm.Equals(roaring.BitmapOf(uint32(i), uint32(i*1000))) {
					t.Errorf("variable key %q: ok %v err %v %v", k, ok, err, bm)
				}
			}
			for _, c := range []struct {
				key  string
				want int
			}{{"", 0}, {"REJ", 0}, {"RSTO", 1}, {"S0", 1}, {"S1", 2}, {"SF", 2}, {"SF-", 3}, {"zzz", 4}} {
				if got, err := vp.Search([]byte(c.key)); got != c.want || err != nil {
					t.Errorf("Search(%q) = %d %v, want %d", c.key, got, err, c.want)
				}
			}
			for _, k := range []string{"", "A", "S", "SF-", "zzz"} {
				if ok, err := vp.Lookup([]byte(k), bm); ok || err != nil {
					t.Errorf("absent variable key %q: ok %v err %v", k, ok, err)
				}
			}
			cs, err := r.Captures()
			if err != nil || len(cs) != 1 || string(cs[0].Info) != `{"packets":1}` || cs[0].Size != 20 {
				t.Fatalf("captures: %v %+v", err, cs)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	p1, _ := writeSample(t, 700, 100)
	p2, _ := writeSample(t, 700, 100)
	b1, _ := os.ReadFile(p1)
	b2, _ := os.ReadFile(p2)
	// The capture paths differ (two temp dirs); blank the captures section and compare.
	r1, _ := Open(p1)
	defer r1.Close()
	si, _ := r1.Lookup("captures")
	if len(b1) != len(b2) {
		t.Fatalf("sizes %d and %d", len(b1), len(b2))
	}
	for i := range b1 {
		if b1[i] != b2[i] && (int64(i) < si.Offset || int64(i) >= si.Offset+si.Length) {
			// The directory holds the captures CRC, the footer the directory CRC.
			dirStart := si.Offset + si.Length
			if int64(i) < dirStart {
				t.Fatalf("byte %#x differs outside the captures section", i)
			}
		}
	}
}

func TestCorruptEachSection(t *testing.T) {
	good, secs := sampleBytes(t, 1000, 128)
	if len(secs) != 8 { // with capture-sums
		t.Fatalf("%d sections: %+v", len(secs), secs)
	}
	bad := filepath.Join(t.TempDir(), "bad.pcapdex")
	for _, s := range secs {
		for _, where := range []int64{0, s.Length / 2, s.Length - 1} {
			b := slices.Clone(good)
			off := s.Offset + where
			b[off] ^= 0x10
			if err := os.WriteFile(bad, b, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, m := range openModes {
				r, err := OpenOptions(bad, m.opt)
				if err != nil {
					t.Fatalf("%s: flip in section %q: Open failed: %v (Open must not read sections)", m.name, s.Name, err)
				}
				for _, check := range []struct {
					name string
					fn   func() error
				}{{"Verify", r.Verify}, {"readAll", func() error { return readAll(r) }}} {
					err := check.fn()
					var ce *CorruptError
					if !errors.As(err, &ce) || ce.Section != s.Name || !errors.Is(err, ErrCorrupt) {
						t.Errorf("%s %s: flip at %#x in section %q: got %v", m.name, check.name, off, s.Name, err)
						continue
					}
					if ce.Offset < s.Offset || ce.Offset > off || ce.File != bad {
						t.Errorf("%s: offset %#x outside section %q [%#x, %#x]", check.name, ce.Offset, s.Name, s.Offset, off)
					}
					if !strings.Contains(err.Error(), "crc32c mismatch") || !strings.Contains(err.Error(), `section "`+s.Name+`"`) {
						t.Errorf("message: %v", err)
					}
				}
				r.Close()
			}
		}
	}
	// The directory and the footer are checked by Open itself.
	dirOff := int64(binary.LittleEndian.Uint64(good[len(good)-footerSize:]))
	for _, off := range []int64{dirOff + 1, int64(len(good)) - 20, int64(len(good)) - 30, int64(len(good)) - 1, 2} {
		b := slices.Clone(good)
		b[off] ^= 1
		os.WriteFile(bad, b, 0o644)
		_, err := Open(bad)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Section != "" {
			t.Errorf("flip at %#x (directory/footer/header): got %v", off, err)
		}
	}
}

func TestTruncated(t *testing.T) {
	path, _ := writeSample(t, 300, 64)
	good, _ := os.ReadFile(path)
	bad := filepath.Join(t.TempDir(), "trunc.pcapdex")
	for n := 0; n < len(good); n++ {
		if n > 64 && n < len(good)-64 && n%61 != 0 {
			continue // every byte near the ends, a sample in the middle
		}
		os.WriteFile(bad, good[:n], 0o644)
		for _, m := range openModes {
			r, err := OpenOptions(bad, m.opt)
			if err == nil {
				r.Close()
				t.Fatalf("%s: truncated to %d of %d bytes: Open succeeded", m.name, n, len(good))
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated to %d: %v is not a CorruptError", n, err)
			}
		}
	}
}

func TestVersionMismatch(t *testing.T) {
	path, _ := writeSample(t, 10, 64)
	b, _ := os.ReadFile(path)
	binary.LittleEndian.PutUint32(b[8:], FormatVersion+1)
	bad := filepath.Join(t.TempDir(), "v.pcapdex")
	os.WriteFile(bad, b, 0o644)
	_, err := Open(bad)
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Got != FormatVersion+1 || !errors.Is(err, ErrVersion) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v", err)
	}
	os.WriteFile(bad, []byte("definitely not an index, but long enough to have a footer...."), 0o644)
	if _, err := Open(bad); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "not a pcapdex index") {
		t.Errorf("foreign file: %v", err)
	}
}

func TestWriterErrorsLeaveNoFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.pcapdex")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.AddSection(SectionBlob, "a", []byte("1"), false)
	if err := w.AddSection(SectionBlob, "a", []byte("2"), false); err == nil {
		t.Fatal("duplicate section accepted")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after an error succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
	w, _ = Create(path)
	tw, _ := w.NewTable("t", []ColumnSpec{{"a", KindUint8}, {"b", KindUint8}}, TableOptions{})
	tw.Pending()[0].U8 = append(tw.Pending()[0].U8, 1)
	if err := tw.Flush(); err == nil {
		t.Fatal("ragged block accepted")
	}
	w.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left behind after Abort: %v", ents)
	}
	w, _ = Create(path)
	if err := w.WritePostings("p", 1, [][]byte{{2}, {1}}, []*roaring.Bitmap{roaring.New(), roaring.New()}); err == nil {
		t.Fatal("unsorted postings keys accepted")
	}
	w.Abort()
}

func TestClosedReader(t *testing.T) {
	path, _ := writeSample(t, 100, 64)
	r, _ := Open(path)
	tb, _ := r.Table("packets")
	r.Close()
	var c Column
	var s Scratch
	if err := tb.ReadColumn(0, 0, &c, &s); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadColumn after Close: %v", err)
	}
	if _, err := r.Section("meta"); !errors.Is(err, ErrClosed) {
		t.Errorf("Section after Close: %v", err)
	}
}

func TestReadColumnNoAllocs(t *testing.T) {
	path, _ := writeSample(t, 4000, 1000)
	for _, m := range openModes {
		r, _ := OpenOptions(path, m.opt)
		tb, _ := r.Table("packets")
		cols := make([]Column, len(tb.Columns()))
		scr := make([]Scratch, len(cols))
		read := func() {
			for b := range tb.NumBlocks() {
				for c := range cols {
					if err := tb.ReadColumn(b, c, &cols[c], &scr[c]); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		read()
		if a := testing.AllocsPerRun(20, read); a != 0 && !raceEnabled {
			t.Errorf("%s: %v allocations per pass over %d blocks, want 0", m.name, a, tb.NumBlocks())
		}
		r.Close()
	}
}

func TestBackgroundTableSameBytes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, bg bool, ragged bool, spool ...bool) ([]byte, error) {
		path := filepath.Join(dir, name)
		w, err := Create(path)
		if err != nil {
			return nil, err
		}
		defer w.Abort()
		tw, err := w.NewTable("t", []ColumnSpec{{"ts", KindInt64}, {"v", KindUint32}}, TableOptions{BlockRows: 100, TimeColumn: "ts", Background: bg, Spool: len(spool) > 0})
		if err != nil {
			return nil, err
		}
		for i := range 1050 {
			c := tw.Pending()
			c[0].I64 = append(c[0].I64, int64(i*i))
			if !(ragged && i == 777) {
				c[1].U32 = append(c[1].U32, uint32(i%37))
			}
			if tw.Full() || (ragged && i == 777) {
				if err := tw.Flush(); err != nil {
					return nil, err
				}
			}
		}
		if err := tw.Close(); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return os.ReadFile(path)
	}
	fg, err := write("fg", false, false)
	if err != nil {
		t.Fatal(err)
	}
	bg, err := write("bg", true, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fg, bg) {
		t.Fatal("background table writes different bytes")
	}
	for _, b := range []bool{false, true} {
		sp, err := write("spool", b, false, true)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fg, sp) {
			t.Fatalf("spooled table (background %v) writes different bytes", b)
		}
	}
	if _, err := write("bad", true, true); err == nil {
		t.Fatal("ragged block in background mode accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "bad")); err == nil {
		t.Error("failed background write left a file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("temp files left: %d entries", len(ents))
	}
}

// TestVerifyPadding: a non-zero byte in the padding between sections is refused by Verify.
func TestVerifyPadding(t *testing.T) {
	path, _ := writeSample(t, 100, 64)
	good, _ := os.ReadFile(path)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	secs := slices.Clone(r.Sections())
	r.Close()
	bad := filepath.Join(t.TempDir(), "bad.pcapdex")
	pads := 0
	for i, s := range secs {
		end := s.Offset + s.Length
		if end%sectionAlign == 0 {
			continue
		}
		img := slices.Clone(good)
		img[end] = 1
		os.WriteFile(bad, img, 0o644)
		r, err := Open(bad)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Verify(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "padding") {
			t.Errorf("pad byte at %#x after section %d %q: Verify: %v", end, i, s.Name, err)
		}
		r.Close()
		pads++
	}
	if pads == 0 {
		t.Fatal("no section is followed by padding")
	}
}
