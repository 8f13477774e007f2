package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/report"
)

// reportData returns the JSON data embedded in the HTML report at path, decoded.
func reportData(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const open = `<script type="application/json" id="report-data">`
	i := bytes.Index(b, []byte(open))
	if i < 0 {
		t.Fatalf("%s: no report-data element", path)
	}
	rest := b[i+len(open):]
	j := bytes.Index(rest, []byte("</script>"))
	if j < 0 {
		t.Fatalf("%s: report-data not closed", path)
	}
	var d map[string]any
	if err := json.Unmarshal(rest[:j], &d); err != nil {
		t.Fatalf("%s: report data: %v", path, err)
	}
	return d
}

// cliJSON runs a query command and decodes its JSON output.
func cliJSON(t *testing.T, args ...string) any {
	t.Helper()
	out, errs, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("pcapdex %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("pcapdex %s: %v", strings.Join(args, " "), err)
	}
	return v
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s: report has\n%.600s\nthe command prints\n%.600s", what, g, w)
	}
}

// TestReportDataEqualsCommands: the tables embedded in the report are what the query
// commands print in JSON for the same input and filter.
func TestReportDataEqualsCommands(t *testing.T) {
	type tc struct {
		name, capture, host string
		filter              []string
		flags               []string // window flags given to report and to each command
	}
	sample := sampleCopy(t)
	cases := []tc{
		{"sample", sample, "192.0.2.3", []string{"tcp"}, nil},
		{"sample-window", sample, "10.20.0.4", nil, []string{"--since", "+0.05s", "--until", "+3s"}},
	}
	if dir, err := testcorpus.Find(); err == nil {
		src, err := os.ReadFile(filepath.Join(dir, "example.pcap"))
		if err == nil {
			p := filepath.Join(t.TempDir(), "example.pcap")
			if err := os.WriteFile(p, src, 0o644); err != nil {
				t.Fatal(err)
			}
			cases = append(cases, tc{"corpus-example", p, "", nil, nil})
		}
	} else {
		t.Logf("corpus: %v (only the sample is compared)", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			html := filepath.Join(t.TempDir(), "r.html")
			args := append([]string{"report", c.capture, "-o", html}, c.flags...)
			if c.host != "" {
				args = append(args, "--host", c.host)
			}
			_, errs, code := runCLI(t, append(args, c.filter...)...)
			if code != 0 {
				t.Fatalf("report: exit %d: %s", code, errs)
			}
			d := reportData(t, html)
			q := func(args ...string) any {
				return cliJSON(t, append(append(append(append([]string{}, args...), c.flags...), c.capture), c.filter...)...)
			}
			ns := func(key string) string { return fmt.Sprintf("%dns", int64(dig(d, "timeline", key).(float64))) }
			sameJSON(t, "timeline", dig(d, "timeline", "rows"), q("timeline", "--bucket", ns("bucket_ns"), "--format", "json"))
			sameJSON(t, "gaps", dig(d, "timeline", "gaps"), q("gaps", "--min", ns("gap_min_ns"), "--format", "json"))
			sameJSON(t, "sizes", dig(d, "sizes", "summary"), q("sizes", "--format", "json"))
			sameJSON(t, "sizes --histogram", dig(d, "sizes", "histogram"), q("sizes", "--histogram", "--format", "json"))
			for i, tt := range report.TopTables {
				sameJSON(t, "top "+tt.By.String()+" "+tt.Metric.String(), dig(d, "top", i, "rows"),
					q("top", "--by", tt.By.String(), "--metric", tt.Metric.String(), "-n", "20", "--format", "json"))
			}
			rsts := q("concurrent", "--from", "orig", "--format", "json").([]any)
			sameJSON(t, "client resets", dig(d, "problems", "client_rsts"), rsts[:min(len(rsts), report.MaxProblems)])
			if c.host != "" {
				filter := "tcp and host " + c.host
				if len(c.filter) > 0 {
					filter = "(" + strings.Join(c.filter, " ") + ") and " + filter
				}
				sameJSON(t, "host flows", dig(d, "host", "rows"), cliJSON(t, append(append([]string{"flows", "--columns", strings.Join(report.HostColumns, ","),
					"--limit", "2000", "--format", "json"}, c.flags...), c.capture, filter)...))
			}
			// Events: the drawn points are the events command's rows.
			evs := q("events", "--format", "json").([]any)
			if got := int(dig(d, "events", "total").(float64)); got != len(evs) {
				t.Errorf("events: report counts %d, the command prints %d", got, len(evs))
			}
			types := dig(d, "events", "types").([]any)
			ts, fl, ty := dig(d, "events", "ts").([]any), dig(d, "events", "flow").([]any), dig(d, "events", "type").([]any)
			if len(ts) != min(len(evs), 20000) {
				t.Fatalf("events drawn: %d, want %d", len(ts), min(len(evs), 20000))
			}
			for i, e := range evs {
				if i >= len(ts) {
					break
				}
				m := e.(map[string]any)
				at, err := time.Parse(time.RFC3339Nano, m["ts"].(string))
				if err != nil {
					t.Fatal(err)
				}
				if d := ts[i].(float64) - float64(at.UnixNano())/1e9; d > 1e-6 || d < -1e-6 ||
					fl[i].(float64) != m["flow_id"].(float64) || types[int(ty[i].(float64))-1] != m["type"] {
					t.Fatalf("event %d: report (%v, flow %v, %v), command %v", i, ts[i], fl[i], types[int(ty[i].(float64))-1], m)
				}
			}
			// The summary's counts.
			sizes := q("sizes", "--format", "json").([]any)
			if len(sizes) > 0 {
				if got, want := dig(d, "summary", "packets"), dig(sizes, 0, "packets"); got != want {
					t.Errorf("summary packets %v, sizes says %v", got, want)
				}
			}
			if got, want := dig(d, "summary", "flows").(float64), float64(len(q("flows", "--format", "json").([]any))); got != want {
				t.Errorf("summary flows %v, flows prints %v", got, want)
			}
		})
	}
}

// TestReportAndPlotEveryCorpusFile: report and every plot kind on each real capture end
// with a file or a clear error (never a panic): odd spans (1970 to 2012), fuzzed files,
// captures without TCP.
func TestReportAndPlotEveryCorpusFile(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus sweep skipped in -short mode")
	}
	dir, err := testcorpus.Find()
	if err != nil {
		t.Skipf("corpus: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".tsv") || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".pcapdex") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		capture := filepath.Join(tmp, name)
		if err := os.WriteFile(capture, src, 0o644); err != nil {
			t.Fatal(err)
		}
		html := filepath.Join(tmp, name+".html")
		_, errs, code := runCLI(t, "report", capture, "-o", html)
		switch code {
		case exitOK, exitPartial:
			d := reportData(t, html)
			if d["summary"] == nil || d["timeline"] == nil {
				t.Errorf("%s: report data lacks sections", name)
			}
		case exitInput:
			if !strings.Contains(errs, name) {
				t.Errorf("%s: report failed without naming the file: %s", name, errs)
			}
			continue
		default:
			t.Errorf("%s: report exit %d: %s", name, code, errs)
			continue
		}
		for _, kind := range []string{"timeline", "activity", "sizes", "top", "seq", "window", "rtt", "events"} {
			out := filepath.Join(tmp, name+"."+kind+".svg")
			_, errs, code := runCLI(t, "plot", kind, capture, "-o", out)
			if code != exitOK && code != exitPartial && !strings.Contains(errs, "nothing to draw") {
				t.Errorf("%s: plot %s: exit %d: %s", name, kind, code, errs)
			}
		}
	}
}
