package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// csvFromTruth renders the committed sample's truth as a flow CSV, optionally changing one
// flow's dup_acks, to check that truthcheck accepts the truth and catches a difference.
func csvFromTruth(t *testing.T, truthPath string, bump uint64) (string, int) {
	m, err := readTruth(truthPath)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("proto,orig_h,orig_p,resp_h,resp_p,orig_pkts,conn_state,dup_acks,extra\n")
	for k, f := range m {
		d := f.DupAcks
		if f.ID == bump {
			d++
		}
		fmt.Fprintf(&b, "%s,%s,%d,%s,%d,%d,%s,%d,x\n", k.proto, k.src, k.sport, k.dst, k.dport, f.Orig.Packets, f.ConnState, d)
	}
	return b.String(), len(m)
}

func TestTruthcheck(t *testing.T) {
	truth := filepath.Join("..", "..", "..", "testdata", "sample.pcapng.truth.json")
	good, n := csvFromTruth(t, truth, 1<<62)
	if n < 390 {
		t.Fatalf("only %d unique flows read from %s", n, truth)
	}
	var out bytes.Buffer
	if code := run([]string{"--truth", truth}, strings.NewReader(good), &out, io.Discard); code != 0 {
		t.Fatalf("identical CSV: exit %d\n%s", code, out.String())
	}
	bad, _ := csvFromTruth(t, truth, 0) // flow 0 is the tour's fast-retransmission flow
	out.Reset()
	if code := run([]string{"--truth", truth}, strings.NewReader(bad), &out, io.Discard); code != 1 || !strings.Contains(out.String(), "dup_acks: 1 flows differ") {
		t.Fatalf("changed CSV: exit %d\n%s", code, out.String())
	}
	missing := good[:strings.LastIndex(strings.TrimSuffix(good, "\n"), "\n")+1] // drop the last row
	out.Reset()
	if code := run([]string{"--truth", truth}, strings.NewReader(missing), &out, io.Discard); code != 1 || !strings.Contains(out.String(), "missing from csv 1") {
		t.Fatalf("CSV without a flow: exit %d\n%s", code, out.String())
	}
}
