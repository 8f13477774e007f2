package export

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/pcapdex/pcapdex/output"
)

// cell is one buffered value of a row: an integer (signed, unsigned as its bits, or
// nanoseconds), a float, or a string held in the row's arena at [s0, s1).
type cell struct {
	null   bool
	i      int64
	f      float64
	s0, s1 int
}

// sink receives complete rows of the expanded columns of one partition file.
type sink interface {
	writeRow(cells []cell, arena []byte) error
	// finish completes the temporary file; commit renames it to its final name; abort
	// removes it.
	finish() error
	commit() (string, error)
	abort()
}

// expandCols returns the exported columns for the command's cols: "capture" first, each
// time column followed by NAME_ns, addresses as strings.
func expandCols(cols []output.Col) []output.Col {
	out := []output.Col{{Name: "capture", Kind: output.KindString}}
	for _, c := range cols {
		if c.Kind == output.KindAddr {
			c.Kind = output.KindString
		}
		out = append(out, c)
		if c.Kind == output.KindTime {
			out = append(out, output.Col{Name: c.Name + "_ns", Kind: output.KindInt})
		}
	}
	return out
}

// partitioner is the output.RowWriter an export hands to output's Write functions: it
// buffers each row's cells, then sends the row to the file of its hour (the UTC hour of
// the first time column).
type partitioner struct {
	cols    []output.Col // the command's
	ex      []output.Col // expanded
	capture string
	anon    func(netip.Addr) netip.Addr
	newSink func(date string, hour int, cols []output.Col) (sink, error)

	row   []cell // expanded cells of the current row
	arena []byte
	col   int // next command column
	tsCol int // expanded index of the partitioning time column (-1: none)
	sinks map[int64]sink
	order []int64 // hours in first-seen order
	rows  int64
	err   error
}

func newPartitioner(cols []output.Col, capture string, anon func(netip.Addr) netip.Addr,
	newSink func(date string, hour int, cols []output.Col) (sink, error)) *partitioner {
	p := &partitioner{cols: cols, ex: expandCols(cols), capture: capture, anon: anon, newSink: newSink,
		sinks: map[int64]sink{}, tsCol: -1}
	for i, c := range p.ex {
		if c.Kind == output.KindTime {
			p.tsCol = i
			break
		}
	}
	p.startRow()
	return p
}

func (p *partitioner) startRow() {
	p.row, p.arena, p.col = p.row[:0], p.arena[:0], 0
	p.row = append(p.row, p.strCell([]byte(p.capture)))
}

func (p *partitioner) strCell(b []byte) cell {
	s0 := len(p.arena)
	p.arena = append(p.arena, b...)
	return cell{s0: s0, s1: len(p.arena)}
}

// next checks the next cell's kind; it reports false (and records an error) on a mismatch.
func (p *partitioner) next(k output.Kind, null bool) bool {
	if p.err != nil {
		return false
	}
	if p.col >= len(p.cols) {
		p.err = fmt.Errorf("export: row %d has more than %d cells", p.rows, len(p.cols))
		return false
	}
	if c := p.cols[p.col]; c.Kind != k && !null {
		p.err = fmt.Errorf("export: column %q is %v, set as %v", c.Name, c.Kind, k)
		return false
	}
	p.col++
	return true
}

// hidden reports whether the cell just declared is the Community ID of an anonymized
// export: a hash of the real addresses, which would undo the anonymization.
func (p *partitioner) hidden() bool {
	if p.anon != nil && p.cols[p.col-1].Name == "community_id" {
		p.row = append(p.row, cell{null: true})
		return true
	}
	return false
}

func (p *partitioner) Str(s string) {
	if p.next(output.KindString, false) && !p.hidden() {
		s0 := len(p.arena)
		p.arena = append(p.arena, s...)
		p.row = append(p.row, cell{s0: s0, s1: len(p.arena)})
	}
}

func (p *partitioner) StrBytes(b []byte) {
	if p.next(output.KindString, false) && !p.hidden() {
		p.row = append(p.row, p.strCell(b))
	}
}

func (p *partitioner) Int(v int64) {
	if p.next(output.KindInt, false) {
		p.row = append(p.row, cell{i: v})
	}
}

func (p *partitioner) Uint(v uint64) {
	if p.next(output.KindUint, false) {
		p.row = append(p.row, cell{i: int64(v)})
	}
}

func (p *partitioner) Float(v float64) {
	if p.next(output.KindFloat, false) {
		p.row = append(p.row, cell{f: v})
	}
}

func (p *partitioner) Duration(ns int64) {
	if p.next(output.KindDuration, false) {
		p.row = append(p.row, cell{i: ns})
	}
}

func (p *partitioner) Size(n uint64) {
	if p.next(output.KindBytes, false) {
		p.row = append(p.row, cell{i: int64(n)})
	}
}

func (p *partitioner) Addr(a netip.Addr) {
	if !p.next(output.KindAddr, !a.IsValid()) {
		return
	}
	if !a.IsValid() {
		p.row = append(p.row, cell{null: true})
		return
	}
	if p.anon != nil {
		a = p.anon(a)
	}
	s0 := len(p.arena)
	p.arena = a.AppendTo(p.arena)
	p.row = append(p.row, cell{s0: s0, s1: len(p.arena)})
}

func (p *partitioner) Time(ns int64) {
	if p.next(output.KindTime, false) {
		p.row = append(p.row, cell{i: ns}, cell{i: ns})
	}
}

func (p *partitioner) Null() {
	if !p.next(0, true) {
		return
	}
	p.row = append(p.row, cell{null: true})
	if p.cols[p.col-1].Kind == output.KindTime {
		p.row = append(p.row, cell{null: true})
	}
}

// hourOf returns the Unix hour of ns (floor).
func hourOf(ns int64) int64 {
	h := ns / int64(time.Hour)
	if ns%int64(time.Hour) < 0 {
		h--
	}
	return h
}

func (p *partitioner) EndRow() error {
	if p.err != nil {
		return p.err
	}
	if p.col != len(p.cols) {
		p.err = fmt.Errorf("export: row %d has %d cells, want %d", p.rows, p.col, len(p.cols))
		return p.err
	}
	var h int64
	if p.tsCol >= 0 && !p.row[p.tsCol].null {
		h = hourOf(p.row[p.tsCol].i)
	}
	s, ok := p.sinks[h]
	if !ok {
		t := time.Unix(h*3600, 0).UTC()
		if s, p.err = p.newSink(t.Format("2006-01-02"), t.Hour(), p.ex); p.err != nil {
			return p.err
		}
		p.sinks[h] = s
		p.order = append(p.order, h)
	}
	if p.err = s.writeRow(p.row, p.arena); p.err != nil {
		return p.err
	}
	p.rows++
	p.startRow()
	return nil
}

// Close finishes every partition's temporary file (none is renamed yet: see commit).
func (p *partitioner) Close() error {
	if p.err != nil {
		return p.err
	}
	slices.Sort(p.order)
	for _, h := range p.order {
		if err := p.sinks[h].finish(); err != nil {
			p.err = err
			return err
		}
	}
	return nil
}

// commit renames the finished files to their final names, in hour order, and returns them.
func (p *partitioner) commit() ([]string, error) {
	var files []string
	for _, h := range p.order {
		f, err := p.sinks[h].commit()
		if err != nil {
			return files, err
		}
		files = append(files, f)
	}
	return files, nil
}

// abort removes every temporary file.
func (p *partitioner) abort() {
	for _, s := range p.sinks {
		s.abort()
	}
}
