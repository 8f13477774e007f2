package query_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
	. "github.com/pcapdex/pcapdex/query"
)

// fieldKnownDiffs are (capture, field) pairs whose column differs from tshark's, with why.
var fieldKnownDiffs = map[[2]string]string{
	// tshark reassembles IP fragments and shows UDP on the last fragment; pcapdex decodes
	// packets one by one and sees UDP on the first.
	{"ip4_fragments.pcap", "udp.srcport"}: "IP reassembly",
	{"ip4_fragments.pcap", "udp.dstport"}: "IP reassembly",
	{"ip4_fragments.pcap", "udp.length"}:  "IP reassembly",
	{"ip4_fragments.pcap", "udp.stream"}:  "IP reassembly",
	// tshark scales the window of flow 4, whose SYN-ACK was not captured, by the SYN's shift;
	// pcapdex leaves it unscaled. Not yet examined further.
	{"raw_ip.pcap", "tcp.window_size"}: "window scaling of a flow without a captured SYN-ACK",
}

// TestPacketFieldsEqualTshark: PacketFields writes, row for row, what tshark -T fields -e
// writes for every field in testdata/tshark-fields.tsv (made by tshark_display.py fields).
func TestPacketFieldsEqualTshark(t *testing.T) {
	dir := testcorpus.Dir(t)
	b, err := os.ReadFile(filepath.Join("testdata", "tshark-fields.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(string(b), "# ")[1:]
	tmp := t.TempDir()
	ncap, ncols := 0, 0
	for _, sec := range sections {
		lines := strings.Split(strings.TrimSuffix(sec, "\n"), "\n")
		capture, header, want := lines[0], strings.Split(lines[1], "\t"), lines[2:]
		in, err := Open([]string{filepath.Join(dir, capture)}, OpenOptions{IndexPath: filepath.Join(tmp, capture+".pcapdex")})
		if err != nil {
			t.Fatalf("%s: %v", capture, err)
		}
		sel, err := in.Select(nil, NoSince, NoUntil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		err = PacketFields(in.Store, sel, header, func(frame int64, vals [][]byte) error {
			got = append(got, string(bytes.Join(vals, []byte("\t"))))
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", capture, err)
		}
		// The frame.* fields alone come from the index without reading packets back.
		var frameRows []string
		err = PacketFields(in.Store, sel, header[:3], func(frame int64, vals [][]byte) error {
			frameRows = append(frameRows, string(bytes.Join(vals, []byte("\t"))))
			return nil
		})
		in.Close()
		if err != nil {
			t.Fatalf("%s: %v", capture, err)
		}
		for i := range frameRows {
			if w := strings.Join(strings.Split(want[i], "\t")[:3], "\t"); i >= len(want) || frameRows[i] != w {
				t.Errorf("%s: frame fields row %d: %q, tshark %q", capture, i+1, frameRows[i], w)
				break
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d rows, tshark %d", capture, len(got), len(want))
			continue
		}
		bad := map[string]int{}
		first := map[string]string{}
		for i := range want {
			g, w := strings.Split(got[i], "\t"), strings.Split(want[i], "\t")
			for j, name := range header {
				if j < len(g) && j < len(w) && g[j] != w[j] {
					if bad[name] == 0 {
						first[name] = "row " + w[0] + ": " + g[j] + " want " + w[j]
					}
					bad[name]++
				}
			}
		}
		for name, n := range bad {
			if why, ok := fieldKnownDiffs[[2]string{capture, name}]; ok {
				t.Logf("%s: %s differs in %d rows (known: %s)", capture, name, n, why)
				continue
			}
			t.Errorf("%s: %s differs in %d rows (first %s)", capture, name, n, first[name])
		}
		ncap++
		ncols = len(header)
	}
	t.Logf("%d fields on %d captures", ncols, ncap)
}
