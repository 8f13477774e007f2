package output

import (
	"io"

	"github.com/pcapdex/pcapdex/query"
)

// WriteSizes writes the summary row of query.Sizes: packets, bytes, min, p25, p50, p75,
// p90, p99, max and mean (null but packets and bytes when nothing was selected).
func WriteSizes(w io.Writer, opt Options, s query.SizeStats) error {
	rw := NewWriter(w, opt, Col{"packets", KindUint}, Col{"bytes", KindBytes}, Col{"min", KindUint},
		Col{"p25", KindUint}, Col{"p50", KindUint}, Col{"p75", KindUint}, Col{"p90", KindUint},
		Col{"p99", KindUint}, Col{"max", KindUint}, Col{"mean", KindFloat})
	rw.Uint(s.Packets)
	rw.Size(s.Bytes)
	if s.Packets == 0 {
		for range 8 {
			rw.Null()
		}
	} else {
		for _, v := range [...]uint32{s.Min, s.P25, s.P50, s.P75, s.P90, s.P99, s.Max} {
			rw.Uint(uint64(v))
		}
		rw.Float(s.Mean)
	}
	if err := rw.EndRow(); err != nil {
		return err
	}
	return rw.Close()
}

// WriteSizeHistogram writes the histogram of query.Sizes, one row per bucket up to the
// largest non-empty one: lo, hi (inclusive; null for the last, open bucket), packets,
// fraction and cdf (the fraction of packets at most hi bytes long).
func WriteSizeHistogram(w io.Writer, opt Options, s query.SizeStats) error {
	rw := NewWriter(w, opt, Col{"lo", KindUint}, Col{"hi", KindUint}, Col{"packets", KindUint},
		Col{"fraction", KindFloat}, Col{"cdf", KindFloat})
	for _, b := range s.Histogram() {
		rw.Uint(uint64(b.Lo))
		if b.Open {
			rw.Null()
		} else {
			rw.Uint(uint64(b.Hi))
		}
		rw.Uint(b.Packets)
		rw.Float(b.Fraction)
		rw.Float(b.CDF)
		if err := rw.EndRow(); err != nil {
			return err
		}
	}
	return rw.Close()
}
