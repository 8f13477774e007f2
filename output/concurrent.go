package output

import (
	"io"

	"github.com/pcapdex/pcapdex/query"
)

// WriteRSTs writes one row per RST (query.RSTs): frame, ts, flow_id, from (who sent it),
// sender_h, the flow's endpoints and open_flows, the number of OTHER flows open then.
func WriteRSTs(w io.Writer, opt Options, rsts []query.RST) error {
	rw := NewWriter(w, opt, Col{"frame", KindUint}, Col{"ts", KindTime}, Col{"flow_id", KindUint},
		Col{"from", KindString}, Col{"sender_h", KindAddr}, Col{"orig_h", KindAddr}, Col{"orig_p", KindUint},
		Col{"resp_h", KindAddr}, Col{"resp_p", KindUint}, Col{"open_flows", KindUint})
	for i := range rsts {
		r := &rsts[i]
		rw.Uint(r.Frame)
		rw.Time(r.TS)
		rw.Uint(r.FlowID)
		if r.FromOrig {
			rw.Str("orig")
		} else {
			rw.Str("resp")
		}
		rw.Addr(r.Sender())
		rw.Addr(r.Orig)
		rw.Uint(uint64(r.OrigPort))
		rw.Addr(r.Resp)
		rw.Uint(uint64(r.RespPort))
		rw.Uint(uint64(r.OpenFlows))
		if err := rw.EndRow(); err != nil {
			return err
		}
	}
	return rw.Close()
}
