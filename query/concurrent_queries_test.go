package query

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pcapdex/pcapdex/index"
)

// TestConcurrentQueries runs queries on two IndexStores (two indexes of two copies of the
// same capture) from two goroutines at once, as two users of the library would. Each result
// must equal the one computed alone, and under -race nothing the two share may be written:
// a package-level buffer used by the flow columns or by top is a data race the race
// detector reports here.
func TestConcurrentQueries(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	var stores [2]*IndexStore
	for i := range stores {
		dir := t.TempDir()
		capture := filepath.Join(dir, "sample.pcapng")
		if err := os.WriteFile(capture, src, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "sample.pcapdex")
		if _, err := index.BuildFiles(out, []string{capture}, index.BuildOptions{}, false, nil); err != nil {
			t.Fatal(err)
		}
		r, err := index.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		if stores[i], err = NewIndexStore(r); err != nil {
			t.Fatal(err)
		}
	}

	// run is one client's session: every flow column (community_id and proto included) and
	// top by port, which print protocol names.
	run := func(st *IndexStore) (string, error) {
		var b bytes.Buffer
		sel := Selection{Since: math.MinInt64, Until: math.MaxInt64}
		if err := WriteFlows(st, sel, FlowsOptions{}, &b, Options{Format: FormatCSV}); err != nil {
			return "", err
		}
		if err := WriteTop(st, sel, TopOptions{By: "port", Metric: "bytes"}, &b, Options{Format: FormatJSONL}); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	want, err := run(stores[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains([]byte(want), []byte("1:")) || !bytes.Contains([]byte(want), []byte("tcp")) {
		t.Fatalf("the flows have no community id or protocol name to print:\n%.500s", want)
	}

	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, st := range stores {
		wg.Go(func() {
			for range rounds {
				got, err := run(st)
				if err != nil {
					errs[i] = err
					return
				}
				if got != want {
					t.Errorf("store %d: output differs from the same query run alone", i)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
}
