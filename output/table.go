package output

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/pcapdex/pcapdex/internal/textenc"
)

// flushAt is the buffered size at which streaming formats write to the io.Writer.
const flushAt = 64 << 10

// Table writes rows of typed cells in one of the output formats. A command declares its
// columns once (NewTable), then for each row calls one setter per column in order (Str,
// Int, Uint, Float, Duration, Time, Addr, Size or Null) and EndRow, and finally Close.
// Errors (a write error, a setter of the wrong kind, a short row) are sticky: the first one
// is returned by EndRow and Close, and later calls do nothing. csv, jsonl and json stream
// through a reused buffer and allocate nothing per row; the table format keeps the
// rendered cells until Close to align the columns.
type Table struct {
	w    io.Writer
	opt  Options
	cols []Col
	keys [][]byte // JSON: `"name":` per column
	buf  []byte
	col  int // index of the next cell in the current row
	rows int
	err  error

	// FormatTable: rendered cells of all rows, where each ends in cells, and each column's
	// width so far (in runes, the header's included).
	cells []byte
	ends  []int
	width []int
}

// NewTable returns a Table writing to w.
func NewTable(w io.Writer, opt Options, cols ...Col) *Table {
	t := &Table{w: w, opt: opt, cols: cols, buf: make([]byte, 0, flushAt+4096)}
	switch opt.Format {
	case FormatCSV:
		for i, c := range cols {
			if i > 0 {
				t.buf = append(t.buf, ',')
			}
			t.buf = textenc.AppendCSVField(t.buf, c.Name)
		}
		t.buf = append(t.buf, '\n')
	case FormatJSON, FormatJSONL:
		t.keys = make([][]byte, len(cols))
		for i, c := range cols {
			t.keys[i] = append(textenc.AppendJSONString(nil, c.Name), ':')
		}
		if opt.Format == FormatJSON {
			t.buf = append(t.buf, '[', '\n')
		}
	case FormatTable:
		t.width = make([]int, len(cols))
		for i, c := range cols {
			t.width[i] = utf8.RuneCountInString(c.Name)
		}
	default:
		t.err = fmt.Errorf("output: unknown format %d", opt.Format)
	}
	return t
}

// Cols returns the declared columns.
func (t *Table) Cols() []Col { return t.cols }

// begin checks the next cell's kind and writes what precedes its value.
func (t *Table) begin(k Kind, null bool) bool {
	if t.err != nil {
		return false
	}
	if t.col >= len(t.cols) {
		t.err = fmt.Errorf("output: row %d has more than %d cells", t.rows, len(t.cols))
		return false
	}
	if c := t.cols[t.col]; c.Kind != k && !null {
		t.err = fmt.Errorf("output: column %q is %v, set as %v", c.Name, c.Kind, k)
		return false
	}
	switch t.opt.Format {
	case FormatCSV:
		if t.col > 0 {
			t.buf = append(t.buf, ',')
		}
	case FormatJSON, FormatJSONL:
		if t.col == 0 {
			if t.opt.Format == FormatJSON && t.rows > 0 {
				t.buf = append(t.buf, ',', '\n')
			}
			t.buf = append(t.buf, '{')
		} else {
			t.buf = append(t.buf, ',')
		}
		t.buf = append(t.buf, t.keys[t.col]...)
	}
	return true
}

// end finishes a cell.
func (t *Table) end() {
	if t.opt.Format == FormatTable {
		start := 0
		if len(t.ends) > 0 {
			start = t.ends[len(t.ends)-1]
		}
		t.width[t.col] = max(t.width[t.col], textWidth(t.cells[start:]))
		if len(t.ends) == cap(t.ends) {
			t.ends = slices.Grow(t.ends, max(len(t.ends), 1024))
		}
		t.ends = append(t.ends, len(t.cells))
		// The next cell: room for most cells, growing by doubling (append grows large
		// slices by a quarter, copying and touching fresh memory many times over).
		if cap(t.cells)-len(t.cells) < 256 {
			t.cells = slices.Grow(t.cells, max(len(t.cells), 64<<10))
		}
	}
	t.col++
}

// textWidth is the number of runes in b (its length when it is ASCII).
func textWidth(b []byte) int {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return utf8.RuneCount(b)
		}
	}
	return len(b)
}

func (t *Table) human() bool { return t.opt.Format == FormatTable }
func (t *Table) json() bool  { return t.opt.Format == FormatJSON || t.opt.Format == FormatJSONL }

// Str sets a string cell.
func (t *Table) Str(s string) {
	if !t.begin(KindString, false) {
		return
	}
	switch t.opt.Format {
	case FormatTable:
		t.cells = appendTableString(t.cells, s)
	case FormatCSV:
		t.buf = textenc.AppendCSVField(t.buf, s)
	default:
		t.buf = textenc.AppendJSONString(t.buf, s)
	}
	t.end()
}

// StrBytes sets a string cell from bytes (for example a name read from a packet), without
// converting them to a string.
func (t *Table) StrBytes(b []byte) {
	if !t.begin(KindString, false) {
		return
	}
	switch t.opt.Format {
	case FormatTable:
		t.cells = appendTableString(t.cells, b)
	case FormatCSV:
		t.buf = textenc.AppendCSVField(t.buf, b)
	default:
		t.buf = textenc.AppendJSONString(t.buf, b)
	}
	t.end()
}

// Int sets an integer cell.
func (t *Table) Int(v int64) {
	if !t.begin(KindInt, false) {
		return
	}
	if t.human() {
		t.cells = strconv.AppendInt(t.cells, v, 10)
	} else {
		t.buf = strconv.AppendInt(t.buf, v, 10)
	}
	t.end()
}

// Uint sets an unsigned integer cell.
func (t *Table) Uint(v uint64) {
	if !t.begin(KindUint, false) {
		return
	}
	if t.human() {
		t.cells = strconv.AppendUint(t.cells, v, 10)
	} else {
		t.buf = strconv.AppendUint(t.buf, v, 10)
	}
	t.end()
}

// Float sets a floating-point cell.
func (t *Table) Float(v float64) {
	if !t.begin(KindFloat, false) {
		return
	}
	switch {
	case t.human():
		t.cells = strconv.AppendFloat(t.cells, v, 'f', 2, 64)
	case t.json() && (v != v || v > maxFloat || v < -maxFloat):
		t.buf = append(t.buf, "null"...)
	default:
		t.buf = strconv.AppendFloat(t.buf, v, 'g', -1, 64)
	}
	t.end()
}

const maxFloat = 1.7976931348623157e308

// Duration sets a duration cell (nanoseconds).
func (t *Table) Duration(ns int64) {
	if !t.begin(KindDuration, false) {
		return
	}
	if t.human() {
		t.cells = AppendHumanDuration(t.cells, ns)
	} else {
		t.buf = strconv.AppendInt(t.buf, ns, 10)
	}
	t.end()
}

// Size sets a byte-count cell.
func (t *Table) Size(n uint64) {
	if !t.begin(KindBytes, false) {
		return
	}
	if t.human() {
		t.cells = AppendHumanSize(t.cells, n)
	} else {
		t.buf = strconv.AppendUint(t.buf, n, 10)
	}
	t.end()
}

// Addr sets an address cell; the zero Addr prints as null.
func (t *Table) Addr(a netip.Addr) {
	if !a.IsValid() {
		t.null(KindAddr)
		return
	}
	if !t.begin(KindAddr, false) {
		return
	}
	switch t.opt.Format {
	case FormatTable:
		t.cells = a.AppendTo(t.cells)
	case FormatCSV:
		t.buf = a.AppendTo(t.buf)
	default:
		t.buf = append(a.AppendTo(append(t.buf, '"')), '"')
	}
	t.end()
}

// Time sets a timestamp cell (Unix nanoseconds), printed per Options.Time.
func (t *Table) Time(ns int64) {
	if !t.begin(KindTime, false) {
		return
	}
	if t.human() {
		t.cells = t.appendTime(t.cells, ns, 6)
	} else if t.opt.Time == TimeRFC3339 && t.json() {
		t.buf = append(t.appendTime(append(t.buf, '"'), ns, 9), '"')
	} else {
		t.buf = t.appendTime(t.buf, ns, 9)
	}
	t.end()
}

func (t *Table) appendTime(dst []byte, ns int64, digits int) []byte {
	switch t.opt.Time {
	case TimeEpoch:
		return textenc.AppendSeconds(dst, ns, digits)
	case TimeRelative:
		return textenc.AppendSeconds(dst, ns-t.opt.Start, digits)
	}
	return AppendRFC3339(dst, ns, digits)
}

// Null sets an empty cell of any kind: "-" in the table, an empty field in csv, null in JSON.
func (t *Table) Null() {
	if t.err == nil && t.col < len(t.cols) {
		t.null(t.cols[t.col].Kind)
		return
	}
	t.begin(KindString, true) // records the error
}

func (t *Table) null(k Kind) {
	if !t.begin(k, true) {
		return
	}
	switch t.opt.Format {
	case FormatTable:
		t.cells = append(t.cells, '-')
	case FormatJSON, FormatJSONL:
		t.buf = append(t.buf, "null"...)
	}
	t.end()
}

// EndRow finishes the current row; it is an error to leave cells unset.
func (t *Table) EndRow() error {
	if t.err != nil {
		return t.err
	}
	if t.col != len(t.cols) {
		t.err = fmt.Errorf("output: row %d has %d cells, want %d", t.rows, t.col, len(t.cols))
		return t.err
	}
	switch t.opt.Format {
	case FormatCSV:
		t.buf = append(t.buf, '\n')
	case FormatJSONL:
		t.buf = append(t.buf, '}', '\n')
	case FormatJSON:
		t.buf = append(t.buf, '}')
	}
	t.col = 0
	t.rows++
	if len(t.buf) >= flushAt {
		t.flush()
	}
	return t.err
}

// Rows returns the number of rows ended so far.
func (t *Table) Rows() int { return t.rows }

func (t *Table) flush() {
	if t.err != nil || len(t.buf) == 0 {
		return
	}
	if _, err := t.w.Write(t.buf); err != nil {
		t.err = fmt.Errorf("write output: %w", err)
	}
	t.buf = t.buf[:0]
}

// errPartialRow is returned by Close when a row was begun but not ended.
var errPartialRow = errors.New("output: Close with a row not ended")

// Close writes what is left (all of it for the table format) and returns the first error.
// It does not close the underlying writer.
func (t *Table) Close() error {
	if t.err == nil && t.col != 0 {
		t.err = errPartialRow
	}
	if t.err != nil {
		return t.err
	}
	switch t.opt.Format {
	case FormatJSON:
		if t.rows > 0 {
			t.buf = append(t.buf, '\n')
		}
		t.buf = append(t.buf, ']', '\n')
	case FormatTable:
		t.renderTable()
	}
	t.flush()
	err := t.err
	if err == nil {
		t.err = errors.New("output: Table used after Close")
	}
	return err
}
