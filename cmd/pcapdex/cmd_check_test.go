package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

// checkCaptures make the directory `check` judges in the tests: clean captures, TCP with
// retransmissions and resets, a pcapng whose interface statistics count drops, and a
// damaged file (a pcap version pcapdex rejects).
var checkCaptures = []string{"example.pcap", "gnutella.pcap", "one_http_stream_rst.pcap", "retransmit-fast009.pcap", "test102.pcapng", "pcap-invalid-version-1.pcap"}

// checkDir copies checkCaptures into "archive" in a fresh directory, makes that the
// working directory (so reports name the files alike on every run) and returns "archive".
func checkDir(t *testing.T, names ...string) string {
	t.Helper()
	corpus := testcorpus.Dir(t)
	t.Chdir(t.TempDir())
	dir := "archive"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(corpus, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goldenCheck compares got with testdataDir/check/name, or rewrites it with
// PCAPDEX_GOLDEN_UPDATE set.
func goldenCheck(t *testing.T, testdataDir, name, got string) {
	t.Helper()
	path := filepath.Join(testdataDir, "check", name)
	if os.Getenv("PCAPDEX_GOLDEN_UPDATE") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (PCAPDEX_GOLDEN_UPDATE=1 to rewrite):\n%s", name, got)
	}
}

var checkGates = []string{
	"--fail-on", "retransmissions/tcp_packets > 1%",
	"--fail-on", "client_resets > 0",
	"--fail-on", "gaps(host 10.0.0.6 and port 80) > 2s",
	"--fail-on", "unanswered_syns + slow_handshakes > 5",
	"--fail-on", "drops > 0",
}

// TestCheckDirectory pins check's exit codes, JSON and JUnit on a directory of corpus
// captures: a damaged file gives exit 4 and the others' results; without it a tripped gate
// gives 1; gates that hold give 0; a baseline compares with a previous run.
func TestCheckDirectory(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	testdataDir := filepath.Join(wd, "testdata")
	dir := checkDir(t, checkCaptures...)
	out, se, code := runCLI(t, append([]string{"check", "--format", "json", "--jobs", "2", dir}, checkGates...)...)
	if code != exitPartial {
		t.Errorf("with a damaged file: exit %d, want %d\n%s", code, exitPartial, se)
	}
	if !strings.Contains(se, "pcap-invalid-version-1.pcap: skipped: ") || !strings.Contains(se, "offset 0x0") {
		t.Errorf("stderr does not name the damaged file and offset:\n%s", se)
	}
	goldenCheck(t, testdataDir, "check.json", out)
	out, _, code = runCLI(t, append([]string{"check", "--format", "junit", dir}, checkGates...)...)
	if code != exitPartial {
		t.Errorf("junit: exit %d", code)
	}
	goldenCheck(t, testdataDir, "check.junit.xml", out)
	out, _, _ = runCLI(t, append([]string{"check", dir}, checkGates...)...)
	goldenCheck(t, testdataDir, "check.table", out)

	if err := os.Remove(filepath.Join(dir, "pcap-invalid-version-1.pcap")); err != nil {
		t.Fatal(err)
	}
	if _, se, code := runCLI(t, append([]string{"check", dir}, checkGates...)...); code != exitGate {
		t.Errorf("a tripped gate: exit %d, want %d\n%s", code, exitGate, se)
	}
	if _, se, code := runCLI(t, "check", "--fail-on", "retransmissions/tcp_packets > 10%", "--fail-on", "drops > 20", dir); code != exitOK {
		t.Errorf("gates that hold: exit %d, want 0\n%s", code, se)
	}
	// A baseline: the last run's JSON; 'retransmissions > baseline * 1.5' trips only where
	// retransmissions grew by half.
	base := filepath.Join(t.TempDir(), "last.json")
	last := string(mustRead(t, filepath.Join(testdataDir, "check", "check.json")))
	last = strings.Replace(last, `"retransmissions": 184`, `"retransmissions": 100`, 1) // gnutella grew from 100 to 184
	if err := os.WriteFile(base, []byte(last), 0o644); err != nil {
		t.Fatal(err)
	}
	out, se, code = runCLI(t, "check", "--format", "json", "--baseline", base, "--fail-on", "retransmissions > baseline * 1.5", dir)
	if code != exitGate || strings.Count(out, `"tripped": true`) != 1 || !strings.Contains(out, `"limit": 150`) {
		t.Errorf("baseline: exit %d\n%s\n%s", code, out, se)
	}
	for _, bad := range [][]string{
		{"check", dir},
		{"check", "--fail-on", "retransmision > 1", dir},
		{"check", "--fail-on", "retransmissions > baseline", dir},
		{"check", "--fail-on", "flows > 1", "--format", "xml", dir},
	} {
		if _, _, code := runCLI(t, bad...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", bad, code, exitUsage)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
