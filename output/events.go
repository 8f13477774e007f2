package output

import (
	"io"
	"iter"

	"github.com/pcapdex/pcapdex/flowhash"
)

// EventColumns returns the columns of the events command. detail depends on the type:
// duplicate_ack its number, handshake_rtt/handshake_ack_rtt/ack_stall ns, syn_retry the
// attempt, rst_storm/fin_storm the count; 0 otherwise.
func EventColumns() []Col {
	return []Col{{"frame", KindUint}, {"ts", KindTime}, {"flow_id", KindUint},
		{"type", KindString}, {"from", KindString}, {"detail", KindInt}}
}

// WriteEvents writes one row per TCP analysis event (query.Events).
func WriteEvents(w io.Writer, opt Options, events iter.Seq2[*flowhash.Event, error]) error {
	rw := NewWriter(w, opt, EventColumns()...)
	for e, err := range events {
		if err != nil {
			return err
		}
		rw.Uint(e.Frame)
		rw.Time(e.TS)
		rw.Uint(e.FlowID)
		rw.Str(e.Type.String())
		if e.FromOrig {
			rw.Str("orig")
		} else {
			rw.Str("resp")
		}
		rw.Int(e.Detail)
		if err := rw.EndRow(); err != nil {
			return err
		}
	}
	return rw.Close()
}
