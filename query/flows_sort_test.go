package query

import (
	"cmp"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pcapdex/pcapdex/flowhash"
)

// TestFlowsSortEveryKey: for every sort key, from the index and from the stream, the rows
// are the flows ordered by the key's value (ties in id order), a limit gives the first rows
// of the full order (the limit path reads the key first, then the chosen flows), and the
// limited rows carry every field the full read carries.
func TestFlowsSortEveryKey(t *testing.T) {
	for _, name := range []string{"example.pcap", "many-protocols.pcap"} {
		ix, st, ok := openBoth(t, []string{filepath.Join(corpusDir(t), name)})
		if !ok {
			t.Skipf("%s not indexable", name)
		}
		all := Selection{Since: math.MinInt64, Until: math.MaxInt64}
		for _, s := range []Store{ix, st} {
			var byID []flowhash.Flow
			for f, err := range Flows(s, all, FlowsOptions{Need: FlowAll}) {
				if err != nil {
					t.Fatal(err)
				}
				byID = append(byID, *f)
			}
			for k := range numFlowSorts {
				key := flowSortKeys[k]
				want := slices.Clone(byID)
				slices.SortStableFunc(want, func(a, b flowhash.Flow) int {
					if key.asc {
						return cmp.Compare(key.val(&a), key.val(&b))
					}
					return cmp.Compare(key.val(&b), key.val(&a))
				})
				for _, limit := range []int{0, 1, 5, len(byID) - 1} {
					var got []flowhash.Flow
					for f, err := range Flows(s, all, FlowsOptions{Sort: k, Limit: limit, Need: FlowAll}) {
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, *f)
					}
					w := want
					if limit > 0 {
						w = want[:limit]
					}
					if !slices.Equal(got, w) {
						t.Errorf("%s %T sort %v limit %d: %d flows, differ from the sorted full list", name, s, k, limit, len(got))
					}
				}
			}
			if len(byID) < 50 {
				t.Fatalf("%s: %d flows", name, len(byID))
			}
		}
	}
}

// TestSortKeyedNoAllocs: ordering flows by a value sorts small (value, row) pairs; the
// comparisons allocate nothing (the large Flow used to escape on every comparison).
func TestSortKeyedNoAllocs(t *testing.T) {
	flows := make([]flowhash.Flow, 5000)
	for i := range flows {
		flows[i].ID = uint64(i + 1)
		flows[i].OrigIPBytes = uint64(i * 7919 % 1000)
	}
	ks := make([]keyedRow, 0, len(flows))
	allocs := testing.AllocsPerRun(10, func() {
		ks = sortKeyed(keyFlows(ks[:0], flows, SortBytes), SortBytes)
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("%v allocations to key and sort %d flows, want 0", allocs, len(flows))
	}
	for i := 1; i < len(ks); i++ {
		if ks[i].v > ks[i-1].v || ks[i].v == ks[i-1].v && ks[i].row < ks[i-1].row {
			t.Fatalf("not in order at %d: %v %v", i, ks[i-1], ks[i])
		}
	}
}
