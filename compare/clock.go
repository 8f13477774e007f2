package compare

import (
	"math"
	"slices"
)

// pt is one matched packet on a path: x its time on A's clock, y the raw difference of the
// two capture times in the direction of travel (tB - tA on a_to_b, tA - tB on b_to_a).
type pt struct{ x, y, bf int64 } // bf: the packet's frame at B

// line is y = a + b*(x - x0), b in ns per ns.
type line struct {
	x0   int64
	a, b float64
}

func (l line) at(x int64) float64 { return l.a + l.b*float64(x-l.x0) }

// lowerFit fits the lower envelope of p (sorted by x): the line under every point that is
// highest at the points' mean time (Moon, Skelly and Towsley's linear program, solved on
// the lower convex hull). Queueing only adds delay, so the envelope is the path's fixed
// delay plus the clock offset.
func lowerFit(p []pt, x0 int64) (line, bool) {
	if len(p) == 0 {
		return line{x0: x0}, false
	}
	var hull []pt
	for _, q := range p {
		for len(hull) >= 2 {
			o, a := hull[len(hull)-2], hull[len(hull)-1]
			// pop a when it lies on or above the segment o->q
			if cross(o, a, q) <= 0 {
				hull = hull[:len(hull)-1]
				continue
			}
			break
		}
		if len(hull) == 1 && hull[0].x == q.x {
			if q.y < hull[0].y {
				hull[0] = q
			}
			continue
		}
		hull = append(hull, q)
	}
	if len(hull) == 1 {
		return line{x0: x0, a: float64(hull[0].y)}, true
	}
	var sum float64
	for _, q := range p {
		sum += float64(q.x - x0)
	}
	mean := x0 + int64(sum/float64(len(p)))
	i := 0
	for i < len(hull)-2 && hull[i+1].x < mean {
		i++
	}
	l, r := hull[i], hull[i+1]
	b := float64(r.y-l.y) / float64(r.x-l.x)
	return line{x0: x0, a: float64(l.y) + b*float64(x0-l.x), b: b}, true
}

// cross is the z of (a-o) x (q-o), in float64 (the products overflow int64).
func cross(o, a, q pt) float64 {
	return float64(a.x-o.x)*float64(q.y-o.y) - float64(a.y-o.y)*float64(q.x-o.x)
}

// clockSeg is the clock model on [start, next segment's start): B's clock minus A's is
// off + skew*(x - start), under the symmetric-path assumption.
type clockSeg struct {
	fromB    int64 // first B frame of the segment (B's capture order)
	start    int64
	off      float64
	skew     float64
	ab, ba   line // lower envelopes of the two paths (ok flags below)
	okAB     bool
	okBA     bool
	nAB, nBA int
}

type clockModel struct {
	segs  []clockSeg
	steps []ClockStep
}

// seg returns the segment holding B frame bf.
func (c *clockModel) seg(bf int64) *clockSeg {
	i := 0
	for i+1 < len(c.segs) && c.segs[i+1].fromB <= bf {
		i++
	}
	return &c.segs[i]
}

// toA maps the capture time tb of B's frame bf to A's clock.
func (c *clockModel) toA(bf, tb int64) int64 {
	if len(c.segs) == 0 {
		return tb
	}
	s := c.seg(bf)
	// tb = x + off + skew*(x - start)  =>  x = (tb - off + skew*start) / (1 + skew)
	x := (float64(tb-s.start) - s.off) / (1 + s.skew)
	return s.start + int64(math.Round(x))
}

// fitClock fits the clock model on the two paths' points (each sorted by x): it finds clock
// steps on the per-bucket envelope offsets, places each between two frames of B's capture
// order (bts: B's packets between two frames, in frame order), then fits each stretch.
func fitClock(ab, ba []pt, bts func(lo, hi int64) []frameTS) *clockModel {
	c := &clockModel{}
	if len(ab) == 0 && len(ba) == 0 {
		return c
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, p := range [][]pt{ab, ba} {
		if len(p) > 0 {
			lo, hi = min(lo, p[0].x), max(hi, p[len(p)-1].x)
		}
	}
	cuts := findSteps(ab, ba, lo, hi, bts)
	for {
		c.fit(ab, ba, lo, cuts)
		// A candidate the fits on both sides do not confirm (bucket minima made of few,
		// queued packets) is no step: drop the smallest and fit again.
		small, at := float64(minStep), -1
		for i, st := range c.steps {
			if a := math.Abs(float64(st.SizeNs)); a < small {
				small, at = a, i
			}
		}
		if at < 0 {
			return c
		}
		cuts = slices.Delete(cuts, at, at+1)
	}
}

// minStep is the smallest clock step reported (100 us).
const minStep = 100_000

// fit fits one segment per stretch between cuts (B frames).
func (c *clockModel) fit(ab, ba []pt, lo int64, cuts []int64) {
	c.segs, c.steps = c.segs[:0], c.steps[:0]
	froms := append([]int64{math.MinInt64}, cuts...)
	for i, f := range froms {
		e := int64(math.MaxInt64)
		if i+1 < len(froms) {
			e = froms[i+1]
		}
		sab, sba := byFrame(ab, f, e), byFrame(ba, f, e)
		start := lo
		if i > 0 {
			start = int64(math.MaxInt64)
			for _, p := range [][]pt{sab, sba} {
				if len(p) > 0 {
					start = min(start, p[0].x)
				}
			}
		}
		s := fitSeg(sab, sba, start)
		s.fromB = f
		c.segs = append(c.segs, s)
	}
	for i := 1; i < len(c.segs); i++ {
		p, s := &c.segs[i-1], &c.segs[i]
		before := p.off + p.skew*float64(s.start-p.start)
		c.steps = append(c.steps, ClockStep{AtNs: s.start, FrameB: s.fromB, SizeNs: int64(math.Round(s.off - before))})
	}
}

// byFrame returns the points whose B frame is in [from, to), in x order.
func byFrame(p []pt, from, to int64) []pt {
	n := 0
	for i := range p {
		if p[i].bf >= from && p[i].bf < to {
			n++
		}
	}
	if n == len(p) {
		return p
	}
	out := make([]pt, 0, n)
	for _, q := range p {
		if q.bf >= from && q.bf < to {
			out = append(out, q)
		}
	}
	return out
}

func span(p []pt, s, e int64) []pt {
	i, _ := slices.BinarySearchFunc(p, s, func(q pt, x int64) int { return cmpI(q.x, x) })
	j, _ := slices.BinarySearchFunc(p, e, func(q pt, x int64) int { return cmpI(q.x, x) })
	return p[i:j]
}

func cmpI(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func fitSeg(ab, ba []pt, start int64) clockSeg {
	s := clockSeg{start: start, nAB: len(ab), nBA: len(ba)}
	s.ab, s.okAB = lowerFit(ab, start)
	s.ba, s.okBA = lowerFit(ba, start)
	switch {
	case s.okAB && s.okBA:
		// ab: off + dAB; ba: -off + dBA. Symmetric: dAB = dBA.
		s.off = (s.ab.a - s.ba.a) / 2
		s.skew = (s.ab.b - s.ba.b) / 2
	case s.okAB:
		s.off, s.skew = s.ab.a, s.ab.b // one path only: offset and delay cannot be told apart
	case s.okBA:
		s.off, s.skew = -s.ba.a, -s.ba.b
	}
	return s
}

// findSteps returns the times at which B's clock steps: per bucket of time, the offset
// from the two paths' minimum differences; a bucket-to-bucket change far beyond the skew's
// trend and the noise is a step, placed at the first packet of the path the step lowers.
func findSteps(ab, ba []pt, lo, hi int64, bts func(lo, hi int64) []frameTS) []int64 {
	if len(ab) == 0 || len(ba) == 0 || hi <= lo {
		return nil
	}
	const nb = 64
	w := max((hi-lo)/nb+1, 1)
	type bucket struct {
		m1, m2     int64
		has1, has2 bool
	}
	bs := make([]bucket, nb+1)
	for _, p := range ab {
		b := &bs[(p.x-lo)/w]
		if !b.has1 || p.y < b.m1 {
			b.m1, b.has1 = p.y, true
		}
	}
	for _, p := range ba {
		b := &bs[(p.x-lo)/w]
		if !b.has2 || p.y < b.m2 {
			b.m2, b.has2 = p.y, true
		}
	}
	type ob struct {
		i   int
		off float64
	}
	var obs []ob
	for i, b := range bs {
		if b.has1 && b.has2 {
			obs = append(obs, ob{i, float64(b.m1-b.m2) / 2})
		}
	}
	if len(obs) < 3 {
		return nil
	}
	rates := make([]float64, 0, len(obs)-1)
	for i := 1; i < len(obs); i++ {
		rates = append(rates, (obs[i].off-obs[i-1].off)/float64(obs[i].i-obs[i-1].i))
	}
	sorted := slices.Clone(rates)
	slices.Sort(sorted)
	trend := sorted[len(sorted)/2]
	dev := make([]float64, len(rates))
	for i, r := range rates {
		dev[i] = math.Abs((r - trend) * float64(obs[i+1].i-obs[i].i))
	}
	sd := slices.Clone(dev)
	slices.Sort(sd)
	thr := max(200e3, 10*sd[len(sd)/2]) // 200 us, or ten times the typical bucket noise
	var cuts []int64
	segStart := lo
	for i := 0; i < len(dev); i++ {
		if dev[i] <= thr/2 {
			continue
		}
		// A step inside a bucket shows as two half jumps: take the run of same-signed large
		// changes as one step.
		sgn := math.Signbit(rates[i] - trend)
		j, size := i, 0.0
		for ; j < len(dev) && dev[j] > thr/2 && math.Signbit(rates[j]-trend) == sgn; j++ {
			size += (rates[j] - trend) * float64(obs[j+1].i-obs[j].i)
		}
		from, to := lo+int64(obs[i].i)*w, lo+int64(obs[j].i+1)*w
		i = j - 1
		if math.Abs(size) <= thr {
			continue
		}
		// Before the step, the path the step lowers stays on its envelope; after it, it runs
		// |size| lower. Walking the region with the trend taken out, the first packet more
		// than half the step below every earlier one is after the step.
		path := ba
		if size < 0 {
			path = ab
		}
		perNs := trend / float64(w)
		runMin, prevF, cut := math.Inf(1), int64(-1), int64(-1)
		if pre := span(path, segStart, from); len(pre) > 0 {
			prevF = pre[len(pre)-1].bf
			for _, p := range pre[max(0, len(pre)-64):] {
				runMin = min(runMin, float64(p.y)-perNs*float64(p.x-lo))
			}
		}
		for _, p := range span(path, from, to) {
			d := float64(p.y) - perNs*float64(p.x-lo)
			if !math.IsInf(runMin, 1) && d < runMin-math.Abs(size)/2 {
				cut = p.x
				cuts = append(cuts, stepFrame(bts, prevF, p.bf, size))
				break
			}
			runMin, prevF = min(runMin, d), p.bf
		}
		if cut < 0 {
			// No packet before the step in the region: it starts the next bucket.
			if q := span(path, lo+int64(obs[i].i+1)*w, to); len(q) > 0 {
				cut = q[0].x
				cuts = append(cuts, stepFrame(bts, prevF, q[0].bf, size))
			}
		}
		if cut >= 0 {
			segStart = cut
		}
	}
	return cuts
}

// frameTS is one of B's packets in capture order.
type frameTS struct{ frame, ts int64 }

// stepFrame places a step of B's clock between B frame lo (last known before it; -1: none)
// and hi (first known after it): after the largest jump of B's capture times (bts, in frame
// order) in the step's direction.
func stepFrame(frames func(lo, hi int64) []frameTS, lo, hi int64, size float64) int64 {
	if lo < 0 || hi <= lo+1 {
		return hi
	}
	bts := frames(lo, hi)
	i, j := 0, len(bts)-1
	if j <= i || bts[0].frame != lo || bts[j].frame != hi {
		return hi
	}
	best, at := math.Inf(-1), hi
	for k := i + 1; k <= j; k++ {
		gap := float64(bts[k].ts - bts[k-1].ts)
		if size < 0 {
			gap = -gap
		}
		if gap > best {
			best, at = gap, bts[k].frame
		}
	}
	return at
}

// ClockStep is a jump of B's clock against A's.
type ClockStep struct {
	FrameB int64 `json:"frame_b"` // the first frame of B after the step
	AtNs   int64 `json:"at_ns"`   // A's clock, Unix ns: the first packet known to be after it
	SizeNs int64 `json:"size_ns"` // B minus A changed by this much
}
