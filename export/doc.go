// Package export writes the rows of package query (flows, packets, events, a per-second
// series) to files that other engines read: Apache Parquet (zstd, typed columns), CSV or
// JSON lines, in Hive partitions, one set of files per capture. It is the hand-off when one
// machine is not enough: export each capture file on its own (in parallel, anywhere), then
// read the directory with DuckDB, Spark, Trino or ClickHouse.
//
// Layout of an output directory DIR:
//
//	DIR/TABLE/date=YYYY-MM-DD/hour=HH/NAME-ID.parquet   rows of one capture whose ts falls in that UTC hour
//	DIR/_pcapdex/TABLE.FORMAT.ID.json                    the manifest: one entry per exported capture
//
// ID is the first 16 hex digits of the SHA-256 of the capture's fingerprint (its size and
// the hash of its first and last MiB, index.Fingerprint): a capture renamed or copied keeps
// its ID, so a rerun over the same captures skips those with an entry and writes nothing.
// Files are written under a hidden temporary name (".NAME-ID.parquet.RANDOM.tmp", which no
// "*.parquet" glob matches) and renamed when complete; the manifest entry is written, the
// same way, after every file of the capture is in place. A killed export thus leaves no
// half file under a visible name and no entry, and the rerun rewrites the same names.
//
// Columns: "capture" (the capture's base name), then the columns of the pcapdex command
// (output.FlowColumns, output.PacketColumns, output.EventColumns, the timeline's) in its
// order, each time column followed by NAME_ns. In Parquet, times are TIMESTAMP(NANOS,
// isAdjustedToUTC) and NAME_ns INT64 Unix nanoseconds; addresses and names are UTF-8
// strings; counters, ports, frame numbers and byte counts are UINT64 (INT64 physical);
// durations INT64 nanoseconds; every column is optional (a null is an empty cell of the
// command). Row groups close at RowGroupBytes of raw values (128 MiB by default). CSV and
// JSON lines hold the same columns as pcapdex's own --format csv and jsonl.
package export
