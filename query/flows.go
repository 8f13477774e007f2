package query

import (
	"cmp"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"strings"

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
	numFlowSorts
)

var flowSortNames = [numFlowSorts]string{"id", "ts", "duration", "bytes", "pkts", "retransmissions", "syn_rtt"}

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
	switch k {
	case SortTS:
		return NeedFlowColumns("ts")
	case SortDuration:
		return NeedFlowColumns("ts", "ts_end")
	case SortBytes:
		return NeedFlowColumns("orig_ip_bytes", "resp_ip_bytes")
	case SortPackets:
		return NeedFlowColumns("orig_pkts", "resp_pkts")
	case SortRetransmissions:
		return NeedFlowColumns("retransmissions")
	case SortSynRTT:
		return NeedFlowColumns("syn_rtt")
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
		flows := make([]flowhash.Flow, 0, size)
		if err := st.Flows(rows, need, func(f *flowhash.Flow) error { flows = append(flows, *f); return nil }); err != nil {
			yield(nil, err)
			return
		}
		SortFlows(flows, o.Sort)
		if o.Limit > 0 && len(flows) > o.Limit {
			flows = flows[:o.Limit]
		}
		for i := range flows {
			if !yield(&flows[i], nil) {
				return
			}
		}
	}
}

// SortFlows orders flows by key; ties keep id order.
func SortFlows(flows []flowhash.Flow, key FlowSort) {
	var val func(f *flowhash.Flow) uint64
	switch key {
	case SortID:
		slices.SortStableFunc(flows, func(a, b flowhash.Flow) int { return cmp.Compare(a.ID, b.ID) })
		return
	case SortTS:
		slices.SortStableFunc(flows, func(a, b flowhash.Flow) int { return cmp.Compare(a.FirstTS, b.FirstTS) })
		return
	case SortDuration:
		val = func(f *flowhash.Flow) uint64 { return uint64(max(f.LastTS-f.FirstTS, 0)) }
	case SortBytes:
		val = func(f *flowhash.Flow) uint64 { return f.OrigIPBytes + f.RespIPBytes }
	case SortPackets:
		val = func(f *flowhash.Flow) uint64 { return f.OrigPkts + f.RespPkts }
	case SortRetransmissions:
		val = func(f *flowhash.Flow) uint64 { return uint64(f.TCP.Retransmissions) }
	case SortSynRTT:
		val = func(f *flowhash.Flow) uint64 { return uint64(max(f.TCP.SynRTT, 0)) }
	default:
		return
	}
	slices.SortStableFunc(flows, func(a, b flowhash.Flow) int { return cmp.Compare(val(&b), val(&a)) })
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
