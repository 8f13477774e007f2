package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

// copySample copies the shipped sample into a temporary directory (compare indexes it
// beside the capture).
func copySample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompareSelf(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p := copySample(t)
	var out, errb bytes.Buffer
	if code := run([]string{"compare", "--format", "json", p, p}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Flows   []json.RawMessage `json:"flows"`
		Missing []json.RawMessage `json:"missing"`
		Totals  struct {
			Lost     int64 `json:"lost_between"`
			CaptureA int64 `json:"capture_drop_a"`
			CaptureB int64 `json:"capture_drop_b"`
		} `json:"totals"`
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Flows) == 0 || len(res.Missing) != 0 || res.Totals.Lost+res.Totals.CaptureA+res.Totals.CaptureB != 0 {
		t.Errorf("sample against itself: %d flows, %d missing, totals %+v", len(res.Flows), len(res.Missing), res.Totals)
	}
	if !strings.HasPrefix(res.Verdict, "The network between A and B lost nothing") {
		t.Errorf("verdict %q", res.Verdict)
	}
	// The table names the same verdict; the index built for the first side served the second.
	out.Reset()
	if code := run([]string{"compare", p, p, "tcp"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "lost nothing") {
		t.Errorf("table, exit %d:\n%s", code, out.String())
	}
}

func TestCompareUsage(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p := copySample(t)
	before, _ := os.ReadFile(p)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"compare", p}, exitUsage, "two inputs needed"},
		{[]string{"compare", "--format", "csv", p, p}, exitUsage, "want table or json"},
		{[]string{"compare", "-", p}, exitUsage, "not stdin"},
		{[]string{"compare", "--extract-missing", p, p, p}, exitUsage, "is an input capture"},
	} {
		var out, errb bytes.Buffer
		if code := run(c.args, &out, &errb); code != c.code || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errb.String(), c.code, c.msg)
		}
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Error("the input capture changed")
	}
	// --extract-missing elsewhere: a pcapng with no packet (nothing is missing).
	out := filepath.Join(t.TempDir(), "missing.pcapng")
	var o, e bytes.Buffer
	if code := run([]string{"compare", "--extract-missing", out, p, p}, &o, &e); code != exitOK {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Errorf("extract: %v", err)
	}
}

// TestCompareInterfaceDrops: the drops a pcapng's interface statistics report reach the
// result, from the index or, with --no-index, from the capture.
func TestCompareInterfaceDrops(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	b, err := os.ReadFile(testcorpus.Path(t, "test202.pcapng"))
	if err != nil {
		t.Skipf("corpus: %v", err)
	}
	p := filepath.Join(t.TempDir(), "test202.pcapng")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"--no-index"}} {
		var out, errb bytes.Buffer
		args := append(append([]string{"compare", "--format", "json"}, extra...), p, p)
		if code := run(args, &out, &errb); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		var res struct {
			A struct {
				Drops int64 `json:"interface_drops"`
			} `json:"a"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if res.A.Drops != 11 { // the ISBs if_drop, as pcapdex info reports them
			t.Errorf("%v: interface drops %d, want 11", extra, res.A.Drops)
		}
	}
}
