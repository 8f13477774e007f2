package output

import (
	"io"
	"net/netip"
)

// RowWriter receives rows of typed cells: for each row one setter per declared column, in
// order, then EndRow; Close after the last row. Errors are sticky: the first one is
// returned by EndRow and Close. Table is the RowWriter of the text formats (table, csv,
// jsonl, json); a writer of another kind (an HTML report, Parquet) implements the same
// methods and is chosen through Options.NewRowWriter, so that every command's Write
// function serves it unchanged.
type RowWriter interface {
	Str(s string)
	StrBytes(b []byte) // a string cell from bytes; b is not retained
	Int(v int64)
	Uint(v uint64)
	Float(v float64)
	Duration(ns int64)
	Size(n uint64)     // a byte count
	Addr(a netip.Addr) // the zero Addr is a null cell
	Time(ns int64)     // Unix nanoseconds
	Null()             // an empty cell of any kind
	EndRow() error
	Close() error
}

var _ RowWriter = (*Table)(nil)

// NewWriter returns the RowWriter for opt writing to w with the given columns: from
// opt.NewRowWriter when set, else a Table of opt.Format.
func NewWriter(w io.Writer, opt Options, cols ...Col) RowWriter {
	if opt.NewRowWriter != nil {
		return opt.NewRowWriter(w, cols)
	}
	return NewTable(w, opt, cols...)
}
