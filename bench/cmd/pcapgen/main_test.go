package main

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/bench/synth"
	"github.com/pcapdex/pcapdex/pcapng"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"123", 123}, {"10KB", 10e3}, {"1.5MB", 1.5e6}, {"1GB", 1e9}, {"2GiB", 2 << 30}, {"64kib", 64 << 10}, {"7b", 7}} {
		got, err := parseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "GB", "-1MB", "1XB", "abc"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

// TestRunWritesReadableCaptures writes both formats through the CLI and reads them back with
// pcapdex's reader: same packet count as asked and as the truth's totals.
func TestRunWritesReadableCaptures(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.pcap", "a.pcapng"} {
		out, truth := filepath.Join(dir, name), filepath.Join(dir, name+".json")
		var stderr bytes.Buffer
		if code := run([]string{"-o", out, "--packets", "5000", "--seed", "3", "--truth", truth, "-q"}, io.Discard, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr.String())
		}
		tr, err := synth.ReadTruthFile(truth)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapng.Open(out, pcapng.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var p pcapng.Packet
		var n, bytes int64
		last := int64(0)
		for {
			err := r.Next(&p)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.TS < last || p.LinkType != pcapng.LinkTypeEthernet {
				t.Fatalf("%s: packet %d: ts %d after %d, link %d", name, p.Ordinal, p.TS, last, p.LinkType)
			}
			last = p.TS
			n++
			bytes += int64(p.CapLen)
		}
		r.Close()
		if n != 5000 || tr.Totals.Packets != 5000 || bytes != tr.Totals.FrameBytes || tr.Totals.LastNS != last {
			t.Errorf("%s: read %d packets %d bytes last ts %d; truth %+v", name, n, bytes, last, tr.Totals)
		}
		want := synth.FormatPcap
		if filepath.Ext(name) == ".pcapng" {
			want = synth.FormatPcapng
		}
		if tr.Format != want || r.Format().String() != want {
			t.Errorf("%s: truth format %q, reader format %q, want %q", name, tr.Format, r.Format(), want)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--packets", "5"}, {"-o", "x", "extra"}, {"-o", "x", "--size", "lots"}, {"--bogus"}} {
		if code := run(args, io.Discard, io.Discard); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
	if code := run([]string{"-o", filepath.Join(t.TempDir(), "x.pcap")}, io.Discard, io.Discard); code != 1 {
		t.Errorf("no limit: exit %d, want 1", code)
	}
}
