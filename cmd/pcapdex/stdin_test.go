package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A capture on stdin is streamed (it cannot be indexed and re-read), except by extract, which
// must read packets back by offset and says so.
func TestStdinCapture(t *testing.T) {
	stdinSample(t)

	var out, errb bytes.Buffer
	if code := run([]string{"flows", "--format", "csv", "-", "udp"}, &out, &errb); code != exitOK {
		t.Fatalf("flows -: exit %d: %s", code, errb.String())
	}
	// testdata/README.md: 100 DNS flows in the sample.
	if rows := strings.Count(out.String(), "\n") - 1; rows != 100 {
		t.Errorf("flows - udp: %d rows, want the sample's 100 UDP flows", rows)
	}

	out.Reset()
	errb.Reset()
	code := run([]string{"extract", "-w", filepath.Join(t.TempDir(), "x.pcap"), "-", "tcp"}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "give a file, not stdin") {
		t.Errorf("extract -: exit %d, stderr %q; want exit 2 and the reason", code, errb.String())
	}
}

// stdinSample makes testdata/sample.pcap the process's standard input for the rest of the
// test.
func stdinSample(t *testing.T) {
	t.Helper()
	sample, err := os.Open(filepath.Join("..", "..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = sample
	t.Cleanup(func() { os.Stdin = old; sample.Close() })
}
