package index

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSizeReport builds an index of $PCAPDEX_SIZE_CAPTURE and logs build speed, size per
// packet and the bytes of every section and column (run with -v); skipped when unset.
func TestSizeReport(t *testing.T) {
	capPath := os.Getenv("PCAPDEX_SIZE_CAPTURE")
	if capPath == "" {
		t.Skip()
	}
	out := filepath.Join(t.TempDir(), "x.pcapdex")
	t0 := time.Now()
	st, err := BuildFiles(out, []string{capPath}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(t0)
	ci, _ := os.Stat(capPath)
	t.Logf("build %v (%.0f MB/s) packets %d flows %d events %d index %d (%.2f%%) %.2f B/pkt", el, float64(ci.Size())/el.Seconds()/1e6, st.Packets, st.Flows, st.Events, st.Bytes, 100*float64(st.Bytes)/float64(ci.Size()), float64(st.Bytes)/float64(st.Packets))
	r, _ := Open(out)
	defer r.Close()
	for _, s := range r.Sections() {
		t.Logf("%-20s %-10s %8d (raw %8d)", s.Name, s.Type, s.Length, s.RawLength)
	}
	for _, name := range []string{TablePackets, TableFlows} {
		tb, _ := r.Table(name)
		per := make([]int64, len(tb.cols))
		for i, c := range tb.chunks {
			per[i%len(tb.cols)] += c.len
		}
		for i, c := range tb.cols {
			t.Logf("  %s.%-24s %8d", name, c.Name, per[i])
		}
	}
}
