package query

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

// TopBy is the grouping of Top.
type TopBy uint8

const (
	TopHost TopBy = iota // either end's address (a flow counts for both)
	TopSrc               // the originator's address
	TopDst               // the responder's address
	TopPort              // the responder's port, with the protocol (flows with ports only)
	TopPair              // the two addresses, lower first
	TopFlow              // the flow
	numTopBy
)

var topByNames = [numTopBy]string{"host", "src", "dst", "port", "pair", "flow"}

// topByOrder is the order in which the groupings are listed to people.
var topByOrder = [numTopBy]TopBy{TopSrc, TopDst, TopHost, TopPort, TopPair, TopFlow}

func (b TopBy) String() string {
	if b < numTopBy {
		return topByNames[b]
	}
	return fmt.Sprintf("TopBy(%d)", uint8(b))
}

// TopByNames returns the names of the groupings: src, dst, host, port, pair, flow.
func TopByNames() []string {
	n := make([]string, len(topByOrder))
	for i, b := range topByOrder {
		n[i] = b.String()
	}
	return n
}

// ParseTopBy parses a grouping name (see TopByNames).
func ParseTopBy(s string) (TopBy, error) {
	if i := slices.Index(topByNames[:], s); i >= 0 {
		return TopBy(i), nil
	}
	return 0, fmt.Errorf("unknown grouping %q (%s)", s, strings.Join(TopByNames(), ", "))
}

// TopMetric is what Top ranks by.
type TopMetric uint8

const (
	TopBytes   TopMetric = iota // IP bytes, both directions
	TopPackets                  // packets, both directions
)

func (m TopMetric) String() string {
	switch m {
	case TopBytes:
		return "bytes"
	case TopPackets:
		return "packets"
	}
	return fmt.Sprintf("TopMetric(%d)", uint8(m))
}

// ParseTopMetric parses a metric name: bytes or packets.
func ParseTopMetric(s string) (TopMetric, error) {
	switch s {
	case "bytes":
		return TopBytes, nil
	case "packets":
		return TopPackets, nil
	}
	return 0, fmt.Errorf("unknown metric %q (bytes, packets)", s)
}

// TopOptions configure Top.
type TopOptions struct {
	By     TopBy
	Metric TopMetric
	N      int // rows (0: all)
}

// TopRow is one group of Top. Which key fields are set depends on TopOptions.By.
type TopRow struct {
	Addr  netip.Addr // host, src, dst: the address; pair: the lower address
	AddrB netip.Addr // pair: the higher address
	Proto uint8      // port: the protocol
	Port  uint16     // port: the responder port

	FlowID             uint64 // flow: the flow and its endpoints
	Orig, Resp         netip.Addr
	OrigPort, RespPort uint16

	Flows, Packets, Bytes uint64
	Share                 float64 // the group's fraction of the metric over all selected flows
}

type topKey struct {
	a, b  netip.Addr
	proto uint8
	port  uint16
	id    uint64
}

// Top returns the N largest groups of the selected flows by metric; ties in key order.
func Top(st Store, sel Selection, o TopOptions) ([]TopRow, error) {
	if o.By >= numTopBy || o.Metric > TopPackets || o.N < 0 {
		return nil, fmt.Errorf("query: top by %v, metric %v, n %d", o.By, o.Metric, o.N)
	}
	rows, err := sel.FlowRows(st)
	if err != nil {
		return nil, err
	}
	if o.By == TopFlow {
		return topByFlow(st, rows, o)
	}
	type agg struct {
		key topKey
		row TopRow
	}
	groups := map[topKey]*agg{}
	var total uint64
	add := func(k topKey, f *flowhash.Flow) {
		a := groups[k]
		if a == nil {
			a = &agg{key: k}
			groups[k] = a
		}
		a.row.Flows++
		a.row.Packets += f.OrigPkts + f.RespPkts
		a.row.Bytes += f.OrigIPBytes + f.RespIPBytes
		if o.By == TopFlow {
			a.row.Orig, a.row.Resp = FlowAddrs(f)
			a.row.OrigPort, a.row.RespPort = FlowPorts(f)
		}
	}
	err = st.Flows(rows, NeedFlowColumns("orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"), func(f *flowhash.Flow) error {
		if o.Metric == TopBytes {
			total += f.OrigIPBytes + f.RespIPBytes
		} else {
			total += f.OrigPkts + f.RespPkts
		}
		oa, ra := FlowAddrs(f)
		switch o.By {
		case TopSrc:
			add(topKey{a: oa}, f)
		case TopDst:
			add(topKey{a: ra}, f)
		case TopHost:
			add(topKey{a: oa}, f)
			if ra != oa {
				add(topKey{a: ra}, f)
			}
		case TopPort:
			if !f.HasL4 || !index.HasPortPostings(f.Key.Proto) {
				return nil
			}
			_, rp := f.RespEndpoint()
			add(topKey{proto: f.Key.Proto, port: rp}, f)
		case TopPair:
			if ra.Less(oa) {
				oa, ra = ra, oa
			}
			add(topKey{a: oa, b: ra}, f)
		case TopFlow:
			add(topKey{id: f.ID}, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	list := make([]*agg, 0, len(groups))
	for _, a := range groups {
		list = append(list, a)
	}
	metric := func(a *agg) uint64 {
		if o.Metric == TopBytes {
			return a.row.Bytes
		}
		return a.row.Packets
	}
	sort.Slice(list, func(i, j int) bool {
		x, y := list[i], list[j]
		if mx, my := metric(x), metric(y); mx != my {
			return mx > my
		}
		if c := x.key.a.Compare(y.key.a); c != 0 {
			return c < 0
		}
		if c := x.key.b.Compare(y.key.b); c != 0 {
			return c < 0
		}
		if x.key.proto != y.key.proto {
			return x.key.proto < y.key.proto
		}
		if x.key.port != y.key.port {
			return x.key.port < y.key.port
		}
		return x.key.id < y.key.id
	})
	if o.N > 0 && len(list) > o.N {
		list = list[:o.N]
	}
	out := make([]TopRow, len(list))
	for i, a := range list {
		r := a.row
		r.Addr, r.AddrB, r.Proto, r.Port, r.FlowID = a.key.a, a.key.b, a.key.proto, a.key.port, a.key.id
		if total > 0 {
			r.Share = float64(metric(a)) / float64(total)
		}
		out[i] = r
	}
	return out, nil
}

// topByFlow is Top by flow: every flow is its own group, so the flows' metric values and
// rows are sorted (no map of groups), and only the N chosen flows are read whole.
func topByFlow(st Store, rows *roaring.Bitmap, o TopOptions) ([]TopRow, error) {
	key := SortBytes
	if o.Metric == TopPackets {
		key = SortPackets
	}
	size := st.NumFlows()
	if rows != nil {
		size = int(rows.GetCardinality())
	}
	ks, err := keyRows(st, rows, size, key)
	if err != nil {
		return nil, err
	}
	var total uint64
	for _, k := range ks {
		total += uint64(k.v)
	}
	ks = sortKeyed(ks, key)
	if o.N > 0 && len(ks) > o.N {
		ks = ks[:o.N]
	}
	flows, err := readKeyed(st, ks, NeedFlowColumns("orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"))
	if err != nil {
		return nil, err
	}
	out := make([]TopRow, len(flows))
	for i := range flows {
		f := &flows[i]
		r := TopRow{FlowID: f.ID, Flows: 1, Packets: f.OrigPkts + f.RespPkts, Bytes: f.OrigIPBytes + f.RespIPBytes}
		r.Orig, r.Resp = FlowAddrs(f)
		r.OrigPort, r.RespPort = FlowPorts(f)
		if total > 0 {
			r.Share = float64(ks[i].v) / float64(total)
		}
		out[i] = r
	}
	return out, nil
}
