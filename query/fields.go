package query

import (
	"net/netip"
	"time"
)

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
// for such a flow, while "not syn_rtt > 0" is true.
const Missing = ^uint64(0)

// FlowFields is the flat record of one flow that the row evaluator (Plan.MatchFlow) reads:
// streaming mode fills one per flow, and tests use it as the reference for the bitmap plan.
// Src is the originator, Dst the responder.
type FlowFields struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8
	VLAN             int    // outermost VLAN id, -1 when untagged
	State            string // Zeek conn_state code, "" when unknown
	Flags            TCPFlag
	Start, End       int64 // first and last packet, Unix nanoseconds

	OrigIPBytes, RespIPBytes uint64 // IP total lengths, summed
	OrigBytes, RespBytes     uint64 // transport payload bytes
	OrigPkts, RespPkts       uint64
	Duration                 time.Duration
	SynRTT                   time.Duration // < 0 when no handshake was seen
	Retransmissions          uint64
	ZeroWindows              uint64
	OutOfOrder               uint64
	DupAcks                  uint64
}

// Value returns the value of column c for the flow, in the column's unit (Missing when the
// flow has none). A Source built from a slice of FlowFields uses it to fill its columns.
func (f *FlowFields) Value(c Field) uint64 {
	switch c {
	case FieldBytes:
		return f.OrigIPBytes + f.RespIPBytes
	case FieldPkts:
		return f.OrigPkts + f.RespPkts
	case FieldOrigBytes:
		return f.OrigBytes
	case FieldRespBytes:
		return f.RespBytes
	case FieldOrigPkts:
		return f.OrigPkts
	case FieldRespPkts:
		return f.RespPkts
	case FieldDuration:
		if f.Duration < 0 {
			return 0
		}
		return uint64(f.Duration)
	case FieldSynRTT:
		if f.SynRTT < 0 {
			return Missing
		}
		return uint64(f.SynRTT)
	case FieldRetransmissions:
		return f.Retransmissions
	case FieldZeroWindows:
		return f.ZeroWindows
	case FieldOutOfOrder:
		return f.OutOfOrder
	case FieldDupAcks:
		return f.DupAcks
	case FieldTCPFlags:
		return uint64(f.Flags)
	}
	return Missing
}

// Overlaps reports whether the flow was active at some time in [since, until] (Unix ns):
// its first packet is not after until and its last is not before since.
func (f *FlowFields) Overlaps(since, until int64) bool { return f.Start <= until && f.End >= since }
