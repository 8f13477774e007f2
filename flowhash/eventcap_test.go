package flowhash

import (
	"bytes"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testpkt"
	"github.com/pcapdex/pcapdex/pcapng"
)

// TestMaxFlowEvents is issue 19 row 17: one flow of n identical retransmitted segments keeps
// at most MaxFlowEvents events, counts the rest in EventsDropped, and its counters stay
// exact; the result is the same for any number of workers.
func TestMaxFlowEvents(t *testing.T) {
	const n = 5000
	var buf bytes.Buffer
	w, err := pcapng.NewPcapWriter(&buf, 1, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	ts := int64(1_700_000_000_000_000_000)
	put := func(b []byte) { w.WritePacket(ts, b, 0); ts += 1000 }
	put(testpkt.TCPFrame(0x02, 1000, 0, true, 0))
	put(testpkt.TCPFrame(0x12, 5000, 1001, false, 0))
	put(testpkt.TCPFrame(0x10, 1001, 5001, true, 0))
	data := testpkt.TCPFrame(0x18, 1001, 5001, true, 26)
	for range n {
		put(data)
	}
	w.Flush()
	run := func(workers, limit int) *Result {
		r, err := pcapng.NewBytesReader("storm.pcap", buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		pl := NewPipeline(Options{Workers: workers, Events: true, MaxFlowEvents: limit})
		if err := pl.Run(r); err != nil {
			t.Fatal(err)
		}
		return pl.Result()
	}
	all := run(1, -1)
	if len(all.Flows) != 1 || all.EventsDropped != 0 || len(all.Events) < n-1 {
		t.Fatalf("uncapped: %d flows, %d events, %d dropped", len(all.Flows), len(all.Events), all.EventsDropped)
	}
	for _, workers := range []int{1, 3} {
		res := run(workers, 100)
		if len(res.Events) != 100 || res.EventsDropped != uint64(len(all.Events)-100) {
			t.Errorf("workers %d: %d events kept, %d dropped; want 100 and %d", workers, len(res.Events), res.EventsDropped, len(all.Events)-100)
		}
		if res.Flows[0].TCP.Retransmissions != all.Flows[0].TCP.Retransmissions || res.Flows[0].TCP.Retransmissions < n-1 {
			t.Errorf("workers %d: %d retransmissions counted, want %d", workers, res.Flows[0].TCP.Retransmissions, all.Flows[0].TCP.Retransmissions)
		}
		for i := range res.Events {
			if res.Events[i] != all.Events[i] {
				t.Fatalf("workers %d: event %d = %+v, want the uncapped run's %+v", workers, i, res.Events[i], all.Events[i])
			}
		}
	}
}
