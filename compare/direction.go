package compare

import (
	"cmp"
	"math"
	"slices"

	"github.com/pcapdex/pcapdex/fastparse"
)

// Verdicts of a packet seen at one point only.
const (
	vNone uint8 = iota
	vLostBetween
	vDropA // A's capture missed it
	vDropB
	vDupBetween
	vUnsure // upstream only, no ACK to tell, and the downstream capture reports drops
)

var dirNames = [2]string{"client_to_server", "server_to_client"}

// ackLine answers "had the receiver acknowledged sequence end by time t": the receiver's
// ACKs seen at either point, on A's clock, with the running maximum.
type ackLine struct {
	t   []int64
	max []int64
}

func newAckLine(base uint32, la, lb []rec) ackLine {
	type ev struct{ t, ack int64 }
	var ea, eb []ev
	for _, x := range []struct {
		l   []rec
		dst *[]ev
	}{{la, &ea}, {lb, &eb}} {
		*x.dst = make([]ev, 0, len(x.l))
		for i := range x.l {
			if r := &x.l[i]; r.flags&fastparse.TCPAck != 0 && r.state != stSpanDup {
				*x.dst = append(*x.dst, ev{r.at, int64(int32(r.ack - base))})
			}
		}
	}
	// Each list is in capture order, so nearly always in time order: merge them.
	byT := func(x, y ev) int { return cmp.Compare(x.t, y.t) }
	for _, e := range [][]ev{ea, eb} {
		if !slices.IsSortedFunc(e, byT) {
			slices.SortStableFunc(e, byT)
		}
	}
	a := ackLine{t: make([]int64, 0, len(ea)+len(eb)), max: make([]int64, 0, len(ea)+len(eb))}
	m := int64(math.MinInt64)
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		var e ev
		if j >= len(eb) || i < len(ea) && ea[i].t <= eb[j].t {
			e, i = ea[i], i+1
		} else {
			e, j = eb[j], j+1
		}
		m = max(m, e.ack)
		a.t, a.max = append(a.t, e.t), append(a.max, m)
	}
	return a
}

// dirAcks is the ackLine of the receiver of direction d of p (built from the other
// direction's records), relative to the sender's first sequence number.
func dirAcks(p *pair, d int) ackLine {
	if p.a.proto != fastparse.ProtoTCP {
		return ackLine{}
	}
	sw := b2i(p.swap)
	base, ok := firstSeq(p.a.pk[d], p.b.pk[d^sw], p.upA[d])
	if !ok {
		return ackLine{}
	}
	return newAckLine(base, p.a.pk[d^1], p.b.pk[d^1^sw])
}

// firstSeq is the sequence number relative sequence numbers count from: the first record
// upstream, else downstream.
func firstSeq(ra, rb []rec, upA bool) (uint32, bool) {
	U, D := ra, rb
	if !upA {
		U, D = rb, ra
	}
	switch {
	case len(U) > 0:
		return U[0].seq, true
	case len(D) > 0:
		return D[0].seq, true
	}
	return 0, false
}

// dirOut is what analyzeDir found.
type dirOut struct {
	dir     Direction
	missing []Missing
	rtx     []Retrans
	delays  []int64
}

// covers reports whether an ACK of at least end was seen before time t.
func (a *ackLine) covers(end, t int64) bool {
	i, _ := slices.BinarySearch(a.t, t) // first at or after t
	return i > 0 && a.max[i-1] >= end
}

// tx is one transmission of TCP sequence space by the sender, as the points saw it.
type tx struct {
	at         int64 // at the upstream point (A's clock; estimated when it missed it)
	atD        int64 // at the downstream point (estimated when it missed it)
	start, end int64 // relative sequence range
	u, d       int32 // index at the upstream / downstream point, -1 if not seen there
}

// analyzeDir analyses direction d (A's numbering) of pair p: its row, its packets seen at
// one point only, its retransmissions and its one-way delays. acks is the receiver's.
// drops are the drops each point's captures report (A, B; -1: they do not say).
func analyzeDir(p *pair, d int, o Options, minDelay int64, acks *ackLine, drops [2]int64) dirOut {
	sw := b2i(p.swap)
	ra, rb := p.a.pk[d], p.b.pk[d^sw]
	upA := p.upA[d]
	res := &dirOut{}
	U, D := ra, rb
	uName, dName := "a", "b"
	dropU, dropD := vDropA, vDropB
	if !upA {
		U, D = rb, ra
		uName, dName = "b", "a"
		dropU, dropD = vDropB, vDropA
	}
	dr := Direction{Direction: dirNames[d], Path: "a_to_b", AtA: int64(len(ra)), AtB: int64(len(rb))}
	if !upA {
		dr.Path = "b_to_a"
	}
	matchCoalesced(U, D, int64(o.MaxDelay))
	matchCoalesced(D, U, int64(o.MaxDelay))

	// Copies downstream of a packet matched once: duplicated between the points.
	for i := range D {
		if D[i].state == stNone && D[i].dupKey {
			D[i].state, D[i].verd = stNetDup, vDupBetween
		}
	}

	isTCP := p.a.proto == fastparse.ProtoTCP
	if isTCP {
		retransmissions(p, d, U, D, acks, uName, dName, dropD, minDelay, res, &dr)
	}
	// Upstream only and nothing to tell (no ACK covers it: not TCP data): lost between,
	// unless the downstream capture itself reports drops.
	unsure, dDrops := vLostBetween, drops[1]
	if !upA {
		dDrops = drops[0]
	}
	if dDrops > 0 {
		unsure = vUnsure
	}
	for i := range U {
		if U[i].state == stNone && U[i].verd == vNone {
			U[i].verd = unsure
			if isTCP && U[i].segLen() > 0 {
				U[i].verd = vLostBetween // retransmissions already decided it by the ACKs
			}
		}
	}
	for i := range D {
		if D[i].state == stNone && D[i].verd == vNone {
			D[i].verd = dropU
		}
	}

	// Counts, missing packets, bursts.
	fa, fb := p.a.id, p.b.id
	inBurst := false
	for i := range U {
		r := &U[i]
		switch r.state {
		case stMatched:
			inBurst = false
		case stCoalesced:
			inBurst = false
		case stNone:
			switch r.verd {
			case vLostBetween:
				dr.LostBetween++
				if !inBurst {
					dr.LossBursts++
				}
				inBurst = true
			case vUnsure:
				dr.Unsure++
				inBurst = false
			default:
				inBurst = false
			}
			res.missing = append(res.missing, Missing{Point: uName, Frame: r.frame, TS: r.ts, FlowA: fa, FlowB: fb,
				Direction: dirNames[d], Verdict: verdictName(r.verd), file: r.file, off: r.off, at: r.at})
		}
	}
	for i := range D {
		r := &D[i]
		if r.state == stNone || r.state == stNetDup {
			if r.state == stNetDup {
				dr.DupBetween++
			}
			res.missing = append(res.missing, Missing{Point: dName, Frame: r.frame, TS: r.ts, FlowA: fa, FlowB: fb,
				Direction: dirNames[d], Verdict: verdictName(r.verd), file: r.file, off: r.off, at: r.at})
		}
	}
	for _, side := range []struct {
		rs            []rec
		only, co, dup *int64
	}{{ra, &dr.AOnly, &dr.CoalescedA, &dr.SpanDupA}, {rb, &dr.BOnly, &dr.CoalescedB, &dr.SpanDupB}} {
		for i := range side.rs {
			r := &side.rs[i]
			switch r.state {
			case stMatched:
				if side.co == &dr.CoalescedA {
					dr.Both++
				}
			case stCoalesced:
				*side.co++
			case stSpanDup:
				*side.dup++
			default:
				*side.only++
				switch r.verd {
				case vDropA:
					dr.CaptureDropA++
				case vDropB:
					dr.CaptureDropB++
				}
			}
		}
	}

	// Reordering downstream (RFC 4737: a packet arriving after one sent later), delays and
	// rewrites of the matched packets.
	maxU := int32(-1)
	for i := range D {
		if D[i].state != stMatched {
			continue
		}
		if u := D[i].peer; u < maxU {
			dr.Reordered++
		} else {
			maxU = u
		}
	}
	delays := make([]int64, 0, dr.Both)
	var ttl, dscp, ecn, mss changeCount
	for i := range U {
		if U[i].state != stMatched {
			continue
		}
		u, w := &U[i], &D[U[i].peer]
		delays = append(delays, w.at-u.at)
		ttl.add(int(u.ttl), int(w.ttl))
		dscp.add(int(u.tos>>2), int(w.tos>>2))
		ecn.add(int(u.tos&3), int(w.tos&3))
		if u.mss != 0 && w.mss != 0 {
			mss.add(int(u.mss), int(w.mss))
		}
	}
	dr.TTL, dr.DSCP, dr.ECN, dr.MSS = ttl.list(), dscp.list(), ecn.list(), mss.list()
	slices.Sort(delays)
	dr.Delay = delayStats(delays)
	res.dir, res.delays = dr, delays
	return *res
}

// retransmissions walks the sender's transmissions of direction d in time order, finds
// every retransmission's previous transmission and says where that one was lost; on the
// way it decides, for a packet seen upstream only, whether the receiver got it (capture
// drop downstream) or not (lost between the points).
func retransmissions(p *pair, d int, U, D []rec, acks *ackLine, uName, dName string, dropD uint8, minDelay int64, res *dirOut, dr *Direction) {
	var base uint32
	switch {
	case len(U) > 0:
		base = U[0].seq
	case len(D) > 0:
		base = D[0].seq
	default:
		return
	}
	rel := func(v uint32) int64 { return int64(int32(v - base)) }
	txs := make([]tx, 0, len(U)+len(D)/8)
	for i := range U {
		r := &U[i]
		n := r.segLen()
		if r.state == stSpanDup || n == 0 {
			continue
		}
		t := tx{at: r.at, atD: r.at + minDelay, start: rel(r.seq), end: rel(r.seq) + int64(n), u: int32(i), d: -1}
		if r.state == stMatched || r.state == stCoalesced {
			t.d, t.atD = r.peer, D[r.peer].at
		}
		txs = append(txs, t)
	}
	for i := range D {
		r := &D[i]
		n := r.segLen()
		if r.state != stNone || n == 0 {
			continue
		}
		txs = append(txs, tx{at: r.at - minDelay, atD: r.at, start: rel(r.seq), end: rel(r.seq) + int64(n), u: -1, d: int32(i)})
	}
	slices.SortStableFunc(txs, func(x, y tx) int { return cmp.Compare(x.at, y.at) })
	// Transmissions by start, then time order: a retransmission finds the latest earlier
	// one with its start by binary search (most resend the same segment).
	byStart := make([]int32, len(txs))
	for k := range byStart {
		byStart[k] = int32(k)
	}
	slices.SortStableFunc(byStart, func(x, y int32) int { return cmp.Compare(txs[x].start, txs[y].start) })
	maxEnd := int64(math.MinInt64)
	for k := range txs {
		t := &txs[k]
		if t.start < maxEnd {
			j := -1
			// the last of byStart with (start, index) < (t.start, k)
			n, _ := slices.BinarySearchFunc(byStart, k, func(x int32, k int) int {
				return cmp.Or(cmp.Compare(txs[x].start, t.start), cmp.Compare(int(x), k))
			})
			if n > 0 && txs[byStart[n-1]].start == t.start {
				j = int(byStart[n-1])
			} else {
				for q := k - 1; q >= 0 && q >= k-4096; q-- {
					if txs[q].start <= t.start && t.start < txs[q].end {
						j = q
						break
					}
				}
			}
			rt := Retrans{Point: uName, FlowA: p.a.id, Direction: dirNames[d]}
			if t.u >= 0 {
				rt.Frame = U[t.u].frame
			} else {
				rt.Point, rt.Frame = dName, D[t.d].frame
			}
			dr.Retransmissions++
			if j < 0 {
				rt.Origin = "lost_before_" + uName
			} else {
				o := &txs[j]
				if o.u >= 0 && rt.Point == uName {
					rt.OriginalFrame = U[o.u].frame
				} else if o.d >= 0 && rt.Point == dName {
					rt.OriginalFrame = D[o.d].frame
				}
				covered := acks.covers(o.end, t.atD)
				switch {
				case covered:
					rt.Origin = "spurious"
					if o.d < 0 {
						U[o.u].verd = dropD
					}
				case o.d < 0:
					rt.Origin = "lost_between"
					U[o.u].verd = vLostBetween
				default:
					rt.Origin = "lost_after_" + dName
				}
			}
			switch rt.Origin {
			case "lost_before_a":
				dr.LostBeforeA++
			case "lost_before_b":
				dr.LostBeforeB++
			case "lost_between":
				dr.RetransBetween++
			case "lost_after_a":
				dr.LostAfterA++
			case "lost_after_b":
				dr.LostAfterB++
			case "spurious":
				dr.Spurious++
			}
			res.rtx = append(res.rtx, rt)
		}
		maxEnd = max(maxEnd, t.end)
	}
	// Upstream-only packets never sent again: the receiver got them if its ACK covers them.
	for k := range txs {
		t := &txs[k]
		if t.u >= 0 && t.d < 0 && U[t.u].state == stNone && U[t.u].verd == vNone {
			if acks.covers(t.end, math.MaxInt64) {
				U[t.u].verd = dropD
			} else {
				U[t.u].verd = vLostBetween
			}
		}
	}
}

func verdictName(v uint8) string {
	switch v {
	case vLostBetween:
		return "lost_between"
	case vDropA:
		return "capture_drop_a"
	case vDropB:
		return "capture_drop_b"
	case vDupBetween:
		return "duplicated_between"
	case vUnsure:
		return "lost_between_or_capture_drop"
	}
	return "unknown"
}

// changeCount counts rewrites (from, to), unchanged values not at all; consecutive packets
// mostly share one pair, counted without a map lookup.
type changeCount struct {
	m        map[[2]int]int64
	last     [2]int
	lastN    int64
	lastUsed bool
}

func (c *changeCount) add(from, to int) {
	if from == to {
		return
	}
	k := [2]int{from, to}
	if c.lastUsed && k == c.last {
		c.lastN++
		return
	}
	c.flush()
	c.last, c.lastN, c.lastUsed = k, 1, true
}

func (c *changeCount) flush() {
	if c.lastUsed && c.lastN > 0 {
		if c.m == nil {
			c.m = map[[2]int]int64{}
		}
		c.m[c.last] += c.lastN
		c.lastN = 0
	}
}

func (c *changeCount) list() []Change {
	c.flush()
	out := []Change{}
	for k, n := range c.m {
		out = append(out, Change{From: k[0], To: k[1], Count: n})
	}
	slices.SortFunc(out, func(x, y Change) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To))
	})
	return out
}

// delayStats summarises sorted delays (nearest rank).
func delayStats(s []int64) Delay {
	if len(s) == 0 {
		return Delay{}
	}
	q := func(p float64) int64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(i, 0)]
	}
	d := Delay{Count: int64(len(s)), MinNs: s[0], P50Ns: q(0.5), P90Ns: q(0.9), P99Ns: q(0.99), MaxNs: s[len(s)-1]}
	d.PDVP99Ns = d.P99Ns - d.MinNs
	return d
}
