package compare

import "slices"

// mergeRuns merges runs, each sorted by cmp, into one sorted slice: pairwise, in
// O(n log runs), cheaper than sorting the concatenation when there are few long runs (a
// capture's packets are in time order flow by flow). A run not in order is sorted first.
func mergeRuns[T any](runs [][]T, cmp func(a, b T) int) []T {
	n := 0
	var rs [][]T
	for _, r := range runs {
		if len(r) == 0 {
			continue
		}
		if !slices.IsSortedFunc(r, cmp) {
			r = slices.Clone(r)
			slices.SortStableFunc(r, cmp)
		}
		rs = append(rs, r)
		n += len(r)
	}
	switch len(rs) {
	case 0:
		return nil
	case 1:
		return slices.Clone(rs[0])
	}
	for len(rs) > 1 {
		var next [][]T
		for i := 0; i+1 < len(rs); i += 2 {
			next = append(next, merge2(rs[i], rs[i+1], cmp))
		}
		if len(rs)%2 == 1 {
			next = append(next, rs[len(rs)-1])
		}
		rs = next
	}
	return rs[0]
}

func merge2[T any](a, b []T, cmp func(a, b T) int) []T {
	out := make([]T, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if cmp(b[j], a[i]) < 0 {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// median returns the median of ys, from an evenly strided sample of at most 8191 values
// (it only orients a flow: which point its packets pass first).
func median(ys []int64) int64 {
	step := max(1, len(ys)/8191)
	s := make([]int64, 0, len(ys)/step+1)
	for i := 0; i < len(ys); i += step {
		s = append(s, ys[i])
	}
	slices.Sort(s)
	return s[len(s)/2]
}
