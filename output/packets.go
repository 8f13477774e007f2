package output

import (
	"io"
	"iter"

	"github.com/pcapdex/pcapdex/query"
)

// PacketColumns returns the columns of the packets command.
func PacketColumns() []Col {
	return []Col{
		{"frame", KindUint}, {"ts", KindTime}, {"rel", KindDuration}, {"flow_id", KindUint},
		{"dir", KindString}, {"flags", KindString}, {"seq", KindUint}, {"ack", KindUint},
		{"len", KindUint}, {"win", KindUint}, {"analysis", KindString},
	}
}

// WritePackets writes one row per packet (query.Packets): rel is the time since the flow's
// first packet; dir "orig" or "resp" (the sender); seq, ack, win and flags only for TCP
// (null otherwise; ack null without the ACK flag); len the transport payload length;
// analysis the TCP analysis events flagged on the packet.
func WritePackets(w io.Writer, opt Options, packets iter.Seq2[*query.Packet, error]) error {
	rw := NewWriter(w, opt, PacketColumns()...)
	var buf []byte
	for p, err := range packets {
		if err != nil {
			return err
		}
		rw.Uint(uint64(p.Frame))
		rw.Time(p.TS)
		if p.HasFlow {
			rw.Duration(p.Rel)
			rw.Uint(uint64(p.Flow))
			if p.FromOrig {
				rw.Str("orig")
			} else {
				rw.Str("resp")
			}
		} else {
			rw.Null()
			rw.Null()
			rw.Null()
		}
		if p.Flags != 0 {
			buf = query.AppendTCPFlags(buf[:0], p.Flags)
			rw.StrBytes(buf)
			rw.Uint(uint64(p.Seq))
			if p.Flags&query.TCPAck != 0 {
				rw.Uint(uint64(p.Ack))
			} else {
				rw.Null()
			}
		} else {
			rw.Null()
			rw.Null()
			rw.Null()
		}
		rw.Uint(uint64(p.PLen))
		if p.Flags != 0 {
			rw.Uint(uint64(p.Win))
		} else {
			rw.Null()
		}
		if p.Analysis != 0 {
			buf = query.AppendAnalysis(buf[:0], p.Analysis)
			rw.StrBytes(buf)
		} else {
			rw.Null()
		}
		if err := rw.EndRow(); err != nil {
			return err
		}
	}
	return rw.Close()
}
