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
