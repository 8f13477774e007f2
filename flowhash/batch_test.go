package flowhash

import (
	"errors"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// pktOut is what a consumer sees of one packet.
type pktOut struct {
	Frame uint64
	TS    int64
	Info  PacketInfo
}

// consumeFiles runs paths (one capture set) through a Pipeline and records every packet the
// consumer is handed, checking batches arrive in frame order.
func consumeFiles(t *testing.T, paths []string, opt Options, noMmap bool) ([]pktOut, *Result) {
	t.Helper()
	var out []pktOut
	pl := NewPipeline(opt, BatchFunc(func(b *Batch) error {
		if b.Frame != uint64(len(out))+1 {
			t.Fatalf("batch starts at frame %d, want %d", b.Frame, len(out)+1)
		}
		if len(b.Info) != len(b.Packets) {
			t.Fatalf("%d infos for %d packets", len(b.Info), len(b.Packets))
		}
		for i := range b.Packets {
			out = append(out, pktOut{b.Frame + uint64(i), b.Packets[i].TS, b.Info[i]})
		}
		return nil
	}))
	for _, path := range paths {
		r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
		if err != nil {
			continue
		}
		pl.Run(r)
		r.Close()
	}
	sum := pl.Summary()
	res := pl.Result()
	if sum.Totals != res.Totals || sum.TCPConversations != res.TCPConversations || sum.UDPConversations != res.UDPConversations ||
		sum.Packets != res.Packets || sum.IPPackets != res.IPPackets || sum.Decode != res.Decode {
		t.Errorf("%v: Summary %+v differs from Result", paths, *sum)
	}
	return out, res
}

// TestBatchInfo: the per-packet results a consumer gets are the same for 1, 2 and 3 workers,
// mapped or not, and agree with the Result: each flow id's packets add up to the flow's
// packet count and its first packet is the flow's first frame; key ids number keys in order
// of first packet; event bits are exactly the packet's events; the Tracker gives the same.
func TestBatchInfo(t *testing.T) {
	dir := corpusDir(t)
	files := []string{"206_example_b.pcap", "1000-requests-one-dropped-response.pcap.gz", "example.pcap", "many-protocols.pcap", "test202.pcapng", "802.1ad_QinQ.pcap", "gre-aruba.pcap", "retransmit-fast009.pcap"}
	var sets [][]string
	for _, f := range files {
		sets = append(sets, []string{filepath.Join(dir, f)})
	}
	sets = append(sets, []string{filepath.Join(dir, files[0]), filepath.Join(dir, files[2]), filepath.Join(dir, files[0])})
	for _, set := range sets {
		name := filepath.Base(set[0])
		if len(set) > 1 {
			name = "set"
		}
		base, res := consumeFiles(t, set, Options{Workers: 1, Events: true}, false)
		if len(base) == 0 {
			t.Errorf("%s: no packets", name)
			continue
		}
		checkInfo(t, name, base, res)
		for _, w := range []int{2, 3} {
			for _, noMmap := range []bool{false, true} {
				got, res2 := consumeFiles(t, set, Options{Workers: w, Events: true}, noMmap)
				if !reflect.DeepEqual(got, base) {
					t.Errorf("%s: workers=%d noMmap=%v: per-packet results differ from workers=1", name, w, noMmap)
				}
				if !reflect.DeepEqual(res2.Flows, res.Flows) || !reflect.DeepEqual(res2.Events, res.Events) {
					t.Errorf("%s: workers=%d: result differs", name, w)
				}
			}
		}
		if len(set) > 1 {
			continue
		}
		// The Tracker numbers flows and keys the same way.
		r, err := pcapng.Open(set[0], pcapng.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tr := NewTracker(Options{Events: true})
		var p pcapng.Packet
		var d fastparse.Packet
		for i := 0; r.Next(&p) == nil; i++ {
			fcs := 0
			if ifs := r.Interfaces(); ifs[p.Iface].FCSLen > 0 && ifs[p.Iface].FCSLen < 128 {
				fcs = ifs[p.Iface].FCSLen
			}
			fastparse.DecodeFCS(&d, p.LinkType, p.Data, p.OrigLen, fcs)
			pr := tr.Add(&d, uint64(i+1), p.TS)
			in := &base[i].Info
			if !in.IP {
				continue
			}
			if pr.Serial+1 != in.Flow || pr.KeySerial+1 != in.Key || pr.Events != in.Events || pr.Analysis != in.Analysis || pr.ScaledWindow != in.ScaledWindow || pr.FromOrig != in.FromOrig {
				t.Fatalf("%s: frame %d: Tracker %+v, pipeline %+v", name, i+1, pr, *in)
			}
		}
		r.Close()
	}
}

func checkInfo(t *testing.T, name string, pk []pktOut, res *Result) {
	t.Helper()
	n := len(res.Flows)
	pkts := make([]uint64, n+1)
	first := make([]uint64, n+1)
	keyOf := make([]uint32, n+1)
	var maxKey uint32
	evBits := map[uint64]uint32{}
	for _, e := range res.Events {
		evBits[e.Frame] |= 1 << e.Type
	}
	for _, p := range pk {
		in := &p.Info
		if in.Events != evBits[p.Frame] {
			t.Fatalf("%s: frame %d: event bits %#x, events give %#x", name, p.Frame, in.Events, evBits[p.Frame])
		}
		if !in.IP {
			if in.Flow != 0 || in.Key != 0 {
				t.Fatalf("%s: frame %d without IP has flow %d key %d", name, p.Frame, in.Flow, in.Key)
			}
			continue
		}
		if in.Flow == 0 || int(in.Flow) > n {
			t.Fatalf("%s: frame %d: flow id %d of %d", name, p.Frame, in.Flow, n)
		}
		if first[in.Flow] == 0 {
			first[in.Flow] = p.Frame
		}
		pkts[in.Flow]++
		if in.Key > maxKey+1 {
			t.Fatalf("%s: frame %d: key id %d skips (max so far %d)", name, p.Frame, in.Key, maxKey)
		}
		maxKey = max(maxKey, in.Key)
		if keyOf[in.Flow] == 0 {
			keyOf[in.Flow] = in.Key
		} else if keyOf[in.Flow] != in.Key {
			t.Fatalf("%s: flow %d has keys %d and %d", name, in.Flow, keyOf[in.Flow], in.Key)
		}
	}
	keyIDs := map[Key]uint32{}
	for i := range res.Flows {
		f := &res.Flows[i]
		if pkts[f.ID] != f.OrigPkts+f.RespPkts || first[f.ID] != f.FirstFrame {
			t.Fatalf("%s: flow %d: %d packets from frame %d in batches, result has %d from %d",
				name, f.ID, pkts[f.ID], first[f.ID], f.OrigPkts+f.RespPkts, f.FirstFrame)
		}
		if k, ok := keyIDs[f.Key]; ok && k != keyOf[f.ID] {
			t.Fatalf("%s: flow %d: key id %d, an earlier flow of its key had %d", name, f.ID, keyOf[f.ID], k)
		}
		keyIDs[f.Key] = keyOf[f.ID]
	}
	if len(keyIDs) != int(maxKey) {
		t.Fatalf("%s: %d distinct keys, %d key ids", name, len(keyIDs), maxKey)
	}
}

// TestPipelineNoAllocs: a Run over a capture whose flows are known allocates a constant
// amount (goroutines, channels: under 100), nothing per packet or per batch.
func TestPipelineNoAllocs(t *testing.T) {
	path := filepath.Join(corpusDir(t), "example.pcap")
	for _, w := range []int{1, 2} {
		pl := NewPipeline(Options{Workers: w}, BatchFunc(func(*Batch) error { return nil }))
		var n uint64
		run := func() {
			r, err := pcapng.Open(path, pcapng.Options{})
			if err != nil {
				t.Skip(err)
			}
			before := pl.frames
			pl.Run(r)
			n = pl.frames - before
			r.Close()
		}
		run()
		allocs := testing.AllocsPerRun(3, run)
		t.Logf("workers=%d: %.0f allocations per run of %d packets", w, allocs, n)
		if allocs > 100 || n < 2*batchSize {
			t.Errorf("workers=%d: %.0f allocations per run of %d packets", w, allocs, n)
		}
	}
}

// TestMergeParallel: results with enough flows to fill records on several goroutines are
// the same as filled on one.
func TestMergeParallel(t *testing.T) {
	run := func() *Result {
		tr := NewTracker(Options{Events: true})
		p := fastparse.Packet{IPVersion: 4, Proto: fastparse.ProtoTCP, HasL4: true, TCPFlags: fastparse.TCPSyn, IPLen: 40, IPHdrLen: 20}
		for i := 0; i < 50_000; i++ {
			p.SrcIP[0], p.SrcIP[1], p.SrcIP[2], p.SrcIP[3] = 10, byte(i>>16), byte(i>>8), byte(i)
			p.DstIP[0], p.DstIP[3] = 192, 1
			p.SrcPort, p.DstPort = uint16(i), 80
			tr.Add(&p, uint64(2*i+1), int64(i))
			tr.Add(&p, uint64(2*i+2), int64(i)+1) // a repeated SYN: an event
		}
		return tr.Result()
	}
	prev := runtime.GOMAXPROCS(1)
	one := run()
	runtime.GOMAXPROCS(max(prev, 2))
	two := run()
	runtime.GOMAXPROCS(prev)
	if len(one.Flows) != 50_000 || len(one.Events) == 0 {
		t.Fatalf("%d flows, %d events", len(one.Flows), len(one.Events))
	}
	if !reflect.DeepEqual(one, two) {
		t.Error("results differ with GOMAXPROCS 1 and 2")
	}
	for i := range one.Events {
		if e := &one.Events[i]; e.FlowID != (e.Frame+1)/2 {
			t.Fatalf("event at frame %d names flow %d, want %d", e.Frame, e.FlowID, (e.Frame+1)/2)
		}
	}
}

// TestConsumerStops: a consumer error stops the run; Run returns it, and the result of what
// was tracked is still ordered by first frame and numbered 1..n (flows the collector never
// named are placed by sorting).
func TestConsumerStops(t *testing.T) {
	path := filepath.Join(corpusDir(t), "example.pcap")
	stop := errors.New("stop")
	for _, w := range []int{1, 2, 3} {
		pl := NewPipeline(Options{Workers: w, Events: true}, BatchFunc(func(b *Batch) error { return stop }))
		r, err := pcapng.Open(path, pcapng.Options{})
		if err != nil {
			t.Skip(err)
		}
		if err := pl.Run(r); !errors.Is(err, stop) {
			t.Errorf("workers=%d: Run returned %v", w, err)
		}
		r.Close()
		res := pl.Result()
		if len(res.Flows) == 0 {
			t.Fatalf("workers=%d: no flows", w)
		}
		for i := range res.Flows {
			f := &res.Flows[i]
			if f.ID != uint64(i+1) || (i > 0 && f.FirstFrame <= res.Flows[i-1].FirstFrame) {
				t.Fatalf("workers=%d: flow %d has id %d, first frame %d", w, i, f.ID, f.FirstFrame)
			}
		}
		for _, e := range res.Events {
			if e.FlowID == 0 || e.FlowID > uint64(len(res.Flows)) {
				t.Fatalf("workers=%d: event at frame %d names flow %d", w, e.Frame, e.FlowID)
			}
		}
	}
}
