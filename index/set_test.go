package index

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// TestExpandRotationOrder: a directory gives tcpdump -C and dumpcap ring names in ring
// order (not text order), and names the files it skips.
func TestExpandRotationOrder(t *testing.T) {
	dir := t.TempDir()
	names := []string{"x.pcap", "x.pcap1", "x.pcap2", "x.pcap10", "x.pcap11",
		"ring_00002_20240102150500.pcapng", "ring_00001_20240102150405.pcapng", "ring_00010_20240102160000.pcapng",
		"x.pcap.pcapdex", ".hidden.pcap", "notes.txt"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths, skipped, err := ExpandCapturesSkipped([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range paths {
		got = append(got, filepath.Base(p))
	}
	want := []string{"ring_00001_20240102150405.pcapng", "ring_00002_20240102150500.pcapng", "ring_00010_20240102160000.pcapng",
		"x.pcap", "x.pcap1", "x.pcap2", "x.pcap10", "x.pcap11"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q\nwant  %q", got, want)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "notes.txt") {
		t.Errorf("skipped %q", skipped)
	}
	// A set of files that are not captures: each is named, and with none left the first
	// one's error is returned.
	if _, err := ExpandSet(paths[:2], pcapng.Options{}); err == nil {
		t.Errorf("a set of unreadable files gave no error")
	}
}
