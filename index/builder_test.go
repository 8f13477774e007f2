package index

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/pcapng"
)

// corpusDir finds the shared corpus (internal/testcorpus), skipping when it is absent.
func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

func TestBuildCorpusExample(t *testing.T) {
	capPath := filepath.Join(corpusDir(t), "example.pcap")
	out := filepath.Join(t.TempDir(), "example.pcapdex")
	st, err := BuildFiles(out, []string{capPath}, BuildOptions{BlockRows: 1024})
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
		pks, err := r.Packets()
		if err != nil {
			t.Fatal(err)
		}
		var pb PacketBlock
		for b := range pf.NumBlocks() {
			if err := pks.ReadFlowIDs(b, &pb); err != nil {
				t.Fatal(err)
			}
			for _, id := range pb.Flow {
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

// TestPacketsRoundTrip reads the example capture again and checks every packet column the
// index returns (seq/ack go through the prediction coding) against values computed from
// the capture, with blocks small enough that connections cross many block boundaries.
func TestPacketsRoundTrip(t *testing.T) {
	capPath := filepath.Join(corpusDir(t), "example.pcap")
	out := filepath.Join(t.TempDir(), "example.pcapdex")
	if _, err := BuildFiles(out, []string{capPath}, BuildOptions{BlockRows: 300}); err != nil {
		t.Fatal(err)
	}
	type want struct {
		ts, off             int64
		caplen, origlen     uint32
		flags               uint16
		dir                 uint8
		seq, ack, win, plen uint32
	}
	var ref []want
	pr, err := pcapng.Open(capPath, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[flowhash.Key]*keyState{}
	var p pcapng.Packet
	var d fastparse.Packet
	for pr.Next(&p) == nil {
		fastparse.Decode(&d, p.LinkType, p.Data, p.OrigLen)
		w := want{ts: p.TS, off: p.Offset, caplen: p.CapLen, origlen: p.OrigLen}
		if k, kd, ok := flowhash.KeyOf(&d); ok {
			w.dir, w.plen = uint8(kd), d.PayloadLen
			s := states[k]
			if s == nil {
				s = &keyState{rel: flowhash.NewRelSeq()}
				states[k] = s
			}
			if d.Proto == fastparse.ProtoTCP && d.HasL4 {
				w.flags = d.TCPFlags
				seg := flowhash.Segment{Seq: d.Seq, Ack: d.Ack, TCPFlags: d.TCPFlags, Window: d.Window, TCPOpts: d.TCPOpts, WScale: d.WScale}
				w.seq, w.ack, w.win = s.rel.Next(&seg, int(kd))
			}
		}
		ref = append(ref, w)
	}
	pr.Close()
	if len(ref) != 4631 {
		t.Fatalf("reference has %d packets", len(ref))
	}
	r, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pk, err := r.Packets()
	if err != nil {
		t.Fatal(err)
	}
	var blk PacketBlock
	row := 0
	nonzeroSeq := 0
	for b := range pk.NumBlocks() {
		if err := pk.ReadBlock(b, &blk); err != nil {
			t.Fatal(err)
		}
		if blk.First != int64(row) {
			t.Fatalf("block %d starts at row %d, want %d", b, blk.First, row)
		}
		var fo PacketBlock
		if err := pk.ReadFlowIDs(b, &fo); err != nil || !slices.Equal(fo.Flow, blk.Flow) || !slices.Equal(fo.Analysis, blk.Analysis) {
			t.Fatalf("block %d: ReadFlowIDs differs from ReadBlock (%v)", b, err)
		}
		for i, id := range blk.Flow {
			if id == 0 && blk.Flags[i] != 0 {
				t.Fatalf("frame %d: TCP packet without a flow", row+i+1)
			}
		}
		for i := range blk.TS {
			w := ref[row]
			got := want{blk.TS[i], blk.Off[i], blk.CapLen[i], blk.OrigLen[i], blk.Flags[i], blk.Dir[i], blk.Seq[i], blk.Ack[i], blk.Win[i], blk.PLen[i]}
			if got != w {
				t.Fatalf("frame %d: got %+v, want %+v", row+1, got, w)
			}
			if w.seq > 1 {
				nonzeroSeq++
			}
			row++
		}
	}
	if row != 4631 || nonzeroSeq < 1000 {
		t.Fatalf("%d rows, %d with seq > 1", row, nonzeroSeq)
	}
	allocs := testing.AllocsPerRun(10, func() {
		for b := range pk.NumBlocks() {
			if err := pk.ReadBlock(b, &blk); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("ReadBlock: %v allocations per pass, want 0", allocs)
	}
}

func TestSeqChain(t *testing.T) {
	// Two interleaved connections and a non-TCP packet; gaps are small where predictable.
	type pkt struct {
		key      int
		dir      int
		seq, ack uint32
		plen     uint32
		flags    uint16
	}
	pkts := []pkt{
		{0, 0, 0, 0, 0, tcpSyn},
		{0, 1, 0, 1, 0, tcpSyn | tcpAck},
		{1, 0, 1, 1, 100, tcpAck},
		{0, 0, 1, 1, 0, tcpAck},
		{0, 0, 1, 1, 500, tcpAck},
		{-1, 0, 0, 0, 30, 0},
		{0, 1, 1, 501, 0, tcpAck},
		{1, 1, 1, 101, 0, tcpAck},
		{0, 0, 1000, 1, 10, tcpAck | tcpFin}, // a gap (lost segment)
		{0, 1, 1, 1011, 0, tcpAck | tcpFin},
	}
	chains := make([]chainState, 2)
	var nslot uint32
	n := len(pkts)
	kslot, seq, ack, plen, win := make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n)
	dir, flags := make([]uint8, n), make([]uint16, n)
	for i, p := range pkts {
		dir[i], flags[i], plen[i] = uint8(p.dir), p.flags, p.plen
		if p.key < 0 {
			continue
		}
		kslot[i], seq[i], ack[i], win[i], plen[i] = chains[p.key].encode(0, &nslot, p.dir, p.seq, p.ack, 65535-p.seq, p.plen, p.plen+54, p.flags)
	}
	if !slices.Equal(kslot, []uint32{1, 1, 2, 1, 1, 0, 1, 2, 1, 1}) {
		t.Fatalf("slots %v", kslot)
	}
	// Predictable numbers cost nothing: the data segment after the handshake, and acks.
	if seq[4] != 0 || ack[6] != 0 || ack[7] != 0 || seq[9] != 0 || seq[8] == 0 {
		t.Fatalf("stored seq %v ack %v", seq, ack)
	}
	caplen := make([]uint32, n)
	for i, p := range pkts {
		caplen[i] = p.plen + 54
	}
	if _, err := ResolveSeqAck(n, kslot, dir, flags, caplen, plen, seq, ack, win, nil); err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		if plen[i] != p.plen || p.key >= 0 && (seq[i] != p.seq || win[i] != 65535-p.seq || (p.flags&tcpAck != 0 && ack[i] != p.ack)) {
			t.Errorf("packet %d: seq %d ack %d, want %d %d", i, seq[i], ack[i], p.seq, p.ack)
		}
	}
	if _, err := ResolveSeqAck(1, []uint32{5}, []uint8{0}, []uint16{0}, []uint32{0}, []uint32{0}, []uint32{0}, []uint32{0}, []uint32{0}, nil); err == nil {
		t.Error("slot beyond the block accepted")
	}
}
