package output

import (
	"io"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/query"
)

// TopColumns returns the columns of the top command grouped by by: the group's key, then
// flows, packets, bytes and share.
func TopColumns(by query.TopBy) []Col {
	var cols []Col
	switch by {
	case query.TopSrc, query.TopDst, query.TopHost:
		cols = []Col{{"addr", KindAddr}}
	case query.TopPort:
		cols = []Col{{"proto", KindString}, {"port", KindUint}}
	case query.TopPair:
		cols = []Col{{"addr_a", KindAddr}, {"addr_b", KindAddr}}
	case query.TopFlow:
		cols = []Col{{"flow_id", KindUint}, {"orig_h", KindAddr}, {"orig_p", KindUint}, {"resp_h", KindAddr}, {"resp_p", KindUint}}
	}
	return append(cols, Col{"flows", KindUint}, Col{"packets", KindUint}, Col{"bytes", KindBytes}, Col{"share", KindFloat})
}

// WriteTop writes the groups of query.Top, grouped by by.
func WriteTop(w io.Writer, opt Options, by query.TopBy, rows []query.TopRow) error {
	rw := NewWriter(w, opt, TopColumns(by)...)
	var buf [16]byte
	for i := range rows {
		r := &rows[i]
		switch by {
		case query.TopSrc, query.TopDst, query.TopHost:
			rw.Addr(r.Addr)
		case query.TopPort:
			rw.StrBytes(flowhash.AppendProtoName(buf[:0], r.Proto))
			rw.Uint(uint64(r.Port))
		case query.TopPair:
			rw.Addr(r.Addr)
			rw.Addr(r.AddrB)
		case query.TopFlow:
			rw.Uint(r.FlowID)
			rw.Addr(r.Orig)
			rw.Uint(uint64(r.OrigPort))
			rw.Addr(r.Resp)
			rw.Uint(uint64(r.RespPort))
		}
		rw.Uint(r.Flows)
		rw.Uint(r.Packets)
		rw.Size(r.Bytes)
		rw.Float(r.Share)
		if err := rw.EndRow(); err != nil {
			return err
		}
	}
	return rw.Close()
}
