package output

import (
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/query"
)

// FlowColumn is one column of the flows command, named as in Zeek's conn.log where Zeek
// has the field.
type FlowColumn struct {
	Col
	// set writes the cell of flow f; buf is scratch room of the caller's (cap 64).
	set func(w RowWriter, f *flowhash.Flow, buf []byte)
}

// flowColumns are every column of the flows command (see FlowColumns).
var flowColumns = [...]FlowColumn{
	{Col{"flow_id", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(f.ID) }},
	{Col{"community_id", KindString}, func(w RowWriter, f *flowhash.Flow, b []byte) { w.StrBytes(f.AppendCommunityID(b)) }},
	{Col{"proto", KindString}, func(w RowWriter, f *flowhash.Flow, b []byte) { w.StrBytes(flowhash.AppendProtoName(b, f.Key.Proto)) }},
	{Col{"orig_h", KindAddr}, func(w RowWriter, f *flowhash.Flow, _ []byte) { o, _ := query.FlowAddrs(f); w.Addr(o) }},
	{Col{"orig_p", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { op, _ := query.FlowPorts(f); w.Uint(uint64(op)) }},
	{Col{"resp_h", KindAddr}, func(w RowWriter, f *flowhash.Flow, _ []byte) { _, r := query.FlowAddrs(f); w.Addr(r) }},
	{Col{"resp_p", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { _, rp := query.FlowPorts(f); w.Uint(uint64(rp)) }},
	{Col{"ts", KindTime}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Time(f.FirstTS) }},
	{Col{"ts_end", KindTime}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Time(f.LastTS) }},
	{Col{"duration", KindDuration}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Duration(f.LastTS - f.FirstTS) }},
	{Col{"orig_pkts", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(f.OrigPkts) }},
	{Col{"resp_pkts", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(f.RespPkts) }},
	{Col{"orig_bytes", KindBytes}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Size(f.OrigBytes) }},
	{Col{"resp_bytes", KindBytes}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Size(f.RespBytes) }},
	{Col{"orig_ip_bytes", KindBytes}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Size(f.OrigIPBytes) }},
	{Col{"resp_ip_bytes", KindBytes}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Size(f.RespIPBytes) }},
	{Col{"conn_state", KindString}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Str(f.ConnState.String()) }},
	{Col{"history", KindString}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.StrBytes(f.Hist[:min(int(f.HistLen), len(f.Hist))]) }},
	{Col{"syn_rtt", KindDuration}, func(w RowWriter, f *flowhash.Flow, _ []byte) {
		rttCell(w, f.TCP.SynRTT, f.Key.Proto == fastparse.ProtoTCP && f.TCP.SynRTT != 0)
	}},
	{Col{"ack_rtt", KindDuration}, func(w RowWriter, f *flowhash.Flow, _ []byte) {
		rttCell(w, f.TCP.AckRTT, f.Key.Proto == fastparse.ProtoTCP && f.TCP.AckRTT != 0)
	}},
	{Col{"rtt_min", KindDuration}, func(w RowWriter, f *flowhash.Flow, _ []byte) { rttCell(w, f.TCP.RTTMin, rttKnown(f)) }},
	{Col{"rtt_avg", KindDuration}, func(w RowWriter, f *flowhash.Flow, _ []byte) { rttCell(w, f.TCP.RTTAvg, rttKnown(f)) }},
	{Col{"rtt_max", KindDuration}, func(w RowWriter, f *flowhash.Flow, _ []byte) { rttCell(w, f.TCP.RTTMax, rttKnown(f)) }},
	{Col{"retransmissions", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.Retransmissions)) }},
	{Col{"fast_retransmissions", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.FastRetransmissions)) }},
	{Col{"spurious_retransmissions", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.SpuriousRetransmissions)) }},
	{Col{"out_of_order", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.OutOfOrder)) }},
	{Col{"dup_acks", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.DupAcks)) }},
	{Col{"zero_windows", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.ZeroWindows)) }},
	{Col{"lost_segments", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.LostSegments)) }},
	{Col{"acked_unseen", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.AckedUnseen)) }},
	{Col{"orig_mss", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.MSS[0])) }},
	{Col{"resp_mss", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(uint64(f.TCP.MSS[1])) }},
	{Col{"orig_wscale", KindInt}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Int(int64(f.TCP.WScale[0])) }},
	{Col{"resp_wscale", KindInt}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Int(int64(f.TCP.WScale[1])) }},
	{Col{"first_frame", KindUint}, func(w RowWriter, f *flowhash.Flow, _ []byte) { w.Uint(f.FirstFrame) }},
}

func rttCell(w RowWriter, ns int64, ok bool) {
	if ok {
		w.Duration(ns)
	} else {
		w.Null()
	}
}

// rttKnown reports whether the flow has data->ACK RTT samples to print. Samples that are all
// 0 ns (equal timestamps) print as null too: the index stores the times, not the sample
// count, so the two cannot be told apart there.
func rttKnown(f *flowhash.Flow) bool { return f.TCP.RTTSamples > 0 && f.TCP.RTTMax != 0 }

// FlowColumns returns every column of the flows command: Zeek conn.log's fields in its
// order, then RTTs, the TCP analysis counters and the first frame.
func FlowColumns() []FlowColumn { return slices.Clone(flowColumns[:]) }

// DefaultFlowTableColumns returns the names of the columns of `flows` in the table format;
// machine formats print every column unless the caller picks others.
func DefaultFlowTableColumns() []string {
	return []string{"flow_id", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "ts",
		"duration", "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "conn_state", "history",
		"syn_rtt", "retransmissions"}
}

// PickFlowColumns resolves column names (nil: the default for format).
func PickFlowColumns(names []string, format Format) ([]FlowColumn, error) {
	if names == nil {
		if format != FormatTable {
			return FlowColumns(), nil
		}
		names = DefaultFlowTableColumns()
	}
	var out []FlowColumn
	for _, n := range names {
		i := slices.IndexFunc(flowColumns[:], func(c FlowColumn) bool { return c.Name == n })
		if i < 0 {
			all := make([]string, len(flowColumns))
			for j, c := range flowColumns {
				all[j] = c.Name
			}
			return nil, fmt.Errorf("unknown column %q (columns: %s)", n, strings.Join(all, ","))
		}
		out = append(out, flowColumns[i])
	}
	return out, nil
}

// FlowColumnsNeed returns the flows-table columns that cols read, for
// query.FlowsOptions.Need.
func FlowColumnsNeed(cols []FlowColumn) query.FlowNeed {
	var need query.FlowNeed
	for _, c := range cols {
		switch c.Name {
		case "duration":
			need |= query.NeedFlowColumns("ts", "ts_end")
		case "rtt_min", "rtt_avg", "rtt_max":
			need |= query.NeedFlowColumns("rtt_min", "rtt_avg", "rtt_max")
		default:
			need |= query.NeedFlowColumns(c.Name)
		}
	}
	return need
}

// colsOf returns the declarations of cols.
func colsOf(cols []FlowColumn) []Col {
	decl := make([]Col, len(cols))
	for i, c := range cols {
		decl[i] = c.Col
	}
	return decl
}

// WriteFlows writes one row per flow with the given columns (query.Flows gives the rows;
// its Need should include FlowColumnsNeed(cols)).
func WriteFlows(w io.Writer, opt Options, cols []FlowColumn, flows iter.Seq2[*flowhash.Flow, error]) error {
	return writeFlows(NewWriter(w, opt, colsOf(cols)...), cols, flows)
}

func writeFlows(rw RowWriter, cols []FlowColumn, flows iter.Seq2[*flowhash.Flow, error]) error {
	buf := make([]byte, 0, 64)
	for f, err := range flows {
		if err != nil {
			return err
		}
		for _, c := range cols {
			c.set(rw, f, buf)
		}
		if err := rw.EndRow(); err != nil {
			return err
		}
	}
	return rw.Close()
}

// openFlowColumns are the columns of the flows open at an instant.
var openFlowColumns = [...]string{"flow_id", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "ts", "ts_end", "conn_state", "history"}

// WriteOpenFlows writes the flows open at an instant (query.OpenFlowsAt).
func WriteOpenFlows(w io.Writer, opt Options, flows iter.Seq2[*flowhash.Flow, error]) error {
	cols, err := PickFlowColumns(openFlowColumns[:], FormatTable)
	if err != nil {
		return err
	}
	return WriteFlows(w, opt, cols, flows)
}
