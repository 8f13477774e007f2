package truthtest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/bench/synth"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
)

// Fields compared per flow. Every source fills the ones it can report (rec.have).
const (
	fOrig         = iota // originator endpoint "addr:port" (ICMP: "addr:type")
	fResp                // responder endpoint (ICMP: "addr:code")
	fFirstNS             // first packet, ns since the epoch
	fLastNS              // last packet
	fOrigPkts            //
	fOrigBytes           // transport payload bytes
	fOrigIPBytes         // IP total lengths
	fRespPkts            //
	fRespBytes           //
	fRespIPBytes         //
	fConnState           // Zeek's conn_state
	fSynSynAck           // SYN -> SYN-ACK, ns (flowhash TCP.SynRTT, flows syn_rtt)
	fHandshakeRTT        // last SYN -> handshake ACK, ns: tcp.analysis.initial_rtt (SynRTT + AckRTT)
	fRetrans             // tcp.analysis.retransmission (fast ones included)
	fFastRetrans         //
	fOutOfOrder          //
	fDupAcks             //
	fLost                // previous segment not captured
	fZeroWin             //
	fZeroWinProbe        //
	fWinUpdate           //
	fVLAN                // outermost VLAN id, 0 untagged
	numFields
)

var fieldNames = [numFields]string{
	"orig", "resp", "first_ns", "last_ns", "orig_pkts", "orig_bytes", "orig_ip_bytes",
	"resp_pkts", "resp_bytes", "resp_ip_bytes", "conn_state", "syn_synack_ns", "handshake_rtt_ns",
	"retransmissions", "fast_retransmissions", "out_of_order", "dup_acks", "lost_segments",
	"zero_windows", "zero_window_probes", "window_updates", "vlan",
}

// rec is one flow as a source reports it, normalized for comparison.
type rec struct {
	key  string // protocol and unordered endpoints: the same for both orientations
	desc string // "tcp 10.20.0.2:1024 -> 192.198.2.1:443" as the source orients it
	have uint32 // 1<<field for each field set
	v    [numFields]string
}

func (r *rec) set(f int, v string)  { r.v[f], r.have = v, r.have|1<<f }
func (r *rec) setI(f int, v int64)  { r.set(f, strconv.FormatInt(v, 10)) }
func (r *rec) setU(f int, v uint64) { r.set(f, strconv.FormatUint(v, 10)) }

// flowKey is the matching key: protocol plus the two endpoints in a fixed order. ICMP flows
// are keyed by their addresses only (the generator gives each ICMP flow its own client
// address), so a flow oriented the wrong way still matches and shows as an "orig" difference.
func flowKey(proto, a string, ap uint16, b string, bp uint16) string {
	ea, eb := endpoint(a, ap), endpoint(b, bp)
	if proto == "icmp" {
		ea, eb = a, b
	}
	if eb < ea {
		ea, eb = eb, ea
	}
	return proto + " " + ea + " " + eb
}

func endpoint(addr string, port uint16) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + strconv.Itoa(int(port))
	}
	return addr + ":" + strconv.Itoa(int(port))
}

// newRec starts a record with its key, description and endpoints.
func newRec(proto, src string, sport uint16, dst string, dport uint16) *rec {
	r := &rec{key: flowKey(proto, src, sport, dst, dport)}
	r.desc = proto + " " + endpoint(src, sport) + " -> " + endpoint(dst, dport)
	r.set(fOrig, endpoint(src, sport))
	r.set(fResp, endpoint(dst, dport))
	return r
}

// truthRec converts a truth flow. ICMP (v4 and v6) is "icmp" with the echo request's type
// and code as ports, as the truth and pcapdex's flow output both write it.
func truthRec(ft *synth.FlowTruth) *rec {
	r := newRec(ft.Proto, ft.Src, ft.SrcPort, ft.Dst, ft.DstPort)
	r.desc = fmt.Sprintf("truth id %d %s", ft.ID, r.desc)
	if ft.VLAN != 0 {
		r.desc += fmt.Sprintf(" vlan %d", ft.VLAN)
	}
	r.setI(fFirstNS, ft.FirstNS)
	r.setI(fLastNS, ft.LastNS)
	r.setU(fOrigPkts, ft.Orig.Packets)
	r.setU(fOrigBytes, ft.Orig.PayloadBytes)
	r.setU(fOrigIPBytes, ft.Orig.IPBytes)
	r.setU(fRespPkts, ft.Resp.Packets)
	r.setU(fRespBytes, ft.Resp.PayloadBytes)
	r.setU(fRespIPBytes, ft.Resp.IPBytes)
	r.set(fConnState, ft.ConnState)
	r.setI(fSynSynAck, ft.SYNToSYNACKNS)
	r.setI(fHandshakeRTT, ft.HandshakeRTTNS)
	r.setU(fRetrans, ft.Retransmissions)
	r.setU(fFastRetrans, ft.FastRetransmissions)
	r.setU(fOutOfOrder, ft.OutOfOrder)
	r.setU(fDupAcks, ft.DupAcks)
	r.setU(fLost, ft.LostSegments)
	r.setU(fZeroWin, ft.ZeroWindows)
	r.setU(fZeroWinProbe, ft.ZeroWindowProbes)
	r.setU(fWinUpdate, ft.WindowUpdates)
	r.setU(fVLAN, uint64(ft.VLAN))
	return r
}

// protoName is the truth's protocol name of an IP protocol number.
func protoName(p uint8) string {
	switch p {
	case fastparse.ProtoTCP:
		return "tcp"
	case fastparse.ProtoUDP:
		return "udp"
	case fastparse.ProtoICMP, fastparse.ProtoICMPv6:
		return "icmp"
	}
	return strconv.Itoa(int(p))
}

// handshakeRTT is tcp.analysis.initial_rtt from flowhash's two handshake times: SynRTT runs
// from the first SYN to the SYN-ACK, AckRTT from the SYN-ACK to the handshake's ACK; with
// one SYN (every answered SYN of the generator) their sum is last SYN -> ACK. Zero when
// either is not measured, as the truth writes it.
func handshakeRTT(syn, ack int64) int64 {
	if syn == 0 || ack == 0 {
		return 0
	}
	return syn + ack
}

// flowhashRec converts a flowhash.Flow (TCPStats for the counters). winUpd is the flow's
// count of EvWindowUpdate events, or -1 when not known.
func flowhashRec(f *flowhash.Flow, winUpd int64) *rec {
	oa := f.Key.Addr(f.Orig).String()
	ra := f.Key.Addr(f.Orig.Reverse()).String()
	_, op := f.OrigEndpoint()
	_, rp := f.RespEndpoint()
	if f.Key.Proto == fastparse.ProtoICMP || f.Key.Proto == fastparse.ProtoICMPv6 {
		op, rp = uint16(f.ICMPType), uint16(f.ICMPCode)
	}
	r := newRec(protoName(f.Key.Proto), oa, op, ra, rp)
	r.desc = fmt.Sprintf("pcapdex flow %d %s", f.ID, r.desc)
	r.setI(fFirstNS, f.FirstTS)
	r.setI(fLastNS, f.LastTS)
	r.setU(fOrigPkts, f.OrigPkts)
	r.setU(fOrigBytes, f.OrigBytes)
	r.setU(fOrigIPBytes, f.OrigIPBytes)
	r.setU(fRespPkts, f.RespPkts)
	r.setU(fRespBytes, f.RespBytes)
	r.setU(fRespIPBytes, f.RespIPBytes)
	r.set(fConnState, f.ConnState.String())
	st := &f.TCP
	r.setI(fSynSynAck, st.SynRTT)
	r.setI(fHandshakeRTT, handshakeRTT(st.SynRTT, st.AckRTT))
	r.setU(fRetrans, uint64(st.Retransmissions))
	r.setU(fFastRetrans, uint64(st.FastRetransmissions))
	r.setU(fOutOfOrder, uint64(st.OutOfOrder))
	r.setU(fDupAcks, uint64(st.DupAcks))
	r.setU(fLost, uint64(st.LostSegments))
	r.setU(fZeroWin, uint64(st.ZeroWindows))
	r.setU(fZeroWinProbe, uint64(st.ZeroWindowProbes))
	if winUpd >= 0 {
		r.setI(fWinUpdate, winUpd)
	}
	return r
}

// eventRec builds a flow's counters from the event stream alone (Options.Events): the
// events must tell the same story as the flow records.
func eventRec(f *flowhash.Flow, ev *[32]int64) *rec {
	base := flowhashRec(f, -1)
	r := &rec{key: base.key, desc: strings.Replace(base.desc, "pcapdex flow", "pcapdex events of flow", 1)}
	r.setI(fRetrans, ev[flowhash.EvRetransmission]+ev[flowhash.EvFastRetransmission]+ev[flowhash.EvSpuriousRetransmission])
	r.setI(fFastRetrans, ev[flowhash.EvFastRetransmission])
	r.setI(fOutOfOrder, ev[flowhash.EvOutOfOrder])
	r.setI(fDupAcks, ev[flowhash.EvDupAck])
	r.setI(fLost, ev[flowhash.EvLostSegment])
	r.setI(fZeroWin, ev[flowhash.EvZeroWindow])
	r.setI(fZeroWinProbe, ev[flowhash.EvZeroWindowProbe])
	r.setI(fWinUpdate, ev[flowhash.EvWindowUpdate])
	return r
}

// report collects differences and prints them readably: per field a count, then the first
// few lines, each naming the flow and the field.
type report struct {
	t      *testing.T
	source string
	lines  []string
	byName map[string]int
}

func newReport(t *testing.T, source string) *report {
	return &report{t: t, source: source, byName: map[string]int{}}
}

func (r *report) add(what, line string) {
	r.byName[what]++
	r.lines = append(r.lines, line)
}

// value compares one file-level value.
func (r *report) value(name string, truth, got any) {
	if fmt.Sprint(truth) != fmt.Sprint(got) {
		r.add(name, fmt.Sprintf("%s: truth %v, %s %v", name, truth, r.source, got))
	}
}

// done fails the test when anything differs.
func (r *report) done() {
	r.t.Helper()
	if len(r.lines) == 0 {
		return
	}
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%s differs from the ground truth in %d places:", r.source, len(r.lines))
	for _, n := range names {
		fmt.Fprintf(&b, " %s=%d", n, r.byName[n])
	}
	const show = 25
	for i, l := range r.lines {
		if i == show {
			fmt.Fprintf(&b, "\n  ... and %d more", len(r.lines)-show)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	r.t.Error(b.String())
}

// flows matches got against want by key and compares every field both have. Missing and
// extra flows are differences too. It returns the number of flows matched.
func (r *report) flows(want, got []*rec) int {
	byKey := make(map[string]*rec, len(want))
	for _, w := range want {
		if byKey[w.key] != nil {
			r.t.Fatalf("truth has two flows with key %q (%s, %s): the test cannot match them", w.key, byKey[w.key].desc, w.desc)
		}
		byKey[w.key] = w
	}
	seen := make(map[string]bool, len(got))
	matched := 0
	for _, g := range got {
		if seen[g.key] {
			r.add("duplicate", fmt.Sprintf("%s: a second flow on the same key", g.desc))
			continue
		}
		seen[g.key] = true
		w := byKey[g.key]
		if w == nil {
			r.add("extra", fmt.Sprintf("%s: not in the truth", g.desc))
			continue
		}
		matched++
		for f := 0; f < numFields; f++ {
			if g.have&w.have&(1<<f) == 0 || g.v[f] == w.v[f] {
				continue
			}
			r.add(fieldNames[f], fmt.Sprintf("%s (%s): %s: truth %s, %s %s", w.desc, g.desc, fieldNames[f], w.v[f], r.source, g.v[f]))
		}
	}
	for _, w := range want {
		if !seen[w.key] {
			r.add("missing", fmt.Sprintf("%s: missing from %s", w.desc, r.source))
		}
	}
	return matched
}
