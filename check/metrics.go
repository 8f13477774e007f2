package check

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/query"
)

// metricDocs name every metric and say what it counts. Durations are nanoseconds, sizes
// bytes. With a filter, flow metrics count the selected flows and gaps their packets;
// capture metrics (drops, truncated_packets, truncated, duration) ignore the filter.
var metricDocs = [][2]string{
	{"packets", "packets (with a filter: of the selected flows)"},
	{"bytes", "IP bytes of the flows, both directions"},
	{"flows", "flows of any protocol"},
	{"tcp_flows", "TCP flows"},
	{"tcp_packets", "packets of TCP flows"},
	{"retransmissions", "TCP retransmissions (Wireshark's tcp.analysis.retransmission)"},
	{"fast_retransmissions", "TCP fast retransmissions"},
	{"spurious_retransmissions", "TCP spurious retransmissions"},
	{"out_of_order", "TCP out-of-order segments"},
	{"dup_acks", "TCP duplicate ACKs"},
	{"zero_windows", "TCP zero windows"},
	{"lost_segments", "TCP previous segments not captured"},
	{"resets", "TCP flows with a RST from either side"},
	{"client_resets", "TCP flows the originator reset (Zeek history R)"},
	{"server_resets", "TCP flows the responder reset (Zeek history r)"},
	{"unanswered_syns", "TCP connection attempts with no reply (Zeek conn_state S0)"},
	{"slow_handshakes", "TCP handshakes whose SYN to SYN-ACK time exceeds --slow-handshake"},
	{"gaps", "the longest silent interval of at least 1 ms, in ns (0: none)"},
	{"drops", "packets the capturing interfaces dropped (pcapng statistics)"},
	{"truncated_packets", "packets captured shorter than on the wire (snaplen)"},
	{"truncated", "1 when the capture ends inside a record, else 0"},
	{"duration", "time from the first packet to the last, in ns"},
}

// MetricNames returns the names of the metrics, in the order they are documented.
func MetricNames() []string {
	n := make([]string, len(metricDocs))
	for i, d := range metricDocs {
		n[i] = d[0]
	}
	return n
}

// MetricHelp returns one line per metric: name and meaning.
func MetricHelp() string {
	var b strings.Builder
	for _, d := range metricDocs {
		b.WriteString("  " + d[0] + strings.Repeat(" ", max(1, 26-len(d[0]))) + d[1] + "\n")
	}
	return b.String()
}

// metrics computes the metrics of one capture on demand, each filter's flow metrics in one
// pass over its flows.
type metrics struct {
	in   *query.Input
	slow time.Duration
	flow map[string]map[string]float64 // by filter text, then by name
	gaps map[string]float64
	file map[string]float64 // capture metrics
}

func newMetrics(in *query.Input, slow time.Duration) *metrics {
	return &metrics{in: in, slow: slow, flow: map[string]map[string]float64{}, gaps: map[string]float64{}}
}

// get returns metric m, computing what it needs.
func (ms *metrics) get(m metricNode) (float64, error) {
	switch m.name {
	case "drops", "truncated_packets", "truncated", "duration":
		if ms.file == nil {
			ms.fileMetrics()
		}
		return ms.file[m.name], nil
	case "gaps":
		if v, ok := ms.gaps[m.filter]; ok {
			return v, nil
		}
		sel, err := ms.selection(m.filter)
		if err != nil {
			return 0, err
		}
		gaps, err := query.Gaps(ms.in.Store, sel, time.Millisecond)
		if err != nil {
			return 0, err
		}
		var longest float64
		for _, g := range gaps {
			longest = max(longest, float64(g.Duration()))
		}
		ms.gaps[m.filter] = longest
		return longest, nil
	}
	if v, ok := ms.flow[m.filter]; ok {
		return v[m.name], nil
	}
	v, err := ms.flowMetrics(m.filter)
	if err != nil {
		return 0, err
	}
	ms.flow[m.filter] = v
	return v[m.name], nil
}

func (ms *metrics) selection(text string) (query.Selection, error) {
	plan, err := query.CompileFilter(text)
	if err != nil {
		return query.Selection{}, err
	}
	return ms.in.Select(plan, query.NoSince, query.NoUntil)
}

// flowMetrics counts the flow metrics over the flows filter selects, from query.Flows.
func (ms *metrics) flowMetrics(text string) (map[string]float64, error) {
	sel, err := ms.selection(text)
	if err != nil {
		return nil, err
	}
	v := map[string]float64{}
	var pkts float64
	for f, err := range query.Flows(ms.in.Store, sel, query.FlowsOptions{Need: query.FlowAll}) {
		if err != nil {
			return nil, err
		}
		n := float64(f.OrigPkts + f.RespPkts)
		pkts += n
		v["flows"]++
		v["bytes"] += float64(f.OrigIPBytes + f.RespIPBytes)
		if f.Key.Proto != fastparse.ProtoTCP {
			continue
		}
		t := &f.TCP
		v["tcp_flows"]++
		v["tcp_packets"] += n
		v["retransmissions"] += float64(t.Retransmissions)
		v["fast_retransmissions"] += float64(t.FastRetransmissions)
		v["spurious_retransmissions"] += float64(t.SpuriousRetransmissions)
		v["out_of_order"] += float64(t.OutOfOrder)
		v["dup_acks"] += float64(t.DupAcks)
		v["zero_windows"] += float64(t.ZeroWindows)
		v["lost_segments"] += float64(t.LostSegments)
		hist := f.Hist[:min(int(f.HistLen), len(f.Hist))]
		origR, respR := bytes.IndexByte(hist, 'R') >= 0, bytes.IndexByte(hist, 'r') >= 0
		if origR || respR {
			v["resets"]++
		}
		if origR {
			v["client_resets"]++
		}
		if respR {
			v["server_resets"]++
		}
		if f.ConnState.String() == "S0" {
			v["unanswered_syns"]++
		}
		if t.SynRTT > int64(ms.slow) {
			v["slow_handshakes"]++
		}
	}
	v["packets"] = pkts
	if text == "" {
		v["packets"] = float64(ms.in.Store.NumPackets())
	}
	return v, nil
}

// fileMetrics reads the capture facts the index keeps (the `info` summary of each file).
func (ms *metrics) fileMetrics() {
	ms.file = map[string]float64{}
	first, last := ms.in.Store.Span()
	if ms.in.Store.NumPackets() > 0 {
		ms.file["duration"] = float64(last - first)
	}
	if ms.in.Partial {
		ms.file["truncated"] = 1
	}
	if ms.in.Index == nil {
		return
	}
	files, err := ms.in.Index.Captures()
	if err != nil {
		return
	}
	for _, f := range files {
		var info struct {
			Snap      uint64 `json:"snaplen_truncated_frames"`
			Truncated bool   `json:"truncated"`
			PCAPNG    struct {
				Drops *uint64 `json:"if_drops"`
			} `json:"pcapng"`
			Drops *uint64 `json:"if_drops"`
		}
		if json.Unmarshal(f.Info, &info) != nil {
			continue
		}
		ms.file["truncated_packets"] += float64(info.Snap)
		if info.Truncated {
			ms.file["truncated"] = 1
		}
		if info.Drops != nil {
			ms.file["drops"] += float64(*info.Drops)
		}
		if info.PCAPNG.Drops != nil {
			ms.file["drops"] += float64(*info.PCAPNG.Drops)
		}
	}
}
