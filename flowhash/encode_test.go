package flowhash

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// TestFirstFlowValues: the first flow of 206_example_b.pcap has the values tshark reports
// for it.
func TestFirstFlowValues(t *testing.T) {
	res := runFile(t, filepath.Join(corpusDir(t), "206_example_b.pcap"), Options{Workers: 1})
	if len(res.Flows) == 0 {
		t.Fatal("no flows")
	}
	f := &res.Flows[0]
	oa, op := f.OrigEndpoint()
	ra, rp := f.RespEndpoint()
	orig := netip.AddrPortFrom(netip.AddrFrom4([4]byte(oa[:4])), op)
	resp := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ra[:4])), rp)
	// tshark -z conv,tcp: 192.168.72.14:3254 <-> 65.54.95.206:80, 460 frames ->, 842 <-;
	// the SYN comes from 192.168.72.14 (frame 1, 2011-01-12 07:08:13.386451 UTC).
	got := fmt.Sprintf("id %d %s %v %v pkts %d %d ts %s frame %d retr %d ooo %d dup %d zw %d",
		f.ID, AppendProtoName(nil, f.Key.Proto), orig, resp, f.OrigPkts, f.RespPkts,
		time.Unix(0, f.FirstTS).UTC().Format(time.RFC3339Nano), f.FirstFrame,
		f.TCP.Retransmissions, f.TCP.OutOfOrder, f.TCP.DupAcks, f.TCP.ZeroWindows)
	want := "id 1 tcp 192.168.72.14:3254 65.54.95.206:80 pkts 460 842 ts 2011-01-12T07:08:13.386451Z frame 1 retr 56 ooo 52 dup 64 zw 57"
	if got != want {
		t.Errorf("first flow:\n got  %s\n want %s", got, want)
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
