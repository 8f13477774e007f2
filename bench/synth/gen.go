package synth

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// Config says what to generate. At least one of Flows, Packets and TargetBytes must be set.
type Config struct {
	Seed uint64 // seeds math/rand/v2's PCG; the same Config gives the same bytes

	// Flows is the number of flows to start; each one runs to its end. When TargetBytes is
	// also set, transfer sizes are scaled so that Flows flows make about TargetBytes.
	Flows int64
	// Packets stops the output after exactly this many packets; flows still open are cut
	// short and their truth describes what was written.
	Packets int64
	// TargetBytes stops starting flows once this many frame bytes are written; open flows
	// wind down (finish their round, then close), so the output is a little larger.
	TargetBytes int64

	Start          int64   // first timestamp, ns since the epoch; 0 means 2024-01-01T00:00:00Z
	FlowsPerSecond float64 // mean arrival rate of new flows; 0 means 2000

	// Per-round probabilities of the injected TCP events (0 means the default of each).
	PFastRetrans, PRTO, POutOfOrder, PZeroWindow float64

	// OnFlow, if set, receives each flow's ground truth when the flow ends (and, for flows
	// cut short by Packets, when the output ends, in flow id order). The record is reused
	// after the call returns.
	OnFlow func(*FlowTruth) error
}

// internal knobs derived from Config.
type knobs struct {
	pFast, pRTO, pOOO, pZW float64
	meanGap                float64 // mean flow inter-arrival, ns
	scale                  float64 // multiplier of TCP transfer sizes
	big                    float64 // multiplier of the odds of medium, large and upload transfers
	tiny                   float64 // multiplier of small transfer sizes
}

// Mean frame bytes per flow of the default mix (baseBytesPerFlow), of the mix without
// medium and large transfers (tinyBytesPerFlow), and of that mix with 1-byte transfers
// (fixedBytesPerFlow: handshakes, teardowns, DNS, ICMP), measured with pcapgen. They turn a
// (Flows, TargetBytes) pair into knobs: above the default mean transfer sizes grow; below
// it, medium and large transfers get rarer (the tail stays heavy); below the tiny mean,
// small transfers shrink too.
const (
	baseBytesPerFlow  = 120000
	tinyBytesPerFlow  = 2250
	fixedBytesPerFlow = 780
)

// Generator produces a capture's frames in timestamp order. It keeps only the open flows
// and one pending step of packets per flow, so memory does not grow with the output.
type Generator struct {
	cfg         Config
	k           knobs
	rng         *rand.Rand
	payload     *payloadTable
	h           []*flow // min-heap on (next packet time, flow id)
	free        []*flow
	nextArrival int64
	started     int64
	stop        bool // no more flows start
	windDown    bool // open flows finish early
	done        bool
	buf         []byte
	tot         Totals
	ft          FlowTruth
	err         error
}

// ErrNoLimit is returned by New when the Config sets no end.
var ErrNoLimit = errors.New("synth: set Flows, Packets or TargetBytes")

// New returns a generator for cfg.
func New(cfg Config) (*Generator, error) {
	if cfg.Flows <= 0 && cfg.Packets <= 0 && cfg.TargetBytes <= 0 {
		return nil, ErrNoLimit
	}
	if cfg.Start == 0 {
		cfg.Start = 1704067200e9
	}
	cfg.Start = cfg.Start / 1000 * 1000
	g := &Generator{cfg: cfg}
	g.k = knobs{pFast: 0.03, pRTO: 0.01, pOOO: 0.02, pZW: 0.005, meanGap: 1e9 / 2000, scale: 1, big: 1, tiny: 1}
	if cfg.PFastRetrans > 0 {
		g.k.pFast = cfg.PFastRetrans
	}
	if cfg.PRTO > 0 {
		g.k.pRTO = cfg.PRTO
	}
	if cfg.POutOfOrder > 0 {
		g.k.pOOO = cfg.POutOfOrder
	}
	if cfg.PZeroWindow > 0 {
		g.k.pZW = cfg.PZeroWindow
	}
	if cfg.FlowsPerSecond > 0 {
		g.k.meanGap = 1e9 / cfg.FlowsPerSecond
	}
	if cfg.Flows > 0 && cfg.TargetBytes > 0 {
		per := float64(cfg.TargetBytes) / float64(cfg.Flows)
		switch {
		case per >= baseBytesPerFlow:
			g.k.scale = per / baseBytesPerFlow
		case per >= tinyBytesPerFlow:
			g.k.big = max((per-tinyBytesPerFlow)/(baseBytesPerFlow-tinyBytesPerFlow), 0.002)
		default:
			g.k.big = 0.002
			g.k.tiny = min(max((per-fixedBytesPerFlow)/(tinyBytesPerFlow-fixedBytesPerFlow), 0.01), 1)
		}
	}
	g.rng = rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	g.payload = newPayloadTable(cfg.Seed ^ 0x5851f42d4c957f2d)
	g.nextArrival = cfg.Start
	g.buf = make([]byte, 0, 16<<10)
	return g, nil
}

// us returns a random duration in [lo, hi] microseconds, as nanoseconds.
func (g *Generator) us(lo, hi int64) int64 {
	return (lo + g.rng.Int64N(hi-lo+1)) * 1000
}

// Next returns the next frame (an Ethernet frame) and its timestamp in nanoseconds.
// The frame is valid until the next call. ok is false at the end of the output or after an
// error from OnFlow (see Err).
func (g *Generator) Next() (ts int64, frame []byte, ok bool) {
	if g.done {
		return 0, nil, false
	}
	if g.cfg.Packets > 0 && g.tot.Packets >= g.cfg.Packets {
		g.finish()
		return 0, nil, false
	}
	for !g.stop && (len(g.h) == 0 || g.nextArrival <= g.h[0].q[g.h[0].head].ts) {
		g.startFlow()
	}
	if len(g.h) == 0 {
		g.finish()
		return 0, nil, false
	}
	f := g.h[0]
	p := &f.q[f.head]
	g.buf = f.build(g.buf[:0], g, p)
	g.account(f, p, g.buf)
	ts = p.ts
	f.head++
	if f.head == len(f.q) && !f.refill(g) {
		g.pop()
		g.endFlow(f)
	} else {
		g.down(0)
	}
	if g.cfg.TargetBytes > 0 && g.cfg.Flows <= 0 && g.tot.FrameBytes >= g.cfg.TargetBytes {
		g.stop, g.windDown = true, true
	}
	if g.err != nil {
		g.done = true
		return 0, nil, false
	}
	return ts, g.buf, true
}

// Err returns the first error returned by OnFlow.
func (g *Generator) Err() error { return g.err }

// Totals returns the counts of what has been generated so far.
func (g *Generator) Totals() Totals { return g.tot }

func (g *Generator) finish() {
	if g.done {
		return
	}
	g.done = true
	open := slices.Clone(g.h)
	slices.SortFunc(open, func(a, b *flow) int {
		if a.id < b.id {
			return -1
		}
		return 1
	})
	g.h = g.h[:0]
	for _, f := range open {
		g.endFlow(f)
	}
}

func (g *Generator) less(i, j int) bool {
	a, b := g.h[i], g.h[j]
	ta, tb := a.q[a.head].ts, b.q[b.head].ts
	return ta < tb || (ta == tb && a.id < b.id)
}

func (g *Generator) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !g.less(i, p) {
			break
		}
		g.h[i], g.h[p] = g.h[p], g.h[i]
		i = p
	}
}

func (g *Generator) down(i int) {
	n := len(g.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && g.less(r, l) {
			m = r
		}
		if !g.less(m, i) {
			return
		}
		g.h[i], g.h[m] = g.h[m], g.h[i]
		i = m
	}
}

func (g *Generator) pop() {
	n := len(g.h) - 1
	g.h[0] = g.h[n]
	g.h[n] = nil
	g.h = g.h[:n]
	if n > 0 {
		g.down(0)
	}
}

// startFlow creates the flow arriving at nextArrival and schedules the next arrival.
func (g *Generator) startFlow() {
	var f *flow
	if n := len(g.free); n > 0 {
		f = g.free[n-1]
		g.free = g.free[:n-1]
		q := f.q[:0]
		*f = flow{q: q}
	} else {
		f = &flow{q: make([]pkt, 0, 16)}
	}
	f.id = uint64(g.started)
	f.t = g.nextArrival
	g.setup(f)
	g.started++
	if g.cfg.Flows > 0 && g.started >= g.cfg.Flows {
		g.stop = true
	}
	gap := g.rng.ExpFloat64() * g.k.meanGap
	g.nextArrival += int64(math.Round(gap/1000)) * 1000
	if !f.refill(g) { // every script emits at least one packet; keep the invariant anyway
		g.endFlow(f)
		return
	}
	f.tr.first = f.q[0].ts
	g.h = append(g.h, f)
	g.up(len(g.h) - 1)
	g.tot.MaxOpen = max(g.tot.MaxOpen, int64(len(g.h)))
}

func (g *Generator) endFlow(f *flow) {
	if f.tr.pkts[0]+f.tr.pkts[1] > 0 {
		g.countFlow(f)
		if g.cfg.OnFlow != nil && g.err == nil {
			f.fillTruth(&g.ft)
			g.err = g.cfg.OnFlow(&g.ft)
		}
	}
	g.free = append(g.free, f)
}
