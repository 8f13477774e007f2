package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

// goldenRunFile pins every command's output on every corpus capture: one line per (capture,
// command line) with the exit code, the stdout size and its SHA-256. It was written before
// the query and output code moved between packages, so a move that changes a byte fails.
// After a deliberate change of output, regenerate it with
//
//	PCAPDEX_GOLDEN_UPDATE=1 go test ./cmd/pcapdex -run TestGoldenRun
//
// and say in the commit which outputs changed and why.
const goldenRunFile = "testdata/golden-run.tsv"

// goldenRunCases are the command lines run on each capture (INPUT is replaced by its path,
// INDEX by its index path). "index" hashes the index file written, not stdout.
var goldenRunCases = []string{
	"info INPUT",
	"info --format json INPUT",
	"index -o INDEX INPUT",
	"flows INPUT --index INDEX",
	"flows INPUT --index INDEX --format csv --columns " + allFlowColumnsForGolden,
	"flows INPUT --index INDEX --format json --sort bytes --limit 20",
	"flows INPUT --index INDEX --format jsonl --time epoch tcp and syn_rtt > 1ms",
	"packets INPUT --index INDEX --format csv",
	"packets INPUT --index INDEX --format jsonl --time relative tcp and port 80",
	"timeline INPUT --index INDEX --bucket 1s --format csv",
	"timeline INPUT --index INDEX --bucket 100ms udp",
	"gaps INPUT --index INDEX --min 100ms --format csv",
	"top INPUT --index INDEX --by host -n 20",
	"top INPUT --index INDEX --by port --metric packets --format json",
	"top INPUT --index INDEX --by pair --format csv",
	"top INPUT --index INDEX --by flow -n 5 tcp",
	"sizes INPUT --index INDEX",
	"sizes INPUT --index INDEX --histogram --format csv",
	"events INPUT --index INDEX --format csv",
	"events INPUT --index INDEX --type rst,retransmission,zero_window",
	"concurrent INPUT --index INDEX --format csv",
	"concurrent INPUT --index INDEX --from orig --format jsonl",
	"extract -w - --annotate INPUT --index INDEX tcp",
	"flows INPUT --no-index --format csv",
	"events INPUT --no-index --format jsonl",
}

const allFlowColumnsForGolden = "flow_id,community_id,ts,ts_end,orig_h,orig_p,resp_h,resp_p,proto,duration,orig_bytes,resp_bytes,conn_state,history,orig_pkts,orig_ip_bytes,resp_pkts,resp_ip_bytes,syn_rtt"

// TestGoldenRun runs goldenRunCases on every corpus capture, copied to a fixed path with a
// fixed mtime (the index records both), and compares with goldenRunFile.
func TestGoldenRun(t *testing.T) {
	if testing.Short() {
		t.Skip("the golden run reads the whole corpus (skipped with -short)")
	}
	dir := testcorpus.Dir(t)
	rows := testcorpus.Manifest(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("TZ", "UTC")
	work := filepath.Join(os.TempDir(), fmt.Sprintf("pcapdex-golden-run-%d", os.Getuid()))
	lockGoldenRun(t, work+".lock")
	if err := os.RemoveAll(work); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	mtime := time.Unix(1_700_000_000, 0)

	var got bytes.Buffer
	for _, row := range rows {
		name := row["file"]
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(work, name)
		if err := os.WriteFile(in, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(in, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		idx := filepath.Join(work, name+".golden.pcapdex")
		for _, c := range goldenRunCases {
			var args []string
			for _, w := range strings.Fields(c) {
				switch w {
				case "INPUT":
					w = in
				case "INDEX":
					w = idx
				}
				args = append(args, w)
			}
			out, _, code := runCLI(t, args...)
			if args[0] == "index" {
				ib, err := os.ReadFile(idx)
				if err != nil && code == exitOK {
					t.Fatalf("%s: %s: %v", name, c, err)
				}
				out = string(ib)
			}
			sum := sha256.Sum256([]byte(out))
			fmt.Fprintf(&got, "%s\t%s\t%d\t%d\t%s\n", name, c, code, len(out), hex.EncodeToString(sum[:12]))
		}
	}
	if os.Getenv("PCAPDEX_GOLDEN_UPDATE") != "" {
		if err := os.WriteFile(goldenRunFile, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenRunFile)
		return
	}
	want, err := os.ReadFile(goldenRunFile)
	if err != nil {
		t.Fatalf("%v (write it with PCAPDEX_GOLDEN_UPDATE=1)", err)
	}
	wantLines := readLines(want)
	gotLines := readLines(got.Bytes())
	if len(wantLines) != len(gotLines) {
		t.Errorf("%d golden lines, want %d", len(gotLines), len(wantLines))
	}
	bad := 0
	for i := range min(len(wantLines), len(gotLines)) {
		if wantLines[i] != gotLines[i] {
			bad++
			if bad <= 30 {
				t.Errorf("output changed:\n got  %s\n want %s", gotLines[i], wantLines[i])
			}
		}
	}
	if bad > 30 {
		t.Errorf("... %d lines differ in all", bad)
	}
}

func readLines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
