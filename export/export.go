package export

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
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
	// Anonymize, if not nil, maps every address before it is written (package anon), and
	// the Community ID (a hash of the real addresses) is left empty. AnonymizeID names the
	// mapping (a hash of its key) in the file and manifest names, so exports under two
	// keys, or one with and one without, do not take each other for done.
	Anonymize   func(netip.Addr) netip.Addr
	AnonymizeID string
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
	return filepath.Join(o.Dir, ManifestDir, o.Table.String()+"."+o.Format.String()+"."+id+o.anonSuffix()+".json")
}

func (o *Options) anonSuffix() string {
	if o.Anonymize == nil {
		return ""
	}
	return ".anon-" + o.AnonymizeID
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
		final := filepath.Join(dir, base+"-"+res.ID+opt.anonSuffix()+"."+opt.Format.String())
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
		if part == nil {
			part = newPartitioner(cols, base, opt.Anonymize, newSink)
		}
		// The series table writes several runs of buckets: one partitioner takes them
		// all, closed once below.
		return keepOpen{part}
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
		err = exportSeries(in, out, opt.Bucket)
	}
	if err == nil && part != nil {
		err = part.Close()
	}
	if part == nil && err == nil {
		// No rows at all (an empty series): nothing to write but the manifest entry.
		part = newPartitioner(nil, base, nil, newSink)
	}
	if err != nil {
		if part != nil {
			part.abort()
		}
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

// keepOpen is the partitioner as the Write functions see it: their Close is not the end
// of the export's rows.
type keepOpen struct{ *partitioner }

func (keepOpen) Close() error { return nil }

// seriesChunk is how many buckets the series table computes at once: a capture whose
// packets span years (or whose clock jumps) is cut into windows, each a timeline of its own.
const seriesChunk = 1 << 20

// exportSeries writes the series table of in: query.Timeline over the whole capture when
// it spans at most seriesChunk buckets, else over each window of seriesChunk buckets
// (aligned on the epoch) that holds packets, found by reading the packet times once.
func exportSeries(in *query.Input, out output.Options, bucket time.Duration) error {
	if bucket <= 0 {
		bucket = time.Second
	}
	st := in.Store
	if st.NumPackets() == 0 {
		return nil
	}
	first, last := st.Span()
	w := int64(bucket) * seriesChunk
	lo0 := floorDiv(first, w)
	chunks := []int64{lo0}
	if floorDiv(last, w) != lo0 {
		seen := map[int64]bool{}
		chunks = chunks[:0]
		prev := int64(math.MinInt64)
		err := st.Packets(nil, query.NoSince, query.NoUntil, query.NeedBasic, func(p *query.PacketRow) error {
			if c := floorDiv(p.TS, w); c != prev && !seen[c] {
				seen[c], prev = true, c
				chunks = append(chunks, c)
			}
			return nil
		})
		if err != nil {
			return err
		}
		slices.Sort(chunks)
	}
	for _, c := range chunks {
		lo, hi := c*w, int64(math.MaxInt64)
		if lo <= math.MaxInt64-w {
			hi = lo + w - 1
		}
		sel, err := in.Select(nil, lo, hi)
		if err != nil {
			return err
		}
		tl, err := query.Timeline(st, sel, query.TimelineOptions{Bucket: bucket})
		if err != nil {
			return err
		}
		if err := writeSeries(out, tl); err != nil {
			return err
		}
	}
	return nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// writeSeries writes the runs of non-empty buckets of tl: the series table has no rows for
// silent seconds (an engine fills them when it needs them), so a capture spanning days
// does not write a row per second of silence.
func writeSeries(out output.Options, tl query.Buckets) error {
	for i := 0; i < len(tl.Packets); {
		if tl.Packets[i] == 0 {
			i++
			continue
		}
		j := i
		for j < len(tl.Packets) && tl.Packets[j] != 0 {
			j++
		}
		run := query.Buckets{First: tl.Start(i), Width: tl.Width, Packets: tl.Packets[i:j], Bytes: tl.Bytes[i:j]}
		if err := output.WriteTimeline(nil, out, run); err != nil {
			return err
		}
		i = j
	}
	return nil
}
