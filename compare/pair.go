package compare

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/pcapdex/pcapdex/fastparse"
)

// pair is a flow of A matched with a flow of B.
type pair struct {
	a, b  *flowSide
	score int
	how   string // "5-tuple" or the evidence that matched
	// swap: B's flow has the originator and responder the other way round (B's direction
	// d^1 is A's direction d).
	swap bool
	// upA[d] is true when A is the upstream point for A's direction d (0: orig->resp).
	upA [2]bool
	// isnShift[d]: B's sequence numbers minus A's in direction d (an ISN rewritten between
	// the points), undone on B's records before matching.
	isnShift [2]uint32
}

// Ambiguous is a flow that more than one flow of the other side could be: reported, never
// guessed.
type Ambiguous struct {
	Point      string   `json:"point"` // the side whose flow has several candidates
	Flow       uint32   `json:"flow"`
	Candidates []uint32 `json:"candidates"` // flow ids at the other point
	Score      int      `json:"score"`
}

// cmpEndpoint orders endpoints by address, then port.
func cmpEndpoint(x, y endpoint) int {
	if c := bytes.Compare(x.addr[:], y.addr[:]); c != 0 {
		return c
	}
	return cmp.Compare(x.port, y.port)
}

// mergeFlows marks fs paired and returns them as one flow: the first, or, for several
// pieces of one connection, a new flow in the first one's orientation holding every
// piece's packets in capture order (its id is the first piece's, pieces lists them all).
func mergeFlows(fs []*flowSide) *flowSide {
	for _, f := range fs {
		f.paired = true
	}
	if len(fs) == 1 {
		return fs[0]
	}
	m := *fs[0]
	m.pk = [2][]rec{}
	var runs [2][][]rec
	for _, f := range fs {
		m.pieces = append(m.pieces, f.id)
		m.first, m.last = min(m.first, f.first), max(m.last, f.last)
		sw := 0
		if f.orig != m.orig {
			sw = 1
		}
		for d := range 2 {
			runs[d^sw] = append(runs[d^sw], f.pk[d])
		}
	}
	byFrame := func(x, y rec) int { return cmp.Compare(x.frame, y.frame) }
	for d := range 2 {
		m.pk[d] = mergeRuns(runs[d], byFrame)
	}
	return &m
}

// evidence is what identifies a flow across NAT.
type evidence struct {
	clientISN, serverISN uint32
	hasCISN, hasSISN     bool
	tsval                uint32 // first TSval of the SYN (or first packet)
	synOpts              uint32 // SYN options: flags, window scale
	firstDigest          [2]uint64
	ids                  [2][]uint16
}

const idSample = 16

func evidenceOf(f *flowSide) evidence {
	var e evidence
	for d := range 2 {
		for i := range f.pk[d] {
			r := &f.pk[d][i]
			if r.flags&fastparse.TCPSyn != 0 {
				if d == 0 && !e.hasCISN {
					e.clientISN, e.hasCISN, e.tsval = r.seq, true, r.tsval
					e.synOpts = uint32(r.flags) | 1<<16
				}
				if d == 1 && !e.hasSISN {
					e.serverISN, e.hasSISN = r.seq, true
				}
			}
			if e.firstDigest[d] == 0 && r.digest != 0 {
				e.firstDigest[d] = r.digest
			}
			if r.hasID && len(e.ids[d]) < idSample {
				e.ids[d] = append(e.ids[d], r.ipid)
			}
		}
	}
	if !e.hasCISN && len(f.pk[0]) > 0 {
		e.tsval = f.pk[0][0].tsval
	}
	return e
}

// score says how strongly a (flow of A) and b (flow of B) are one flow.
func scoreOf(fa, fb *flowSide, ea, eb *evidence) (int, string) {
	if fa.proto != fb.proto {
		return 0, ""
	}
	s, how := 0, ""
	add := func(n int, what string) {
		s += n
		if how != "" {
			how += ","
		}
		how += what
	}
	if ea.hasCISN && eb.hasCISN && ea.clientISN == eb.clientISN {
		add(4, "client_isn")
	}
	if ea.hasSISN && eb.hasSISN && ea.serverISN == eb.serverISN {
		add(4, "server_isn")
	}
	if ea.tsval != 0 && ea.tsval == eb.tsval {
		add(2, "tsval")
	}
	if ea.synOpts != 0 && ea.synOpts == eb.synOpts {
		add(1, "syn_options")
	}
	for d, name := range []string{"c2s_payload", "s2c_payload"} {
		if ea.firstDigest[d] != 0 && ea.firstDigest[d] == eb.firstDigest[d] {
			add(3, name)
		}
	}
	shared, total := 0, 0
	for d := range 2 {
		total += len(ea.ids[d])
		for _, id := range ea.ids[d] {
			if slices.Contains(eb.ids[d], id) {
				shared++
			}
		}
	}
	if total >= 4 && shared*2 >= total {
		add(2, "ip_ids")
	}
	if fa.resp.port == fb.resp.port {
		add(1, "server_port")
	}
	return s, how
}

// overlaps reports whether two flows' times overlap, allowing tol for the clock offset.
func overlaps(a, b *flowSide, tol int64) bool {
	return a.first-tol <= b.last && b.first <= a.last+tol
}

func sameTuple(a, b *flowSide) bool {
	return a.proto == b.proto && a.orig == b.orig && a.resp == b.resp
}

// pairFlows pairs the flows of A and B: same 5-tuple with overlapping times first, then, for
// the rest, by evidence with a score of at least threshold. A flow whose best candidates tie
// is reported as ambiguous.
func pairFlows(a, b *sideData, tol int64, threshold int) (pairs []pair, amb []Ambiguous) {
	byTuple := map[[2]endpoint][]*flowSide{}
	for _, fb := range b.flows {
		if fb != nil {
			k := [2]endpoint{fb.orig, fb.resp}
			byTuple[k] = append(byTuple[k], fb)
		}
	}
	ev := map[*flowSide]*evidence{}
	evOf := func(f *flowSide) *evidence {
		e, ok := ev[f]
		if !ok {
			x := evidenceOf(f)
			e = &x
			ev[f] = e
		}
		return e
	}
	// Same 5-tuple (either orientation) and overlapping times. The flows of one tuple at
	// A and at B that overlap form one component, and its flows are merged per side: one
	// point's flow tracking may split a connection the other saw whole (a lost FIN or RST,
	// a SYN seen on one side only), and the pieces follow one another in time.
	canon := func(f *flowSide) [2]endpoint {
		if cmpEndpoint(f.orig, f.resp) <= 0 {
			return [2]endpoint{f.orig, f.resp}
		}
		return [2]endpoint{f.resp, f.orig}
	}
	groupA := map[[2]endpoint][]*flowSide{}
	var orderA [][2]endpoint
	for _, fa := range a.flows {
		if fa == nil {
			continue
		}
		k := canon(fa)
		if groupA[k] == nil {
			orderA = append(orderA, k)
		}
		groupA[k] = append(groupA[k], fa)
	}
	groupB := map[[2]endpoint][]*flowSide{}
	for _, fb := range b.flows {
		if fb != nil {
			k := canon(fb)
			groupB[k] = append(groupB[k], fb)
		}
	}
	for _, k := range orderA {
		as := groupA[k]
		var bs []*flowSide
		for _, fb := range groupB[k] {
			if fb.proto == as[0].proto {
				bs = append(bs, fb)
			}
		}
		if len(bs) == 0 {
			continue
		}
		uf := make([]int, len(as)+len(bs))
		for i := range uf {
			uf[i] = i
		}
		find := func(x int) int {
			for uf[x] != x {
				uf[x] = uf[uf[x]]
				x = uf[x]
			}
			return x
		}
		for i, fa := range as {
			for j, fb := range bs {
				if overlaps(fa, fb, tol) {
					uf[find(i)] = find(len(as) + j)
				}
			}
		}
		comps := map[int][2][]*flowSide{}
		var roots []int
		for i := range uf {
			r := find(i)
			c, ok := comps[r]
			if !ok {
				roots = append(roots, r)
			}
			if i < len(as) {
				c[0] = append(c[0], as[i])
			} else {
				c[1] = append(c[1], bs[i-len(as)])
			}
			comps[r] = c
		}
		for _, r := range roots {
			c := comps[r]
			if len(c[0]) == 0 || len(c[1]) == 0 {
				continue
			}
			fa, fb := mergeFlows(c[0]), mergeFlows(c[1])
			how := "5-tuple"
			if len(c[0])+len(c[1]) > 2 {
				how = "5-tuple, merged"
			}
			pairs = append(pairs, pair{a: fa, b: fb, score: 100, how: how, swap: fb.orig != fa.orig})
		}
	}
	// By evidence: candidates share a client ISN, a server ISN or a first payload digest.
	type ck struct {
		kind uint8
		v    uint64
	}
	index := map[ck][]*flowSide{}
	for _, fb := range b.flows {
		if fb == nil || fb.paired {
			continue
		}
		e := evOf(fb)
		for _, k := range keysOf(e) {
			index[ck{k.kind, k.v}] = append(index[ck{k.kind, k.v}], fb)
		}
	}
	type cand struct {
		fa, fb *flowSide
		score  int
		how    string
	}
	var best []cand // per A flow: the best candidate (score >= threshold), ties kept
	for _, fa := range a.flows {
		if fa == nil || fa.paired {
			continue
		}
		ea := evOf(fa)
		seen := map[*flowSide]bool{}
		var top []cand
		for _, k := range keysOf(ea) {
			for _, fb := range index[ck{k.kind, k.v}] {
				if seen[fb] || !overlaps(fa, fb, tol) {
					continue
				}
				seen[fb] = true
				s, how := scoreOf(fa, fb, ea, evOf(fb))
				if s < threshold {
					continue
				}
				if len(top) == 0 || s > top[0].score {
					top = append(top[:0], cand{fa, fb, s, how})
				} else if s == top[0].score {
					top = append(top, cand{fa, fb, s, how})
				}
			}
		}
		if len(top) > 1 {
			ids := make([]uint32, len(top))
			for i, c := range top {
				ids[i] = c.fb.id
			}
			slices.Sort(ids)
			amb = append(amb, Ambiguous{Point: "a", Flow: fa.id, Candidates: ids, Score: top[0].score})
			continue
		}
		best = append(best, top...)
	}
	// A flow of B claimed by several flows of A with its best score is ambiguous too.
	claims := map[*flowSide][]cand{}
	for _, c := range best {
		claims[c.fb] = append(claims[c.fb], c)
	}
	for _, c := range best {
		cl := claims[c.fb]
		top := slices.MaxFunc(cl, func(x, y cand) int { return cmp.Compare(x.score, y.score) })
		n := 0
		for _, x := range cl {
			if x.score == top.score {
				n++
			}
		}
		if n > 1 {
			if c.fa == cl[0].fa {
				ids := []uint32{}
				for _, x := range cl {
					ids = append(ids, x.fa.id)
				}
				amb = append(amb, Ambiguous{Point: "b", Flow: c.fb.id, Candidates: ids, Score: top.score})
			}
			continue
		}
		if c.fa != top.fa {
			continue
		}
		c.fa.paired, c.fb.paired = true, true
		pairs = append(pairs, pair{a: c.fa, b: c.fb, score: c.score, how: c.how})
	}
	slices.SortFunc(pairs, func(x, y pair) int { return cmp.Compare(x.a.id, y.a.id) })
	return pairs, amb
}

type evKey struct {
	kind uint8
	v    uint64
}

func keysOf(e *evidence) []evKey {
	var ks []evKey
	if e.hasCISN {
		ks = append(ks, evKey{1, uint64(e.clientISN)})
	}
	if e.hasSISN {
		ks = append(ks, evKey{2, uint64(e.serverISN)})
	}
	for d := range 2 {
		if e.firstDigest[d] != 0 {
			ks = append(ks, evKey{uint8(3 + d), e.firstDigest[d]})
		}
	}
	return ks
}
