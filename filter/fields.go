package filter

// Field names a numeric flow column. The names (Field.String) are stable: they are filter
// keywords and column names in the output of the flow commands.
type Field uint8

const (
	FieldBytes           Field = iota // IP bytes (IP total length), both directions
	FieldPkts                         // packets, both directions
	FieldOrigBytes                    // payload bytes sent by the originator (Zeek orig_bytes)
	FieldRespBytes                    // payload bytes sent by the responder (Zeek resp_bytes)
	FieldOrigPkts                     // packets sent by the originator
	FieldRespPkts                     // packets sent by the responder
	FieldDuration                     // last packet time - first packet time, ns
	FieldSynRTT                       // SYN -> SYN/ACK time, ns; Missing without a handshake
	FieldRetransmissions              // TCP retransmissions
	FieldZeroWindows                  // TCP zero-window segments
	FieldOutOfOrder                   // TCP out-of-order segments
	FieldDupAcks                      // TCP duplicate ACKs
	FieldTCPFlags                     // TCPFlag bits seen (not a filter keyword; backs syn/fin/rst)
	NumFields
)

// Unit says how a Field's values are written in a filter.
type Unit uint8

const (
	UnitCount    Unit = iota // a plain integer: pkts >= 10
	UnitBytes                // an integer with an optional B/KB/MB/GB/TB or KiB/MiB/GiB/TiB suffix
	UnitDuration             // nanoseconds, written with a unit: 300ms, 1.5s (0 may omit it)
)

var fieldInfo = [NumFields]struct {
	name string
	unit Unit
}{
	FieldBytes:           {"bytes", UnitBytes},
	FieldPkts:            {"pkts", UnitCount},
	FieldOrigBytes:       {"orig_bytes", UnitBytes},
	FieldRespBytes:       {"resp_bytes", UnitBytes},
	FieldOrigPkts:        {"orig_pkts", UnitCount},
	FieldRespPkts:        {"resp_pkts", UnitCount},
	FieldDuration:        {"duration", UnitDuration},
	FieldSynRTT:          {"syn_rtt", UnitDuration},
	FieldRetransmissions: {"retransmissions", UnitCount},
	FieldZeroWindows:     {"zero_windows", UnitCount},
	FieldOutOfOrder:      {"out_of_order", UnitCount},
	FieldDupAcks:         {"dup_acks", UnitCount},
	FieldTCPFlags:        {"tcp_flags", UnitCount},
}

func (f Field) String() string {
	if f < NumFields {
		return fieldInfo[f].name
	}
	return "field?"
}

// Unit returns how values of f are written.
func (f Field) Unit() Unit {
	if f < NumFields {
		return fieldInfo[f].unit
	}
	return UnitCount
}

// Missing is the value of a column for a flow that has none (syn_rtt of a flow without a
// handshake). No comparison matches Missing: "syn_rtt > 0" and "syn_rtt == 0" are both false
// for such a flow, while "not syn_rtt > 0" is true. Parse never gives a Cmp whose Value is
// Missing (the value is "too large"), so an evaluator may use it as its marker.
const Missing = ^uint64(0)
