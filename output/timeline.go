package output

import (
	"io"

	"github.com/pcapdex/pcapdex/query"
)

// WriteTimeline writes one row per bucket (query.Timeline): ts (the bucket's start),
// packets and bytes.
func WriteTimeline(w io.Writer, opt Options, tl query.Buckets) error {
	rw := NewWriter(w, opt, Col{"ts", KindTime}, Col{"packets", KindUint}, Col{"bytes", KindBytes})
	for i := range tl.Packets {
		rw.Time(tl.Start(i))
		rw.Uint(tl.Packets[i])
		rw.Size(tl.Bytes[i])
		if err := rw.EndRow(); err != nil {
			return err
		}
	}
	return rw.Close()
}

// WriteGaps writes one row per silent interval (query.Gaps): start, end and duration.
func WriteGaps(w io.Writer, opt Options, gaps []query.Gap) error {
	rw := NewWriter(w, opt, Col{"start", KindTime}, Col{"end", KindTime}, Col{"duration", KindDuration})
	for _, g := range gaps {
		rw.Time(g.Start)
		rw.Time(g.End)
		rw.Duration(int64(g.Duration()))
		if err := rw.EndRow(); err != nil {
			return err
		}
	}
	return rw.Close()
}
