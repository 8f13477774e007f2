package export

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

// Table is what an export holds.
type Table uint8

const (
	TableFlows   Table = iota // one row per flow (output.FlowColumns)
	TablePackets              // one row per packet (output.PacketColumns)
	TableEvents               // one row per TCP analysis event (output.EventColumns)
	TableSeries               // packets and bytes per bucket (the timeline's columns)
	numTables
)

var tableNames = [numTables]string{"flows", "packets", "events", "series"}

func (t Table) String() string {
	if t < numTables {
		return tableNames[t]
	}
	return fmt.Sprintf("Table(%d)", uint8(t))
}

// ParseTable parses a table name: flows, packets, events or series.
func ParseTable(s string) (Table, error) {
	if i := slices.Index(tableNames[:], s); i >= 0 {
		return Table(i), nil
	}
	return 0, fmt.Errorf("unknown table %q (want %s)", s, strings.Join(tableNames[:], ", "))
}

// Format is the file format of an export.
type Format uint8

const (
	FormatParquet Format = iota
	FormatCSV
	FormatJSONL
	numFormats
)

var formatNames = [numFormats]string{"parquet", "csv", "jsonl"}

func (f Format) String() string {
	if f < numFormats {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat parses a format name: parquet, csv or jsonl.
func ParseFormat(s string) (Format, error) {
	if i := slices.Index(formatNames[:], s); i >= 0 {
		return Format(i), nil
	}
	return 0, fmt.Errorf("unknown format %q (want parquet, csv or jsonl)", s)
}

// Options configure an export.
type Options struct {
	Table  Table
	Format Format
	Dir    string // the output directory
	// Bucket is the series table's bucket width (default 1s).
	Bucket time.Duration
	// RowGroupBytes closes a Parquet row group at this many raw bytes of values
	// (default DefaultRowGroupBytes).
	RowGroupBytes int64
	// Anonymize, if not nil, maps every address before it is written (package anon).
	Anonymize func(netip.Addr) netip.Addr
	// Force exports a capture even when the manifest has it.
	Force bool
	// Open says how the capture is read (its index, built when missing, by default).
	Open query.OpenOptions
}

// Result is what exporting one capture did.
type Result struct {
	Capture string
	ID      string   // the capture's export id (see the package doc)
	Skipped bool     // the manifest had it: nothing was written
	Files   []string // the files written, in hour order
	Rows    int64
	// Warnings and Partial: the capture was read only in part (a truncated tail); the
	// export holds what was read.
	Warnings []string
	Partial  bool
}

// Entry is one capture's manifest entry (DIR/_pcapdex/TABLE.FORMAT.ID.json).
type Entry struct {
	Capture  string   `json:"capture"`
	ID       string   `json:"id"`
	Size     int64    `json:"size"`
	Hash     string   `json:"hash"` // SHA-256 of the capture's first and last MiB
	Table    string   `json:"table"`
	Format   string   `json:"format"`
	Files    []string `json:"files"` // relative to DIR
	Rows     int64    `json:"rows"`
	Partial  bool     `json:"partial,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// ManifestDir is the folder of the manifest entries inside an output directory.
const ManifestDir = "_pcapdex"

// captureID returns the export id of a fingerprint.
func captureID(cf index.CaptureFile) string {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(cf.Size))
	h.Write(b[:])
	h.Write(cf.Hash[:])
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func (o *Options) entryPath(id string) string {
	return filepath.Join(o.Dir, ManifestDir, o.Table.String()+"."+o.Format.String()+"."+id+".json")
}

// Capture exports one capture file into opt.Dir, or skips it when the manifest already
// has it (by fingerprint). On error nothing of the capture is left under a visible name
// that was not there before.
func Capture(path string, opt Options) (Result, error) {
	res := Result{Capture: path}
	if opt.Table >= numTables || opt.Format >= numFormats || opt.Dir == "" {
		return res, fmt.Errorf("export: table %v, format %v, dir %q", opt.Table, opt.Format, opt.Dir)
	}
	cf, err := index.Fingerprint(path)
	if err != nil {
		return res, err
	}
	res.ID = captureID(cf)
	entryPath := opt.entryPath(res.ID)
	if !opt.Force {
		if _, err := os.Stat(entryPath); err == nil {
			res.Skipped = true
			return res, nil
		}
	}
	oo := opt.Open
	if oo.NoIndex {
		oo.Keep = [numTables]query.StreamKeep{query.KeepFlows, query.KeepPackets, query.KeepEvents, query.KeepPacketTimes}[opt.Table]
	}
	in, err := query.Open([]string{path}, oo)
	if err != nil {
		return res, err
	}
	defer in.Close()
	res.Warnings, res.Partial = in.Warnings, in.Partial
	sel, err := in.Select(nil, query.NoSince, query.NoUntil)
	if err != nil {
		return res, err
	}
	base := filepath.Base(path)
	newSink := func(date string, hour int, cols []output.Col) (sink, error) {
		dir := filepath.Join(opt.Dir, opt.Table.String(), "date="+date, fmt.Sprintf("hour=%02d", hour))
		final := filepath.Join(dir, base+"-"+res.ID+"."+opt.Format.String())
		switch opt.Format {
		case FormatCSV:
			return newTextSink(final, output.FormatCSV, cols)
		case FormatJSONL:
			return newTextSink(final, output.FormatJSONL, cols)
		}
		return newParquetSink(final, opt.Table.String(), cols, opt.RowGroupBytes)
	}
	var part *partitioner
	out := output.Options{NewRowWriter: func(_ io.Writer, cols []output.Col) output.RowWriter {
		part = newPartitioner(cols, base, opt.Anonymize, newSink)
		return part
	}}
	st := in.Store
	switch opt.Table {
	case TableFlows:
		err = output.WriteFlows(nil, out, output.FlowColumns(), query.Flows(st, sel, query.FlowsOptions{Need: query.FlowAll}))
	case TablePackets:
		err = output.WritePackets(nil, out, query.Packets(st, sel, query.PacketsOptions{}))
	case TableEvents:
		err = output.WriteEvents(nil, out, query.Events(st, sel, query.EventsOptions{}))
	case TableSeries:
		var tl query.Buckets
		bucket := opt.Bucket
		if bucket <= 0 {
			bucket = time.Second
		}
		if tl, err = query.Timeline(st, sel, query.TimelineOptions{Bucket: bucket}); err == nil {
			err = output.WriteTimeline(nil, out, tl)
		}
	}
	if part == nil {
		return res, errors.Join(err, errors.New("export: no rows writer was made"))
	}
	if err != nil {
		part.abort()
		return res, fmt.Errorf("export %s: %w", path, err)
	}
	files, err := part.commit()
	res.Files, res.Rows = files, part.rows
	if err != nil {
		part.abort()
		return res, err
	}
	e := Entry{Capture: base, ID: res.ID, Size: cf.Size, Hash: hex.EncodeToString(cf.Hash[:]),
		Table: opt.Table.String(), Format: opt.Format.String(), Rows: part.rows,
		Partial: res.Partial, Warnings: res.Warnings, Files: []string{}}
	for _, f := range files {
		rel, err := filepath.Rel(opt.Dir, f)
		if err != nil {
			rel = f
		}
		e.Files = append(e.Files, filepath.ToSlash(rel))
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return res, err
	}
	mf, err := createFile(entryPath)
	if err != nil {
		return res, err
	}
	if _, err := mf.f.Write(append(b, '\n')); err != nil {
		mf.abort()
		return res, fmt.Errorf("export: %w", err)
	}
	if err := mf.close(); err != nil {
		mf.abort()
		return res, err
	}
	if _, err := mf.commit(); err != nil {
		return res, err
	}
	return res, nil
}
