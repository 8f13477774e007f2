package query

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/pcapng"
)

var indexFilters = []string{
	"tcp", "udp", "icmp or icmp6", "not tcp and not udp", "ip", "ip6",
	"host 10.0.0.1", "src net 10.0.0.0/8", "dst net 192.168.0.0/16", "net 0.0.0.0/0", "net ::/0",
	"net 2001::/16 or net fe80::/10", "net 128.0.0.0/1 and not net 172.16.0.0/12",
	"port 80 or 443", "src port 80", "dst portrange 1-1023", "portrange 1024-65535 and udp",
	"vlan", "vlan 100 or vlan 200 or vlan 1", "not vlan",
	"state == SF", "state == S0 or state == REJ", "not state == SF",
	"retransmissions", "dup_acks > 2", "out_of_order", "zero_windows",
	"syn_rtt > 1ms", "not syn_rtt > 1ms", "syn_rtt <= 100us",
	"bytes > 10KB and duration > 1s", "pkts >= 10", "orig_bytes > 1000", "resp_pkts == 0",
	"syn and not fin", "rst", "fin or rst",
	"tcp and (retransmissions or dup_acks) and not port 22",
}

// TestIndexSource builds indexes of corpus captures and checks that the plan over the
// index's postings and columns selects exactly the rows the row evaluator accepts when
// reading the same index's flows table, and that those rows agree with flowhash's records.
func TestIndexSource(t *testing.T) {
	dir := corpusDir(t)
	ran := 0
	for _, name := range []string{"example.pcap", "many-protocols.pcap", "206_example_b.pcap", "VlanPackets.pcap", "802.1ad_QinQ.pcap"} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s: absent, skipped", name)
			continue
		}
		ran++
		out := filepath.Join(t.TempDir(), name+".pcapdex")
		if _, err := index.BuildFiles(out, []string{path}, index.BuildOptions{}); err != nil {
			t.Fatalf("%s: build: %v", name, err)
		}
		r, err := index.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		src, err := NewIndexSource(r)
		if err != nil {
			t.Fatal(err)
		}
		var rows []FlowFields
		for b := 0; b < src.NumBlocks(); b++ {
			blk, first, err := src.FlowRows(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			if int(first) != len(rows) {
				t.Fatalf("%s: block %d starts at %d, want %d", name, b, first, len(rows))
			}
			rows = append(rows, blk...)
		}
		if len(rows) != src.NumFlows() {
			t.Fatalf("%s: %d rows, NumFlows %d", name, len(rows), src.NumFlows())
		}
		checkAgainstFlowhash(t, name, path, rows)

		vlans := 0
		for i := range rows {
			if rows[i].VLAN >= 0 {
				vlans++
			}
		}
		for _, fs := range indexFilters {
			p, err := CompileFlows(filter.MustParse(fs))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Eval(src)
			if err != nil {
				t.Fatalf("%s %q: %v", name, fs, err)
			}
			var want []uint32
			for i := range rows {
				if p.MatchFlow(&rows[i]) {
					want = append(want, uint32(i))
				}
			}
			if g := got.ToArray(); !slices.Equal(g, want) {
				t.Fatalf("%s %q: index plan selects %d flows %v, rows %d %v", name, fs, len(g), head(g), len(want), head(want))
			}
			if fs == "vlan" && len(want) != vlans {
				t.Fatalf("%s: vlan selects %d of %d tagged flows", name, len(want), vlans)
			}
		}
		// --since/--until windows: the index's Window agrees with the rows.
		if len(rows) > 0 {
			lo, hi := rows[0].Start, rows[0].End
			for i := range rows {
				lo, hi = min(lo, rows[i].Start), max(hi, rows[i].End)
			}
			for _, w := range [][2]int64{{lo, hi}, {lo, lo}, {hi, hi}, {lo + (hi-lo)/3, lo + (hi-lo)/2}, {hi + 1, hi + 2}, {hi, lo}} {
				got, err := src.Window(w[0], w[1])
				if err != nil {
					t.Fatal(err)
				}
				var want []uint32
				for i := range rows {
					if rows[i].Overlaps(w[0], w[1]) {
						want = append(want, uint32(i))
					}
				}
				if !slices.Equal(got.ToArray(), want) {
					t.Fatalf("%s: Window(%d, %d) selects %d flows, rows %d", name, w[0], w[1], got.GetCardinality(), len(want))
				}
				if w == [2]int64{lo, hi} && len(want) != len(rows) {
					t.Fatalf("%s: the whole capture's window misses flows", name)
				}
			}
		}
		t.Logf("%s: %d flows (%d tagged), %d filters agree", name, len(rows), vlans, len(indexFilters))
	}
	if ran == 0 {
		t.Skip("no corpus captures")
	}
}

func head(s []uint32) []uint32 { return s[:min(len(s), 10)] }

// checkAgainstFlowhash compares the index's flow rows with flowhash's records of the same
// capture, field by field (the index adds VLANs and ORs the packets' flags, which flowhash
// records do not carry; those are compared on what both know).
func checkAgainstFlowhash(t *testing.T, name, path string, rows []FlowFields) {
	t.Helper()
	rd, err := pcapng.Open(path, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := flowhash.Process(rd, flowhash.Options{})
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Flows) != len(rows) {
		t.Fatalf("%s: index has %d flows, flowhash %d", name, len(rows), len(res.Flows))
	}
	for i := range rows {
		var ff FlowFields
		ff.SetFlow(&res.Flows[i])
		got := rows[i]
		if ff.Flags&^got.Flags != 0 {
			t.Fatalf("%s flow %d: flowhash flags %03b not among the index's %03b", name, i, ff.Flags, got.Flags)
		}
		got.VLAN, got.Flags = ff.VLAN, ff.Flags
		if got != ff {
			t.Fatalf("%s flow %d:\nindex    %+v\nflowhash %+v", name, i, got, ff)
		}
	}
}
