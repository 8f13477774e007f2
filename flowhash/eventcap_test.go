package flowhash

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// stormFrame is an Ethernet/IPv4/TCP frame between 10.0.0.1:40000 and 10.0.0.2:80.
func stormFrame(flags byte, seq, ack uint32, fromClient bool, payload int) []byte {
	b := make([]byte, 14+20+20+payload)
	b[12] = 8
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+payload))
	ip[8], ip[9] = 64, 6
	src, dst := []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
	sp, dp := uint16(40000), uint16(80)
	if !fromClient {
		src, dst, sp, dp = dst, src, dp, sp
	}
	copy(ip[12:], src)
	copy(ip[16:], dst)
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp, sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	return b
}

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
	put(stormFrame(0x02, 1000, 0, true, 0))
	put(stormFrame(0x12, 5000, 1001, false, 0))
	put(stormFrame(0x10, 1001, 5001, true, 0))
	data := stormFrame(0x18, 1001, 5001, true, 26)
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
