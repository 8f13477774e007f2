package query

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/index"
)

// corpusCaptures lists the capture files of the corpus.
func corpusCaptures(t testing.TB) []string {
	dir := corpusDir(t)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.Contains(n, ".pcap") && e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, n))
		}
	}
	if len(out) < 10 {
		t.Fatalf("corpus: only %d captures in %s", len(out), dir)
	}
	return out
}

// openBoth indexes paths (one set) into a temporary index and opens it, and reads the same
// captures in one streaming pass. ok is false when neither could read the captures.
func openBoth(t testing.TB, paths []string) (ix *IndexStore, st *StreamStore, ok bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "x.pcapdex")
	_, berr := index.BuildFiles(out, paths, index.BuildOptions{})
	st, serr := NewStreamStore(paths, false)
	if berr != nil || serr != nil {
		if (berr == nil) != (serr == nil) && !(serr == nil && st.NumPackets() == 0) {
			t.Fatalf("%v: index build error %v, stream error %v", paths, berr, serr)
		}
		return nil, nil, false
	}
	r, err := index.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ix, err = NewIndexStore(r)
	if err != nil {
		t.Fatal(err)
	}
	return ix, st, true
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			j := 0
			for j < len(x) && j < len(y) && x[j] == y[j] {
				j++
			}
			j = max(j-80, 0)
			return fmt.Sprintf("line %d, from byte %d:\nindex:  %.300s\nstream: %.300s", i+1, j, x[min(j, len(x)):], y[min(j, len(y)):])
		}
	}
	return "(equal)"
}
