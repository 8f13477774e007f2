package compare

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/pcapng"
)

// cleanCapture reports whether src reads to the end without error, every time at or after
// the epoch (derive writes B with pcapng's writer, which takes no negative times).
func cleanCapture(src string) bool {
	r, err := pcapng.Open(src, pcapng.Options{})
	if err != nil {
		return false
	}
	defer r.Close()
	var pk pcapng.Packet
	for {
		err := r.Next(&pk)
		if err == io.EOF {
			return !r.Truncated()
		}
		if err != nil || pk.TS < 0 || pk.TS > 1<<62 {
			return false
		}
	}
}

// TestCorpusAllDerived runs TestCorpusDerived's check on every corpus capture that reads
// cleanly: B is A with frames deleted, time shifted by 2.5 s and stretched by 30 ppm, TTLs
// decremented, and compare lists exactly the deleted frames, at A. (Some captures span
// years: 30 ppm of that is beyond the default --max-offset, so it is raised here.)
func TestCorpusAllDerived(t *testing.T) {
	dir := testcorpus.Dir(t)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("corpus: %v", err)
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".pcap") && !strings.HasSuffix(n, ".pcapng") {
			continue
		}
		t.Run(n, func(t *testing.T) {
			src := filepath.Join(dir, n)
			if !cleanCapture(src) {
				t.Skip("not a clean capture (errors, cut tail or times before 1970)")
			}
			del := chooseDeleted(t, src)
			dst := filepath.Join(t.TempDir(), "b.pcapng")
			derive(t, src, dst, del, 2_500_000_000, 30)
			res, err := Compare(openSide(t, src), openSide(t, dst), Options{MaxOffset: 1 << 62})
			if err != nil {
				t.Fatal(err)
			}
			var got, want []int64
			for _, m := range res.Missing {
				got = append(got, m.Frame)
				if m.Point != "a" {
					t.Errorf("frame %d of B reported seen at B only (%s)", m.Frame, m.Verdict)
				}
			}
			for f := range del {
				want = append(want, f)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("seen at A only %v, deleted %v", got, want)
			}
		})
	}
}
