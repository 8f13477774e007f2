package follow

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Alert is one state change of a rule for one key: "firing" (entering warn or critical,
// or escalating) or "resolved". Times are capture time (Unix ns): Last is the instant the
// rule was evaluated (a whole second: the window is the Window seconds before it), First
// the instant the firing began.
type Alert struct {
	Rule      string        `json:"rule"`
	Key       string        `json:"key"`
	State     string        `json:"state"` // firing, resolved
	Level     string        `json:"level"` // warn, critical; ok when resolved
	Value     float64       `json:"value"`
	Threshold float64       `json:"threshold"`
	Window    time.Duration `json:"window_ns"`
	First     int64         `json:"first_ts"`
	Last      int64         `json:"last_ts"`
	Evidence  Evidence      `json:"evidence"`
}

// Evidence is the last packet that counted for the key before the change.
type Evidence struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Frame  uint64 `json:"frame"`
}

// AppendJSON appends the alert as one JSON object (no newline).
func (a *Alert) AppendJSON(dst []byte) []byte {
	b, _ := json.Marshal(a)
	return append(dst, b...)
}

// String is the readable line for people.
func (a *Alert) String() string {
	t := time.Unix(0, a.Last).UTC().Format(time.RFC3339)
	if a.State == "resolved" {
		return fmt.Sprintf("%s RESOLVED %s [%s]: %.4g (below %.4g over %v)", t, a.Rule, a.Key, a.Value, a.Threshold, a.Window)
	}
	return fmt.Sprintf("%s %s %s [%s]: %.4g >= %.4g over %v (frame %d of %s)", t, levelUpper(a.Level), a.Rule, a.Key, a.Value, a.Threshold, a.Window, a.Evidence.Frame, a.Evidence.File)
}

func levelUpper(l string) string {
	if l == "critical" {
		return "CRITICAL"
	}
	return "WARN"
}

// Engine evaluates rules over one pass of the pipeline (a flowhash.Consumer), on capture
// time: a packet of second s counts in s's bucket; when a packet of a later second
// arrives (the watermark passes a whole second T), every key of every rule is evaluated
// over the window [T-window, T). The same packets give the same alerts, whether read in
// one pass or followed as they were written.
type Engine struct {
	rules   []*Rule
	keys    []map[gkey]*keyState
	file    string
	sec     int64 // the next whole second to evaluate at
	started bool
	maxFlow uint32
	out     []Alert
	tick    []Alert
	syns    map[uint32]int64 // flow id -> first SYN time, for slow-handshakes
	rtt     int64            // the current packet's handshake RTT (ns), -1 if none
}

type gkey struct {
	a, b [16]byte
	port uint16
	flow uint32
}

type keyState struct {
	label      string
	buckets    []float64
	secs       []int64
	last       int64 // time of the last matching packet (silence)
	level      uint8
	first      int64
	quietUntil int64
	ev         Evidence
}

// NewEngine returns an engine for rules (as ParseRules returns them).
func NewEngine(rules []*Rule) *Engine {
	e := &Engine{rules: rules, keys: make([]map[gkey]*keyState, len(rules))}
	for i, r := range rules {
		e.keys[i] = map[gkey]*keyState{}
		if r.metric == mSlowHandshake {
			e.syns = map[uint32]int64{}
		}
	}
	return e
}

// Alerts returns the state changes so far, in order.
func (e *Engine) Alerts() []Alert { return e.out }

// Firing returns how many keys are firing now.
func (e *Engine) Firing() int {
	n := 0
	for _, m := range e.keys {
		for _, k := range m {
			if k.level > 0 {
				n++
			}
		}
	}
	return n
}

func (e *Engine) BeginFile(r *pcapng.Reader) error { e.file = r.Name(); return nil }
func (e *Engine) EndFile(*flowhash.FileEnd) error  { return nil }
func floorSec(ts int64) int64                      { return floorDiv(ts, 1e9) }
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// Batch counts the batch's packets, evaluating at each whole second passed.
func (e *Engine) Batch(b *flowhash.Batch) error {
	var pk pkt // escapes through the rules' predicates: one per batch, not per packet
	for i := range b.Packets {
		p := &b.Packets[i]
		in := &b.Info[i]
		s := floorSec(p.TS)
		if !e.started {
			e.started, e.sec = true, s+1
		}
		for e.sec <= s {
			e.evaluate(e.sec)
			e.sec++
		}
		newFlow := false
		if in.IP && in.Flow > e.maxFlow {
			e.maxFlow, newFlow = in.Flow, true
		}
		e.rtt = -1
		if e.syns != nil && in.IP && in.Proto == 6 {
			if in.TCPFlags&(tcpSYN|tcpACK) == tcpSYN {
				if _, ok := e.syns[in.Flow]; !ok {
					e.syns[in.Flow] = p.TS
				}
			} else if in.Events&(1<<flowhash.EvHandshakeRTT) != 0 {
				if t, ok := e.syns[in.Flow]; ok {
					e.rtt = p.TS - t
					delete(e.syns, in.Flow)
				}
			}
		}
		pk = pkt{}
		if in.IP {
			pk = pkt{key: b.Key(i), info: in}
		}
		for r, rule := range e.rules {
			if (rule.match != nil || rule.group != gNone) && !in.IP {
				continue
			}
			if rule.match != nil && !rule.match(&pk) {
				continue
			}
			v := contribution(rule.metric, p, in, newFlow)
			if rule.metric == mSlowHandshake {
				v = b2f(e.rtt > int64(rule.Slow.Duration))
			}
			if v == 0 && rule.metric != mSilence {
				continue
			}
			k := e.state(r, rule, &pk)
			k.last = p.TS
			k.ev = Evidence{File: e.file, Offset: p.Offset, Frame: b.Frame + uint64(i)}
			if v != 0 {
				w := int64(len(k.buckets))
				slot := int((s%w + w) % w)
				if k.secs[slot] != s {
					k.secs[slot], k.buckets[slot] = s, 0
				}
				k.buckets[slot] += v
			}
		}
	}
	return nil
}

const tcpRST = 0x04
const tcpSYN, tcpACK = 0x02, 0x10

func contribution(m metricKind, p *pcapng.Packet, in *flowhash.PacketInfo, newFlow bool) float64 {
	switch m {
	case mRetrans:
		return b2f(in.Analysis&flowhash.Retransmission != 0)
	case mOutOfOrder:
		return b2f(in.Analysis&flowhash.OutOfOrder != 0)
	case mDupAck:
		return b2f(in.Analysis&flowhash.DuplicateAck != 0)
	case mZeroWindow:
		return b2f(in.Analysis&flowhash.ZeroWindow != 0)
	case mResets:
		return b2f(in.Proto == 6 && in.TCPFlags&tcpRST != 0)
	case mUnansweredSYN:
		return b2f(in.Events&(1<<flowhash.EvSYNRetry) != 0)
	case mPackets:
		return 1
	case mBytes:
		return float64(p.OrigLen)
	case mNewFlows:
		return b2f(newFlow)
	}
	return 0
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// state returns the key state of the packet's group for rule r, creating it.
func (e *Engine) state(r int, rule *Rule, p *pkt) *keyState {
	var g gkey
	if p.key != nil {
		k := p.key
		oa := p.origIsA()
		switch rule.group {
		case gFlow:
			g.flow = p.info.Flow
		case gHost: // the sender
			g.a = k.B
			if p.info.Dir == flowhash.DirAB {
				g.a = k.A
			}
			g.port = uint16(k.IPVersion)
		case gPort: // the responder's port
			g.port = k.PortB
			if !oa {
				g.port = k.PortA
			}
			g.flow = uint32(k.Proto)
		case gPair:
			g.a, g.b, g.port = k.A, k.B, uint16(k.IPVersion)
		}
	}
	ks := e.keys[r][g]
	if ks == nil {
		ks = &keyState{buckets: make([]float64, rule.win), secs: make([]int64, rule.win), label: e.label(rule, p)}
		for i := range ks.secs {
			ks.secs[i] = -1 << 62
		}
		e.keys[r][g] = ks
	}
	return ks
}

func (e *Engine) label(rule *Rule, p *pkt) string {
	if p.key == nil || rule.group == gNone {
		return "all"
	}
	k := p.key
	oa := p.origIsA()
	ep := func(a bool) string {
		port := k.PortB
		if a {
			port = k.PortA
		}
		return netip.AddrPortFrom(addrOf(k, a), port).String()
	}
	switch rule.group {
	case gFlow:
		return fmt.Sprintf("flow %d %s -> %s", p.info.Flow, ep(oa), ep(!oa))
	case gHost:
		return addrOf(k, p.info.Dir == flowhash.DirAB).String()
	case gPort:
		port := k.PortB
		if !oa {
			port = k.PortA
		}
		return fmt.Sprintf("%d/%d", port, k.Proto)
	}
	return addrOf(k, true).String() + " <-> " + addrOf(k, false).String()
}

// evaluate evaluates every key at whole second T.
func (e *Engine) evaluate(T int64) {
	e.tick = e.tick[:0]
	now := T * 1e9
	if len(e.syns) > 1<<16 {
		for f, t := range e.syns {
			if now-t > 60e9 {
				delete(e.syns, f) // never answered: forget after a minute
			}
		}
	}
	for r, rule := range e.rules {
		for g, k := range e.keys[r] {
			var v float64
			if rule.metric == mSilence {
				v = float64(now-k.last) / 1e9
			} else {
				for i, s := range k.secs {
					if s >= T-rule.win && s < T {
						v += k.buckets[i]
					}
				}
				if rule.metric == mPackets || rule.metric == mBytes || rule.metric == mNewFlows {
					v /= float64(rule.win)
				}
			}
			e.step(rule, k, v, now)
			if k.level == 0 && rule.metric != mSilence && v == 0 && now >= k.quietUntil {
				delete(e.keys[r], g)
			}
		}
	}
	slices.SortFunc(e.tick, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Key, b.Key))
	})
	e.out = append(e.out, e.tick...)
}

func threshold(rule *Rule, level uint8) float64 {
	if level == 2 || rule.Warn <= 0 {
		return rule.Critical
	}
	return rule.Warn
}

// step moves k's level for value v at time now (ns), recording a change.
func (e *Engine) step(rule *Rule, k *keyState, v float64, now int64) {
	var up uint8
	switch {
	case rule.Critical > 0 && v >= rule.Critical:
		up = 2
	case rule.Warn > 0 && v >= rule.Warn:
		up = 1
	}
	next := k.level
	for next > up && v < threshold(rule, next)*(1-rule.Hysteresis) {
		next--
	}
	next = max(next, up)
	if k.level == 0 && next > 0 && now < k.quietUntil {
		next = 0
	}
	if next == k.level {
		return
	}
	a := Alert{Rule: rule.Name, Key: k.label, Value: v, Window: rule.Window.Duration, Last: now, Evidence: k.ev}
	if next == 0 {
		a.State, a.Level, a.Threshold, a.First = "resolved", "ok", threshold(rule, k.level)*(1-rule.Hysteresis), k.first
		k.quietUntil = now + int64(rule.Cooldown.Duration)
	} else {
		if k.level == 0 {
			k.first = now
		}
		a.State, a.Level, a.Threshold, a.First = "firing", []string{"", "warn", "critical"}[next], threshold(rule, next), k.first
	}
	if next < k.level && next > 0 {
		a.State = "firing" // down from critical to warn: still firing, at warn
	}
	k.level = next
	e.tick = append(e.tick, a)
}
