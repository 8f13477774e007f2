package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestFollowOnceQueries: a capture written half, followed, then written whole and followed
// again; every query command answers from the follow directory as from the capture.
func TestFollowOnceQueries(t *testing.T) {
	src, err := os.ReadFile("../../testdata/sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	live := filepath.Join(dir, "live.pcapng")
	fdir := filepath.Join(t.TempDir(), "follow")
	follow := func(n int) {
		t.Helper()
		if err := os.WriteFile(live, src[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := run([]string{"follow", "--once", "--index", fdir, "--settle", "1h", dir}, &stdout, &stderr); code != exitOK {
			t.Fatalf("follow exit %d: %s", code, stderr.String())
		}
	}
	follow(len(src)/2 + 4096 + 7) // stops mid-record
	follow(len(src))
	queries := [][]string{
		{"flows"}, {"packets", "tcp"}, {"events"}, {"timeline", "--bucket", "1s"}, {"gaps"}, {"top"}, {"sizes"},
		{"concurrent"}, {"flows", "retransmissions > 0 or port 53"},
	}
	for _, q := range queries {
		var a, b, ea, eb bytes.Buffer
		argsA := append([]string{q[0], "--format", "csv", fdir}, q[1:]...)
		argsB := append([]string{q[0], "--format", "csv", "--no-index", live}, q[1:]...)
		ca := run(argsA, &a, &ea)
		cb := run(argsB, &b, &eb)
		if ca != cb || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%v: follow dir exit %d (%d bytes, %s), capture exit %d (%d bytes, %s)", q, ca, a.Len(), ea.String(), cb, b.Len(), eb.String())
		}
		if a.Len() == 0 {
			t.Errorf("%v: no output", q)
		}
	}
}

// TestFollowOnceGate: --once with a rule still firing at the end exits 1 and prints the
// alert as JSON on stdout; a bad rules file is a usage error naming it.
func TestFollowOnceGate(t *testing.T) {
	rules := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(rules, []byte("[[rule]]\nname = \"busy\"\nmetric = \"packets/s\"\nwindow = \"60s\"\nwarn = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"follow", "--once", "--index", t.TempDir(), "--rules", rules, "../../testdata/sample.pcap"}, &stdout, &stderr)
	if code != exitGate || !bytes.HasPrefix(stdout.Bytes(), []byte(`{"rule":"busy","key":"all","state":"firing","level":"warn"`)) ||
		!bytes.Contains(stderr.Bytes(), []byte("WARN busy [all]")) {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, stdout.String(), stderr.String())
	}
	if err := os.WriteFile(rules, []byte("[[rule]]\nname = \"x\"\nmetric = \"bogus\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{"follow", "--once", "--rules", rules, "../../testdata/sample.pcap"}, &stdout, &stderr); code != exitUsage ||
		!bytes.Contains(stderr.Bytes(), []byte(rules)) {
		t.Fatalf("bad rules: exit %d, %s", code, stderr.String())
	}
}
