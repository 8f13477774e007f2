package main

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"sync"

	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/output"
	"github.com/spf13/pflag"
)

// --per-file runs a query command once per capture (each with its own index), --jobs at
// once, and prints one table with a first column "file": the batch form of a command over
// an archive of unrelated captures, where a set would merge them into one capture.

// runPerFile runs write on each capture of fs's inputs and prints the rows of all in input
// order. A capture that cannot be read is reported and left out (exit 4).
func runPerFile(fs *pflag.FlagSet, q *queryFlags, stderr io.Writer, write func(*queryCtx) error) int {
	name := fs.Name()
	inputs, words, err := splitInputs(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex %s: %v (see 'pcapdex %s --help')\n", name, err, name)
		return exitUsage
	}
	captures, skipped, err := index.ExpandCapturesSkipped(inputs)
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex %s: %v\n", name, err)
		return exitInput
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "pcapdex %s: warning: %s\n", name, s)
	}
	format, err := output.ParseFormat(q.format)
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex %s: --format: %v\n", name, err)
		return exitUsage
	}
	type result struct {
		out    io.Writer // the command's stdout, as its Write function passes it
		rec    *recorder
		stderr bytes.Buffer
		code   int
		start  int64
	}
	results := make([]result, len(captures))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(q.jobs, 1), len(captures)) {
		wg.Go(func() {
			for i := range next {
				r := &results[i]
				ctx, code := openQuery(name, q, append([]string{captures[i]}, words...), &r.stderr)
				if ctx == nil {
					r.code = code
					continue
				}
				r.start = ctx.out.Start
				ctx.out.NewRowWriter = func(w io.Writer, cols []output.Col) output.RowWriter {
					r.out, r.rec = w, &recorder{cols: cols}
					return r.rec
				}
				r.code = ctx.finish(write(ctx), &r.stderr)
				ctx.close()
			}
		})
	}
	for i := range captures {
		next <- i
	}
	close(next)
	wg.Wait()

	// One table for all: the columns of the first capture that wrote rows, "file" first;
	// relative times count from the earliest capture's start.
	opt := output.Options{Format: format}
	opt.Time, _ = output.ParseTimeFormat(q.timeFmt)
	var cols []output.Col
	var stdout io.Writer
	first := true
	for _, r := range results {
		if r.rec != nil && (first || r.start < opt.Start) {
			opt.Start, first = r.start, false
		}
		if r.rec != nil && cols == nil {
			cols = append([]output.Col{{Name: "file", Kind: output.KindString}}, r.rec.cols...)
			stdout = r.out
		}
	}
	code := exitOK
	for _, r := range results {
		stderr.Write(r.stderr.Bytes())
		if r.code != exitOK {
			code = max(code, exitPartial)
		}
	}
	if cols == nil {
		if code == exitOK && len(captures) > 0 {
			code = exitInput
		}
		return code
	}
	t := output.NewTable(stdout, opt, cols...)
	for i, r := range results {
		if r.rec == nil || len(r.rec.cols) != len(cols)-1 {
			continue
		}
		if err := r.rec.replay(t, captures[i]); err != nil {
			fmt.Fprintf(stderr, "pcapdex %s: %v\n", name, err)
			return exitInput
		}
	}
	if err := t.Close(); err != nil {
		fmt.Fprintf(stderr, "pcapdex %s: %v\n", name, err)
		return exitInput
	}
	return code
}

// recorder is a RowWriter that keeps the cells of every row, to write them later with a
// file column in front.
type recorder struct {
	cols  []output.Col
	cells []recCell
	arena []byte
	rows  int
}

type recCell struct {
	kind   output.Kind
	null   bool
	i      int64
	f      float64
	a      netip.Addr
	s0, s1 int
}

func (r *recorder) str(b []byte) {
	s0 := len(r.arena)
	r.arena = append(r.arena, b...)
	r.cells = append(r.cells, recCell{kind: output.KindString, s0: s0, s1: len(r.arena)})
}

func (r *recorder) Str(s string)      { r.str([]byte(s)) }
func (r *recorder) StrBytes(b []byte) { r.str(b) }
func (r *recorder) Int(v int64)       { r.cells = append(r.cells, recCell{kind: output.KindInt, i: v}) }
func (r *recorder) Uint(v uint64) {
	r.cells = append(r.cells, recCell{kind: output.KindUint, i: int64(v)})
}
func (r *recorder) Float(v float64) { r.cells = append(r.cells, recCell{kind: output.KindFloat, f: v}) }
func (r *recorder) Duration(ns int64) {
	r.cells = append(r.cells, recCell{kind: output.KindDuration, i: ns})
}
func (r *recorder) Size(n uint64) {
	r.cells = append(r.cells, recCell{kind: output.KindBytes, i: int64(n)})
}
func (r *recorder) Addr(a netip.Addr) {
	r.cells = append(r.cells, recCell{kind: output.KindAddr, a: a})
}
func (r *recorder) Time(ns int64) { r.cells = append(r.cells, recCell{kind: output.KindTime, i: ns}) }
func (r *recorder) Null()         { r.cells = append(r.cells, recCell{null: true}) }
func (r *recorder) EndRow() error { r.rows++; return nil }
func (r *recorder) Close() error  { return nil }

// replay writes the recorded rows to t, file first in each.
func (r *recorder) replay(t *output.Table, file string) error {
	n := len(r.cols)
	for row := range r.rows {
		t.Str(file)
		for _, c := range r.cells[row*n : (row+1)*n] {
			if c.null {
				t.Null()
				continue
			}
			switch c.kind {
			case output.KindString:
				t.StrBytes(r.arena[c.s0:c.s1])
			case output.KindInt:
				t.Int(c.i)
			case output.KindUint:
				t.Uint(uint64(c.i))
			case output.KindFloat:
				t.Float(c.f)
			case output.KindDuration:
				t.Duration(c.i)
			case output.KindBytes:
				t.Size(uint64(c.i))
			case output.KindAddr:
				t.Addr(c.a)
			case output.KindTime:
				t.Time(c.i)
			}
		}
		if err := t.EndRow(); err != nil {
			return err
		}
	}
	return nil
}
