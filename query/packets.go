package query

import (
	"iter"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/flowhash"
)

// PacketsOptions configure Packets.
type PacketsOptions struct {
	Flow  uint32 // only this flow id (0: every selected flow)
	Limit int    // at most this many packets (0: all)
}

// Packet is one row of Packets: a packet of a selected flow (or, with no filter, any
// packet) with its TCP fields (NeedTCP) and its time since its flow's first packet.
type Packet struct {
	*PacketRow
	// HasFlow says whether the packet belongs to a flow; then Rel is the time since the
	// flow's first packet and Flow and FromOrig say which flow and which direction.
	HasFlow bool
	Rel     int64 // ns
}

// Packets returns the packets of the selected flows in capture order. The *Packet (and
// its PacketRow) is reused: it is valid until the next iteration.
func Packets(st Store, sel Selection, o PacketsOptions) iter.Seq2[*Packet, error] {
	return func(yield func(*Packet, error) bool) {
		rows := sel.packetRows()
		if o.Flow != 0 {
			one := roaring.BitmapOf(o.Flow - 1)
			if rows != nil {
				one.And(rows)
			}
			rows = one
		}
		// Rel needs each flow's first packet time. Packets come in capture order and a
		// flow's packets are read whole, so without a window the first one met is the
		// flow's first; with a window the flows table says.
		var start []int64
		firstSeen := map[uint32]int64{}
		if sel.Windowed() || sel.Frames != nil { // the first packet met need not be the flow's first
			var err error
			if start, _, err = st.FlowTimes(); err != nil {
				yield(nil, err)
				return
			}
		}
		flowStart := func(p *PacketRow) (int64, bool) {
			if p.Flow == 0 {
				return 0, false
			}
			if start != nil {
				if int(p.Flow) > len(start) {
					return 0, false
				}
				return start[p.Flow-1], true
			}
			ts, ok := firstSeen[p.Flow]
			if !ok {
				ts = p.TS
				firstSeen[p.Flow] = ts
			}
			return ts, true
		}
		var row Packet
		n, stopped := 0, false
		err := st.Packets(rows, sel.Since, sel.Until, NeedTCP, func(p *PacketRow) error {
			if !sel.keep(p) {
				return nil
			}
			if o.Limit > 0 && n >= o.Limit {
				return errStop
			}
			n++
			row.PacketRow = p
			var fs int64
			fs, row.HasFlow = flowStart(p)
			row.Rel = p.TS - fs
			if !yield(&row, nil) {
				stopped = true
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop && !stopped {
			yield(nil, err)
		}
	}
}

// tcpFlagNames are the TCP flag bits (fastparse order: FIN SYN RST PSH ACK URG ECE CWR NS)
// as Wireshark names them.
var tcpFlagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"}

// TCPAck is the ACK bit of PacketRow.Flags (fastparse.TCPAck).
const TCPAck = 1 << 4

// AppendTCPFlags appends the names of the set flags, comma-separated, in the order Wireshark
// lists them in its Info column (SYN, ACK first).
func AppendTCPFlags(dst []byte, flags uint16) []byte {
	order := [...]int{1, 0, 2, 3, 4, 5, 6, 7, 8} // SYN FIN RST PSH ACK URG ECE CWR NS
	n := 0
	for _, b := range order {
		if flags&(1<<b) != 0 {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, tcpFlagNames[b]...)
			n++
		}
	}
	return dst
}

// AppendAnalysis appends the event names of analysis bits (1 << flowhash.EventType),
// comma-separated, in event-type order.
func AppendAnalysis(dst []byte, bits uint32) []byte {
	n := 0
	for t := flowhash.EventType(1); t < 32; t++ {
		if bits&(1<<t) != 0 {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, t.String()...)
			n++
		}
	}
	return dst
}
