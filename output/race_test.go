package output_test

import (
	"bytes"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

// TestTwoQueriesTwoGoroutines: two stores queried and written from two goroutines at once
// give the same bytes as one after the other (a package-level scratch buffer shared by the
// flow columns once raced here; go test -race checks that nothing is shared).
func TestTwoQueriesTwoGoroutines(t *testing.T) {
	path := filepath.Join(testcorpus.Dir(t), "example.pcap")
	write := func(st query.Store, by query.TopBy) []byte {
		all := query.Selection{Since: math.MinInt64, Until: math.MaxInt64}
		var b bytes.Buffer
		opt := output.Options{Format: output.FormatJSONL}
		cols := output.FlowColumns()
		if err := output.WriteFlows(&b, opt, cols, query.Flows(st, all, query.FlowsOptions{Need: output.FlowColumnsNeed(cols)})); err != nil {
			t.Error(err)
		}
		rows, err := query.Top(st, all, query.TopOptions{By: by})
		if err == nil {
			err = output.WriteTop(&b, opt, by, rows)
		}
		if err != nil {
			t.Error(err)
		}
		return b.Bytes()
	}
	var stores [2]*query.StreamStore
	for i := range stores {
		st, err := query.NewStreamStore([]string{path}, false)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = st
	}
	want := [2][]byte{write(stores[0], query.TopPort), write(stores[1], query.TopFlow)}
	var got [2][]byte
	var wg sync.WaitGroup
	for i, by := range []query.TopBy{query.TopPort, query.TopFlow} {
		wg.Go(func() {
			for range 3 {
				got[i] = write(stores[i], by)
			}
		})
	}
	wg.Wait()
	for i := range got {
		if len(want[i]) < 1000 || !bytes.Equal(got[i], want[i]) {
			t.Errorf("goroutine %d: %d bytes, alone %d", i, len(got[i]), len(want[i]))
		}
	}
}
