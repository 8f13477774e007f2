package query

import (
	"cmp"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
)

// FlowSort is the order of the rows of Flows.
type FlowSort uint8

const (
	SortID              FlowSort = iota // flow id (order of first packet), ascending; streams
	SortTS                              // first packet time, ascending
	SortDuration                        // largest first
	SortBytes                           // IP bytes of both directions, largest first
	SortPackets                         // packets of both directions, largest first
	SortRetransmissions                 // largest first
	SortSynRTT                          // largest first
	// Every other flows column, largest first (ts_end and addresses aside: ascending).
	SortTSEnd
	SortOrigBytes
	SortRespBytes
	SortOrigIPBytes
	SortRespIPBytes
	SortOrigPkts
	SortRespPkts
	SortAckRTT
	SortRTTMin
	SortRTTAvg
	SortRTTMax
	SortFastRetransmissions
	SortSpuriousRetransmissions
	SortOutOfOrder
	SortDupAcks
	SortZeroWindows
	SortLostSegments
	SortAckedUnseen
	SortOrigPort
	SortRespPort
	SortProto
	numFlowSorts
)

// flowSortKeys says, per FlowSort, its name, the flows-table columns it reads, whether it
// runs ascending and the value it orders by.
var flowSortKeys = [numFlowSorts]struct {
	name string
	cols []string
	asc  bool
	val  func(f *flowhash.Flow) int64
}{
	SortID:                      {"id", nil, true, func(f *flowhash.Flow) int64 { return int64(f.ID) }},
	SortTS:                      {"ts", []string{"ts"}, true, func(f *flowhash.Flow) int64 { return f.FirstTS }},
	SortDuration:                {"duration", []string{"ts", "ts_end"}, false, func(f *flowhash.Flow) int64 { return max(f.LastTS-f.FirstTS, 0) }},
	SortBytes:                   {"bytes", []string{"orig_ip_bytes", "resp_ip_bytes"}, false, func(f *flowhash.Flow) int64 { return int64(f.OrigIPBytes + f.RespIPBytes) }},
	SortPackets:                 {"pkts", []string{"orig_pkts", "resp_pkts"}, false, func(f *flowhash.Flow) int64 { return int64(f.OrigPkts + f.RespPkts) }},
	SortRetransmissions:         {"retransmissions", []string{"retransmissions"}, false, func(f *flowhash.Flow) int64 { return int64(f.TCP.Retransmissions) }},
	SortSynRTT:                  {"syn_rtt", []string{"syn_rtt"}, false, func(f *flowhash.Flow) int64 { return max(f.TCP.SynRTT, 0) }},
	SortTSEnd:                   {"ts_end", []string{"ts_end"}, true, func(f *flowhash.Flow) int64 { return f.LastTS }},
	SortOrigBytes:               {"orig_bytes", []string{"orig_bytes"}, false, func(f *flowhash.Flow) int64 { return int64(f.OrigBytes) }},
	SortRespBytes:               {"resp_bytes", []string{"resp_bytes"}, false, func(f *flowhash.Flow) int64 { return int64(f.RespBytes) }},
	SortOrigIPBytes:             {"orig_ip_bytes", []string{"orig_ip_bytes"}, false, func(f *flowhash.Flow) int64 { return int64(f.OrigIPBytes) }},
	SortRespIPBytes:             {"resp_ip_bytes", []string{"resp_ip_bytes"}, false, func(f *flowhash.Flow) int64 { return int64(f.RespIPBytes) }},
	SortOrigPkts:                {"orig_pkts", []string{"orig_pkts"}, false, func(f *flowhash.Flow) int64 { return int64(f.OrigPkts) }},
	SortRespPkts:                {"resp_pkts", []string{"resp_pkts"}, false, func(f *flowhash.Flow) int64 { return int64(f.RespPkts) }},
	SortAckRTT:                  {"ack_rtt", []string{"ack_rtt"}, false, func(f *flowhash.Flow) int64 { return max(f.TCP.AckRTT, 0) }},
	SortRTTMin:                  {"rtt_min", []string{"rtt_min"}, false, func(f *flowhash.Flow) int64 { return max(f.TCP.RTTMin, 0) }},
	SortRTTAvg:                  {"rtt_avg", []string{"rtt_avg"}, false, func(f *flowhash.Flow) int64 { return max(f.TCP.RTTAvg, 0) }},
	SortRTTMax:                  {"rtt_max", []string{"rtt_max"}, false, func(f *flowhash.Flow) int64 { return max(f.TCP.RTTMax, 0) }},
	SortFastRetransmissions:     {"fast_retransmissions", []string{"fast_retransmissions"}, false, func(f *flowhash.Flow) int64 { return int64(f.TCP.FastRetransmissions) }},
	SortSpuriousRetransmissions: {"spurious_retransmissions", []string{"spurious_retransmissions"}, false, func(f *flowhash.Flow) int64 { return int64(f.TCP.SpuriousRetransmissions) }},
	SortOutOfOrder:              {"out_of_order", []string{"out_of_order"}, false, func(f *flowhash.Flow) int64 { return int64(f.TCP.OutOfOrder) }},
	SortDupAcks:                 {"dup_acks", []string{"dup_acks"}, false, func(f *flowhash.Flow) int64 { return int64(f.TCP.DupAcks) }},
	SortZeroWindows:             {"zero_windows", []string{"zero_windows"}, false, func(f *flowhash.Flow) int64 { return int64(f.TCP.ZeroWindows) }},
	SortLostSegments:            {"lost_segments", []string{"lost_segments"}, false, func(f *flowhash.Flow) int64 { return int64(f.TCP.LostSegments) }},
	SortAckedUnseen:             {"acked_unseen", []string{"acked_unseen"}, false, func(f *flowhash.Flow) int64 { return int64(f.TCP.AckedUnseen) }},
	SortOrigPort:                {"orig_p", []string{"icmp_type", "icmp_code"}, true, func(f *flowhash.Flow) int64 { p, _ := FlowPorts(f); return int64(p) }},
	SortRespPort:                {"resp_p", []string{"icmp_type", "icmp_code"}, true, func(f *flowhash.Flow) int64 { _, p := FlowPorts(f); return int64(p) }},
	SortProto:                   {"proto", nil, true, func(f *flowhash.Flow) int64 { return int64(f.Key.Proto) }},
}

var flowSortNames = func() (n [numFlowSorts]string) {
	for i, k := range flowSortKeys {
		n[i] = k.name
	}
	return n
}()

func (k FlowSort) String() string {
	if k < numFlowSorts {
		return flowSortNames[k]
	}
	return fmt.Sprintf("FlowSort(%d)", uint8(k))
}

// FlowSortNames returns the names of the sort keys, in FlowSort order.
func FlowSortNames() []string { return flowSortNames[:] }

// ParseFlowSort parses a sort key name (see FlowSortNames); "" is SortID.
func ParseFlowSort(s string) (FlowSort, error) {
	if s == "" {
		return SortID, nil
	}
	if i := slices.Index(flowSortNames[:], s); i >= 0 {
		return FlowSort(i), nil
	}
	return 0, fmt.Errorf("unknown sort key %q (%s)", s, strings.Join(flowSortNames[:], ", "))
}

// need is the flows-table columns the sort key reads.
func (k FlowSort) need() FlowNeed {
	if k < numFlowSorts {
		return NeedFlowColumns(flowSortKeys[k].cols...)
	}
	return 0
}

// FlowsOptions configure Flows.
type FlowsOptions struct {
	Sort  FlowSort
	Limit int // at most this many flows (0: all)
	// Need names the flows-table columns the caller reads (NeedFlowColumns, or FlowAll):
	// an index store reads only those, the sort key's and the flow key (zero: the key
	// alone), leaving other fields zero; a stream store fills every field.
	Need FlowNeed
}

// Flows returns the selected flows in o.Sort order. In id order they come as the store
// yields them, none held; other orders read the selected flows into memory and sort them.
// The *Flow is reused: it is valid until the next iteration.
func Flows(st Store, sel Selection, o FlowsOptions) iter.Seq2[*flowhash.Flow, error] {
	return func(yield func(*flowhash.Flow, error) bool) {
		if o.Sort >= numFlowSorts || o.Limit < 0 {
			yield(nil, fmt.Errorf("query: flows: sort %v, limit %d", o.Sort, o.Limit))
			return
		}
		rows, err := sel.FlowRows(st)
		if err != nil {
			yield(nil, err)
			return
		}
		need := o.Need | o.Sort.need()
		if o.Sort == SortID {
			n, stopped := 0, false
			err := st.Flows(rows, need, func(f *flowhash.Flow) error {
				if o.Limit > 0 && n == o.Limit {
					return errStop
				}
				n++
				if !yield(f, nil) {
					stopped = true
					return errStop
				}
				return nil
			})
			if err != nil && err != errStop && !stopped {
				yield(nil, err)
			}
			return
		}
		size := st.NumFlows()
		if rows != nil {
			size = int(rows.GetCardinality())
		}
		if o.Limit > 0 && o.Limit < size {
			// The sort key's columns first, then the few flows printed.
			flows, err := topFlows(st, rows, size, o.Sort, o.Limit, need)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range flows {
				if !yield(&flows[i], nil) {
					return
				}
			}
			return
		}
		flows := make([]flowhash.Flow, 0, size)
		if err := st.Flows(rows, need, func(f *flowhash.Flow) error { flows = append(flows, *f); return nil }); err != nil {
			yield(nil, err)
			return
		}
		order := sortKeyed(keyFlows(nil, flows, o.Sort), o.Sort)
		for _, k := range order {
			if !yield(&flows[k.row], nil) {
				return
			}
		}
	}
}

// keyedRow is one flow's sort value and its position (row or index); sorting these small
// values, not the large Flow records, keeps the comparisons free of allocations.
type keyedRow struct {
	v   int64
	row uint32
}

// keyFlows appends every flow's sort value, with its index in flows, to dst.
func keyFlows(dst []keyedRow, flows []flowhash.Flow, key FlowSort) []keyedRow {
	val := flowSortKeys[key].val
	for i := range flows {
		dst = append(dst, keyedRow{val(&flows[i]), uint32(i)})
	}
	return dst
}

// sortKeyed orders ks by key: by value (ascending or largest first as the key says), ties
// by row, which is id order for rows and indexes alike.
func sortKeyed(ks []keyedRow, key FlowSort) []keyedRow {
	if flowSortKeys[key].asc {
		slices.SortFunc(ks, func(a, b keyedRow) int {
			if c := cmp.Compare(a.v, b.v); c != 0 {
				return c
			}
			return cmp.Compare(a.row, b.row)
		})
	} else {
		slices.SortFunc(ks, func(a, b keyedRow) int {
			if c := cmp.Compare(b.v, a.v); c != 0 {
				return c
			}
			return cmp.Compare(a.row, b.row)
		})
	}
	return ks
}

// topFlows returns the first limit flows of rows (size of them) in key order: a pass
// reading only the key's columns (and the flow key) keeps each flow's value and row, the
// rows are sorted, and a second pass reads need for the limit rows chosen.
func topFlows(st Store, rows *roaring.Bitmap, size int, key FlowSort, limit int, need FlowNeed) ([]flowhash.Flow, error) {
	ks, err := keyRows(st, rows, size, key)
	if err != nil {
		return nil, err
	}
	return readKeyed(st, sortKeyed(ks, key)[:min(limit, len(ks))], need)
}

// keyRows reads the sort value and row of each flow of rows (size of them), reading only
// the key's columns (and the flow key).
func keyRows(st Store, rows *roaring.Bitmap, size int, key FlowSort) ([]keyedRow, error) {
	ks := make([]keyedRow, 0, size)
	val := flowSortKeys[key].val
	err := st.Flows(rows, key.need(), func(f *flowhash.Flow) error {
		ks = append(ks, keyedRow{val(f), uint32(f.ID - 1)})
		return nil
	})
	return ks, err
}

// readKeyed reads need of the flows whose rows ks holds and returns them in ks's order.
func readKeyed(st Store, ks []keyedRow, need FlowNeed) ([]flowhash.Flow, error) {
	// byRow[j].v is the place in ks of the j-th chosen row in row order.
	byRow := slices.Clone(ks)
	for i := range byRow {
		byRow[i].v = int64(i)
	}
	slices.SortFunc(byRow, func(a, b keyedRow) int { return cmp.Compare(a.row, b.row) })
	chosen := roaring.New()
	for _, k := range byRow {
		chosen.Add(k.row)
	}
	out := make([]flowhash.Flow, len(ks))
	j := 0
	err := st.Flows(chosen, need, func(f *flowhash.Flow) error {
		if j >= len(byRow) || uint64(byRow[j].row)+1 != f.ID {
			return fmt.Errorf("query: flows: store returned flow %d out of order", f.ID)
		}
		out[byRow[j].v] = *f
		j++
		return nil
	})
	if err == nil && j != len(byRow) {
		err = fmt.Errorf("query: flows: store returned %d of %d flows", j, len(byRow))
	}
	return out, err
}

// SortFlows orders flows by key; ties keep id order.
func SortFlows(flows []flowhash.Flow, key FlowSort) {
	if key >= numFlowSorts || len(flows) < 2 {
		return
	}
	ks := make([]keyedRow, 0, len(flows))
	for i := range flows {
		// Ties by id, whatever the order flows come in.
		ks = append(ks, keyedRow{flowSortKeys[key].val(&flows[i]), uint32(i)})
	}
	slices.SortFunc(ks, func(a, b keyedRow) int {
		c := cmp.Compare(a.v, b.v)
		if !flowSortKeys[key].asc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(flows[a.row].ID, flows[b.row].ID)
	})
	sorted := make([]flowhash.Flow, len(flows))
	for i, k := range ks {
		sorted[i] = flows[k.row]
	}
	copy(flows, sorted)
}

// FlowAddrs returns the originator's and the responder's address.
func FlowAddrs(f *flowhash.Flow) (orig, resp netip.Addr) {
	a, _ := f.OrigEndpoint()
	b, _ := f.RespEndpoint()
	return addrOf(a, f.Key.IPVersion), addrOf(b, f.Key.IPVersion)
}

// FlowPorts returns the originator's and the responder's port, or for ICMP the type and
// the code, as Zeek's conn.log does.
func FlowPorts(f *flowhash.Flow) (orig, resp uint16) {
	_, op := f.OrigEndpoint()
	_, rp := f.RespEndpoint()
	if f.Key.Proto == fastparse.ProtoICMP || f.Key.Proto == fastparse.ProtoICMPv6 {
		op, rp = uint16(f.ICMPType), uint16(f.ICMPCode)
	}
	return op, rp
}
