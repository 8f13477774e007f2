package query

import (
	"net/netip"
	"time"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

// FlowFields is the flat record of one flow that the row evaluator (Plan.MatchFlow) reads
// and that a FlowSet (the --no-index store's Source) holds per flow (SetFlow fills one).
// Src is the originator, Dst the responder.
type FlowFields struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8
	VLAN             int    // outermost VLAN id, -1 when untagged
	State            string // Zeek conn_state code, "" when unknown
	Flags            filter.TCPFlag
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

// Value returns the value of column c for the flow, in the column's unit ([filter.Missing]
// when the flow has none). A Source built from a slice of FlowFields uses it to fill its
// columns.
func (f *FlowFields) Value(c filter.Field) uint64 {
	switch c {
	case filter.FieldBytes:
		return f.OrigIPBytes + f.RespIPBytes
	case filter.FieldPkts:
		return f.OrigPkts + f.RespPkts
	case filter.FieldOrigBytes:
		return f.OrigBytes
	case filter.FieldRespBytes:
		return f.RespBytes
	case filter.FieldOrigPkts:
		return f.OrigPkts
	case filter.FieldRespPkts:
		return f.RespPkts
	case filter.FieldDuration:
		if f.Duration < 0 {
			return 0
		}
		return uint64(f.Duration)
	case filter.FieldSynRTT:
		if f.SynRTT < 0 {
			return filter.Missing
		}
		return uint64(f.SynRTT)
	case filter.FieldRetransmissions:
		return f.Retransmissions
	case filter.FieldZeroWindows:
		return f.ZeroWindows
	case filter.FieldOutOfOrder:
		return f.OutOfOrder
	case filter.FieldDupAcks:
		return f.DupAcks
	case filter.FieldTCPFlags:
		return uint64(f.Flags)
	}
	return filter.Missing
}

// Overlaps reports whether the flow was active at some time in [since, until] (Unix ns):
// its first packet is not after until and its last is not before since.
func (f *FlowFields) Overlaps(since, until int64) bool { return f.Start <= until && f.End >= since }

// SetFlow fills ff from a flowhash flow record, without allocating: Src/Dst are the
// originator and the responder, ports are zero for protocols without ports (ICMP's type
// and code are not ports), SynRTT is -1 when no handshake was timed, and Flags come from
// the TCP counters and the Zeek history (FIN only from the history, whose letters stop at
// flowhash.MaxHistory). flowhash does not track VLANs: VLAN is -1.
func (ff *FlowFields) SetFlow(f *flowhash.Flow) {
	oa, op := f.OrigEndpoint()
	ra, rp := f.RespEndpoint()
	*ff = FlowFields{
		Src: addrOf(oa, f.Key.IPVersion), Dst: addrOf(ra, f.Key.IPVersion),
		Proto: f.Key.Proto, VLAN: -1, State: f.ConnState.String(),
		OrigIPBytes: f.OrigIPBytes, RespIPBytes: f.RespIPBytes,
		OrigBytes: f.OrigBytes, RespBytes: f.RespBytes,
		OrigPkts: f.OrigPkts, RespPkts: f.RespPkts,
		Start: f.FirstTS, End: f.LastTS,
		Duration:        time.Duration(f.LastTS - f.FirstTS),
		SynRTT:          -1,
		Retransmissions: uint64(f.TCP.Retransmissions),
		ZeroWindows:     uint64(f.TCP.ZeroWindows),
		OutOfOrder:      uint64(f.TCP.OutOfOrder),
		DupAcks:         uint64(f.TCP.DupAcks),
	}
	if f.HasL4 && index.HasPortPostings(f.Key.Proto) {
		ff.SrcPort, ff.DstPort = op, rp
	}
	if f.TCP.SynRTT > 0 {
		ff.SynRTT = time.Duration(f.TCP.SynRTT)
	}
	if f.TCP.SYNs > 0 {
		ff.Flags |= filter.FlagSYN
	}
	if f.TCP.RSTs > 0 {
		ff.Flags |= filter.FlagRST
	}
	for _, c := range f.Hist[:min(int(f.HistLen), len(f.Hist))] {
		switch c {
		case 'S', 's', 'H', 'h', 'Q', 'q':
			ff.Flags |= filter.FlagSYN
		case 'F', 'f':
			ff.Flags |= filter.FlagFIN
		case 'R', 'r':
			ff.Flags |= filter.FlagRST
		}
	}
}

func addrOf(b *[16]byte, version uint8) netip.Addr {
	if version == 4 {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(*b)
}
