package report

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/query"
)

// TestGatherSameFromIndexAndStream: the report's data is the same bytes whether an index
// or a one-pass read of the capture answers, and run twice.
func TestGatherSameFromIndexAndStream(t *testing.T) {
	src, err := os.ReadFile("../testdata/sample.pcapng")
	if err != nil {
		t.Skipf("sample: %v", err)
	}
	p := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
	gather := func(noIndex bool) []byte {
		in, err := query.Open([]string{p}, query.OpenOptions{NoIndex: noIndex, Keep: query.StreamKeepAll})
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		plan := mustPlan(t, "tcp or udp")
		sel, err := in.Select(plan, query.NoSince, query.NoUntil)
		if err != nil {
			t.Fatal(err)
		}
		o := Options{Files: []string{"sample.pcapng"}, Host: netip.MustParseAddr("10.20.0.4"), HostPlan: mustPlan(t, "(tcp or udp) and host 10.20.0.4")}
		d, err := Gather(in.Store, sel, o)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b, c := gather(false), gather(false), gather(true)
	if !bytes.Equal(a, b) {
		t.Error("two reports of the same index differ")
	}
	if !bytes.Equal(a, c) {
		i := 0
		for i < min(len(a), len(c)) && a[i] == c[i] {
			i++
		}
		t.Errorf("index and one-pass reports differ at byte %d:\nindex:  %.200s\nstream: %.200s", i, a[max(0, i-40):], c[max(0, i-40):])
	}
}
