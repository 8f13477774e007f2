// Package output writes the rows that package query computes: as an aligned table with
// human units ("1.23 MB", "350 ms"), or as csv (RFC 4180), jsonl or json with raw numbers
// (integers, sizes in bytes, durations in nanoseconds, timestamps per TimeFormat: RFC 3339
// strings, or epoch or capture-relative seconds as numbers; times in UTC).
//
// A command's Write function (WriteFlows, WritePackets, WriteTimeline, WriteGaps, WriteTop,
// WriteSizes, WriteSizeHistogram, WriteEvents, WriteOpenFlows, WriteRSTs) declares its
// columns and sets typed cells on a RowWriter. Table is the RowWriter of the text formats;
// Options.NewRowWriter is the seam where a writer of another kind (an HTML report,
// Parquet) plugs in and serves every command unchanged.
//
// AppendKey, AppendElem and the AppendKey* functions write one JSON object with nested
// objects and arrays (reports such as pcapdex info --format json), AppendLabel a key: value
// report's labels. Strings in every format go through the repository's one JSON escaper and one CSV
// escaper (internal/textenc). Nothing here holds package-level mutable state: writers on
// two goroutines share nothing.
package output
