package check

import (
	"math"
	"testing"
)

func TestParseGate(t *testing.T) {
	vals := map[string]float64{"retransmissions": 30, "tcp_packets": 1000, "gaps(host 10.0.0.5 and port 443)": 45e9, "flows": 0}
	get := func(m metricNode) float64 { return vals[m.Key()] }
	for _, c := range []struct {
		text        string
		value, lim  float64
		tripped     bool
		usesBase    bool
		baseLHS     float64
		wantMetrics int
	}{
		{"retransmissions/tcp_packets > 1%", 0.03, 0.01, true, false, 0, 2},
		{"retransmissions / tcp_packets >= 5%", 0.03, 0.05, false, false, 0, 2},
		{"gaps(host 10.0.0.5 and port 443) > 30s", 45e9, 30e9, true, false, 0, 1},
		{"gaps( host  10.0.0.5 and port 443 ) > 1m", 45e9, 60e9, false, false, 0, 1},
		{"retransmissions > baseline * 1.5", 30, 30, false, true, 20, 1},
		{"retransmissions > baseline * 1.5", 30, 15, true, true, 10, 1},
		{"retransmissions/flows == 0", 0, 0, true, false, 0, 2}, // x/0 is 0
		{"bytes(tcp) > 1.5MB", 0, 1.5e6, false, false, 0, 1},
		{"-(retransmissions - 40) < 2 * (3 + 2)", 10, 10, false, false, 0, 1},
		{"retransmissions != 30", 30, 30, false, false, 0, 1},
		{"retransmissions <= 100ms", 30, 1e8, true, false, 0, 1},
	} {
		g, err := ParseGate(c.text)
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		v := eval(g.lhs, get, math.NaN())
		l := eval(g.rhs, get, c.baseLHS)
		if v != c.value || l != c.lim || compare(g.op, v, l) != c.tripped || g.UsesBaseline() != c.usesBase || len(g.Metrics()) != c.wantMetrics {
			t.Errorf("%q: value %v limit %v tripped %v base %v metrics %d; want %v %v %v %v %d", c.text, v, l,
				compare(g.op, v, l), g.UsesBaseline(), len(g.Metrics()), c.value, c.lim, c.tripped, c.usesBase, c.wantMetrics)
		}
	}
	for _, bad := range []string{
		"", "retransmissions", "retransmissions >", "> 1", "retransmision > 1", "baseline > retransmissions",
		"gaps(host > 1", "gaps(host 1.2.3.4 and) > 1s", "flows > 1 2", "flows > 3furlongs", "flows > (1", "flows >> 1",
	} {
		if _, err := ParseGate(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzParseGate: any text either parses into a gate whose metrics and evaluation do not
// panic, or fails with an error; a parsed gate's metric filters are valid filters.
func FuzzParseGate(f *testing.F) {
	for _, s := range []string{
		"retransmissions/tcp_packets > 1%", "gaps(host 10.0.0.5 and port 443) > 30s",
		"retransmissions > baseline * 1.5", "-(retransmissions - 40) < 2 * (3 + 2)",
		"bytes(tcp) > 1.5MB", "retransmissions <= 100ms", "flows == 0", "((", "gaps(", "1 >",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGate(s)
		if err != nil {
			if g != nil {
				t.Fatalf("%q: a gate and an error", s)
			}
			return
		}
		for _, m := range g.Metrics() {
			_ = m.Key()
		}
		_ = g.UsesBaseline()
		one := func(metricNode) float64 { return 1 }
		_, _ = eval(g.lhs, one, 2), eval(g.rhs, one, 2)
	})
}
