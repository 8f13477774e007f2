package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

func infoCorpusDir(t *testing.T) string { return testcorpus.Dir(t) }

func runInfoTest(t *testing.T, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"info"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestInfoJSON(t *testing.T) {
	dir := infoCorpusDir(t)
	for _, tc := range []struct {
		file string
		code int
		want map[string]any
	}{
		{"test202.pcapng", exitOK, map[string]any{"format": "pcapng", "packets": 8.0, "first_ts": "1340954905.298858000",
			"last_ts": "1340954905.301858000", "frame_bytes": 2304.0, "no_timestamp_packets": 2.0, "snaplen_truncated_frames": 6.0,
			"ts_backward_steps": 1.0, "if_drops": 11.0, "byte_order": "mixed", "sections": 3.0, "blocks_custom": 3.0}},
		{"test016.pcapng", exitOK, map[string]any{"first_ts": "-", "last_ts": "1340954905.300858000", "blocks_nrb": 3.0}},
		{"1000-requests-one-dropped-response.pcap.gz", exitOK, map[string]any{"format": "pcap", "compression": "gzip", "packets": 4102.0}},
		{"sv-http-mime-truncated-input.pcap", exitPartial, map[string]any{"packets": 2696.0, "truncated": true}},
		{"fuzz.pcap", exitPartial, map[string]any{"packets": 1.0, "truncated": false}},
		{"pcap-invalid-version-1.pcap", exitInput, map[string]any{"packets": 0.0}},
		{"tcpdump-empty.pcap", exitOK, map[string]any{"packets": 0.0, "first_ts": "-", "duration": "0.000000000"}},
		{"test902.pcapng", exitOK, map[string]any{"first_ts": "1519128000.195312500", "time_resolution": "2^-8"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			code, out, stderr := runInfoTest(t, "--format", "json", filepath.Join(dir, tc.file))
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %s)", code, tc.code, stderr)
			}
			var arr []map[string]any // --format json: an array, whatever the number of files
			if err := json.Unmarshal([]byte(out), &arr); err != nil || len(arr) != 1 {
				t.Fatalf("not a JSON array of one object: %v\n%s", err, out)
			}
			obj := arr[0]
			for k, v := range tc.want {
				if obj[k] != v {
					t.Errorf("%s = %v (%T), want %v", k, obj[k], obj[k], v)
				}
			}
			if tc.code != exitOK && stderr == "" {
				t.Errorf("no message on stderr for exit %d", tc.code)
			}
		})
	}
}

func TestInfoFormats(t *testing.T) {
	dir := infoCorpusDir(t)
	a, b := filepath.Join(dir, "pptp.pcap"), filepath.Join(dir, "test102.pcapng")
	code, out, _ := runInfoTest(t, "--format", "jsonl", a, b)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 2 {
		t.Fatalf("jsonl: exit %d, %d lines", code, len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("invalid JSON line %s", l)
		}
	}
	code, out, _ = runInfoTest(t, "--format", "json", a, b)
	var arr []map[string]any
	if err := json.Unmarshal([]byte(out), &arr); err != nil || len(arr) != 2 || code != exitOK {
		t.Fatalf("json with 2 files: %v, %d objects", err, len(arr))
	}
	code, out, _ = runInfoTest(t, "--no-mmap", a)
	for _, want := range []string{"File format:              pcap (big-endian)", "Packets:                  23", "First packet time:        954147395.148077000 (2000-03-27 08:56:35.148077000 UTC)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runInfoTest(t, "--format", "xml", a); code != exitUsage {
		t.Errorf("bad --format: exit %d", code)
	}
	if code, _, _ := runInfoTest(t); code != exitUsage {
		t.Errorf("no file: exit %d", code)
	}
	if code, _, _ := runInfoTest(t, filepath.Join(dir, "does-not-exist.pcap")); code != exitInput {
		t.Errorf("missing file: exit %d", code)
	}
}
