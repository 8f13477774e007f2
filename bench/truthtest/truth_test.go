package truthtest

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pcapdex/pcapdex/bench/synth"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// workDir holds the generated captures, their truth files, indexes and the built binary.
var workDir string

func TestMain(m *testing.M) {
	// TRUTHTEST_KEEP=DIR writes the captures, truth files and indexes there and keeps them,
	// to look at a difference with tshark or pcapdex by hand.
	d, keep := os.Getenv("TRUTHTEST_KEEP"), true
	if d == "" {
		var err error
		if d, err = os.MkdirTemp("", "pcapdex-truthtest-"); err != nil {
			fmt.Fprintln(os.Stderr, "truthtest:", err)
			os.Exit(1)
		}
		keep = false
	} else if err := os.MkdirAll(d, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "truthtest:", err)
		os.Exit(1)
	}
	workDir = d
	code := m.Run()
	if !keep {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// tcase is one generated capture. Event rates are raised well above the defaults so that a
// small capture holds many of each TCP analysis event.
type tcase struct {
	name   string
	format string
	cfg    synth.Config
	mixed  bool // must show every feature (events, states, VLAN, IPv6, UDP, ICMP)

	once sync.Once
	c    *capture
	err  error
}

// capture is a generated file with its truth read back from the truth file.
type capture struct {
	path  string
	data  []byte
	truth *synth.Truth
	want  []*rec
}

var raised = synth.Config{PFastRetrans: 0.12, PRTO: 0.05, POutOfOrder: 0.10, PZeroWindow: 0.05}

func withRates(c synth.Config) synth.Config {
	c.PFastRetrans, c.PRTO, c.POutOfOrder, c.PZeroWindow = raised.PFastRetrans, raised.PRTO, raised.POutOfOrder, raised.PZeroWindow
	return c
}

var cases = []*tcase{
	// Cut at an exact packet count: open flows end mid-way (S1, S2, S3, S0 halfway).
	{name: "mixed-cut", format: synth.FormatPcap, mixed: true, cfg: withRates(synth.Config{Seed: 101, Packets: 30000})},
	// Every flow runs to its end; pcapng.
	{name: "mixed-whole", format: synth.FormatPcapng, mixed: true, cfg: withRates(synth.Config{Seed: 202, Flows: 350, TargetBytes: 20 << 20})},
	// Many short flows, many open at once.
	{name: "short-flows", format: synth.FormatPcap, cfg: withRates(synth.Config{Seed: 303, Flows: 3000, TargetBytes: 3000 * 1500, FlowsPerSecond: 20000})},
}

func (tc *tcase) get(t *testing.T) *capture {
	t.Helper()
	tc.once.Do(func() { tc.c, tc.err = tc.generate() })
	if tc.err != nil {
		t.Fatalf("%s: %v", tc.name, tc.err)
	}
	return tc.c
}

// generate writes the capture and its truth file with the generator's writers, then reads
// the truth back with synth.ReadTruthFile, as pcapgen's users do.
func (tc *tcase) generate() (*capture, error) {
	path := filepath.Join(workDir, tc.name+"."+tc.format)
	truthPath := path + ".truth.json"
	var cb bytes.Buffer
	sink, err := synth.NewFileSink(&cb, tc.format)
	if err != nil {
		return nil, err
	}
	tf, err := os.Create(truthPath)
	if err != nil {
		return nil, err
	}
	defer tf.Close()
	cfg := tc.cfg
	tw := synth.NewTruthWriter(tf, cfg.Seed, tc.format)
	cfg.OnFlow = tw.Flow
	g, err := synth.New(cfg)
	if err != nil {
		return nil, err
	}
	tot, err := synth.Run(g, sink)
	if err != nil {
		return nil, err
	}
	if err := sink.Flush(); err != nil {
		return nil, err
	}
	if err := tw.Close(tot); err != nil {
		return nil, err
	}
	if err := tf.Close(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, cb.Bytes(), 0o644); err != nil {
		return nil, err
	}
	truth, err := synth.ReadTruthFile(truthPath)
	if err != nil {
		return nil, err
	}
	c := &capture{path: path, data: cb.Bytes(), truth: truth}
	for i := range truth.Flows {
		c.want = append(c.want, truthRec(&truth.Flows[i]))
	}
	return c, nil
}

// TestTruthSelfConsistent checks the truth file before pcapdex is compared with it: flows
// add up to the totals, and the mixed captures hold every feature, so the comparisons below
// cannot pass by comparing zeros.
func TestTruthSelfConsistent(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.get(t)
			tot := &c.truth.Totals
			var pk int64
			var ev synth.Events
			states := map[string]int64{}
			protos := map[string]int64{}
			for i := range c.truth.Flows {
				f := &c.truth.Flows[i]
				pk += int64(f.Orig.Packets + f.Resp.Packets)
				ev.Retransmissions += f.Retransmissions
				ev.FastRetransmissions += f.FastRetransmissions
				ev.OutOfOrder += f.OutOfOrder
				ev.DupAcks += f.DupAcks
				ev.LostSegments += f.LostSegments
				ev.ZeroWindows += f.ZeroWindows
				ev.ZeroWindowProbes += f.ZeroWindowProbes
				ev.WindowUpdates += f.WindowUpdates
				states[f.ConnState]++
				protos[f.Proto]++
			}
			r := newReport(t, "flow sums")
			r.value("packets", tot.Packets, pk)
			r.value("flows", tot.Flows, len(c.truth.Flows))
			r.value("events", tot.Events, ev)
			r.value("conn_states", fmtMap(tot.ConnStates), fmtMap(states))
			r.value("tcp flows", tot.TCPConvs, protos["tcp"])
			r.value("udp flows", tot.UDPConvs, protos["udp"])
			r.value("icmp flows", tot.ICMPConvs, protos["icmp"])
			r.done()
			t.Logf("%s: %d packets, %d bytes, %d flows (tcp %d udp %d icmp %d), states %s, events %+v",
				tc.name, tot.Packets, tot.FrameBytes, tot.Flows, tot.TCPConvs, tot.UDPConvs, tot.ICMPConvs, fmtMap(tot.ConnStates), tot.Events)
			if tot.Packets < 20000 || tot.Packets > 60000 {
				t.Errorf("%d packets: the cases are meant to hold 20k-60k", tot.Packets)
			}
			if !tc.mixed {
				return
			}
			e := &tot.Events
			for _, x := range []struct {
				name string
				n    uint64
			}{{"retransmissions", e.Retransmissions}, {"fast_retransmissions", e.FastRetransmissions},
				{"out_of_order", e.OutOfOrder}, {"dup_acks", e.DupAcks}, {"lost_segments", e.LostSegments},
				{"zero_windows", e.ZeroWindows}, {"zero_window_probes", e.ZeroWindowProbes}, {"window_updates", e.WindowUpdates},
				{"vlan_frames", uint64(tot.VLANFrames)}, {"ipv6_packets", uint64(tot.IPv6)},
				{"udp flows", uint64(tot.UDPConvs)}, {"icmp flows", uint64(tot.ICMPConvs)}} {
				if x.n == 0 {
					t.Errorf("no %s: the mixed case should show every feature", x.name)
				}
			}
			for _, s := range []string{"SF", "S0", "REJ", "RSTO", "RSTR", "OTH"} {
				if states[s] == 0 {
					t.Errorf("no flow in state %s (%s)", s, fmtMap(states))
				}
			}
		})
	}
}

func fmtMap(m map[string]int64) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, m[k])
	}
	return b.String()
}

// TestFlowhashTruth runs flowhash.Process over each capture with 1 and 2 workers, from
// memory and from the file, and compares flows and totals with the truth.
func TestFlowhashTruth(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.get(t)
			var first *flowhash.Result
			for _, run := range []struct {
				name    string
				workers int
				file    bool
			}{{"bytes-w1", 1, false}, {"bytes-w2", 2, false}, {"file-w2", 2, true}} {
				t.Run(run.name, func(t *testing.T) {
					var r *pcapng.Reader
					var err error
					if run.file {
						r, err = pcapng.Open(c.path, pcapng.Options{})
					} else {
						r, err = pcapng.NewBytesReader(c.path, c.data)
					}
					if err != nil {
						t.Fatal(err)
					}
					defer r.Close()
					res, err := flowhash.Process(r, flowhash.Options{Workers: run.workers, Events: true, DecodeStats: true})
					if err != nil {
						t.Fatalf("Process: %v", err)
					}
					checkResult(t, "flowhash.Process "+run.name, c, res)
					if first == nil {
						first = res
					} else {
						sameResult(t, first, res)
					}
				})
			}
		})
	}
}

// checkResult compares a flowhash Result with the truth: every flow (from its record and,
// separately, from the event stream) and the file totals.
func checkResult(t *testing.T, source string, c *capture, res *flowhash.Result) {
	t.Helper()
	tot := &c.truth.Totals

	// Events per flow and type.
	evs := map[uint64]*[32]int64{}
	for i := range res.Events {
		e := &res.Events[i]
		n := evs[e.FlowID]
		if n == nil {
			n = new([32]int64)
			evs[e.FlowID] = n
		}
		if int(e.Type) < len(n) {
			n[e.Type]++
		}
	}
	var got, fromEvents []*rec
	for i := range res.Flows {
		f := &res.Flows[i]
		ev := evs[f.ID]
		if ev == nil {
			ev = new([32]int64)
		}
		got = append(got, flowhashRec(f, ev[flowhash.EvWindowUpdate]))
		fromEvents = append(fromEvents, eventRec(f, ev))
	}
	r := newReport(t, source)
	if n := r.flows(c.want, got); n != len(c.want) {
		t.Logf("%d of %d truth flows matched", n, len(c.want))
	}
	r.done()
	re := newReport(t, source+" events")
	re.flows(c.want, fromEvents)
	re.done()

	rt := newReport(t, source+" totals")
	d := &res.Decode
	rt.value("packets", tot.Packets, res.Packets)
	rt.value("ip_packets", tot.IPv4+tot.IPv6, res.IPPackets)
	rt.value("ipv4_packets", tot.IPv4, d.IPv4)
	rt.value("ipv6_packets", tot.IPv6, d.IPv6)
	rt.value("tcp_packets", tot.TCP, d.TCP)
	rt.value("udp_packets", tot.UDP, d.UDP)
	rt.value("icmp_packets", tot.ICMP, d.ICMP)
	rt.value("vlan_frames", tot.VLANFrames, d.VLANFrames)
	rt.value("malformed", 0, d.Malformed)
	rt.value("tcp_conversations", tot.TCPConvs, res.TCPConversations)
	rt.value("udp_conversations", tot.UDPConvs, res.UDPConversations)
	rt.value("retransmissions", tot.Retransmissions, res.Totals.Retransmissions)
	rt.value("out_of_order", tot.OutOfOrder, res.Totals.OutOfOrder)
	rt.value("dup_acks", tot.DupAcks, res.Totals.DupAcks)
	rt.value("zero_windows", tot.ZeroWindows, res.Totals.ZeroWindows)
	protos := map[string]int64{}
	states := map[string]int64{}
	var firstTS, lastTS int64
	for i := range res.Flows {
		f := &res.Flows[i]
		protos[protoName(f.Key.Proto)]++
		states[f.ConnState.String()]++
		if i == 0 || f.FirstTS < firstTS {
			firstTS = f.FirstTS
		}
		lastTS = max(lastTS, f.LastTS)
		if f.ID != uint64(i+1) || (i > 0 && f.FirstFrame <= res.Flows[i-1].FirstFrame) {
			rt.add("flow order", fmt.Sprintf("flow %d at index %d, first frame %d: ids must be 1.. in order of first frame", f.ID, i, f.FirstFrame))
		}
	}
	rt.value("flows", tot.Flows, len(res.Flows))
	rt.value("tcp flows", tot.TCPConvs, protos["tcp"])
	rt.value("udp flows", tot.UDPConvs, protos["udp"])
	rt.value("icmp flows", tot.ICMPConvs, protos["icmp"])
	rt.value("conn_states", fmtMap(tot.ConnStates), fmtMap(states))
	rt.value("first_ns", tot.FirstNS, firstTS)
	rt.value("last_ns", tot.LastNS, lastTS)
	rt.done()
}

// sameResult checks that two runs (different workers or readers) gave the same flows and
// events, as flowhash promises.
func sameResult(t *testing.T, a, b *flowhash.Result) {
	t.Helper()
	if len(a.Flows) != len(b.Flows) || len(a.Events) != len(b.Events) {
		t.Errorf("%d flows, %d events; first run had %d, %d", len(b.Flows), len(b.Events), len(a.Flows), len(a.Events))
		return
	}
	for i := range a.Flows {
		if a.Flows[i] != b.Flows[i] {
			t.Errorf("flow %d differs from the first run:\n  %+v\n  %+v", i+1, a.Flows[i], b.Flows[i])
			return
		}
	}
	for i := range a.Events {
		if a.Events[i] != b.Events[i] {
			t.Errorf("event %d differs from the first run:\n  %+v\n  %+v", i, a.Events[i], b.Events[i])
			return
		}
	}
}

// TestPipelinePerPacket runs a Pipeline with a consumer and checks what it says about each
// packet against the truth: every packet of a flow carries the flow's VLAN, and counting
// packets per flow and direction from PacketInfo gives the truth's counts.
func TestPipelinePerPacket(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.get(t)
			r, err := pcapng.NewBytesReader(c.path, c.data)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			type perFlow struct {
				vlan       uint16
				mixed      bool
				orig, resp uint64
			}
			var flows []perFlow
			var nonIP uint64
			pl := flowhash.NewPipeline(flowhash.Options{Workers: 2}, flowhash.BatchFunc(func(b *flowhash.Batch) error {
				for i := range b.Info {
					in := &b.Info[i]
					if !in.IP {
						nonIP++
						continue
					}
					for int(in.Flow) >= len(flows) {
						flows = append(flows, perFlow{vlan: in.VLAN})
					}
					pf := &flows[in.Flow]
					if pf.orig+pf.resp == 0 {
						pf.vlan = in.VLAN
					} else if pf.vlan != in.VLAN {
						pf.mixed = true
					}
					if in.FromOrig {
						pf.orig++
					} else {
						pf.resp++
					}
				}
				return nil
			}))
			if err := pl.Run(r); err != nil {
				t.Fatal(err)
			}
			res := pl.Result()
			rp := newReport(t, "Pipeline consumer")
			var got []*rec
			for i := range res.Flows {
				f := &res.Flows[i]
				g := &rec{}
				base := flowhashRec(f, -1)
				g.key = base.key
				g.desc = "per-packet info of " + base.desc
				var pf perFlow
				if int(f.ID) < len(flows) {
					pf = flows[f.ID]
				}
				if pf.orig+pf.resp == 0 {
					rp.add("no packets", fmt.Sprintf("%s: no packet carries this flow id", g.desc))
				}
				g.setU(fOrigPkts, pf.orig)
				g.setU(fRespPkts, pf.resp)
				switch {
				case pf.mixed:
					g.set(fVLAN, "mixed")
				case pf.vlan == 0xffff:
					g.setU(fVLAN, 0)
				default:
					g.setU(fVLAN, uint64(pf.vlan))
				}
				got = append(got, g)
			}
			rp.flows(c.want, got)
			rp.value("packets without IP", 0, nonIP)
			rp.done()
		})
	}
}
