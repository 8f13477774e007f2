// Package check judges captures against gates: expressions over per-capture metrics
// (retransmission rate, resets, unanswered SYNs, slow handshakes, the longest silence of a
// host, drops, ...), for CI jobs that batch-process capture archives. Each capture is
// opened through package query (its own index, built when missing) and its metrics are
// computed from query's typed rows; a capture trips when any gate holds. Results print
// as a table, JSON (which a later run reads back as its baseline) or JUnit XML.
package check

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pcapdex/pcapdex/query"
)

// Options configure Run.
type Options struct {
	Gates []*Gate
	// SlowHandshake is the SYN to SYN-ACK time above which slow_handshakes counts a flow.
	SlowHandshake time.Duration
	// Baseline, if not nil, gives the metrics that "baseline" compares against.
	Baseline *Report
	Jobs     int // captures judged at once (0 or 1: one at a time)
	Open     query.OpenOptions
}

// Status of one capture.
const (
	StatusPass  = "pass"  // no gate tripped
	StatusFail  = "fail"  // a gate tripped
	StatusError = "error" // the capture could not be read: no gate was judged
)

// GateResult is one gate on one capture.
type GateResult struct {
	Gate    string  `json:"gate"`
	Value   float64 `json:"value"` // the left side
	Limit   float64 `json:"limit"` // the right side
	Tripped bool    `json:"tripped"`
	// Skipped says why the gate was not judged (no baseline for this capture).
	Skipped string `json:"skipped,omitempty"`
}

// Capture is the result of one capture.
type Capture struct {
	File     string             `json:"file"`
	Status   string             `json:"status"`
	Error    string             `json:"error,omitempty"`
	Partial  bool               `json:"partial,omitempty"` // read only in part (a truncated tail)
	Warnings []string           `json:"warnings,omitempty"`
	Metrics  map[string]float64 `json:"metrics"` // every metric the gates read, by key
	Gates    []GateResult       `json:"gates"`
}

// Report is the result of a run: what --format json prints and --baseline reads.
type Report struct {
	Captures []Capture `json:"captures"`
	Tripped  int       `json:"tripped"` // captures with a tripped gate
	Errors   int       `json:"errors"`  // captures that could not be read
	Partial  int       `json:"partial"` // captures read only in part
}

// ReadBaseline reads a report written by --format json.
func ReadBaseline(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	return &r, nil
}

// baselineOf returns the baseline's metrics of the capture named like path (by base
// name), or nil.
func (r *Report) baselineOf(path string) map[string]float64 {
	if r == nil {
		return nil
	}
	for _, c := range r.Captures {
		if filepath.Base(c.File) == filepath.Base(path) && c.Status != StatusError {
			return c.Metrics
		}
	}
	return nil
}

// Run judges every capture (in parallel with opt.Jobs), results in the order given.
func Run(captures []string, opt Options) *Report {
	rep := &Report{Captures: make([]Capture, len(captures))}
	jobs := max(opt.Jobs, 1)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(captures)) {
		wg.Go(func() {
			for i := range next {
				rep.Captures[i] = judge(captures[i], opt)
			}
		})
	}
	for i := range captures {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, c := range rep.Captures {
		switch c.Status {
		case StatusFail:
			rep.Tripped++
		case StatusError:
			rep.Errors++
		}
		if c.Partial {
			rep.Partial++
		}
	}
	return rep
}

// judge opens one capture and evaluates every gate on it.
func judge(path string, opt Options) Capture {
	c := Capture{File: path, Status: StatusPass, Metrics: map[string]float64{}, Gates: []GateResult{}}
	in, err := query.Open([]string{path}, opt.Open)
	if err != nil {
		c.Status, c.Error = StatusError, err.Error()
		return c
	}
	defer in.Close()
	c.Partial, c.Warnings = in.Partial, in.Warnings
	ms := newMetrics(in, opt.SlowHandshake)
	var evalErr error
	get := func(m metricNode) float64 {
		v, err := ms.get(m)
		if err != nil && evalErr == nil {
			evalErr = err
		}
		c.Metrics[m.Key()] = v
		return v
	}
	base := opt.Baseline.baselineOf(path)
	for _, g := range opt.Gates {
		r := GateResult{Gate: g.Text}
		r.Value = eval(g.lhs, get, math.NaN())
		b := math.NaN()
		if g.UsesBaseline() {
			if base == nil {
				r.Skipped = "no baseline for this capture"
			} else {
				b = eval(g.lhs, func(m metricNode) float64 {
					v, ok := base[m.Key()]
					if !ok && r.Skipped == "" {
						r.Skipped = "the baseline lacks " + m.Key()
					}
					return v
				}, math.NaN())
			}
		}
		r.Limit = eval(g.rhs, get, b)
		if evalErr != nil {
			c.Status, c.Error = StatusError, evalErr.Error()
			return c
		}
		if r.Skipped == "" && compare(g.op, r.Value, r.Limit) {
			r.Tripped = true
			c.Status = StatusFail
		}
		if math.IsNaN(r.Limit) {
			r.Limit = 0
		}
		c.Gates = append(c.Gates, r)
	}
	return c
}
