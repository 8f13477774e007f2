package output

import (
	"fmt"
	"io"
)

// Format is an output format (--format).
type Format uint8

const (
	FormatTable Format = iota // aligned columns, human units; buffers all rows
	FormatCSV                 // RFC 4180, header line, raw numbers; streams
	FormatJSONL               // one JSON object per line, raw numbers; streams
	FormatJSON                // one JSON array of objects, raw numbers; streams
)

// ParseFormat parses a --format value: table, csv, jsonl or json.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "table":
		return FormatTable, nil
	case "csv":
		return FormatCSV, nil
	case "jsonl":
		return FormatJSONL, nil
	case "json":
		return FormatJSON, nil
	}
	return 0, fmt.Errorf("unknown format %q (want table, csv, jsonl or json)", s)
}

// TimeFormat says how timestamp columns print (--time).
type TimeFormat uint8

const (
	// TimeRFC3339 prints UTC RFC 3339: nanoseconds in machine formats (a JSON string),
	// microseconds in the table.
	TimeRFC3339 TimeFormat = iota
	// TimeEpoch prints Unix seconds with a fraction: 1709294400.123456789 (a JSON number).
	TimeEpoch
	// TimeRelative prints seconds since Options.Start, the capture start (a JSON number).
	TimeRelative
)

// ParseTimeFormat parses a --time value: rfc3339, epoch or relative.
func ParseTimeFormat(s string) (TimeFormat, error) {
	switch s {
	case "rfc3339":
		return TimeRFC3339, nil
	case "epoch":
		return TimeEpoch, nil
	case "relative":
		return TimeRelative, nil
	}
	return 0, fmt.Errorf("unknown time format %q (want rfc3339, epoch or relative)", s)
}

// Kind is the type of a column. In csv, jsonl and json, values print raw: integers as
// integers, durations as integer nanoseconds, sizes as integer bytes, addresses as text. In
// the table they print for people: "1.23 MB", "350 ms".
type Kind uint8

const (
	KindString   Kind = iota
	KindInt           // int64
	KindUint          // uint64
	KindFloat         // float64; NaN and infinities print as null in JSON
	KindDuration      // int64 nanoseconds
	KindTime          // int64 Unix nanoseconds, printed per TimeFormat
	KindAddr          // netip.Addr
	KindBytes         // uint64 byte count
)

var kindNames = [...]string{"string", "int", "uint", "float", "duration", "time", "addr", "bytes"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// Col declares one output column. Names are part of the command's interface: keep them
// stable, lower_snake_case.
type Col struct {
	Name string
	Kind Kind
}

// Options configure the writers.
type Options struct {
	Format Format
	Time   TimeFormat
	Start  int64 // Unix nanoseconds of the capture start, for TimeRelative
	// NewRowWriter, when set, makes the RowWriter of every Write function instead of a
	// Table of Format: where a writer of another kind (an HTML report, Parquet) plugs in.
	NewRowWriter func(w io.Writer, cols []Col) RowWriter
}
