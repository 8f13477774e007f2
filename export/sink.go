package export

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/pcapdex/pcapdex/output"
)

// file is a partition file written under a hidden temporary name beside its final one.
type file struct {
	f          *os.File
	tmp, final string
}

func createFile(final string) (file, error) {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return file{}, fmt.Errorf("export: %w", err)
	}
	// A temporary name of its own: exports of the same capture running at once (xargs -P
	// given a file twice) each rename a whole file into place.
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".*.tmp")
	if err != nil {
		return file{}, fmt.Errorf("export: %w", err)
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes 0600; readers are often other users
		f.Close()
		os.Remove(f.Name())
		return file{}, fmt.Errorf("export: %w", err)
	}
	return file{f: f, tmp: f.Name(), final: final}, nil
}

// close syncs and closes the temporary file.
func (f *file) close() error {
	if f.f == nil {
		return nil
	}
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	f.f = nil
	if err != nil {
		return fmt.Errorf("export: %s: %w", f.tmp, err)
	}
	return nil
}

func (f *file) commit() (string, error) {
	if err := os.Rename(f.tmp, f.final); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	return f.final, nil
}

func (f *file) abort() {
	if f.f != nil {
		f.f.Close()
		f.f = nil
	}
	os.Remove(f.tmp)
}

// textSink writes csv or jsonl through output.Table, the same encoders as the commands'.
type textSink struct {
	file
	bw   *bufio.Writer
	t    *output.Table
	cols []output.Col
}

func newTextSink(final string, format output.Format, cols []output.Col) (*textSink, error) {
	f, err := createFile(final)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f.f, 256<<10)
	return &textSink{file: f, bw: bw, cols: cols,
		t: output.NewTable(bw, output.Options{Format: format, Time: output.TimeRFC3339}, cols...)}, nil
}

func (s *textSink) writeRow(cells []cell, arena []byte) error {
	for i, c := range cells {
		if c.null {
			s.t.Null()
			continue
		}
		switch s.cols[i].Kind {
		case output.KindString:
			s.t.StrBytes(arena[c.s0:c.s1])
		case output.KindInt:
			s.t.Int(c.i)
		case output.KindUint:
			s.t.Uint(uint64(c.i))
		case output.KindFloat:
			s.t.Float(c.f)
		case output.KindDuration:
			s.t.Duration(c.i)
		case output.KindTime:
			s.t.Time(c.i)
		case output.KindBytes:
			s.t.Size(uint64(c.i))
		}
	}
	return s.t.EndRow()
}

func (s *textSink) finish() error {
	err := s.t.Close()
	if err == nil {
		err = s.bw.Flush()
	}
	if err != nil {
		s.abort()
		return fmt.Errorf("export: %s: %w", s.tmp, err)
	}
	return s.close()
}

// DefaultRowGroupBytes is the raw size of values at which a Parquet row group closes:
// about what Spark, Trino and DuckDB like to read as one unit.
const DefaultRowGroupBytes = 128 << 20

// Schema returns the Parquet schema of the exported columns cols (expanded: capture first,
// NAME_ns after each time), in that order.
func Schema(name string, cols []output.Col) *parquet.Schema {
	g := parquet.Group{}
	order := make([]string, len(cols))
	for i, c := range cols {
		var n parquet.Node
		switch c.Kind {
		case output.KindString, output.KindAddr:
			n = parquet.String()
		case output.KindInt, output.KindDuration:
			n = parquet.Int(64)
		case output.KindUint, output.KindBytes:
			n = parquet.Uint(64)
		case output.KindFloat:
			n = parquet.Leaf(parquet.DoubleType)
		case output.KindTime:
			n = parquet.Timestamp(parquet.Nanosecond)
		}
		g[c.Name] = parquet.Optional(n)
		order[i] = c.Name
	}
	return parquet.NewSchema(name, orderedGroup{Group: g, order: order})
}

// orderedGroup is a parquet.Group whose fields come in the commands' column order
// (parquet.Group alone sorts them by name).
type orderedGroup struct {
	parquet.Group
	order []string
}

func (g orderedGroup) Fields() []parquet.Field {
	byName := map[string]parquet.Field{}
	for _, f := range g.Group.Fields() {
		byName[f.Name()] = f
	}
	out := make([]parquet.Field, len(g.order))
	for i, n := range g.order {
		out[i] = byName[n]
	}
	return out
}

// parquetSink writes one Parquet file: zstd, page statistics, row groups of about
// rowGroupBytes raw bytes.
type parquetSink struct {
	file
	bw            *bufio.Writer
	w             *parquet.Writer
	cols          []output.Col
	row           parquet.Row
	rows          []parquet.Row // rows[0] is row
	buffered      int64
	rowGroupBytes int64
}

func newParquetSink(final, table string, cols []output.Col, rowGroupBytes int64) (*parquetSink, error) {
	f, err := createFile(final)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f.f, 1<<20)
	w := parquet.NewWriter(bw, Schema(table, cols), parquet.Compression(&zstd.Codec{}),
		parquet.CreatedBy("pcapdex", "1", "export"), parquet.DataPageStatistics(true))
	if rowGroupBytes <= 0 {
		rowGroupBytes = DefaultRowGroupBytes
	}
	s := &parquetSink{file: f, bw: bw, w: w, cols: cols, row: make(parquet.Row, len(cols)), rowGroupBytes: rowGroupBytes}
	s.rows = []parquet.Row{s.row}
	return s, nil
}

func (s *parquetSink) writeRow(cells []cell, arena []byte) error {
	for i, c := range cells {
		var v parquet.Value
		switch {
		case c.null:
			s.row[i] = parquet.NullValue().Level(0, 0, i)
			continue
		case s.cols[i].Kind == output.KindString:
			v = parquet.ByteArrayValue(arena[c.s0:c.s1])
			s.buffered += int64(c.s1 - c.s0)
		case s.cols[i].Kind == output.KindFloat:
			v = parquet.DoubleValue(c.f)
			s.buffered += 8
		default:
			v = parquet.Int64Value(c.i)
			s.buffered += 8
		}
		s.row[i] = v.Level(0, 1, i)
	}
	if _, err := s.w.WriteRows(s.rows); err != nil {
		return fmt.Errorf("export: %s: %w", s.tmp, err)
	}
	if s.buffered >= s.rowGroupBytes {
		s.buffered = 0
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("export: %s: %w", s.tmp, err)
		}
	}
	return nil
}

func (s *parquetSink) finish() error {
	err := s.w.Close()
	if err == nil {
		err = s.bw.Flush()
	}
	if err != nil {
		s.abort()
		return fmt.Errorf("export: %s: %w", s.tmp, err)
	}
	return s.close()
}
