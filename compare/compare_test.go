package compare

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/query"
)

// openSide opens captures as one side, read in one pass (no index).
func openSide(t testing.TB, paths ...string) Side {
	t.Helper()
	st, err := query.NewStreamStoreOptions(paths, false, flowhash.Options{}, query.StreamKeep{Packets: true, Need: query.NeedTCP | query.NeedRecord})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sel, err := query.Select(st, nil, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	return Side{Store: st, Sel: sel}
}

type missKey struct {
	point   string
	frame   int64
	verdict string
}

type rtxKey struct {
	point  string
	frame  int64
	origin string
}

// expected derives, from the generator's truth, what compare must report.
type expected struct {
	missing []missKey
	rtx     []rtxKey
	dirs    map[[2]int]*Direction // [flow 0 tcp / 1 udp][0 c2s / 1 s2c]
	delays  map[[2]int][]int64
}

func (g *genTruth) expect() *expected {
	e := &expected{dirs: map[[2]int]*Direction{}, delays: map[[2]int][]int64{}}
	frameA, frameB := map[*gpkt]int64{}, map[*gpkt]int64{}
	for i, o := range g.obsA {
		if o.kind == 0 {
			frameA[o.p] = int64(i + 1)
		}
	}
	for i, o := range g.obsB {
		if o.kind == 0 {
			frameB[o.p] = int64(i + 1)
		}
	}
	kOf := func(p *gpkt) [2]int {
		k := [2]int{p.client, 1}
		if p.c2s {
			k[1] = 0
		}
		return k
	}
	dir := func(p *gpkt) *Direction {
		k := kOf(p)
		if e.dirs[k] == nil {
			e.dirs[k] = &Direction{Path: "a_to_b"}
			if k[1] == 1 {
				e.dirs[k].Path = "b_to_a"
			}
		}
		return e.dirs[k]
	}
	ttl, dscp, ecn, mss := map[[3]int]int64{}, map[[3]int]int64{}, map[[3]int]int64{}, map[[3]int]int64{}
	for i, o := range g.obsA {
		d := dir(o.p)
		d.AtA++
		switch o.kind {
		case 1:
			d.SpanDupA++
		case 2:
			d.DupBetween++
			d.AOnly++
			e.missing = append(e.missing, missKey{"a", int64(i + 1), "duplicated_between"})
		}
		if o.p.tsoB != 0 {
			d.CoalescedA++
		}
	}
	for _, o := range g.obsB {
		d := dir(o.p)
		d.AtB++
		if o.kind == 1 {
			d.SpanDupB++
		}
		if o.p.tsoB != 0 {
			d.CoalescedB++
		}
	}
	for _, p := range g.pkts {
		d := dir(p)
		fa, okA := frameA[p]
		fb, okB := frameB[p]
		if p.tsoB != 0 {
			continue
		}
		up, down := "a", "b"
		fu, fd, okU, okD := fa, fb, okA, okB
		if !p.c2s {
			up, down, fu, fd, okU, okD = "b", "a", fb, fa, okB, okA
		}
		switch {
		case okU && okD:
			d.Both++
			k := kOf(p)
			tu, td := p.tA, p.tB
			if !p.c2s {
				tu, td = p.tB, p.tA
			}
			e.delays[k] = append(e.delays[k], td-tu)
			// rewrites: upstream -> downstream
			ttl[[3]int{k[0]*2 + k[1], 64, 61}]++
			if p.c2s {
				dscp[[3]int{k[0]*2 + k[1], 46, 0}]++
			}
			if p.ce {
				ecn[[3]int{k[0]*2 + k[1], 2, 3}]++
			}
			if p.mss != 0 && p.c2s {
				mss[[3]int{k[0]*2 + k[1], 1460, 1400}]++
			}
		case okU:
			v := "capture_drop_" + down
			if p.fate == fBetween {
				v = "lost_between"
				d.LostBetween++
			} else if down == "a" {
				d.CaptureDropA++
			} else {
				d.CaptureDropB++
			}
			e.missing = append(e.missing, missKey{up, fu, v})
			if up == "a" {
				d.AOnly++
			} else {
				d.BOnly++
			}
		case okD:
			e.missing = append(e.missing, missKey{down, fd, "capture_drop_" + up})
			if up == "a" {
				d.CaptureDropA++
				d.BOnly++
			} else {
				d.CaptureDropB++
				d.AOnly++
			}
		}
		if p.isRtx {
			d.Retransmissions++
			var origin string
			switch p.rtxOrigin {
			case "before":
				origin = "lost_before_" + up
			case "between":
				origin = "lost_between"
				d.RetransBetween++
			case "after":
				origin = "lost_after_" + down
			default:
				origin = "spurious"
				d.Spurious++
			}
			switch origin {
			case "lost_before_a":
				d.LostBeforeA++
			case "lost_before_b":
				d.LostBeforeB++
			case "lost_after_a":
				d.LostAfterA++
			case "lost_after_b":
				d.LostAfterB++
			}
			e.rtx = append(e.rtx, rtxKey{up, fu, origin})
		}
	}
	// Bursts and reordering, from each point's capture order.
	for k, d := range e.dirs {
		upObs, downObs := g.obsA, g.obsB
		if k[1] == 1 {
			upObs, downObs = g.obsB, g.obsA
		}
		in := false
		uIdx := map[*gpkt]int{}
		atD := map[*gpkt]bool{}
		for _, o := range downObs {
			if o.kind == 0 {
				atD[o.p] = true
			}
		}
		for i, o := range upObs {
			if kOf(o.p) != k || o.kind != 0 {
				continue
			}
			uIdx[o.p] = i
			p := o.p
			lost := p.fate == fBetween && !atD[p]
			if lost && !in {
				d.LossBursts++
			}
			in = lost
		}
		maxU := -1
		for _, o := range downObs {
			u, ok := uIdx[o.p]
			if kOf(o.p) != k || o.kind != 0 || o.p.tsoB != 0 || !ok {
				continue
			}
			if u < maxU {
				d.Reordered++
			} else {
				maxU = u
			}
		}
		fl := k[0]*2 + k[1]
		for _, x := range []struct {
			m   map[[3]int]int64
			dst *[]Change
		}{{ttl, &d.TTL}, {dscp, &d.DSCP}, {ecn, &d.ECN}, {mss, &d.MSS}} {
			*x.dst = []Change{}
			for c, n := range x.m {
				if c[0] == fl {
					*x.dst = append(*x.dst, Change{From: c[1], To: c[2], Count: n})
				}
			}
		}
		slices.Sort(e.delays[k])
	}
	return e
}

func TestGenerated(t *testing.T) {
	t.Run("3000", func(t *testing.T) { testGenerated(t, gNs, 0) })
	// A firewall between the points also randomizes the client's ISN.
	t.Run("3000-isn-rewritten", func(t *testing.T) { testGenerated(t, gNs, 0x5a5a5a5a) })
	t.Run("40000", func(t *testing.T) {
		if testing.Short() {
			t.Skip("a 60 MB pair (skipped with -short)")
		}
		testGenerated(t, 40_000, 0)
	})
}

func testGenerated(t *testing.T, segs int, seqShift uint32) {
	g := generateN(segs)
	g.seqShiftB = seqShift
	pa, pb := g.write(t, t.TempDir())
	res, err := Compare(openSide(t, pa), openSide(t, pb), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := g.expect()

	if len(res.Flows) != 2 {
		t.Fatalf("paired flows: %d, want 2 (unpaired A %v, B %v, ambiguous %v)", len(res.Flows), res.UnpairedA, res.UnpairedB, res.Ambiguous)
	}
	for _, f := range res.Flows {
		t.Logf("flow %d<->%d %s %s -> %s (B: %s -> %s) by %s", f.FlowA, f.FlowB, f.Proto, f.ClientA, f.ServerA, f.ClientB, f.ServerB, f.Pairing)
		t.Logf("verdict: %s", f.Verdict)
	}
	t.Logf("overall: %s", res.Verdict)
	tcp, udp := res.Flows[0], res.Flows[1]
	if tcp.Proto != "tcp" {
		tcp, udp = udp, tcp
	}
	if tcp.Pairing == "5-tuple" || tcp.ClientB != "203.0.113.7:61000" {
		t.Errorf("TCP flow behind NAT paired by %q, client at B %s", tcp.Pairing, tcp.ClientB)
	}
	if udp.Pairing != "5-tuple" {
		t.Errorf("UDP flow paired by %q", udp.Pairing)
	}

	// Every packet seen at one point only, by frame, with its verdict.
	var got []missKey
	for _, m := range res.Missing {
		got = append(got, missKey{m.Point, m.Frame, m.Verdict})
	}
	cmpSets(t, "missing", got, e.missing)
	var gotR []rtxKey
	for _, r := range res.Retransmissions {
		gotR = append(gotR, rtxKey{r.Point, r.Frame, r.Origin})
	}
	cmpSets(t, "retransmissions", gotR, e.rtx)

	// Per direction counts.
	for fi, f := range []Flow{tcp, udp} {
		for d := range 2 {
			w := e.dirs[[2]int{fi, d}]
			g := f.Directions[d]
			delays := e.delays[[2]int{fi, d}]
			want := *w
			want.Direction = g.Direction
			if fi == 0 && d == 0 {
				want.ISNShift = seqShift
			}
			want.Delay = g.Delay
			sortChanges(g.TTL, g.DSCP, g.ECN, g.MSS)
			sortChanges(want.TTL, want.DSCP, want.ECN, want.MSS)
			if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", want) {
				t.Errorf("flow %d %s:\n got %+v\nwant %+v", fi, g.Direction, g, want)
			}
			wd := delayStats(delays)
			for _, x := range [][3]any{{"min", g.Delay.MinNs, wd.MinNs}, {"p50", g.Delay.P50Ns, wd.P50Ns}, {"p90", g.Delay.P90Ns, wd.P90Ns}, {"p99", g.Delay.P99Ns, wd.P99Ns}, {"max", g.Delay.MaxNs, wd.MaxNs}} {
				if diff := x[1].(int64) - x[2].(int64); diff < -1000 || diff > 1000 {
					t.Errorf("flow %d %s delay %s: %d ns, truth %d", fi, g.Direction, x[0], x[1], x[2])
				}
			}
		}
	}

	// Clocks: offset within 10 us, skew within 1 ppm, the step found at its frame.
	c := res.Clock
	if len(c.Segments) != 2 || len(c.Steps) != 1 {
		t.Fatalf("clock: %d segments, %d steps, want 2 and 1: %+v", len(c.Segments), len(c.Steps), c)
	}
	for i, s := range c.Segments {
		want := float64(gOff0) + gSkewPPM*1e-6*float64(s.StartNs-gT0) + float64(i*gStep)
		if d := float64(s.OffsetNs) - want; math.Abs(d) > 10_000 {
			t.Errorf("segment %d: offset %d ns, truth %.0f", i, s.OffsetNs, want)
		}
		if math.Abs(s.SkewPPM-gSkewPPM) > 1 {
			t.Errorf("segment %d: skew %.4f ppm, truth %.1f", i, s.SkewPPM, gSkewPPM)
		}
		t.Logf("segment %d: start %d offset %d skew %.5f ppm (A->B %d points, B->A %d)", i, s.StartNs, s.OffsetNs, s.SkewPPM, s.AToB.Points, s.BToA.Points)
	}
	var stepFrame int64
	for i, o := range g.obsB {
		if o.t >= gStepAt {
			stepFrame = int64(i + 1)
			break
		}
	}
	if st := c.Steps[0]; math.Abs(float64(st.SizeNs-gStep)) > 10_000 || st.FrameB != stepFrame {
		t.Errorf("step %+v, truth %d ns at B frame %d", st, gStep, stepFrame)
	}
	if c.MinDelaySumNs < 2*gdNet-1000 || c.MinDelaySumNs > 2*gdNet+1000 {
		t.Errorf("min delay sum %d, truth %d", c.MinDelaySumNs, 2*gdNet)
	}
}

func sortChanges(cs ...[]Change) {
	for _, c := range cs {
		slices.SortFunc(c, func(x, y Change) int { return x.From*100000 + x.To - y.From*100000 - y.To })
	}
}

func cmpSets[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	g := map[T]int{}
	for _, x := range got {
		g[x]++
	}
	w := map[T]int{}
	for _, x := range want {
		w[x]++
	}
	for x, n := range w {
		if g[x] != n {
			t.Errorf("%s: want %+v (x%d), got it x%d", what, x, n, g[x])
		}
	}
	for x, n := range g {
		if w[x] == 0 {
			t.Errorf("%s: unexpected %+v (x%d)", what, x, n)
		}
	}
	t.Logf("%s: %d reported, %d expected", what, len(got), len(want))
}

// TestInterfaceDrops: when B's capture reports drops, a packet seen at A only that no ACK
// can vouch for (a pure ACK, a UDP datagram) is not called lost: it may be B's drop.
func TestInterfaceDrops(t *testing.T) {
	g := generate()
	pa, pb := g.write(t, t.TempDir())
	da, err := readSide(openSide(t, pa), "A")
	if err != nil {
		t.Fatal(err)
	}
	db, err := readSide(openSide(t, pb), "B")
	if err != nil {
		t.Fatal(err)
	}
	db.ifDrops = 5
	res := analyze(da, db, Options{MaxDelay: 2e9, MaxOffset: 3600e9, PairThreshold: 5})
	got := map[string][2]int64{}
	for _, f := range res.Flows {
		for _, d := range f.Directions {
			got[f.Proto+" "+d.Direction] = [2]int64{d.LostBetween, d.Unsure}
		}
	}
	want := map[string][2]int64{
		"tcp client_to_server": {3, 2}, // the two client ACKs lost between: no ACK vouches for them
		"tcp server_to_client": {6, 0}, // downstream is A, whose capture reports nothing
		"udp client_to_server": {0, 1},
		"udp server_to_client": {1, 0},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: lost_between, lost_or_capture_drop = %v, want %v", k, got[k], w)
		}
	}
	n := 0
	for _, m := range res.Missing {
		if m.Verdict == "lost_between_or_capture_drop" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d packets lost_between_or_capture_drop, want 3", n)
	}
}

// TestAmbiguousPairing: B holds two NATed copies of the flow A saw, equally strong
// evidence for both: compare reports the ambiguity and pairs neither.
func TestAmbiguousPairing(t *testing.T) {
	g := generate()
	pa, pb := g.write(t, t.TempDir())
	da, err := readSide(openSide(t, pa), "A")
	if err != nil {
		t.Fatal(err)
	}
	db, err := readSide(openSide(t, pb), "B")
	if err != nil {
		t.Fatal(err)
	}
	var tcpB *flowSide
	for _, f := range db.flows {
		if f != nil && f.proto == 6 {
			tcpB = f
		}
	}
	twin := *tcpB
	twin.id = uint32(len(db.flows) + 1)
	twin.orig.port++ // another NAT port, the same packets
	for d := range 2 {
		twin.pk[d] = slices.Clone(tcpB.pk[d])
	}
	db.flows = append(db.flows, &twin)
	res := analyze(da, db, Options{MaxDelay: 2e9, MaxOffset: 3600e9, PairThreshold: 5})
	if len(res.Ambiguous) != 1 || !slices.Equal(res.Ambiguous[0].Candidates, []uint32{tcpB.id, twin.id}) {
		t.Fatalf("ambiguous %+v", res.Ambiguous)
	}
	for _, f := range res.Flows {
		if f.Proto == "tcp" {
			t.Errorf("the TCP flow was paired (with B flow %d) though two candidates tie", f.FlowB)
		}
	}
	if len(res.Flows) != 1 || len(res.UnpairedB) != 2 {
		t.Errorf("%d flows paired, unpaired B %v", len(res.Flows), res.UnpairedB)
	}
	t.Logf("%s", res.Verdict)
}

// TestReadAllocs pins reading a side: the record lists are sized from the flow table, so
// nothing is allocated per packet.
func TestReadAllocs(t *testing.T) {
	g := generate()
	pa, _ := g.write(t, t.TempDir())
	s := openSide(t, pa)
	n := float64(len(g.obsA))
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := readSide(s, "A"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 100 {
		t.Errorf("reading %.0f packets: %.0f allocations, want a few per flow", n, allocs)
	}
	t.Logf("%.0f allocations for %.0f packets", allocs, n)
}

// TestGeneratedSwapped gives the generator's pair the other way round (A the server's
// capture): the same packets and retransmissions, with the points' names exchanged, and
// the clock seen from the other side.
func TestGeneratedSwapped(t *testing.T) {
	g := generate()
	pa, pb := g.write(t, t.TempDir())
	res, err := Compare(openSide(t, pb), openSide(t, pa), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := g.expect()
	swapPoint := map[string]string{"a": "b", "b": "a"}
	swapName := func(v string) string { // capture_drop_a <-> capture_drop_b, lost_after_a <-> _b
		switch {
		case strings.HasSuffix(v, "_a"):
			return strings.TrimSuffix(v, "_a") + "_b"
		case strings.HasSuffix(v, "_b"):
			return strings.TrimSuffix(v, "_b") + "_a"
		}
		return v
	}
	var want []missKey
	for _, m := range e.missing {
		want = append(want, missKey{swapPoint[m.point], m.frame, swapName(m.verdict)})
	}
	var got []missKey
	for _, m := range res.Missing {
		got = append(got, missKey{m.Point, m.Frame, m.Verdict})
	}
	cmpSets(t, "missing", got, want)
	var wantR, gotR []rtxKey
	for _, r := range e.rtx {
		wantR = append(wantR, rtxKey{swapPoint[r.point], r.frame, swapName(r.origin)})
	}
	for _, r := range res.Retransmissions {
		gotR = append(gotR, rtxKey{r.Point, r.Frame, r.Origin})
	}
	cmpSets(t, "retransmissions", gotR, wantR)
	c := res.Clock
	if len(c.Steps) != 1 || math.Abs(float64(c.Steps[0].SizeNs+gStep)) > 10_000 {
		t.Errorf("steps %+v, want one of %d ns", c.Steps, -gStep)
	}
	for _, s := range c.Segments {
		if math.Abs(s.SkewPPM+gSkewPPM) > 1 {
			t.Errorf("skew %.4f ppm, want about %.1f", s.SkewPPM, -gSkewPPM)
		}
	}
	t.Logf("%s", res.Verdict)
}
