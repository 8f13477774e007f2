package check

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapdex/pcapdex/filter"
)

// A Gate is one --fail-on expression: two sides compared, e.g.
//
//	retransmissions/tcp_packets > 1%
//	gaps(host 10.0.0.5 and port 443) > 30s
//	retransmissions > baseline * 1.5
//
// A side is arithmetic (+ - * / and parentheses) over numbers and metric names. A number
// may carry a unit: % (divided by 100), a duration (ns us ms s m h: nanoseconds, as
// duration metrics are) or a size (B KB MB GB KiB MiB GiB: bytes). A metric name may take a
// filter in parentheses: then it counts over the flows (and their packets) the filter
// selects. baseline, on the right side, is the left side evaluated on the baseline's
// metrics for the same capture. A division by zero gives 0 (no TCP packets: no
// retransmission rate to complain about).
type Gate struct {
	Text     string
	lhs, rhs node
	op       string
}

// node is one expression tree node.
type node interface{}

type (
	numNode    float64
	metricNode struct{ name, filter string }
	baseNode   struct{}
	binNode    struct {
		op   byte
		a, b node
	}
	negNode struct{ a node }
)

// Key returns the name a metric is reported under: "retransmissions", or with a filter
// "gaps(host 10.0.0.5 and port 443)".
func (m metricNode) Key() string {
	if m.filter == "" {
		return m.name
	}
	return m.name + "(" + m.filter + ")"
}

var compareOps = []string{">=", "<=", "==", "!=", ">", "<"}

// ParseGate parses a --fail-on expression.
func ParseGate(text string) (*Gate, error) {
	p := &parser{s: text}
	g := &Gate{Text: strings.TrimSpace(text)}
	var err error
	if g.lhs, err = p.sum(false); err != nil {
		return nil, p.errorf("%v", err)
	}
	p.space()
	for _, op := range compareOps {
		if strings.HasPrefix(p.s[p.i:], op) {
			g.op = op
			p.i += len(op)
			break
		}
	}
	if g.op == "" {
		return nil, p.errorf("want a comparison (> >= < <= == !=)")
	}
	if g.rhs, err = p.sum(true); err != nil {
		return nil, p.errorf("%v", err)
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.errorf("unexpected %q", p.s[p.i:])
	}
	return g, nil
}

// Metrics returns the metrics the gate reads, by key, in order of appearance.
func (g *Gate) Metrics() []metricNode {
	var out []metricNode
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case metricNode:
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		case binNode:
			walk(n.a)
			walk(n.b)
		case negNode:
			walk(n.a)
		}
	}
	walk(g.lhs)
	walk(g.rhs)
	return out
}

// UsesBaseline reports whether the gate compares against a baseline.
func (g *Gate) UsesBaseline() bool {
	found := false
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case baseNode:
			found = true
		case binNode:
			walk(n.a)
			walk(n.b)
		case negNode:
			walk(n.a)
		}
	}
	walk(g.rhs)
	return found
}

type parser struct {
	s string
	i int
}

func (p *parser) errorf(format string, a ...any) error {
	return fmt.Errorf("--fail-on %q: at offset %d: %s", p.s, p.i, fmt.Sprintf(format, a...))
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) sum(rhs bool) (node, error) {
	a, err := p.prod(rhs)
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '+' && p.s[p.i] != '-') {
			return a, nil
		}
		op := p.s[p.i]
		p.i++
		b, err := p.prod(rhs)
		if err != nil {
			return nil, err
		}
		a = binNode{op, a, b}
	}
}

func (p *parser) prod(rhs bool) (node, error) {
	a, err := p.unary(rhs)
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '*' && p.s[p.i] != '/') {
			return a, nil
		}
		op := p.s[p.i]
		p.i++
		b, err := p.unary(rhs)
		if err != nil {
			return nil, err
		}
		a = binNode{op, a, b}
	}
}

func (p *parser) unary(rhs bool) (node, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
		a, err := p.unary(rhs)
		return negNode{a}, err
	}
	return p.primary(rhs)
}

func isIdent(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

func (p *parser) primary(rhs bool) (node, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("want a number or a metric")
	}
	c := p.s[p.i]
	switch {
	case c == '(':
		p.i++
		a, err := p.sum(rhs)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, fmt.Errorf("want )")
		}
		p.i++
		return a, nil
	case c >= '0' && c <= '9' || c == '.':
		j := p.i
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.') {
			j++
		}
		k := j
		for k < len(p.s) && (isIdent(p.s[k], true) || p.s[k] == '%') {
			k++
		}
		num, unit := p.s[p.i:j], p.s[j:k]
		p.i = k
		return parseNumber(num, unit)
	case isIdent(c, true):
		j := p.i
		for j < len(p.s) && isIdent(p.s[j], j == p.i) {
			j++
		}
		name := p.s[p.i:j]
		p.i = j
		if name == "baseline" {
			if !rhs {
				return nil, fmt.Errorf("baseline belongs on the right side")
			}
			return baseNode{}, nil
		}
		if !slices.Contains(MetricNames(), name) {
			return nil, fmt.Errorf("unknown metric %q (metrics: %s)", name, strings.Join(MetricNames(), ", "))
		}
		m := metricNode{name: name}
		if p.i < len(p.s) && p.s[p.i] == '(' {
			depth, start := 0, p.i+1
			for ; p.i < len(p.s); p.i++ {
				if p.s[p.i] == '(' {
					depth++
				} else if p.s[p.i] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			if depth != 0 {
				return nil, fmt.Errorf("unclosed ( after %s", name)
			}
			m.filter = strings.Join(strings.Fields(p.s[start:p.i]), " ")
			p.i++
			if _, err := filter.Parse(m.filter); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("unexpected %q", p.s[p.i:])
}

func parseNumber(num, unit string) (node, error) {
	switch unit {
	case "":
		v, err := strconv.ParseFloat(num, 64)
		return numNode(v), err
	case "%":
		v, err := strconv.ParseFloat(num, 64)
		return numNode(v / 100), err
	}
	if v, err := filter.ParseDuration(num + unit); err == nil {
		return numNode(float64(v)), nil
	}
	v, err := filter.ParseSize(num + unit)
	if err != nil {
		return nil, fmt.Errorf("%s%s: not a number with a unit (%%, ns us ms s m h, B KB MB GB KiB MiB GiB)", num, unit)
	}
	return numNode(float64(v)), nil
}

// eval computes n with metric values from get; base is the baseline's value of the
// left side (NaN: none).
func eval(n node, get func(metricNode) float64, base float64) float64 {
	switch n := n.(type) {
	case numNode:
		return float64(n)
	case metricNode:
		return get(n)
	case baseNode:
		return base
	case negNode:
		return -eval(n.a, get, base)
	case binNode:
		a, b := eval(n.a, get, base), eval(n.b, get, base)
		switch n.op {
		case '+':
			return a + b
		case '-':
			return a - b
		case '*':
			return a * b
		case '/':
			if b == 0 {
				return 0
			}
			return a / b
		}
	}
	return math.NaN()
}

func compare(op string, a, b float64) bool {
	switch op {
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case "==":
		return a == b
	case "!=":
		return a != b
	}
	return false
}
