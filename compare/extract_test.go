package compare

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// TestExtractMissing writes the generated pair's packets seen at one point only and reads
// them back: one per Missing entry, in order, the bytes of the frame it names, each with
// a comment giving the point and the verdict.
func TestExtractMissing(t *testing.T) {
	g := generate()
	pa, pb := g.write(t, t.TempDir())
	a, b := openSide(t, pa), openSide(t, pb)
	res, err := Compare(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := ExtractMissing(res, a, b, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(res.Missing) || n == 0 {
		t.Fatalf("wrote %d packets, %d missing", n, len(res.Missing))
	}
	r, err := pcapng.NewBytesReader("extract", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{
		"lost_between": "lost in the network between A and B", "capture_drop_a": "dropped by A's capture",
		"capture_drop_b": "dropped by B's capture", "duplicated_between": "duplicated between A and B",
	}
	var pk pcapng.Packet
	for i := 0; ; i++ {
		err := r.Next(&pk)
		if err == io.EOF {
			if i != n {
				t.Errorf("read back %d packets, wrote %d", i, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m := res.Missing[i]
		c := string(pk.Comment())
		if !strings.Contains(c, "seen at "+strings.ToUpper(m.Point)+" only") || !strings.Contains(c, why[m.Verdict]) || pk.TS != m.TS {
			t.Errorf("packet %d (%+v): comment %q, time %d", i+1, m, c, pk.TS)
		}
		obs := g.obsA
		if m.Point == "b" {
			obs = g.obsB
		}
		want := obs[m.Frame-1].p.frame(m.Point == "b", g.seqShiftB)
		if !bytes.Equal(pk.Data, want) {
			t.Errorf("packet %d: not the bytes of frame %d at %s", i+1, m.Frame, m.Point)
		}
	}
}
