package flowhash

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// TestFlowJSON: every flow of two corpus files encodes to valid JSON with every FlowFields
// key, and the first flow of 206_example_b.pcap has the values tshark reports for it.
func TestFlowJSON(t *testing.T) {
	dir := corpusDir(t)
	for _, name := range []string{"example.pcap", "gnutella.pcap", "206_example_b.pcap"} {
		res := runFile(t, filepath.Join(dir, name), Options{Workers: 1})
		if len(res.Flows) == 0 {
			t.Fatalf("%s: no flows", name)
		}
		var buf []byte
		for i := range res.Flows {
			buf = AppendFlowJSON(buf[:0], &res.Flows[i])
			var m map[string]any
			if err := json.Unmarshal(buf, &m); err != nil {
				t.Fatalf("%s flow %d: %v: %s", name, i+1, err, buf)
			}
			for _, k := range FlowFields {
				if _, ok := m[k]; !ok {
					t.Fatalf("%s flow %d: no key %q: %s", name, i+1, k, buf)
				}
			}
			csv := AppendFlowCSV(nil, &res.Flows[i])
			if n := strings.Count(string(csv), ","); n != len(FlowFields)-1 {
				t.Fatalf("%s flow %d: CSV has %d commas: %s", name, i+1, n, csv)
			}
		}
	}
	res := runFile(t, filepath.Join(dir, "206_example_b.pcap"), Options{Workers: 1})
	var m map[string]any
	if err := json.Unmarshal(AppendFlowJSON(nil, &res.Flows[0]), &m); err != nil {
		t.Fatal(err)
	}
	// tshark -z conv,tcp: 192.168.72.14:3254 <-> 65.54.95.206:80, 460 frames ->, 842 <-;
	// the SYN comes from 192.168.72.14 (frame 1, 2011-01-12 07:08:13.386451 UTC).
	want := map[string]any{
		"flow_id": 1.0, "proto": "tcp", "orig_h": "192.168.72.14", "orig_p": 3254.0,
		"resp_h": "65.54.95.206", "resp_p": 80.0, "orig_pkts": 460.0, "resp_pkts": 842.0,
		"ts": "2011-01-12T07:08:13.386451000Z", "first_frame": 1.0,
		"retransmissions": 56.0, "out_of_order": 52.0, "dup_acks": 64.0, "zero_windows": 57.0,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}

func TestAppendFlowNoAllocs(t *testing.T) {
	dir := corpusDir(t)
	res := runFile(t, filepath.Join(dir, "example.pcap"), Options{Workers: 1, Events: true})
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(20, func() {
		for i := range res.Flows {
			buf = AppendFlowJSON(buf[:0], &res.Flows[i])
			buf = AppendFlowCSV(buf[:0], &res.Flows[i])
		}
		for i := range res.Events {
			buf = AppendEventJSON(buf[:0], &res.Events[i])
		}
	}); n != 0 {
		t.Errorf("encoders allocate %v times per pass", n)
	}
}

func TestAckStall(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	x.seg(true, 30, fPA, 1001, 5001, 100, 512)
	x.seg(false, 40, fA, 5001, 1101, 0, 256)           // progress
	x.seg(true, 50, fPA, 1101, 5001, 100, 512)         // outstanding data
	x.seg(false, 500, fPA, 5001, 1101, 10, 256)        // no progress yet, 0.46 s
	st := x.seg(false, 1600, fPA, 5011, 1101, 10, 256) // 1.56 s without progress: stall
	again := x.seg(false, 1700, fPA, 5021, 1101, 10, 256)
	_, ev := x.finish()
	if !has(ev, st, "ack_stall") || has(ev, again, "ack_stall") {
		t.Errorf("stall %q, again %q", ev[st], ev[again])
	}
}

// TestTrackerMatchesProcess: feeding packets one by one through a Tracker (as pcapdex info
// does) gives the same result as Process, and the info fields render as the manifest names
// them.
func TestTrackerMatchesProcess(t *testing.T) {
	dir := corpusDir(t)
	path := filepath.Join(dir, "206_example_b.pcap")
	want := runFile(t, path, Options{Workers: 1, Events: true})
	r, err := pcapng.Open(path, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tr := NewTracker(Options{Events: true})
	var p pcapng.Packet
	var d fastparse.Packet
	zw := 0
	for r.Next(&p) == nil {
		fastparse.Decode(&d, p.LinkType, p.Data, p.OrigLen)
		if pr := tr.Add(&d, p.Ordinal, p.TS); pr.Analysis&ZeroWindow != 0 {
			zw++
		}
	}
	got := tr.Result()
	if !reflect.DeepEqual(got.Flows, want.Flows) || !reflect.DeepEqual(got.Events, want.Events) || got.Totals != want.Totals {
		t.Errorf("Tracker result differs from Process")
	}
	if zw != 57 {
		t.Errorf("%d packets with ZeroWindow in PacketResult, want 57", zw)
	}
	info := string(got.AppendInfoJSONFields(nil))
	if w := `"tcp_conversations":2,"udp_conversations":0,"retransmissions":56,"out_of_order":52,"dup_acks":64,"zero_windows":57`; info != w {
		t.Errorf("info fields %s, want %s", info, w)
	}
}
