package output

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pcapdex/pcapdex/internal/textenc"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var goldenCols = []Col{
	{"start", KindTime},
	{"src", KindAddr},
	{"dst", KindAddr},
	{"proto", KindString},
	{"bytes", KindBytes},
	{"pkts", KindUint},
	{"duration", KindDuration},
	{"delta", KindInt},
	{"ratio", KindFloat},
	{"note", KindString},
}

const captureStart = 1709294400_000000000 // 2024-03-01T12:00:00Z

type goldenRow struct {
	ts       int64
	src, dst string
	proto    string
	bytes    uint64
	pkts     uint64
	dur      int64
	delta    int64
	ratio    float64
	note     string
	nullNote bool
}

var goldenRows = []goldenRow{
	{captureStart + 1_500_000, "10.0.0.5", "192.168.1.1", "tcp", 1_234_567, 42, 350_000_000, -3, 0.5, "plain", false},
	{captureStart + 61_123_456_789, "2001:db8::1", "2001:db8::2", "udp", 999, 1, 850, 0, math.NaN(), "comma, \"quote\"\nnewline", false},
	{captureStart + 3_600_000_000_000, "10.0.0.6", "", "icmp", 999_600, 7, 125_000_000_000, 1 << 40, math.Inf(1), "ünïcödé \u2028 \x01 bad\xff\xfe", false},
	{captureStart - 2_000_000_000, "10.0.0.7", "10.0.0.8", "", 0, 0, -1_250_000, 12, 1e-7, "", true},
	{captureStart, "10.0.0.9", "10.0.0.10", "tcp", 18_000_000_000_000_000_000, math.MaxUint64, 7_384_000_000_000, math.MinInt64, 123456.789, "", false},
}

func writeGolden(t *Table) error {
	for _, r := range goldenRows {
		t.Time(r.ts)
		t.Addr(addrOrZero(r.src))
		t.Addr(addrOrZero(r.dst))
		if r.proto == "" {
			t.Null()
		} else {
			t.Str(r.proto)
		}
		t.Size(r.bytes)
		t.Uint(r.pkts)
		t.Duration(r.dur)
		t.Int(r.delta)
		t.Float(r.ratio)
		if r.nullNote {
			t.Null()
		} else {
			t.StrBytes([]byte(r.note))
		}
		if err := t.EndRow(); err != nil {
			return err
		}
	}
	return t.Close()
}

func addrOrZero(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"table", Options{Format: FormatTable}},
		{"table_epoch", Options{Format: FormatTable, Time: TimeEpoch}},
		{"table_relative", Options{Format: FormatTable, Time: TimeRelative, Start: captureStart}},
		{"csv", Options{Format: FormatCSV}},
		{"csv_epoch", Options{Format: FormatCSV, Time: TimeEpoch}},
		{"jsonl", Options{Format: FormatJSONL}},
		{"jsonl_relative", Options{Format: FormatJSONL, Time: TimeRelative, Start: captureStart}},
		{"json", Options{Format: FormatJSON}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := writeGolden(NewTable(&out, tc.opt, goldenCols...)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "out_"+tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("output differs from %s:\n%s", path, out.Bytes())
			}
			if !utf8.Valid(out.Bytes()) {
				t.Fatalf("output is not valid UTF-8")
			}
			checkMachine(t, tc.opt.Format, out.Bytes())
		})
	}
}

// checkMachine reads machine output back with the standard library's decoders.
func checkMachine(t *testing.T, f Format, out []byte) {
	switch f {
	case FormatCSV:
		recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("encoding/csv: %v", err)
		}
		if len(recs) != len(goldenRows)+1 {
			t.Fatalf("csv: %d records", len(recs))
		}
		for i, r := range goldenRows {
			if got, want := recs[i+1][9], validEach(r.note); got != want {
				t.Fatalf("csv row %d note %q, want %q", i, got, want)
			}
		}
	case FormatJSONL:
		sc := bufio.NewScanner(bytes.NewReader(out))
		i := 0
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("jsonl line %d: %v", i, err)
			}
			if len(m) != len(goldenCols) {
				t.Fatalf("jsonl line %d: %d keys", i, len(m))
			}
			i++
		}
		if i != len(goldenRows) {
			t.Fatalf("jsonl: %d lines", i)
		}
	case FormatJSON:
		var rows []map[string]json.RawMessage
		if err := json.Unmarshal(out, &rows); err != nil {
			t.Fatalf("json: %v", err)
		}
		if len(rows) != len(goldenRows) || string(rows[0]["bytes"]) != "1234567" || string(rows[3]["note"]) != "null" {
			t.Fatalf("json: %d rows, row 0 bytes %s, row 3 note %s", len(rows), rows[0]["bytes"], rows[3]["note"])
		}
	}
}

func TestEmptyTables(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		want string
	}{
		{FormatTable, "a  b\n"},
		{FormatCSV, "a,b\n"},
		{FormatJSONL, ""},
		{FormatJSON, "[\n]\n"},
	} {
		var out bytes.Buffer
		if err := NewTable(&out, Options{Format: tc.f}, Col{"a", KindInt}, Col{"b", KindString}).Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.want {
			t.Errorf("format %d: %q, want %q", tc.f, out.String(), tc.want)
		}
	}
}

func TestTableMisuse(t *testing.T) {
	cols := []Col{{"a", KindInt}, {"b", KindString}}
	tb := NewTable(io.Discard, Options{Format: FormatCSV}, cols...)
	tb.Str("x")
	if err := tb.EndRow(); err == nil || err.Error() != `output: column "a" is int, set as string` {
		t.Fatalf("wrong kind: %v", err)
	}
	tb = NewTable(io.Discard, Options{Format: FormatCSV}, cols...)
	tb.Int(1)
	if err := tb.EndRow(); err == nil || err.Error() != "output: row 0 has 1 cells, want 2" {
		t.Fatalf("short row: %v", err)
	}
	tb = NewTable(io.Discard, Options{Format: FormatJSONL}, cols...)
	tb.Int(1)
	tb.Str("x")
	tb.Null()
	if err := tb.EndRow(); err == nil || err.Error() != "output: row 0 has more than 2 cells" {
		t.Fatalf("long row: %v", err)
	}
	tb = NewTable(io.Discard, Options{Format: FormatJSON}, cols...)
	tb.Int(1)
	if err := tb.Close(); !errors.Is(err, errPartialRow) {
		t.Fatalf("partial row: %v", err)
	}
	// A write error is reported, and sticks.
	tb = NewTable(failWriter{}, Options{Format: FormatCSV}, cols...)
	tb.Int(1)
	tb.Str("x")
	tb.EndRow()
	if err := tb.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write error: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestStreamingNoAllocs(t *testing.T) {
	for _, f := range []Format{FormatCSV, FormatJSONL, FormatJSON} {
		tb := NewTable(io.Discard, Options{Format: f, Time: TimeRelative, Start: captureStart}, goldenCols...)
		note := []byte("a \"quoted\", note\xff")
		src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("2001:db8::1")
		n := testing.AllocsPerRun(20000, func() {
			tb.Time(captureStart + 12345)
			tb.Addr(src)
			tb.Addr(dst)
			tb.Str("tcp")
			tb.Size(1 << 30)
			tb.Uint(17)
			tb.Duration(350e6)
			tb.Int(-5)
			tb.Float(0.25)
			tb.StrBytes(note)
			if err := tb.EndRow(); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("format %d: %v allocs per row, want 0", f, n)
		}
		for _, tm := range []TimeFormat{TimeRFC3339, TimeEpoch} {
			tb := NewTable(io.Discard, Options{Format: f, Time: tm}, Col{"t", KindTime})
			if n := testing.AllocsPerRun(1000, func() { tb.Time(captureStart + 12345); tb.EndRow() }); n != 0 {
				t.Errorf("format %d time %d: %v allocs per row", f, tm, n)
			}
		}
	}
}

func TestHumanUnits(t *testing.T) {
	sizes := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"}, {999, "999 B"}, {1000, "1.00 KB"}, {1234, "1.23 KB"}, {12_345, "12.3 KB"},
		{123_456, "123 KB"}, {999_499, "999 KB"}, {999_500, "1.00 MB"}, {1_200_000, "1.20 MB"},
		{5e9, "5.00 GB"}, {math.MaxUint64, "18.4 EB"},
	}
	for _, tc := range sizes {
		if got := string(AppendHumanSize(nil, tc.n)); got != tc.want {
			t.Errorf("size %d: %q, want %q", tc.n, got, tc.want)
		}
	}
	durs := []struct {
		ns   int64
		want string
	}{
		{0, "0 ns"}, {850, "850 ns"}, {1000, "1.00 us"}, {12_345, "12.3 us"}, {999_999, "1.00 ms"},
		{350e6, "350 ms"}, {999.6e6, "1.00 s"}, {1_250e6, "1.25 s"}, {59.9e9, "59.9 s"},
		{59.96e9, "1m00s"}, {303e9, "5m03s"}, {3599.4e9, "59m59s"}, {3599.6e9, "1h00m"},
		{7_500e9, "2h05m"}, {-1_250e6, "-1.25 s"}, {math.MinInt64, "-2562047h47m"},
	}
	for _, tc := range durs {
		if got := string(AppendHumanDuration(nil, tc.ns)); got != tc.want {
			t.Errorf("duration %d: %q, want %q", tc.ns, got, tc.want)
		}
	}
	if got := string(textenc.AppendSeconds(nil, -1_500_000_000, 9)); got != "-1.500000000" {
		t.Errorf("appendSeconds: %q", got)
	}
	if got := string(AppendRFC3339(nil, captureStart+1, 9)); got != "2024-03-01T12:00:00.000000001Z" {
		t.Errorf("AppendRFC3339: %q", got)
	}
}

func TestParseFormats(t *testing.T) {
	for s, want := range map[string]Format{"table": FormatTable, "csv": FormatCSV, "jsonl": FormatJSONL, "json": FormatJSON} {
		if f, err := ParseFormat(s); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v", s, f, err)
		}
	}
	for s, want := range map[string]TimeFormat{"rfc3339": TimeRFC3339, "epoch": TimeEpoch, "relative": TimeRelative} {
		if f, err := ParseTimeFormat(s); err != nil || f != want {
			t.Errorf("ParseTimeFormat(%q) = %v, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) accepted")
	}
	if _, err := ParseTimeFormat("local"); err == nil {
		t.Error("ParseTimeFormat(local) accepted")
	}
}

// FuzzStringEncoders checks that any bytes come out as valid JSON and CSV that decode back
// to the input (with invalid UTF-8 replaced), and as a table cell without control bytes.
func FuzzStringEncoders(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", "\"q\"", "x\ny\r\n", "\xff\xfe", "\u2028", "\x00\x1f\x7f", "ünï"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		valid := validEach(s)
		j := textenc.AppendJSONString(nil, []byte(s))
		var back string
		if err := json.Unmarshal(j, &back); err != nil {
			t.Fatalf("JSON %q of %q: %v", j, s, err)
		}
		if back != valid {
			t.Fatalf("JSON of %q decodes to %q, want %q", s, back, valid)
		}
		if js := textenc.AppendJSONString(nil, s); !bytes.Equal(js, j) {
			t.Fatalf("string and []byte encodings differ")
		}
		c := textenc.AppendCSVField(nil, s)
		r := csv.NewReader(bytes.NewReader(append(c, '\n')))
		r.LazyQuotes = false
		rec, err := r.Read()
		want := strings.ReplaceAll(valid, "\r\n", "\n") // encoding/csv folds CRLF in quoted fields
		if err != nil || len(rec) != 1 || rec[0] != want && !(want == "" && rec[0] == "") {
			t.Fatalf("CSV %q of %q reads back as %q, %v", c, s, rec, err)
		}
		tc := appendTableString(nil, s)
		if !utf8.Valid(tc) || bytes.ContainsFunc(tc, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("table cell %q of %q", tc, s)
		}
	})
}

// validEach replaces each byte of invalid UTF-8 in s by U+FFFD, as the encoders do.
func validEach(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// TestAppendRFC3339Fast: the hand-written formatter equals the time package's layout for
// every day boundary of 1970..2262 (leap years, century rules), random instants and
// negative times (which it hands to the time package).
func TestAppendRFC3339Fast(t *testing.T) {
	check := func(ns int64) {
		t.Helper()
		for _, digits := range []int{6, 9} {
			layout := "2006-01-02T15:04:05.000000000Z07:00"
			if digits == 6 {
				layout = "2006-01-02T15:04:05.000000Z07:00"
			}
			want := time.Unix(0, ns).UTC().Format(layout)
			if got := string(AppendRFC3339(nil, ns, digits)); got != want {
				t.Fatalf("%d (%d digits): %s, want %s", ns, digits, got, want)
			}
		}
	}
	const day = 86400 * int64(time.Second)
	for ns := int64(0); ns < math.MaxInt64-day; ns += day {
		check(ns)
		check(ns - 1)
		check(ns + day - 1)
	}
	check(math.MaxInt64)
	check(math.MinInt64)
	check(-1)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		check(rng.Int64())
		check(rng.Int64N(4e18))
	}
}
