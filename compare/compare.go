package compare

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/pcapdex/pcapdex/fastparse"
)

// Options tune Compare. The zero value is the default.
type Options struct {
	// MaxDelay bounds the one-way delay between the points plus the error of the clock
	// fit: TCP data parts further apart are not taken as one coalesced segment (default 2 s).
	MaxDelay time.Duration
	// MaxOffset bounds how far apart the two capture clocks may be when flows are paired by
	// their times (default 1 h).
	MaxOffset time.Duration
	// PairThreshold is the least evidence score that pairs two flows whose 5-tuples differ
	// (default 5; client or server ISN 4, first payload digest 3 per direction, first TCP
	// timestamp 2, shared IP IDs 2, SYN options 1, same server port 1).
	PairThreshold int
}

// Compare compares the same traffic captured at points a and b.
func Compare(a, b Side, o Options) (*Result, error) {
	if o.MaxDelay <= 0 {
		o.MaxDelay = 2 * time.Second
	}
	if o.MaxOffset <= 0 {
		o.MaxOffset = time.Hour
	}
	if o.PairThreshold <= 0 {
		o.PairThreshold = 5
	}
	if a.Store == nil || b.Store == nil {
		return nil, errors.New("compare: two inputs needed")
	}
	// The two sides are read at once, on two goroutines (two stores, no shared state).
	var db *sideData
	var errB error
	done := make(chan struct{})
	go func() {
		defer close(done)
		db, errB = readSide(b, "B")
	}()
	da, err := readSide(a, "A")
	<-done
	if err != nil {
		return nil, err
	}
	if errB != nil {
		return nil, errB
	}
	return analyze(da, db, o), nil
}

func analyze(da, db *sideData, o Options) *Result {
	res := &Result{
		A: PointInfo{Files: da.files, Packets: da.packets, NonIP: da.nonIP, InterfaceDrops: da.ifDrops},
		B: PointInfo{Files: db.files, Packets: db.packets, NonIP: db.nonIP, InterfaceDrops: db.ifDrops},
	}
	pairs, amb := pairFlows(da, db, int64(o.MaxOffset), o.PairThreshold)
	res.Ambiguous = amb
	if res.Ambiguous == nil {
		res.Ambiguous = []Ambiguous{}
	}
	for _, f := range da.flows {
		if f != nil && !f.paired {
			res.UnpairedA = append(res.UnpairedA, f.id)
		}
	}
	for _, f := range db.flows {
		if f != nil && !f.paired {
			res.UnpairedB = append(res.UnpairedB, f.id)
		}
	}
	// Match packets one to one, then orient each flow: the point a direction passes first.
	votes := 0
	for i := range pairs {
		p := &pairs[i]
		var med [2]float64
		var has [2]bool
		p.isnShift = alignSeq(p)
		both(func(d int) { matchExact(p.a.pk[d], p.b.pk[d^b2i(p.swap)]) })
		for d := range 2 {
			ra, rb := p.a.pk[d], p.b.pk[d^b2i(p.swap)]
			ys := make([]int64, 0, len(ra))
			for j := range ra {
				if ra[j].state == stMatched {
					ys = append(ys, rb[ra[j].peer].ts-ra[j].ts)
				}
			}
			if len(ys) > 0 {
				med[d], has[d] = float64(median(ys)), true
			}
		}
		if has[0] && has[1] {
			p.upA[0] = med[0] >= med[1]
			p.upA[1] = !p.upA[0]
			if p.upA[0] {
				votes++
			} else {
				votes--
			}
		}
	}
	for i := range pairs {
		p := &pairs[i]
		if p.upA[0] == p.upA[1] { // not decided: the majority, else A near the client
			p.upA[0], p.upA[1] = votes >= 0, votes < 0
		}
	}
	// Fit the clocks on the matched packets of every flow.
	// Each flow direction's points are in A's capture order: merge them.
	var runAB, runBA [][]pt
	for i := range pairs {
		p := &pairs[i]
		for d := range 2 {
			ra, rb := p.a.pk[d], p.b.pk[d^b2i(p.swap)]
			run := make([]pt, 0, len(ra))
			for j := range ra {
				if ra[j].state != stMatched {
					continue
				}
				w := &rb[ra[j].peer]
				y := w.ts - ra[j].ts
				if !p.upA[d] {
					y = -y
				}
				run = append(run, pt{ra[j].ts, y, w.frame})
			}
			if p.upA[d] {
				runAB = append(runAB, run)
			} else {
				runBA = append(runBA, run)
			}
		}
	}
	byX := func(x, y pt) int { return cmp.Compare(x.x, y.x) }
	ab, ba := mergeRuns(runAB, byX), mergeRuns(runBA, byX)
	// B's packets between two frames, in frame order, for placing a clock step.
	bts := func(lo, hi int64) []frameTS {
		var out []frameTS
		for _, f := range db.flows {
			if f == nil {
				continue
			}
			for d := range 2 {
				for j := range f.pk[d] {
					if r := &f.pk[d][j]; r.frame >= lo && r.frame <= hi {
						out = append(out, frameTS{r.frame, r.ts})
					}
				}
			}
		}
		slices.SortFunc(out, func(x, y frameTS) int { return cmp.Compare(x.frame, y.frame) })
		return out
	}
	clk := fitClock(ab, ba, bts)
	res.Clock = clockResult(clk, len(ab)+len(ba))
	toA := func(f *flowSide) {
		for d := range 2 {
			rb := f.pk[d]
			for j := range rb {
				rb[j].at = clk.toA(rb[j].frame, rb[j].ts)
			}
		}
	}
	for _, f := range db.flows {
		if f != nil {
			toA(f) // every flow of B: paired, unpaired, pieces of merged ones
		}
	}
	for i := range pairs {
		if pairs[i].b.pieces != nil {
			toA(pairs[i].b) // a merged flow holds copies of its pieces' records
		}
	}
	minDelay := [2]int64{res.Clock.MinDelayABNs, res.Clock.MinDelayBANs}
	// Analyse each direction of each flow.
	var dAB, dBA [][]int64
	for i := range pairs {
		p := &pairs[i]
		fr := Flow{
			FlowA: p.a.id, FlowB: p.b.id, Proto: protoName(p.a.proto),
			ClientA: epString(p.a.ipver, p.a.orig), ServerA: epString(p.a.ipver, p.a.resp),
			ClientB: epString(p.b.ipver, p.b.orig), ServerB: epString(p.b.ipver, p.b.resp),
			Pairing: p.how, Score: p.score, PiecesA: p.a.pieces, PiecesB: p.b.pieces,
		}
		if p.swap {
			fr.ClientB, fr.ServerB = fr.ServerB, fr.ClientB
		}
		// The two directions are analysed at once: each writes only its own records and
		// reads the other's ACKs through an ackLine built before.
		var acks [2]ackLine
		both(func(d int) { acks[d] = dirAcks(p, d) })
		var out [2]dirOut
		both(func(d int) {
			path := 1
			if p.upA[d] {
				path = 0
			}
			out[d] = analyzeDir(p, d, o, minDelay[path], &acks[d], [2]int64{da.ifDrops, db.ifDrops})
		})
		for d := range 2 {
			fr.Directions[d] = out[d].dir
			fr.Directions[d].ISNShift = p.isnShift[d]
			res.Missing = append(res.Missing, out[d].missing...)
			res.Retransmissions = append(res.Retransmissions, out[d].rtx...)
			if p.upA[d] {
				dAB = append(dAB, out[d].delays)
			} else {
				dBA = append(dBA, out[d].delays)
			}
		}
		fr.Verdict = flowVerdict(&fr)
		res.Flows = append(res.Flows, fr)
	}
	res.Totals = totals(res, mergeRuns(dAB, cmp.Compare[int64]), mergeRuns(dBA, cmp.Compare[int64]))
	res.Totals.UnpairedPackets = unpairedMissing(da, db, votes >= 0, res)
	slices.SortStableFunc(res.Missing, func(x, y Missing) int { return cmp.Compare(x.at, y.at) })
	res.Verdict = overallVerdict(res)
	if res.Flows == nil {
		res.Flows = []Flow{}
	}
	if res.UnpairedA == nil {
		res.UnpairedA = []uint32{}
	}
	if res.UnpairedB == nil {
		res.UnpairedB = []uint32{}
	}
	if res.Missing == nil {
		res.Missing = []Missing{}
	}
	if res.Retransmissions == nil {
		res.Retransmissions = []Retrans{}
	}
	return res
}

// alignSeq undoes, on B's records, an ISN a box between the points rewrote (firewalls
// randomize them): for each direction whose SYN both points saw with different sequence
// numbers, B's seq (and the other direction's ACKs) are taken back by the difference. It
// returns the differences (B minus A) by A's direction.
func alignSeq(p *pair) [2]uint32 {
	var shift [2]uint32
	if p.a.proto != fastparse.ProtoTCP {
		return shift
	}
	sw := b2i(p.swap)
	synSeq := func(rs []rec) (uint32, bool) {
		for i := range rs {
			if rs[i].flags&fastparse.TCPSyn != 0 {
				return rs[i].seq, true
			}
		}
		return 0, false
	}
	for d := range 2 {
		sa, okA := synSeq(p.a.pk[d])
		sb, okB := synSeq(p.b.pk[d^sw])
		if !okA || !okB || sa == sb {
			continue
		}
		delta := sb - sa
		shift[d] = delta
		for rs, j := p.b.pk[d^sw], 0; j < len(rs); j++ {
			rs[j].seq -= delta
		}
		for rs, j := p.b.pk[d^1^sw], 0; j < len(rs); j++ {
			if rs[j].flags&fastparse.TCPAck != 0 {
				rs[j].ack -= delta
			}
		}
	}
	return shift
}

// unpairedMissing lists the packets of flows seen at one point only that lie within the
// other capture's time span (on A's clock): seen at one point only like any other, with
// the verdict the usual orientation gives (A near the client when aNearClient). It
// returns how many it listed.
func unpairedMissing(da, db *sideData, aNearClient bool, res *Result) int64 {
	span := func(sd *sideData) (lo, hi int64) {
		lo, hi = math.MaxInt64, math.MinInt64
		for _, f := range sd.flows {
			if f == nil {
				continue
			}
			for d := range 2 {
				if n := len(f.pk[d]); n > 0 {
					lo, hi = min(lo, f.pk[d][0].at), max(hi, f.pk[d][n-1].at)
				}
			}
		}
		return lo, hi
	}
	loA, hiA := span(da)
	loB, hiB := span(db)
	var n int64
	for si, sd := range []*sideData{da, db} {
		lo, hi := loB, hiB
		point, other := "a", "b"
		drops := db.ifDrops
		if si == 1 {
			lo, hi, point, other, drops = loA, hiA, "b", "a", da.ifDrops
		}
		for _, f := range sd.flows {
			if f == nil || f.paired {
				continue
			}
			for d := range 2 {
				// upstream: the point this direction passes first
				up := (d == 0) == aNearClient
				if si == 1 {
					up = !up
				}
				v := verdictName(vLostBetween)
				switch {
				case !up:
					v = "capture_drop_" + other
				case drops > 0:
					v = verdictName(vUnsure)
				}
				for j := range f.pk[d] {
					r := &f.pk[d][j]
					if r.at < lo || r.at > hi {
						continue
					}
					m := Missing{Point: point, Frame: r.frame, TS: r.ts, Direction: dirNames[d], Verdict: v, file: r.file, off: r.off, at: r.at}
					if si == 0 {
						m.FlowA = f.id
					} else {
						m.FlowB = f.id
					}
					res.Missing = append(res.Missing, m)
					n++
				}
			}
		}
	}
	slices.SortStableFunc(res.Missing, func(x, y Missing) int { return cmp.Compare(x.at, y.at) })
	return n
}

// both runs fn(0) and fn(1) at once.
func both(fn func(int)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(1)
	}()
	fn(0)
	<-done
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func clockResult(c *clockModel, matched int) Clock {
	out := Clock{Matched: matched, Steps: c.steps, SplitAssumption: "symmetric_path"}
	if out.Steps == nil {
		out.Steps = []ClockStep{}
	}
	best, bestN := -1, -1
	for i, s := range c.segs {
		out.Segments = append(out.Segments, ClockSegment{
			StartNs: s.start, OffsetNs: int64(math.Round(s.off)), SkewPPM: s.skew * 1e6,
			AToB: PathFit{Points: s.nAB, InterceptNs: int64(math.Round(s.ab.a)), SlopePPM: s.ab.b * 1e6},
			BToA: PathFit{Points: s.nBA, InterceptNs: int64(math.Round(s.ba.a)), SlopePPM: s.ba.b * 1e6},
		})
		if s.okAB && s.okBA && s.nAB+s.nBA > bestN {
			best, bestN = i, s.nAB+s.nBA
		}
	}
	if out.Segments == nil {
		out.Segments = []ClockSegment{}
	}
	if best >= 0 {
		s := c.segs[best]
		sum := s.ab.a + s.ba.a
		out.MinDelaySumNs = int64(math.Round(sum))
		out.MinDelayABNs = int64(math.Round(sum / 2))
		out.MinDelayBANs = out.MinDelaySumNs - out.MinDelayABNs
	}
	return out
}
