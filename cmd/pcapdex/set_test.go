package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/pcapng"
)

// splitCapture writes the packets of the corpus capture name into n files named as
// tcpdump -C names them (dir/NAME, NAME1, ..., NAME<n-1>), and returns the unsplit copy's
// path.
func splitCapture(t *testing.T, name, dir string, n int) string {
	t.Helper()
	src := filepath.Join(testcorpus.Dir(t), name)
	r, err := pcapng.Open(src, pcapng.Options{NoMmap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	type pkt struct {
		ts   int64
		data []byte
		orig uint32
	}
	var pkts []pkt
	var lt pcapng.LinkType
	for {
		var p pcapng.Packet
		if err := r.Next(&p); err != nil {
			break
		}
		lt = p.LinkType
		pkts = append(pkts, pkt{p.TS, append([]byte(nil), p.Data...), p.OrigLen})
	}
	write := func(path string, part []pkt) {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriter(f)
		w, err := pcapng.NewPcapWriter(bw, lt, 65535, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range part {
			if err := w.WritePacket(p.ts, p.data, p.orig); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	whole := filepath.Join(t.TempDir(), name)
	write(whole, pkts)
	per := (len(pkts) + n - 1) / n
	for i := range n {
		path := filepath.Join(dir, name)
		if i > 0 {
			path += fmt.Sprint(i)
		}
		write(path, pkts[min(i*per, len(pkts)):min((i+1)*per, len(pkts))])
	}
	return whole
}

// TestRotatedSet splits a corpus capture as tcpdump -C does into 12 files and reads them
// back as one set: a glob in shell order (x.pcap10 before x.pcap2), the directory, and the
// directory with a damaged file give the flows of the unsplit capture.
func TestRotatedSet(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), "ring")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	whole := splitCapture(t, "gnutella.pcap", dir, 12)
	flows := func(args ...string) (string, string, int) {
		return runCLI(t, append([]string{"flows", "--format", "csv"}, args...)...)
	}
	want, se, code := flows(whole)
	if code != 0 || strings.Count(want, "\n") < 1000 {
		t.Fatalf("unsplit: exit %d, %d lines\n%s", code, strings.Count(want, "\n"), se)
	}
	glob, err := filepath.Glob(filepath.Join(dir, "gnutella.pcap*"))
	if err != nil || len(glob) != 12 || !strings.HasSuffix(glob[2], "gnutella.pcap10") {
		t.Fatalf("glob %v %v", glob, err)
	}
	got, se, code := flows(glob...)
	if code != 0 || got != want {
		t.Errorf("glob in shell order: exit %d, same flows %v\n%s", code, got == want, se)
	}
	if !strings.Contains(se, "in order of each file's first packet") {
		t.Errorf("no note that the order given was changed:\n%s", se)
	}
	got, se, code = flows("--no-index", filepath.Join(dir, "gnutella.pcap*"))
	if code != 0 || got != want {
		t.Errorf("glob pattern, --no-index: exit %d, same flows %v\n%s", code, got == want, se)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a capture"), 0o644)
	got, se, code = flows(dir)
	if code != 0 || got != want {
		t.Errorf("directory: exit %d, same flows %v\n%s", code, got == want, se)
	}
	if !strings.Contains(se, "notes.txt: not a capture name") {
		t.Errorf("the skipped file is not named:\n%s", se)
	}
	// A damaged file in the set is named and left out; the others are answered (exit 4).
	os.WriteFile(filepath.Join(dir, "gnutella.pcap12"), []byte("garbage, not a pcap header at all"), 0o644)
	got, se, code = flows(dir)
	if code != exitPartial || got != want || !strings.Contains(se, "gnutella.pcap12: cannot be read") {
		t.Errorf("damaged file: exit %d, same flows %v\n%s", code, got == want, se)
	}
	// Two files over the same time overlap.
	_, se, _ = flows(whole, filepath.Join(dir, "gnutella.pcap"))
	if !strings.Contains(se, "overlap in time") {
		t.Errorf("no overlap warning:\n%s", se)
	}
}
