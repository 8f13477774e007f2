package index

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// corpusDir finds ../shared/corpus beside the repository root (the dir holding go.mod).
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the package dir")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus")
	if _, err := os.Stat(c); err != nil {
		t.Skipf("corpus not found at %s: skipping corpus tests", c)
	}
	return c
}

func TestBuildCorpusExample(t *testing.T) {
	capPath := filepath.Join(corpusDir(t), "example.pcap")
	out := filepath.Join(t.TempDir(), "example.pcapdex")
	st, err := BuildFiles(out, []string{capPath}, BuildOptions{BlockRows: 1024}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 4631 {
		t.Fatalf("indexed %d packets, want 4631", st.Packets)
	}
	// Reference: flowhash's own pipeline over the same capture.
	pr, err := pcapng.Open(capPath, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := flowhash.Process(pr, flowhash.Options{Workers: 1, Events: true})
	pr.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st.Flows != int64(len(ref.Flows)) || st.Events != int64(len(ref.Events)) {
		t.Fatalf("flows %d events %d, flowhash.Process gives %d and %d", st.Flows, st.Events, len(ref.Flows), len(ref.Events))
	}
	for _, m := range openModes {
		r, err := OpenOptions(out, m.opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Verify(); err != nil {
			t.Fatal(err)
		}
		if stale, why, err := r.Stale([]string{capPath}); stale || err != nil {
			t.Errorf("fresh index is stale: %q %v", why, err)
		}
		pk, _ := r.Table(TablePackets)
		pf, _ := r.Table(TablePacketFlow)
		fl, _ := r.Table(TableFlows)
		if pk.NumRows() != 4631 || pf.NumRows() != 4631 || pk.NumBlocks() != pf.NumBlocks() || fl.NumRows() != int64(len(ref.Flows)) {
			t.Fatalf("rows: packets %d packets.flow %d flows %d", pk.NumRows(), pf.NumRows(), fl.NumRows())
		}
		// Every flow's packets, counted through the per-packet flow column, equal the
		// flow's packet counters; and each flow's packets lie in its pblk range.
		count := make([]int64, len(ref.Flows)+1)
		var col Column
		var s Scratch
		pfirst := fl.ColumnIndex("pblk_first")
		plast := fl.ColumnIndex("pblk_last")
		var firsts, lasts []uint32
		for b := range fl.NumBlocks() {
			fl.ReadColumn(b, pfirst, &col, &s)
			firsts = append(firsts, col.U32...)
			fl.ReadColumn(b, plast, &col, &s)
			lasts = append(lasts, col.U32...)
		}
		for b := range pf.NumBlocks() {
			if err := pf.ReadColumn(b, 0, &col, &s); err != nil {
				t.Fatal(err)
			}
			for _, id := range col.U32 {
				count[id]++
				if id > 0 && (uint32(b) < firsts[id-1] || uint32(b) > lasts[id-1]) {
					t.Fatalf("flow %d has a packet in block %d outside [%d, %d]", id, b, firsts[id-1], lasts[id-1])
				}
			}
		}
		for i := range ref.Flows {
			f := &ref.Flows[i]
			if want := int64(f.OrigPkts + f.RespPkts); count[i+1] != want {
				t.Fatalf("flow %d: %d packets carry its id, flow counts %d", f.ID, count[i+1], want)
			}
		}
		if count[0] != int64(4631-ref.IPPackets) {
			t.Errorf("%d packets without a flow, want %d non-IP", count[0], 4631-ref.IPPackets)
		}
		// Postings agree with the flow table.
		post, err := r.Postings(PostOrigAddr)
		if err != nil {
			t.Fatal(err)
		}
		bm := roaring.New()
		union := roaring.New()
		for i := range post.Len() {
			k, _ := post.Key(i)
			if err := post.Bitmap(i, bm); err != nil {
				t.Fatal(err)
			}
			it := bm.Iterator()
			for it.HasNext() {
				row := it.Next()
				oh, _ := ref.Flows[row].OrigEndpoint()
				if !bytes.Equal(addrKey(oh, ref.Flows[row].Key.IPVersion), k) {
					t.Fatalf("flow row %d under orig_h %x has orig_h %x", row, k, oh)
				}
			}
			union.Or(bm)
		}
		if union.GetCardinality() != uint64(len(ref.Flows)) {
			t.Errorf("orig_h postings cover %d flows of %d", union.GetCardinality(), len(ref.Flows))
		}
		ps, _ := r.Postings(PostState)
		var total uint64
		for i := range ps.Len() {
			ps.Bitmap(i, bm)
			total += bm.GetCardinality()
		}
		if total != uint64(len(ref.Flows)) {
			t.Errorf("state postings hold %d flows, want %d", total, len(ref.Flows))
		}
		r.Close()
	}
	fi, _ := os.Stat(out)
	ci, _ := os.Stat(capPath)
	t.Logf("example.pcap: %d bytes, index %d bytes (%.2f%%), %.1f B/packet, %d flows",
		ci.Size(), fi.Size(), 100*float64(fi.Size())/float64(ci.Size()), float64(fi.Size())/4631, len(ref.Flows))
}
