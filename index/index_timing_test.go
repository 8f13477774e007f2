package index

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// benchIndex builds the corpus example index once per benchmark (skips without the corpus).
func benchIndex(b *testing.B) string {
	b.Helper()
	out := filepath.Join(b.TempDir(), "example.pcapdex")
	if _, err := BuildFiles(out, []string{filepath.Join(corpusDir(b), "example.pcap")}, BuildOptions{}); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkOpen: open (mmap, footer, directory) and close.
func BenchmarkOpen(b *testing.B) {
	path := benchIndex(b)
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

// BenchmarkOpenLookup: open, then look up one address in the postings (first touch: the
// page checksums and the pages the lookup reads) and fetch its bitmap: the index part of
// `flows host X`. The index is $PCAPDEX_BENCH_INDEX (e.g. the 2 GB benchmark capture's,
// whose post.resp_h is 5.5 MB), else the corpus example's.
func BenchmarkOpenLookup(b *testing.B) {
	path := os.Getenv("PCAPDEX_BENCH_INDEX")
	if path == "" {
		path = benchIndex(b)
	}
	r, _ := Open(path)
	p, _ := r.Postings(PostRespAddr)
	key, _ := p.Key(p.Len() / 2)
	key = append([]byte(nil), key...)
	r.Close()
	bm := roaring.New()
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		p, err := r.Postings(PostRespAddr)
		if err != nil {
			b.Fatal(err)
		}
		if ok, err := p.Lookup(key, bm); !ok || err != nil {
			b.Fatal(ok, err)
		}
		r.Close()
	}
}

// BenchmarkLookup: a lookup in an already open postings section.
func BenchmarkLookup(b *testing.B) {
	path := benchIndex(b)
	r, _ := Open(path)
	defer r.Close()
	p, _ := r.Postings(PostOrigPort)
	var key [2]byte
	bm := roaring.New()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k, _ := p.Key(i % p.Len())
		copy(key[:], k)
		if ok, err := p.Lookup(key[:], bm); !ok || err != nil {
			b.Fatal(ok, err)
		}
		i++
	}
	_ = binary.BigEndian
}

// BenchmarkReadColumn: decode the ts column of every packet block into reused buffers.
func BenchmarkReadColumn(b *testing.B) {
	path := benchIndex(b)
	r, _ := Open(path)
	defer r.Close()
	t, _ := r.Table(TablePackets)
	var col Column
	var s Scratch
	b.ReportAllocs()
	b.SetBytes(8 * t.NumRows())
	for b.Loop() {
		for blk := range t.NumBlocks() {
			if err := t.ReadColumn(blk, 0, &col, &s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkBuild: index the example capture (bytes/s of capture).
func BenchmarkBuild(b *testing.B) {
	in := filepath.Join(corpusDir(b), "example.pcap")
	out := filepath.Join(b.TempDir(), "x.pcapdex")
	fp, _ := Fingerprint(in)
	b.SetBytes(fp.Size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildFiles(out, []string{in}, BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostQuery is the index side of `pcapdex flows host X` as a fresh process does
// it: open, check staleness (stat + hash of the capture's ends), look the address up in
// both address postings, and decode every flow-table column of the blocks holding matches.
// The capture is $PCAPDEX_BENCH_CAPTURE, else the corpus example.
func BenchmarkHostQuery(b *testing.B) {
	in := os.Getenv("PCAPDEX_BENCH_CAPTURE")
	if in == "" {
		in = filepath.Join(corpusDir(b), "example.pcap")
	}
	out := filepath.Join(b.TempDir(), "q.pcapdex")
	if _, err := BuildFiles(out, []string{in}, BuildOptions{}); err != nil {
		b.Fatal(err)
	}
	r, _ := Open(out)
	p, _ := r.Postings(PostRespAddr)
	key, _ := p.Key(p.Len() / 2)
	key = append([]byte(nil), key...)
	r.Close()
	orig, resp := roaring.New(), roaring.New()
	var col Column
	var s Scratch
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(out)
		if err != nil {
			b.Fatal(err)
		}
		if stale, why, err := r.Stale([]string{in}); stale || err != nil {
			b.Fatal(why, err)
		}
		po, _ := r.Postings(PostOrigAddr)
		pr, _ := r.Postings(PostRespAddr)
		orig.Clear()
		resp.Clear()
		if _, err := po.Lookup(key, orig); err != nil {
			b.Fatal(err)
		}
		if _, err := pr.Lookup(key, resp); err != nil {
			b.Fatal(err)
		}
		hits := roaring.Or(orig, resp)
		t, _ := r.Table(TableFlows)
		prev := -1
		it := hits.Iterator()
		for it.HasNext() {
			blk := int(it.Next()) / t.BlockRows()
			if blk == prev {
				continue
			}
			prev = blk
			for c := range t.Columns() {
				if err := t.ReadColumn(blk, c, &col, &s); err != nil {
					b.Fatal(err)
				}
			}
		}
		r.Close()
	}
}
