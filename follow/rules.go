package follow

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
)

// Rule is one alert rule. In a rules file (TOML):
//
//	[[rule]]
//	name = "web retransmissions"
//	filter = "tcp and port 443"     # pcapdex's filter language: host, net, port, portrange,
//	                                # tcp/udp/icmp/proto, ip/ip6, vlan, and/or/not
//	metric = "retransmissions"      # see Metric
//	group_by = "flow"               # flow, host (the sender), port (the responder's), pair, none
//	window = "10s"                  # whole seconds
//	warn = 5                        # value >= warn: warning; >= critical: critical
//	critical = 50
//	hysteresis = 0.2                # resolve only below threshold * (1 - hysteresis)
//	cooldown = "30s"                # after a resolve, the key stays quiet this long
//	slow = "200ms"                  # slow-handshakes: SYN to SYN-ACK longer than this
//
// Metrics: retransmissions, out-of-order, dup-acks, zero-windows (Wireshark's
// tcp.analysis flags, as the index stores them), resets (TCP segments with RST),
// unanswered-syns (SYNs repeated before any SYN-ACK), slow-handshakes (first SYN to
// SYN-ACK longer than slow, counted at the SYN-ACK), packets/s, bytes/s, new-flows/s,
// silence. Values are counts over the window for the event metrics, per-second rates over the
// window for the rate metrics, and seconds since the key's last matching packet for
// silence.
type Rule struct {
	Name       string   `toml:"name"`
	Filter     string   `toml:"filter"`
	Metric     string   `toml:"metric"`
	GroupBy    string   `toml:"group_by"`
	Window     duration `toml:"window"`
	Warn       float64  `toml:"warn"`
	Critical   float64  `toml:"critical"`
	Hysteresis float64  `toml:"hysteresis"`
	Cooldown   duration `toml:"cooldown"`
	Slow       duration `toml:"slow"`

	match  packetPred
	metric metricKind
	group  groupKind
	win    int64 // seconds
}

type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	d.Duration = v
	return err
}

type metricKind uint8

const (
	mRetrans metricKind = iota + 1
	mOutOfOrder
	mDupAck
	mZeroWindow
	mResets
	mUnansweredSYN
	mSlowHandshake
	mPackets
	mBytes
	mNewFlows
	mSilence
)

// Metrics are the metric names a rule may use.
var Metrics = map[string]metricKind{
	"retransmissions": mRetrans, "out-of-order": mOutOfOrder, "dup-acks": mDupAck,
	"zero-windows": mZeroWindow, "resets": mResets, "unanswered-syns": mUnansweredSYN, "slow-handshakes": mSlowHandshake,
	"packets/s": mPackets, "bytes/s": mBytes, "new-flows/s": mNewFlows, "silence": mSilence,
}

type groupKind uint8

const (
	gNone groupKind = iota
	gFlow
	gHost
	gPort
	gPair
)

var groups = map[string]groupKind{"": gNone, "none": gNone, "flow": gFlow, "host": gHost, "port": gPort, "pair": gPair}

// ReadRules reads and checks a rules file.
func ReadRules(path string) ([]*Rule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return ParseRules(path, string(b))
}

// ParseRules parses rules in TOML (see Rule); name is used in errors.
func ParseRules(name, text string) ([]*Rule, error) {
	var doc struct {
		Rule []*Rule `toml:"rule"`
	}
	md, err := toml.Decode(text, &doc)
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("rules %s: unknown key %s", name, und[0])
	}
	seen := map[string]bool{}
	for i, r := range doc.Rule {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("rules %s: rule %d (%q): %s", name, i+1, r.Name, fmt.Sprintf(format, a...))
		}
		if r.Name == "" || seen[r.Name] {
			return nil, bad("needs a name of its own")
		}
		seen[r.Name] = true
		var ok bool
		if r.metric, ok = Metrics[r.Metric]; !ok {
			return nil, bad("metric %q is not one of retransmissions, out-of-order, dup-acks, zero-windows, resets, unanswered-syns, slow-handshakes, packets/s, bytes/s, new-flows/s, silence", r.Metric)
		}
		if r.group, ok = groups[r.GroupBy]; !ok {
			return nil, bad("group_by %q is not flow, host, port, pair or none", r.GroupBy)
		}
		if r.Window.Duration <= 0 {
			r.Window.Duration = 10 * time.Second
		}
		if r.Window.Duration%time.Second != 0 {
			return nil, bad("window %v is not a whole number of seconds", r.Window.Duration)
		}
		r.win = int64(r.Window.Duration / time.Second)
		if r.Slow.Duration <= 0 {
			r.Slow.Duration = 200 * time.Millisecond
		}
		if r.Warn <= 0 && r.Critical <= 0 {
			return nil, bad("needs warn or critical above 0")
		}
		if r.Critical > 0 && r.Warn > r.Critical {
			return nil, bad("warn %v above critical %v", r.Warn, r.Critical)
		}
		if r.Hysteresis < 0 || r.Hysteresis >= 1 {
			return nil, bad("hysteresis %v outside [0, 1)", r.Hysteresis)
		}
		if r.Filter != "" {
			n, err := filter.Parse(r.Filter)
			if err != nil {
				return nil, bad("filter: %v", err)
			}
			if r.match, err = compilePred(n); err != nil {
				return nil, bad("filter: %v", err)
			}
		}
	}
	return doc.Rule, nil
}

// pkt is what a rule's filter sees of a packet: its flow's key and which end sent it.
type pkt struct {
	key  *flowhash.Key
	info *flowhash.PacketInfo
}

// origEnd reports whether end A of the key is the flow's originator.
func (p *pkt) origIsA() bool { return (p.info.Dir == flowhash.DirAB) == p.info.FromOrig }

type packetPred func(p *pkt) bool

func addrOf(k *flowhash.Key, a bool) netip.Addr {
	b := &k.B
	if a {
		b = &k.A
	}
	if k.IPVersion == 4 {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(*b)
}

// ends calls f for the ends d selects, reporting whether f held for one.
func ends(p *pkt, d filter.Dir, f func(a bool) bool) bool {
	oa := p.origIsA()
	switch d {
	case filter.DirSrc:
		return f(oa)
	case filter.DirDst:
		return f(!oa)
	}
	return f(true) || f(false)
}

var errUnsupported = errors.New("only host, net, port, portrange, protocols, ip/ip6, vlan, and/or/not work in alert rules")

// compilePred turns a filter into a per-packet predicate over the flow key.
func compilePred(n filter.Node) (packetPred, error) {
	switch x := n.(type) {
	case *filter.And, *filter.Or:
		var terms []filter.Node
		and := false
		if a, ok := x.(*filter.And); ok {
			terms, and = a.Terms, true
		} else {
			terms = x.(*filter.Or).Terms
		}
		ps := make([]packetPred, len(terms))
		for i, t := range terms {
			var err error
			if ps[i], err = compilePred(t); err != nil {
				return nil, err
			}
		}
		if and {
			return func(p *pkt) bool {
				for _, q := range ps {
					if !q(p) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(p *pkt) bool {
			for _, q := range ps {
				if q(p) {
					return true
				}
			}
			return false
		}, nil
	case *filter.Not:
		q, err := compilePred(x.X)
		if err != nil {
			return nil, err
		}
		return func(p *pkt) bool { return !q(p) }, nil
	case *filter.Host:
		return func(p *pkt) bool {
			return ends(p, x.Dir, func(a bool) bool { return addrOf(p.key, a) == x.Addr })
		}, nil
	case *filter.Net:
		return func(p *pkt) bool {
			return ends(p, x.Dir, func(a bool) bool { return x.Prefix.Contains(addrOf(p.key, a)) })
		}, nil
	case *filter.Port:
		return func(p *pkt) bool {
			if pr := p.key.Proto; pr != 6 && pr != 17 && pr != 132 {
				return false
			}
			return ends(p, x.Dir, func(a bool) bool {
				port := p.key.PortB
				if a {
					port = p.key.PortA
				}
				return port >= x.Lo && port <= x.Hi
			})
		}, nil
	case *filter.Proto:
		return func(p *pkt) bool { return p.key.Proto == x.N }, nil
	case *filter.IPVersion:
		return func(p *pkt) bool { return p.key.IPVersion == x.V }, nil
	case *filter.VLAN:
		return func(p *pkt) bool {
			if x.ID < 0 {
				return p.info.VLAN != 0xffff
			}
			return int(p.info.VLAN) == x.ID
		}, nil
	}
	return nil, fmt.Errorf("%q: %w", strings.TrimSpace(filter.String(n)), errUnsupported)
}
