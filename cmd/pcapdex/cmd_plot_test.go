package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotCommand(t *testing.T) {
	capture := sampleCopy(t)
	dir := t.TempDir()
	for _, kind := range []string{"timeline", "activity", "sizes", "top", "seq", "window", "rtt", "events"} {
		for _, ext := range []string{"svg", "png"} {
			out := filepath.Join(dir, kind+"."+ext)
			if _, errs, code := runCLI(t, "plot", kind, capture, "-o", out, "--width", "640", "tcp"); code != 0 {
				t.Fatalf("plot %s -o %s: exit %d: %s", kind, out, code, errs)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			switch ext {
			case "svg":
				if !bytes.Contains(b[:min(len(b), 400)], []byte("<svg")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("</svg>")) {
					t.Errorf("%s: not an SVG document", out)
				}
			case "png":
				cfg, err := png.DecodeConfig(bytes.NewReader(b))
				if err != nil || cfg.Width != 640 {
					t.Errorf("%s: %v, width %d", out, err, cfg.Width)
				}
			}
		}
	}
	for _, bad := range [][]string{
		{"plot", "pie", capture, "-o", filepath.Join(dir, "x.svg")},
		{"plot", "timeline", capture, "-o", filepath.Join(dir, "x.gif")},
		{"plot", "--width", "5", capture},
	} {
		if _, errs, code := runCLI(t, bad...); code != exitUsage || errs == "" {
			t.Errorf("%s: exit %d (%q), want a usage error", strings.Join(bad, " "), code, errs)
		}
	}
}

// TestReadmeCharts runs the chart command of every row of README's questions-and-answers
// table on a copy of the sample, writing into a temporary directory.
func TestReadmeCharts(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skipf("README.md: %v", err)
	}
	capture := sampleCopy(t)
	dir := t.TempDir()
	n := 0
	_, table, ok := strings.Cut(string(b), "| question | command | chart |\n")
	if !ok {
		t.Fatal("README has no questions-and-answers table with a chart column")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 3 || !strings.HasPrefix(line, "| ") {
			continue
		}
		chart := cells[2]
		i := strings.Index(chart, "`pcapdex ")
		if i < 0 {
			continue
		}
		cmd := chart[i+1:]
		cmd = cmd[:strings.Index(cmd, "`")]
		var args []string
		for _, f := range splitQuoted(cmd)[1:] {
			switch {
			case f == "testdata/sample.pcapng":
				f = capture
			case strings.HasSuffix(f, ".svg") || strings.HasSuffix(f, ".png") || strings.HasSuffix(f, ".html"):
				f = filepath.Join(dir, f)
			}
			args = append(args, f)
		}
		if _, errs, code := runCLI(t, args...); code != 0 {
			t.Errorf("README: %s: exit %d: %s", cmd, code, errs)
		}
		n++
	}
	if n < 10 {
		t.Errorf("found %d chart commands in README's table, want one per question", n)
	}
}

// splitQuoted splits a shell-like command line on spaces, keeping 'quoted words' whole.
func splitQuoted(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '\'' {
			j := strings.IndexByte(s[1:], '\'')
			out, s = append(out, s[1:j+1]), s[j+2:]
			continue
		}
		j := strings.IndexByte(s, ' ')
		if j < 0 {
			j = len(s)
		}
		out, s = append(out, s[:j]), s[j:]
	}
	return out
}
