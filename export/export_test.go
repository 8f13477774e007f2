package export

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/pcapdex/pcapdex/anon"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden")

func sample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/sample.pcapng")
	if err != nil {
		t.Skipf("testdata/sample.pcapng: %v", err)
	}
	p := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSchemaPinned pins the Parquet schema of every table as written to the files:
// engines and the SQL people write depend on these names and types.
func TestSchemaPinned(t *testing.T) {
	capture := sample(t)
	dir := t.TempDir()
	var b strings.Builder
	for tb := range numTables {
		res, err := Capture(capture, Options{Table: tb, Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(res.Files[0])
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(pf.Schema().String())
		b.WriteString("\n")
		f.Close()
	}
	golden := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("Parquet schema changed (go test ./export -update if on purpose):\n%s", b.String())
	}
}

// TestExportMatchesFlows reads an export back with parquet-go and checks it against the
// flows query, file by file; a rerun skips the capture and writes nothing.
func TestExportMatchesFlows(t *testing.T) {
	capture := sample(t)
	dir := t.TempDir()
	opt := Options{Table: TableFlows, Dir: dir}
	res, err := Capture(capture, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped || len(res.Files) == 0 || res.Rows == 0 {
		t.Fatalf("result %+v", res)
	}
	in, err := query.Open([]string{capture}, query.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	sel, _ := in.Select(nil, query.NoSince, query.NoUntil)
	var want []string
	for f, err := range query.Flows(in.Store, sel, query.FlowsOptions{Need: query.FlowAll}) {
		if err != nil {
			t.Fatal(err)
		}
		o, r := query.FlowAddrs(f)
		want = append(want, strings.Join([]string{o.String(), r.String(), f.ConnState.String(), string(f.Hist[:f.HistLen])}, " "))
	}
	type row struct {
		Capture   string `parquet:"capture"`
		FlowID    uint64 `parquet:"flow_id"`
		OrigH     string `parquet:"orig_h"`
		RespH     string `parquet:"resp_h"`
		ConnState string `parquet:"conn_state"`
		History   string `parquet:"history"`
		TSNs      int64  `parquet:"ts_ns"`
	}
	var got []string
	var lastTS int64
	for _, f := range res.Files {
		if !strings.Contains(f, "date=") || filepath.Ext(f) != ".parquet" {
			t.Errorf("file %s is not in a Hive partition", f)
		}
		rows, err := parquet.ReadFile[row](f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Capture != "sample.pcapng" || r.TSNs < lastTS {
				t.Errorf("row %+v: capture name or ts order", r)
			}
			lastTS = r.TSNs
			got = append(got, strings.Join([]string{r.OrigH, r.RespH, r.ConnState, r.History}, " "))
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("exported flows differ from the query:\n%q\n%q", got, want)
	}
	if int(res.Rows) != len(want) {
		t.Errorf("rows %d, want %d", res.Rows, len(want))
	}
	m, err := filepath.Glob(filepath.Join(dir, ManifestDir, "flows.parquet.*.json"))
	if err != nil || len(m) != 1 {
		t.Fatalf("manifest entries %v %v", m, err)
	}
	st, _ := os.Stat(res.Files[0])
	again, err := Capture(capture, opt)
	if err != nil || !again.Skipped || again.ID != res.ID {
		t.Fatalf("rerun: %+v %v", again, err)
	}
	if st2, _ := os.Stat(res.Files[0]); !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("rerun rewrote %s", res.Files[0])
	}
	// A copy under another name is the same capture.
	cp := filepath.Join(t.TempDir(), "renamed.pcapng")
	b, _ := os.ReadFile(capture)
	os.WriteFile(cp, b, 0o644)
	if r, err := Capture(cp, opt); err != nil || !r.Skipped {
		t.Errorf("a renamed copy: %+v %v", r, err)
	}
}

// TestKilledExportLeavesNoHalfFile stops an export after its rows are written and its
// files finished but before they are renamed (where a kill would leave them): no file
// matches *.parquet, and the next export puts every file in place.
func TestKilledExportLeavesNoHalfFile(t *testing.T) {
	dir := t.TempDir()
	cols := []output.Col{{Name: "ts", Kind: output.KindTime}, {Name: "n", Kind: output.KindUint}}
	newSink := func(date string, hour int, cols []output.Col) (sink, error) {
		return newParquetSink(filepath.Join(dir, "t", "date="+date, "x.parquet"), "t", cols, 0)
	}
	p := newPartitioner(cols, "c", nil, newSink)
	for i := range 3 {
		p.Time(int64(i) * 25 * 3600e9)
		p.Uint(uint64(i))
		if err := p.EndRow(); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	visible, _ := filepath.Glob(filepath.Join(dir, "t", "*", "*.parquet"))
	hidden, _ := filepath.Glob(filepath.Join(dir, "t", "*", ".*.tmp"))
	if len(visible) != 0 || len(hidden) != 3 {
		t.Fatalf("before commit: visible %v, hidden %v", visible, hidden)
	}
	files, err := p.commit()
	if err != nil || len(files) != 3 {
		t.Fatalf("commit: %v %v", files, err)
	}
	visible, _ = filepath.Glob(filepath.Join(dir, "t", "*", "*.parquet"))
	hidden, _ = filepath.Glob(filepath.Join(dir, "t", "*", ".*.tmp"))
	if len(visible) != 3 || len(hidden) != 0 {
		t.Fatalf("after commit: visible %v, hidden %v", visible, hidden)
	}
	if !strings.Contains(files[1], "date=1970-01-02") {
		t.Errorf("files %v: want one per day", files)
	}
}

// TestTextFormats writes the same rows as CSV and JSON lines, as the commands print them.
func TestTextFormats(t *testing.T) {
	capture := sample(t)
	for _, f := range []Format{FormatCSV, FormatJSONL} {
		dir := t.TempDir()
		res, err := Capture(capture, Options{Table: TableEvents, Format: f, Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(res.Files[0])
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		want := "capture,frame,ts,ts_ns,flow_id,type,from,detail"
		if f == FormatJSONL {
			want = `{"capture":"sample.pcapng","frame":`
		}
		if !strings.HasPrefix(first, want) {
			t.Errorf("%v: first line %q, want %q...", f, first, want)
		}
	}
}

// TestAnonymizedExport: every address is the Crypto-PAn mapping of the real one under the
// key, the Community ID is empty, and the files and manifest entry carry the key's name.
func TestAnonymizedExport(t *testing.T) {
	capture := sample(t)
	dir := t.TempDir()
	key, _ := anon.ParseKey("test key")
	an, _ := anon.New(key)
	res, err := Capture(capture, Options{Table: TableFlows, Dir: dir, Anonymize: an.Addr, AnonymizeID: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Capture(capture, Options{Table: TableFlows, Dir: dir})
	if err != nil || plain.Skipped {
		t.Fatalf("the plain export took the anonymized one for done: %+v %v", plain, err)
	}
	type row struct {
		CommunityID *string `parquet:"community_id,optional"`
		OrigH       string  `parquet:"orig_h"`
		RespH       string  `parquet:"resp_h"`
	}
	read := func(files []string) []row {
		var rows []row
		for _, f := range files {
			r, err := parquet.ReadFile[row](f)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r...)
		}
		return rows
	}
	anonRows, plainRows := read(res.Files), read(plain.Files)
	if len(anonRows) != len(plainRows) || len(anonRows) == 0 || !strings.Contains(res.Files[0], ".anon-k1.") {
		t.Fatalf("%d anonymized rows, %d plain; files %v", len(anonRows), len(plainRows), res.Files)
	}
	for i, r := range anonRows {
		p := plainRows[i]
		if r.CommunityID != nil || p.CommunityID == nil {
			t.Errorf("row %d: community_id %v (plain %v)", i, r.CommunityID, p.CommunityID)
		}
		if r.OrigH != an.Addr(netip.MustParseAddr(p.OrigH)).String() || r.RespH != an.Addr(netip.MustParseAddr(p.RespH)).String() || r.OrigH == p.OrigH {
			t.Errorf("row %d: %s %s from %s %s", i, r.OrigH, r.RespH, p.OrigH, p.RespH)
		}
	}
}
