package query

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/filter"
)

var (
	testAddrs = []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.5"),
		netip.MustParseAddr("10.0.1.7"), netip.MustParseAddr("192.168.1.1"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"),
		netip.MustParseAddr("2001:db8:1::9"),
	}
	testNets = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/24"),
		netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("2001:db8::/48"), netip.MustParsePrefix("0.0.0.0/0"),
	}
	testPorts = []uint16{22, 53, 80, 443, 1024, 8080, 50000, 65535}
	testProto = []uint8{6, 17, 1, 58, 47, 132}
)

func randFlow(r *rand.Rand) FlowFields {
	f := FlowFields{
		Src: testAddrs[r.IntN(len(testAddrs))], Dst: testAddrs[r.IntN(len(testAddrs))],
		SrcPort: testPorts[r.IntN(len(testPorts))], DstPort: testPorts[r.IntN(len(testPorts))],
		Proto: testProto[r.IntN(len(testProto))],
		VLAN:  []int{-1, -1, 10, 20}[r.IntN(4)],
		Flags: filter.TCPFlag(r.IntN(8)),
	}
	if r.IntN(5) > 0 {
		f.State = filter.StateCodes[r.IntN(len(filter.StateCodes))]
	}
	small := func() uint64 { return uint64(r.IntN(4)) * uint64(r.IntN(3)) }
	f.OrigBytes, f.RespBytes = uint64(r.IntN(3000)), uint64(r.IntN(3))*uint64(r.IntN(2_000_000))
	f.OrigIPBytes, f.RespIPBytes = f.OrigBytes+40*f.OrigPkts, f.RespBytes+40*f.RespPkts
	f.OrigPkts, f.RespPkts = small()*3, small()*5
	f.Duration = time.Duration(r.IntN(10)) * 700 * time.Millisecond
	f.SynRTT = time.Duration(r.IntN(6)-1) * 100 * time.Millisecond
	f.Retransmissions, f.ZeroWindows, f.OutOfOrder, f.DupAcks = small(), small(), small(), small()
	return f
}

func randDir(r *rand.Rand) filter.Dir { return filter.Dir(r.IntN(3)) }

func randLeaf(r *rand.Rand) filter.Node {
	switch r.IntN(11) {
	case 0:
		return &filter.Host{Dir: randDir(r), Addr: testAddrs[r.IntN(len(testAddrs))]}
	case 1:
		return &filter.Net{Dir: randDir(r), Prefix: testNets[r.IntN(len(testNets))]}
	case 2:
		lo := testPorts[r.IntN(len(testPorts))]
		hi := lo
		if r.IntN(2) == 0 {
			hi = max(lo, testPorts[r.IntN(len(testPorts))])
		}
		return &filter.Port{Dir: randDir(r), Lo: lo, Hi: hi}
	case 3:
		return &filter.Proto{N: testProto[r.IntN(len(testProto))]}
	case 4:
		return &filter.IPVersion{V: []uint8{4, 6}[r.IntN(2)]}
	case 5:
		return &filter.VLAN{ID: []int{-1, 10, 20, 30}[r.IntN(4)]}
	case 6:
		return &filter.State{Code: filter.StateCodes[r.IntN(len(filter.StateCodes))]}
	case 7:
		return &filter.Flag{F: []filter.TCPFlag{filter.FlagSYN, filter.FlagFIN, filter.FlagRST}[r.IntN(3)]}
	}
	f := filter.Field(r.IntN(int(filter.FieldTCPFlags)))
	var v uint64
	switch f.Unit() {
	case filter.UnitBytes:
		v = uint64(r.IntN(3)) * uint64(r.IntN(2_000_000))
	case filter.UnitDuration:
		v = uint64(r.IntN(8)) * 100 * uint64(time.Millisecond)
	default:
		v = uint64(r.IntN(10))
	}
	return &filter.Cmp{F: f, Op: filter.Op(r.IntN(6)), Value: v}
}

func randNode(r *rand.Rand, depth int) filter.Node {
	if depth <= 0 || r.IntN(3) == 0 {
		return randLeaf(r)
	}
	switch r.IntN(3) {
	case 0:
		return &filter.Not{X: randNode(r, depth-1)}
	case 1:
		return filter.NewAnd(randTerms(r, depth-1)...)
	}
	return filter.NewOr(randTerms(r, depth-1)...)
}

func randTerms(r *rand.Rand, depth int) []filter.Node {
	terms := make([]filter.Node, 2+r.IntN(3))
	for i := range terms {
		terms[i] = randNode(r, depth)
	}
	return terms
}

// noStats hides a column's block statistics, so that every block is scanned.
type noStats struct{ NumericColumn }

func (c noStats) Info(b int) BlockInfo {
	i := c.NumericColumn.Info(b)
	i.HasStats = false
	return i
}

type noStatsSource struct{ *FlowSet }

func (s noStatsSource) Column(f filter.Field) (NumericColumn, error) {
	c, err := s.FlowSet.Column(f)
	return noStats{c}, err
}

// TestPlanMatchesRows is the property test: for random filters over random flow sets, the
// bitmap plan returns exactly the flows the row evaluator accepts, and the filter's text
// parses back to the same tree.
func TestPlanMatchesRows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	nonEmpty := 0
	for iter := range 3000 {
		flows := make([]FlowFields, 1+r.IntN(300))
		for i := range flows {
			flows[i] = randFlow(r)
		}
		n := randNode(r, 4)
		text := filter.String(n)
		parsed, err := filter.Parse(text)
		if err != nil {
			t.Fatalf("iter %d: canonical %q does not parse: %v", iter, text, err)
		}
		if !reflect.DeepEqual(unshift(parsed), unshift(n)) { // the parser wraps what follows a vlan in Shift
			t.Fatalf("iter %d: %q parses to %q", iter, text, filter.String(parsed))
		}
		p, err := CompileFlows(n)
		if err != nil {
			t.Fatalf("iter %d: CompileFlows(%q): %v", iter, text, err)
		}
		var want []uint32
		for i := range flows {
			if p.MatchFlow(&flows[i]) {
				want = append(want, uint32(i))
			}
			// The normalized tree means the same as the original.
			if p.MatchFlow(&flows[i]) != refMatch(n, &flows[i]) {
				t.Fatalf("iter %d: normalize(%q) = %q differs on flow %d", iter, text, filter.String(p.Normalized()), i)
			}
		}
		if len(want) > 0 {
			nonEmpty++
		}
		for _, src := range []Source{NewFlowSet(flows, 1+r.IntN(40)), noStatsSource{NewFlowSet(flows, 16)}} {
			got, err := p.Eval(src)
			if err != nil {
				t.Fatalf("iter %d: Eval(%q): %v", iter, text, err)
			}
			if g := got.ToArray(); !slices.Equal(g, want) {
				t.Fatalf("iter %d: %q over %d flows:\nbitmap %v\nrows   %v\nplan:\n%s", iter, text, len(flows), g, want, p.Explain())
			}
		}
	}
	if nonEmpty < 1000 {
		t.Fatalf("only %d of 3000 random filters matched anything; the generator is too weak", nonEmpty)
	}
}

// refMatch evaluates the tree as written, without normalization.
func refMatch(n filter.Node, f *FlowFields) bool {
	switch x := n.(type) {
	case *filter.And:
		for _, t := range x.Terms {
			if !refMatch(t, f) {
				return false
			}
		}
		return true
	case *filter.Or:
		for _, t := range x.Terms {
			if refMatch(t, f) {
				return true
			}
		}
		return false
	case *filter.Not:
		return !refMatch(x.X, f)
	}
	return matchLeaf(n, f)
}

func TestFlowSemantics(t *testing.T) {
	flow := FlowFields{
		Src: netip.MustParseAddr("10.0.0.5"), Dst: netip.MustParseAddr("192.168.1.1"),
		SrcPort: 51000, DstPort: 443, Proto: 6, VLAN: -1, State: "SF", Flags: filter.FlagSYN | filter.FlagFIN,
		OrigBytes: 1500, RespBytes: 2_000_000, OrigPkts: 10, RespPkts: 20,
		OrigIPBytes: 1900, RespIPBytes: 2_000_800,
		Duration: 6 * time.Second, SynRTT: -1, Retransmissions: 2,
	}
	cases := []struct {
		filter string
		want   bool
	}{
		{"host 10.0.0.5", true},
		{"src host 10.0.0.5", true},
		{"dst host 10.0.0.5", false},
		{"dst net 192.168.0.0/16", true},
		{"src net 192.168.0.0/16", false},
		{"port 443", true},
		{"src port 443", false},
		{"dst portrange 400-500", true},
		{"tcp", true},
		{"udp", false},
		{"ip", true},
		{"ip6", false},
		{"vlan", false},
		{"not vlan", true},
		{"state == SF", true},
		{"state != SF", false},
		{"syn and fin and not rst", true},
		{"bytes > 1MB", true},
		{"bytes > 2.1MB", false},
		{"bytes >= 2002700", true},
		{"bytes > 2002700", false},
		{"orig_bytes > 1KiB", true},
		{"orig_bytes > 1.5KB", false},
		{"pkts == 30", true},
		{"duration > 5s", true},
		{"duration > 6s", false},
		{"retransmissions", true},
		{"zero_windows", false},
		// syn_rtt is Missing: no comparison holds, and "not" flips that.
		{"syn_rtt > 0", false},
		{"syn_rtt == 0", false},
		{"syn_rtt < 1h", false},
		{"not syn_rtt > 0", true},
		{"not syn_rtt < 1h", true},
		// tcpdump precedence: (udp or tcp) and port 80 is false, udp or (tcp and port 443) true.
		{"udp or tcp and port 80", false},
		{"udp or (tcp and port 443)", true},
		{"port 80 or 443", true},
		{"", true},
	}
	for _, tc := range cases {
		n, err := filter.Parse(tc.filter)
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		p, err := CompileFlows(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.MatchFlow(&flow); got != tc.want {
			t.Errorf("%q: MatchFlow = %v, want %v", tc.filter, got, tc.want)
		}
		b, err := p.Eval(NewFlowSet([]FlowFields{flow}, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Contains(0); got != tc.want {
			t.Errorf("%q: Eval = %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"not (tcp and port 80)", "not tcp or not port 80"},
		{"not (tcp or not udp)", "not tcp and udp"},
		{"not not tcp", "tcp"},
		{"not bytes > 10", "bytes <= 10"},
		{"not (pkts == 3 or duration < 1s)", "pkts != 3 and duration >= 1s"},
		{"not syn_rtt > 300ms", "not syn_rtt > 300ms"},
		{"tcp and (udp and (icmp or (ip or ip6)))", "tcp and udp and (icmp or ip or ip6)"},
		{"not (tcp and (udp or not icmp))", "not tcp or (not udp and icmp)"},
	}
	for _, tc := range cases {
		if got := filter.String(Normalize(filter.MustParse(tc.in))); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExplain(t *testing.T) {
	p, err := CompileFlows(filter.MustParse("bytes > 1MB and host 10.0.0.5 and (port 80 or syn_rtt > 300ms) and not tcp"))
	if err != nil {
		t.Fatal(err)
	}
	want := "and\n" +
		"  posting host 10.0.0.5\n" +
		"  not\n" +
		"    posting tcp\n" +
		"  column bytes > 1000000\n" +
		"  or\n" +
		"    posting port 80\n" +
		"    column syn_rtt > 300ms\n"
	if got := p.Explain(); got != want {
		t.Fatalf("Explain:\n%s\nwant:\n%s", got, want)
	}
}

// countingSource records which leaves were asked for.
type countingSource struct {
	*FlowSet
	calls []string
}

func (s *countingSource) Host(a netip.Addr, d filter.Dir) (*roaring.Bitmap, error) {
	s.calls = append(s.calls, "host "+a.String())
	return s.FlowSet.Host(a, d)
}

func (s *countingSource) Column(f filter.Field) (NumericColumn, error) {
	s.calls = append(s.calls, "column "+f.String())
	return s.FlowSet.Column(f)
}

func TestAndStopsEarly(t *testing.T) {
	flows := []FlowFields{{Src: testAddrs[0], Dst: testAddrs[1], VLAN: -1, OrigIPBytes: 5}}
	src := &countingSource{FlowSet: NewFlowSet(flows, 0)}
	p, _ := CompileFlows(filter.MustParse("bytes > 1 and host 10.9.9.9 and duration > 1s"))
	got, err := p.Eval(src)
	if err != nil || !got.IsEmpty() {
		t.Fatalf("got %v, %v", got, err)
	}
	if want := []string{"host 10.9.9.9"}; !slices.Equal(src.calls, want) {
		t.Fatalf("calls %v, want %v: columns must not be read once the postings are empty", src.calls, want)
	}
}

// blockCounter counts the blocks whose values are read.
type blockCounter struct {
	NumericColumn
	reads *int
}

func (c blockCounter) Values(b int, buf []uint64) ([]uint64, error) {
	*c.reads++
	return c.NumericColumn.Values(b, buf)
}

type blockCountSource struct {
	*FlowSet
	reads int
}

func (s *blockCountSource) Column(f filter.Field) (NumericColumn, error) {
	c, err := s.FlowSet.Column(f)
	return blockCounter{c, &s.reads}, err
}

func TestColumnSkipsBlocks(t *testing.T) {
	// 10 blocks of 100 flows; bytes grow with the flow number, and only flows 0..99 use port 22.
	flows := make([]FlowFields, 1000)
	for i := range flows {
		flows[i] = FlowFields{Src: testAddrs[0], Dst: testAddrs[1], DstPort: 80, Proto: 6, VLAN: -1, OrigIPBytes: uint64(i)}
		if i < 100 {
			flows[i].DstPort = 22
		}
	}
	cases := []struct {
		filter string
		reads  int
		count  uint64
	}{
		{"bytes > 950", 1, 49},            // 9 blocks decided by min/max (none), 1 scanned
		{"bytes >= 500", 0, 500},          // blocks decided whole: none or every
		{"port 22 and bytes > 50", 1, 49}, // only block 0 holds candidates
		{"port 22 and bytes > 500", 0, 0},
	}
	for _, tc := range cases {
		src := &blockCountSource{FlowSet: NewFlowSet(flows, 100)}
		p, _ := CompileFlows(filter.MustParse(tc.filter))
		got, err := p.Eval(src)
		if err != nil {
			t.Fatal(err)
		}
		if got.GetCardinality() != tc.count || src.reads != tc.reads {
			t.Errorf("%q: %d flows, %d block reads; want %d, %d", tc.filter, got.GetCardinality(), src.reads, tc.count, tc.reads)
		}
	}
}

func TestMatchFlowNoAllocs(t *testing.T) {
	p, _ := CompileFlows(filter.MustParse("(host 10.0.0.5 or net 2001:db8::/32) and tcp and port 80 or 443 and not state == S0 and bytes > 1MB and syn"))
	f := randFlow(rand.New(rand.NewPCG(3, 4)))
	if n := testing.AllocsPerRun(1000, func() { p.MatchFlow(&f) }); n != 0 {
		t.Fatalf("MatchFlow: %v allocs, want 0", n)
	}
}

func TestCompileRejects(t *testing.T) {
	for _, n := range []filter.Node{
		&filter.And{},
		&filter.Cmp{F: filter.FieldTCPFlags, Op: filter.OpGt},
		&filter.Cmp{F: filter.FieldBytes, Op: 9},
		&filter.Cmp{F: filter.FieldBytes, Op: filter.OpGt, Value: filter.Missing},
		&filter.Not{X: nil},
	} {
		if _, err := CompileFlows(n); err == nil {
			t.Errorf("CompileFlows(%#v) accepted", n)
		}
	}
}

// FuzzCompile checks that every filter Parse accepts compiles, and that its plan agrees with
// the tree as written (refMatch) row by row and as a bitmap, over a fixed set of flows.
// filter.FuzzParse covers the parser itself.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"host 10.0.0.5 and tcp and (syn_rtt > 300ms or retransmissions)",
		"tcp port 80 or 443 and not state == S0",
		"src net 10.0.0.0/8 or dst portrange 1024-2047",
		"not (udp or vlan 10) and bytes >= 1.5kb",
		"ip6 or proto 47 or syn and not fin or rst",
		"not syn_rtt < 1s and duration > 0",
	} {
		f.Add(s)
	}
	r := rand.New(rand.NewPCG(3, 4))
	flows := make([]FlowFields, 200)
	for i := range flows {
		flows[i] = randFlow(r)
	}
	set := NewFlowSet(flows, 16)
	f.Fuzz(func(t *testing.T, s string) {
		n, err := filter.Parse(s)
		if err != nil {
			return
		}
		if _, err := Compile(n); err != nil {
			t.Fatalf("Compile(%q): %v", filter.String(n), err)
		}
		p, err := CompileFlows(n)
		if errors.Is(err, ErrPacketOnly) {
			return // byte offsets, ether, lengths: no flow meaning, so no flow reference either
		}
		if err != nil {
			t.Fatalf("CompileFlows(%q): %v", filter.String(n), err)
		}
		got, err := p.Eval(set)
		if err != nil {
			t.Fatalf("Eval(%q): %v", filter.String(n), err)
		}
		for i := range flows {
			want := n == nil || refMatch(n, &flows[i])
			if p.MatchFlow(&flows[i]) != want || got.Contains(uint32(i)) != want {
				t.Fatalf("%q on flow %d: MatchFlow %v, Eval %v, want %v", filter.String(n), i, p.MatchFlow(&flows[i]), got.Contains(uint32(i)), want)
			}
		}
	})
}

func ExamplePlan_Explain() {
	p, _ := CompileFlows(filter.MustParse("syn_rtt > 300ms and host 10.0.0.5"))
	fmt.Print(p.Explain())
	// Output:
	// and
	//   posting host 10.0.0.5
	//   column syn_rtt > 300ms
}
