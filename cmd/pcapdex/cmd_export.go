package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pcapdex/pcapdex/anon"
	"github.com/pcapdex/pcapdex/export"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/query"
)

func cmdExport() *command {
	return &command{
		name:    "export",
		summary: "export flows, packets, events or a series to Parquet, CSV or JSON lines in Hive partitions, one capture at a time",
		usage:   "pcapdex export --table flows|packets|events|series [--format parquet|csv|jsonl] -o DIR [flags] CAPTURE...|DIR",
		examples: `  pcapdex export --table flows -o lake/ trace.pcap
  pcapdex export --table packets --jobs 2 -o lake/ captures/
  ls captures/*.pcap | xargs -P 8 -n 1 pcapdex export --table flows -o lake/
  duckdb -c "select orig_h, sum(orig_ip_bytes) from 'lake/flows/**/*.parquet' group by 1 order by 2 desc limit 20"`,
		run: runExport,
	}
}

func runExport(args []string, stdout, stderr io.Writer) int {
	var table, format, dir string
	var jobs int
	var o export.Options
	var noIndex bool
	var anonKey string
	var input inputFlags
	fs := newFlags(lookup("export"), stderr)
	fs.StringVar(&table, "table", "flows", "what to export: flows, packets, events or series (packets and bytes per --bucket)")
	fs.StringVar(&format, "format", "parquet", "file format: parquet (zstd), csv or jsonl")
	fs.StringVarP(&dir, "output", "o", "", "output directory (TABLE/date=YYYY-MM-DD/hour=HH/ below it, the manifest in _pcapdex/)")
	fs.DurationVar(&o.Bucket, "bucket", time.Second, "bucket width of the series table")
	fs.IntVar(&jobs, "jobs", 1, "captures exported at once")
	fs.BoolVar(&o.Force, "force", false, "export captures the manifest already has")
	fs.StringVar(&anonKey, "anonymize", "", "map every address with prefix-preserving Crypto-PAn under KEY (64 hex digits, or a passphrase); MACs too; the Community ID is left empty")
	fs.BoolVar(&noIndex, "no-index", false, "read each capture in one pass instead of using (or building) its index")
	addInputFlags(fs, &input)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	var err error
	if o.Table, err = export.ParseTable(table); err == nil {
		o.Format, err = export.ParseFormat(format)
	}
	switch {
	case err != nil:
	case dir == "":
		err = fmt.Errorf("-o DIR is required")
	case fs.NArg() == 0:
		err = fmt.Errorf("no capture given")
	case jobs < 1:
		err = fmt.Errorf("--jobs must be 1 or more")
	case o.Bucket <= 0:
		err = fmt.Errorf("--bucket must be positive")
	}
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex export: %v (see 'pcapdex export --help')\n", err)
		return exitUsage
	}
	o.Dir = dir
	if anonKey != "" {
		an, id, err := newAnonymizer(anonKey)
		if err != nil {
			fmt.Fprintf(stderr, "pcapdex export: --anonymize: %v\n", err)
			return exitUsage
		}
		o.Anonymize, o.AnonymizeID = an.Addr, id
	}
	o.Open = query.OpenOptions{NoIndex: noIndex, NoMmap: input.noMmap}
	captures, err := index.ExpandCaptures(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex export: %v\n", err)
		return exitInput
	}
	results := make([]export.Result, len(captures))
	errs := make([]error, len(captures))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(jobs, len(captures)) {
		wg.Go(func() {
			for i := range next {
				results[i], errs[i] = export.Capture(captures[i], o)
			}
		})
	}
	for i := range captures {
		next <- i
	}
	close(next)
	wg.Wait()
	code, failed := exitOK, 0
	for i, r := range results {
		switch {
		case errs[i] != nil:
			fmt.Fprintf(stderr, "pcapdex export: %v\n", errs[i])
			failed++
			continue
		case r.Skipped:
			fmt.Fprintf(stderr, "pcapdex export: %s: in the manifest already (id %s), skipped\n", r.Capture, r.ID)
			continue
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(stderr, "pcapdex export: warning: %s\n", w)
		}
		if r.Partial {
			code = exitPartial
		}
		fmt.Fprintf(stderr, "pcapdex export: %s: %d rows in %d files\n", r.Capture, r.Rows, len(r.Files))
	}
	if failed == len(captures) {
		return exitInput
	}
	if failed > 0 {
		return exitPartial
	}
	return code
}

// newAnonymizer returns the anonymizer of an --anonymize KEY and a short name of the key
// (a hash, for file names).
func newAnonymizer(text string) (*anon.Anonymizer, string, error) {
	key, err := anon.ParseKey(text)
	if err != nil {
		return nil, "", err
	}
	an, err := anon.New(key)
	if err != nil {
		return nil, "", err
	}
	h := sha256.Sum256(append([]byte("pcapdex anon id\x00"), key...))
	return an, hex.EncodeToString(h[:4]), nil
}
