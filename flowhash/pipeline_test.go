package flowhash

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"unsafe"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// TestWorkersDeterministic: flows, events and totals are identical for 1, 2, 3 and 8 workers
// on every corpus file, on the mapped and on the plain-read path.
func TestWorkersDeterministic(t *testing.T) {
	dir := corpusDir(t)
	for _, m := range readManifest(t, dir) {
		name := m["file"]
		path := filepath.Join(dir, name)
		base := runFile(t, path, Options{Workers: 1, Events: true})
		for _, noMmap := range []bool{false, true} {
			for _, w := range []int{2, 3, 8} {
				r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
				if err != nil {
					continue
				}
				res, _ := Process(r, Options{Workers: w, Events: true})
				r.Close()
				if !reflect.DeepEqual(res.Flows, base.Flows) || !reflect.DeepEqual(res.Events, base.Events) ||
					res.Totals != base.Totals || res.Packets != base.Packets || res.TCPConversations != base.TCPConversations ||
					res.UDPConversations != base.UDPConversations || res.DecodeStatus != base.DecodeStatus {
					t.Errorf("%s: workers=%d noMmap=%v differs from workers=1 (%d vs %d flows, %d vs %d events, %v vs %v)",
						name, w, noMmap, len(res.Flows), len(base.Flows), len(res.Events), len(base.Events), res.Totals, base.Totals)
				}
			}
		}
		if m.int(t, "packets") > 0 && base.Packets == 0 && m["tshark_exit"] == "0" {
			t.Errorf("%s: read no packets", name)
		}
	}
}

// TestAddNoAllocs: in steady state (flows known, tables grown) Add allocates nothing per
// packet, with and without the event stream's slice being preallocated.
func TestAddNoAllocs(t *testing.T) {
	dir := corpusDir(t)
	path := filepath.Join(dir, "206_example_b.pcap")
	r, err := pcapng.Open(path, pcapng.Options{})
	if err != nil {
		t.Skip(err)
	}
	defer r.Close()
	var pkts []fastparse.Packet
	var frames []uint64
	var tss []int64
	var p pcapng.Packet
	for r.Next(&p) == nil {
		var d fastparse.Packet
		fastparse.Decode(&d, p.LinkType, p.Data, p.OrigLen)
		pkts = append(pkts, d)
		frames = append(frames, p.Ordinal)
		tss = append(tss, p.TS)
	}
	tab := NewTable(Options{})
	run := func() {
		for i := range pkts {
			k, d, ok := KeyOf(&pkts[i])
			if ok {
				tab.Add(&k, d, &pkts[i], frames[i], tss[i])
			}
		}
	}
	run() // warm up: flows created
	if n := testing.AllocsPerRun(5, run); n != 0 {
		t.Errorf("Add: %v allocations per pass over %d packets, want 0", n, len(pkts))
	}
}

// TestBytesPerFlow measures live heap memory per concurrent flow (flow state, TCP state,
// cold records, index slots, page slack) with 200k flows of one shape in one table. The goal
// is 1 million concurrent flows in 300 MB: an open TCP connection (handshake done, a request
// answered, a response in flight) must cost at most 300 bytes. Closed and troubled TCP flows
// (a FIN or RST, retransmissions, duplicate ACKs) carry a cold record on top; their cost is
// logged and bounded too. The pipeline's collector adds 8 bytes per flow (doc.go, Costs).
func TestBytesPerFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	n := 200_000
	if os.Getenv("FLOWBENCH") != "" {
		n = 1_000_000 // the goal's size; the index slots are then 16.8 bytes a flow
	}
	t.Logf("sizeof flowState=%d tcpState=%d tcpCold=%d Key=%d Flow=%d", unsafe.Sizeof(flowState{}),
		unsafe.Sizeof(tcpState{}), unsafe.Sizeof(tcpCold{}), unsafe.Sizeof(Key{}), unsafe.Sizeof(Flow{}))
	for _, c := range []struct {
		shape string
		v6    bool
		max   float64
	}{
		{"open", false, 300},
		{"open", true, 320}, // + 32 bytes of IPv6 addresses in the v6 slab
		{"syn", false, 300},
		{"udp", false, 140},
		{"closed", false, 300},
		{"retrans", false, 400}, // + the cold record (104 bytes)
	} {
		per := bytesPerFlow(n, c.shape, c.v6)
		t.Logf("%-7s v6=%-5v %4.0f bytes per live flow (%d flows; 1M flows: %.0f MB)", c.shape, c.v6, per, n, per)
		if per > c.max {
			t.Errorf("%s v6=%v: %.0f bytes per flow, more than %.0f", c.shape, c.v6, per, c.max)
		}
	}
}

// bytesPerFlow adds n flows of one shape to a table and returns the heap growth per flow.
func bytesPerFlow(n int, shape string, v6 bool) float64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tab := NewTable(Options{})
	var frame uint64
	for i := 0; i < n; i++ {
		c := fastparse.Packet{IPVersion: 4, Proto: fastparse.ProtoTCP, HasL4: true, IPHdrLen: 20, Window: 65000}
		if v6 {
			c.IPVersion = 6
			c.SrcIP[0], c.DstIP[0] = 0x20, 0x20
		}
		c.SrcIP[12], c.SrcIP[13], c.SrcIP[14], c.SrcIP[15] = 10, byte(i>>16), byte(i>>8), byte(i)
		c.DstIP[12], c.DstIP[15] = 192, 1
		if !v6 {
			copy(c.SrcIP[:4], c.SrcIP[12:])
			copy(c.DstIP[:4], c.DstIP[12:])
			clear(c.SrcIP[4:])
			clear(c.DstIP[4:])
		}
		c.SrcPort, c.DstPort = uint16(i), 80
		s := c
		s.SrcIP, s.DstIP, s.SrcPort, s.DstPort = c.DstIP, c.SrcIP, c.DstPort, c.SrcPort
		ts := int64(i) * 1000
		add := func(p fastparse.Packet, flags uint16, seq, ack, plen uint32) {
			p.TCPFlags, p.Seq, p.Ack, p.PayloadLen, p.IPLen = flags, seq, ack, plen, 40+plen
			k, d, _ := KeyOf(&p)
			frame++
			ts += 10
			tab.Add(&k, d, &p, frame, ts)
		}
		const S, A, F, P = fastparse.TCPSyn, fastparse.TCPAck, fastparse.TCPFin, fastparse.TCPPsh
		switch shape {
		case "udp":
			c.Proto = fastparse.ProtoUDP
			add(c, 0, 0, 0, 100)
			s.Proto = fastparse.ProtoUDP
			add(s, 0, 0, 0, 100)
			continue
		case "syn":
			add(c, S, 100, 0, 0)
			continue
		}
		add(c, S, 100, 0, 0)
		add(s, S|A, 500, 101, 0)
		add(c, A, 101, 501, 0)
		add(c, P|A, 101, 501, 200)  // request
		add(s, A, 501, 301, 0)      // its ACK: an RTT sample
		add(s, P|A, 501, 301, 1000) // response, not yet acknowledged
		switch shape {
		case "closed":
			add(c, A, 301, 1501, 0)
			add(c, F|A, 301, 1501, 0)
			add(s, F|A, 1501, 302, 0)
			add(c, A, 302, 1502, 0)
		case "retrans":
			add(s, P|A, 501, 301, 1000) // resent
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tab)
	if tab.Live() != n {
		panic(fmt.Sprintf("%d live flows, want %d", tab.Live(), n))
	}
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}
