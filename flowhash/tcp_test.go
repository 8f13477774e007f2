package flowhash

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
)

// exchange drives one Table with hand-built TCP segments between a client and a server.
type exchange struct {
	t     *testing.T
	tab   *Table
	frame uint64
	port  uint16
	last  PacketResult // of the last segment sent
}

func newExchange(t *testing.T) *exchange {
	return &exchange{t: t, tab: NewTable(Options{Events: true}), port: 40000}
}

const (
	fS  = fastparse.TCPSyn
	fA  = fastparse.TCPAck
	fF  = fastparse.TCPFin
	fR  = fastparse.TCPRst
	fP  = fastparse.TCPPsh
	fSA = fS | fA
	fFA = fF | fA
	fPA = fP | fA
)

// seg sends one segment at time ms (milliseconds) and returns its frame number.
func (x *exchange) seg(fromClient bool, ms float64, flags uint16, seq, ack, n uint32, win uint16, opts ...func(*fastparse.Packet)) uint64 {
	x.t.Helper()
	src, dst, sp, dp := "10.0.0.1", "10.0.0.2", x.port, uint16(80)
	if !fromClient {
		src, dst, sp, dp = dst, src, dp, sp
	}
	p := ipPacket(x.t, src, dst, fastparse.ProtoTCP, sp, dp)
	p.TCPFlags, p.Seq, p.Ack, p.PayloadLen, p.Window = flags, seq, ack, n, win
	p.TCPHdrLen = 20
	p.IPLen = 40 + n
	for _, o := range opts {
		o(&p)
	}
	x.frame++
	k, d, ok := KeyOf(&p)
	if !ok {
		x.t.Fatal("no key")
	}
	x.last = x.tab.Add(&k, d, &p, x.frame, int64((ms+1000)*1e6)) // times start at 1 s
	return x.frame
}

func mss(v uint16) func(*fastparse.Packet) {
	return func(p *fastparse.Packet) { p.TCPOpts |= fastparse.OptMSS; p.MSS = v }
}

func wscale(v uint8) func(*fastparse.Packet) {
	return func(p *fastparse.Packet) { p.TCPOpts |= fastparse.OptWScale; p.WScale = v }
}

// finish returns flows and a frame -> "event event ..." map (events in order, dup-ACKs with
// their number as duplicate_ack#N).
func (x *exchange) finish() ([]Flow, map[uint64]string) {
	res := &Result{}
	res.merge([]*Table{x.tab}, nil)
	ev := map[uint64]string{}
	for _, e := range res.Events {
		s := e.Type.String()
		if e.Type == EvDupAck {
			s = fmt.Sprintf("%s#%d", s, e.Detail)
		}
		if ev[e.Frame] != "" {
			s = ev[e.Frame] + " " + s
		}
		ev[e.Frame] = s
	}
	return res.Flows, ev
}

func has(ev map[uint64]string, frame uint64, name string) bool {
	for _, f := range strings.Fields(ev[frame]) {
		if f == name {
			return true
		}
	}
	return false
}

// handshake performs SYN, SYN-ACK, ACK at 0, 10 and 20 ms (first RTT 20 ms): client ISN 1000,
// server ISN 5000.
func (x *exchange) handshake() {
	x.seg(true, 0, fS, 1000, 0, 0, 65535, mss(1460), wscale(7))
	x.seg(false, 10, fSA, 5000, 1001, 0, 65535, mss(1400), wscale(8))
	x.seg(true, 20, fA, 1001, 5001, 0, 512)
}

func TestTCPNormalConnection(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	x.seg(true, 30, fPA, 1001, 5001, 100, 512)  // request
	x.seg(false, 40, fA, 5001, 1101, 0, 256)    // ack
	x.seg(false, 45, fPA, 5001, 1101, 300, 256) // response
	x.seg(true, 60, fA, 1101, 5301, 0, 512)     // ack
	x.seg(true, 70, fFA, 1101, 5301, 0, 512)    // client FIN
	x.seg(false, 80, fFA, 5301, 1102, 0, 256)   // server FIN
	x.seg(true, 90, fA, 1102, 5302, 0, 512)     // last ACK
	flows, ev := x.finish()
	if len(flows) != 1 {
		t.Fatalf("%d flows, want 1", len(flows))
	}
	f := flows[0]
	if f.ConnState != StateSF || f.History() != "ShADadFf" {
		t.Errorf("conn_state %s history %q, want SF ShADadFf", f.ConnState, f.History())
	}
	if f.OrigPkts != 6 || f.RespPkts != 4 || f.OrigBytes != 100 || f.RespBytes != 300 {
		t.Errorf("pkts %d/%d bytes %d/%d", f.OrigPkts, f.RespPkts, f.OrigBytes, f.RespBytes)
	}
	if f.OrigIPBytes != 6*40+100 || f.RespIPBytes != 4*40+300 {
		t.Errorf("ip bytes %d/%d", f.OrigIPBytes, f.RespIPBytes)
	}
	st := f.TCP
	if st.SynRTT != 10e6 || st.AckRTT != 10e6 {
		t.Errorf("handshake RTTs %d %d, want 10ms 10ms", st.SynRTT, st.AckRTT)
	}
	// Samples: request (30 -> 40 ms) and response (45 -> 60 ms).
	if st.RTTSamples != 2 || st.RTTMin != 10e6 || st.RTTMax != 15e6 || st.RTTAvg != 12.5e6 {
		t.Errorf("RTT samples %d min %d avg %d max %d", st.RTTSamples, st.RTTMin, st.RTTAvg, st.RTTMax)
	}
	if st.MSS != [2]uint16{1460, 1400} || st.WScale != [2]int8{7, 8} {
		t.Errorf("MSS %v WScale %v", st.MSS, st.WScale)
	}
	if !has(ev, 2, "handshake_rtt") || !has(ev, 3, "handshake_ack_rtt") || !has(ev, 8, "fin") || !has(ev, 9, "fin") {
		t.Errorf("events %v", ev)
	}
	if st.Retransmissions+st.OutOfOrder+st.DupAcks+st.ZeroWindows != 0 {
		t.Errorf("clean connection flagged: %+v", st)
	}
}

// Retransmission vs out-of-order vs spurious retransmission: the same "old" segment is
// classified by its timing and by what the receiver has acknowledged.
func TestTCPRetransmissionKinds(t *testing.T) {
	x := newExchange(t)
	x.handshake()                                    // first RTT 20 ms: out-of-order threshold
	a := x.seg(true, 30, fPA, 1001, 5001, 100, 512)  // seg 1
	b := x.seg(true, 31, fPA, 1201, 5001, 100, 512)  // seg 3: seg 2 missing
	c := x.seg(true, 35, fPA, 1101, 5001, 100, 512)  // seg 2, 4 ms after seg 3 (< 20 ms): out-of-order
	x.seg(false, 40, fA, 5001, 1301, 0, 256)         // all acknowledged
	d := x.seg(true, 300, fPA, 1201, 5001, 100, 512) // seg 3 again, already acked: spurious
	e := x.seg(true, 310, fPA, 1301, 5001, 100, 512) // seg 4
	f := x.seg(true, 600, fPA, 1301, 5001, 100, 512) // seg 4 again after 290 ms: retransmission
	flows, ev := x.finish()
	if has(ev, a, "out_of_order") || !has(ev, b, "lost_segment") {
		t.Errorf("frame %d %q, frame %d %q", a, ev[a], b, ev[b])
	}
	if !has(ev, c, "out_of_order") || has(ev, c, "retransmission") {
		t.Errorf("late segment: %q, want out_of_order", ev[c])
	}
	if !has(ev, d, "spurious_retransmission") {
		t.Errorf("acked segment resent: %q, want spurious_retransmission", ev[d])
	}
	if ev[e] != "" {
		t.Errorf("new segment: %q, want nothing", ev[e])
	}
	if !has(ev, f, "retransmission") {
		t.Errorf("resent unacked segment: %q, want retransmission", ev[f])
	}
	st := flows[0].TCP
	// tshark counts spurious retransmissions as retransmissions too.
	if st.Retransmissions != 2 || st.SpuriousRetransmissions != 1 || st.OutOfOrder != 1 || st.LostSegments != 1 {
		t.Errorf("counters %+v", st)
	}
	if h := flows[0].History(); !strings.Contains(h, "T") {
		t.Errorf("history %q has no T", h)
	}
}

func TestTCPFastRetransmissionAndDupAcks(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	x.seg(true, 30, fPA, 1001, 5001, 100, 512)
	x.seg(true, 30.1, fPA, 1101, 5001, 100, 512) // lost on the way
	x.seg(true, 30.2, fPA, 1201, 5001, 100, 512)
	x.seg(true, 30.3, fPA, 1301, 5001, 100, 512)
	x.seg(false, 40, fA, 5001, 1101, 0, 256) // ack seg 1
	d1 := x.seg(false, 40.1, fA, 5001, 1101, 0, 256)
	d2 := x.seg(false, 40.2, fA, 5001, 1101, 0, 256)
	d3 := x.seg(false, 40.3, fA, 5001, 1101, 0, 256)
	fr := x.seg(true, 45, fPA, 1101, 5001, 100, 512) // within 20 ms of the 3rd dup ACK
	_, ev := x.finish()
	for i, fn := range []uint64{d1, d2, d3} {
		if want := fmt.Sprintf("duplicate_ack#%d", i+1); !has(ev, fn, want) {
			t.Errorf("frame %d: %q, want %s", fn, ev[fn], want)
		}
	}
	if !has(ev, fr, "fast_retransmission") {
		t.Errorf("frame %d: %q, want fast_retransmission", fr, ev[fr])
	}
	// A window change breaks the dup-ACK run: that is a window update, not a dup ACK.
	x2 := newExchange(t)
	x2.handshake()
	x2.seg(false, 30, fA, 5001, 1001, 0, 256)
	w := x2.seg(false, 31, fA, 5001, 1001, 0, 300)
	_, ev2 := x2.finish()
	if ev2[w] != "window_update" {
		t.Errorf("window change: %q, want window_update", ev2[w])
	}
}

func TestTCPPortReuse(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	x.seg(true, 30, fFA, 1001, 5001, 0, 512)
	x.seg(false, 40, fFA, 5001, 1002, 0, 256)
	x.seg(true, 50, fA, 1002, 5002, 0, 512)
	// Same 5-tuple, new ISN: a new flow (Wireshark's tcp.stream does the same).
	s := x.seg(true, 1000, fS, 90000, 0, 0, 65535)
	x.seg(false, 1010, fSA, 70000, 90001, 0, 65535)
	x.seg(true, 1020, fA, 90001, 70001, 0, 512)
	flows, ev := x.finish()
	if len(flows) != 2 {
		t.Fatalf("%d flows, want 2", len(flows))
	}
	if flows[0].ID != 1 || flows[1].ID != 2 || flows[1].FirstFrame != s {
		t.Errorf("ids %d %d first frame %d", flows[0].ID, flows[1].ID, flows[1].FirstFrame)
	}
	if flows[0].ConnState != StateSF || flows[1].ConnState != StateS1 {
		t.Errorf("states %s %s", flows[0].ConnState, flows[1].ConnState)
	}
	if !has(ev, s, "reused_ports") || has(ev, s, "retransmission") {
		t.Errorf("new SYN: %q", ev[s])
	}
}

func TestTCPSYNRetries(t *testing.T) {
	x := newExchange(t)
	x.seg(true, 0, fS, 1000, 0, 0, 65535)
	r1 := x.seg(true, 1000, fS, 1000, 0, 0, 65535)
	r2 := x.seg(true, 3000, fS, 1000, 0, 0, 65535)
	flows, ev := x.finish()
	if len(flows) != 1 {
		t.Fatalf("%d flows", len(flows))
	}
	if !has(ev, r1, "syn_retry") || !has(ev, r1, "retransmission") || !has(ev, r2, "syn_retry") {
		t.Errorf("retries: %q %q", ev[r1], ev[r2])
	}
	f := flows[0]
	if f.ConnState != StateS0 || f.History() != "S" || f.TCP.SYNs != 3 || f.TCP.Retransmissions != 2 {
		t.Errorf("state %s history %q syns %d retrans %d", f.ConnState, f.History(), f.TCP.SYNs, f.TCP.Retransmissions)
	}
	// Rejected: SYN answered by RST.
	x2 := newExchange(t)
	x2.seg(true, 0, fS, 1000, 0, 0, 65535)
	x2.seg(false, 1, fR|fA, 0, 1001, 0, 0)
	flows2, _ := x2.finish()
	if flows2[0].ConnState != StateREJ || flows2[0].History() != "Sr" {
		t.Errorf("rejected: %s %q", flows2[0].ConnState, flows2[0].History())
	}
}

func TestTCPRSTStorm(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	var last uint64
	for i := 0; i < 6; i++ {
		last = x.seg(false, 30+float64(i), fR, 5001+uint32(i), 0, 0, 0)
	}
	flows, ev := x.finish()
	storms := 0
	for fr := uint64(1); fr <= last; fr++ {
		if has(ev, fr, "rst_storm") {
			storms++
			if fr != 8 {
				t.Errorf("rst_storm at frame %d, want 8 (the 5th RST)", fr)
			}
		}
	}
	if storms != 1 {
		t.Errorf("%d rst_storm events, want 1", storms)
	}
	f := flows[0]
	if f.ConnState != StateRSTR || f.TCP.RSTs != 6 {
		t.Errorf("state %s RSTs %d", f.ConnState, f.TCP.RSTs)
	}
	// Each RST with a new sequence number adds an 'r' (Zeek repeats R/F letters).
	if h := f.History(); h != "ShArrrrrr" {
		t.Errorf("history %q", h)
	}
}

func TestTCPZeroWindowProbe(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	x.seg(true, 30, fPA, 1001, 5001, 100, 512)
	zw := x.seg(false, 40, fA, 5001, 1101, 0, 0)       // receiver full
	pr := x.seg(true, 300, fA, 1101, 5001, 1, 512)     // 1-byte probe at nextseq
	pa := x.seg(false, 301, fA, 5001, 1101, 0, 0)      // probe refused, window still 0
	pr2 := x.seg(true, 900, fA, 1101, 5001, 1, 512)    // probe again: does not advance nextseq
	up := x.seg(false, 1000, fA, 5001, 1101, 0, 512)   // window opens
	nx := x.seg(true, 1001, fPA, 1101, 5001, 100, 512) // data resumes at the same seq
	flows, ev := x.finish()
	if !has(ev, zw, "zero_window") || !has(ev, pr, "zero_window_probe") || !has(ev, pa, "zero_window_probe_ack") || !has(ev, pa, "zero_window") {
		t.Errorf("zw %q probe %q probe-ack %q", ev[zw], ev[pr], ev[pa])
	}
	if !has(ev, pr2, "zero_window_probe") || has(ev, pr2, "retransmission") {
		t.Errorf("second probe %q", ev[pr2])
	}
	if !has(ev, up, "window_update") || ev[nx] != "" {
		t.Errorf("update %q next %q", ev[up], ev[nx])
	}
	st := flows[0].TCP
	if st.ZeroWindows != 2 || st.ZeroWindowProbes != 2 {
		t.Errorf("zero windows %d probes %d", st.ZeroWindows, st.ZeroWindowProbes)
	}
	if h := flows[0].History(); !strings.Contains(h, "w") {
		t.Errorf("history %q has no w", h)
	}
}

func TestTCPWindowScalingAndFull(t *testing.T) {
	x := newExchange(t)
	x.seg(true, 0, fS, 1000, 0, 0, 65535, wscale(2))
	x.seg(false, 10, fSA, 5000, 1001, 0, 65535, wscale(3))
	x.seg(true, 20, fA, 1001, 5001, 0, 100)
	x.seg(false, 25, fA, 5001, 1001, 0, 100) // server: window 100 << 3 = 800
	if x.last.ScaledWindow != 800 || x.last.FromOrig || x.last.FlowFirstFrame != 1 {
		t.Errorf("server ACK: %+v, want scaled window 800 from the responder", x.last)
	}
	full := x.seg(true, 30, fPA, 1001, 5001, 800, 100)
	if x.last.Analysis&WindowFull == 0 || x.last.ScaledWindow != 400 {
		t.Errorf("full segment: %+v, want WindowFull and scaled window 400", x.last)
	}
	flows, ev := x.finish()
	if !has(ev, full, "window_full") {
		t.Errorf("frame %d %q, want window_full", full, ev[full])
	}
	if flows[0].TCP.WScale != [2]int8{2, 3} {
		t.Errorf("WScale %v", flows[0].TCP.WScale)
	}
	// Scaling offered only by the client is not in use.
	x2 := newExchange(t)
	x2.seg(true, 0, fS, 1000, 0, 0, 65535, wscale(2))
	x2.seg(false, 10, fSA, 5000, 1001, 0, 65535)
	flows2, _ := x2.finish()
	if flows2[0].TCP.WScale != [2]int8{-1, -1} {
		t.Errorf("one-sided WScale %v, want [-1 -1]", flows2[0].TCP.WScale)
	}
}

func TestTCPKeepAlive(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	ka := x.seg(true, 30000, fA, 1000, 5001, 0, 512) // seq = nextseq - 1
	kaa := x.seg(false, 30001, fA, 5001, 1001, 0, 65535)
	kaa2 := x.seg(false, 30002, fA, 5001, 1001, 0, 65535)
	_, ev := x.finish()
	if ev[ka] != "keep_alive" {
		t.Errorf("keep-alive: %q", ev[ka])
	}
	_ = kaa
	if !has(ev, kaa2, "keep_alive_ack") && !has(ev, kaa2, "duplicate_ack#1") {
		t.Errorf("keep-alive ack: %q", ev[kaa2])
	}
}

func TestTCPMidstreamAndFlip(t *testing.T) {
	// First packet is a SYN-ACK: its receiver is the originator, history starts with '^'.
	x := newExchange(t)
	x.seg(false, 0, fSA, 5000, 1001, 0, 65535)
	x.seg(true, 1, fA, 1001, 5001, 0, 512)
	flows, _ := x.finish()
	f := flows[0]
	if f.Orig != DirAB || f.History() != "^hA" {
		t.Errorf("orig %d history %q", f.Orig, f.History())
	}
	// Midstream: no SYN at all.
	x2 := newExchange(t)
	x2.seg(false, 0, fPA, 5000, 1001, 10, 65535)
	x2.seg(true, 1, fA, 1001, 5010, 0, 512)
	flows2, _ := x2.finish()
	if flows2[0].ConnState != StateOTH || flows2[0].Orig != DirBA {
		t.Errorf("midstream: %s orig %d", flows2[0].ConnState, flows2[0].Orig)
	}
}

func TestUDPTimeout(t *testing.T) {
	tab := NewTable(Options{UDPTimeout: 5e9})
	send := func(fromA bool, sec int64, frame uint64) {
		p := ipPacket(t, "10.0.0.1", "10.0.0.2", fastparse.ProtoUDP, 5000, 53)
		if !fromA {
			p = ipPacket(t, "10.0.0.2", "10.0.0.1", fastparse.ProtoUDP, 53, 5000)
		}
		p.PayloadLen, p.IPLen = 20, 48
		k, d, _ := KeyOf(&p)
		tab.Add(&k, d, &p, frame, sec*1e9)
	}
	send(true, 0, 1)
	send(false, 1, 2)
	send(true, 10, 3) // idle 9 s > 5 s: a new flow
	res := &Result{}
	res.merge([]*Table{tab}, nil)
	if len(res.Flows) != 2 || res.UDPConversations != 1 {
		t.Fatalf("%d flows, %d conversations; want 2, 1", len(res.Flows), res.UDPConversations)
	}
	if f := res.Flows[0]; f.OrigPkts != 1 || f.RespPkts != 1 || f.ConnState != StateSF || f.OrigBytes != 20 {
		t.Errorf("first flow %+v", f)
	}
	if f := res.Flows[1]; f.FirstFrame != 3 || f.ConnState != StateS0 {
		t.Errorf("second flow %+v", f)
	}
}

// Time going backwards: Wireshark computes the out-of-order and fast-retransmission time
// differences unsigned, so an old segment stamped before the newest one is a retransmission.
func TestTCPBackwardTime(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	x.seg(true, 30, fPA, 1001, 5001, 100, 512)
	x.seg(true, 31, fPA, 1201, 5001, 100, 512)
	c := x.seg(true, 29, fPA, 1101, 5001, 100, 512) // 2 ms before the segment that set nextseq
	_, ev := x.finish()
	if !has(ev, c, "retransmission") || has(ev, c, "out_of_order") {
		t.Errorf("segment stamped earlier: %q, want retransmission", ev[c])
	}
}

// A first IP fragment shows the TCP header but is not analysed (Wireshark, reassembly off).
func TestTCPFragmentNotAnalysed(t *testing.T) {
	x := newExchange(t)
	x.handshake()
	x.seg(true, 30, fPA, 1001, 5001, 100, 512)
	fr := x.seg(true, 300, fPA, 1001, 5001, 100, 512, func(p *fastparse.Packet) { p.Frag |= fastparse.FragMore })
	again := x.seg(true, 600, fPA, 1001, 5001, 100, 512)
	flows, ev := x.finish()
	if ev[fr] != "" || !has(ev, again, "retransmission") {
		t.Errorf("fragment %q, later copy %q", ev[fr], ev[again])
	}
	if flows[0].OrigPkts != 5 {
		t.Errorf("orig packets %d, want 5 (the fragment counts)", flows[0].OrigPkts)
	}
}
