package query

import (
	"net/netip"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
)

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
		ff.Flags |= FlagSYN
	}
	if f.TCP.RSTs > 0 {
		ff.Flags |= FlagRST
	}
	for _, c := range f.Hist[:min(int(f.HistLen), len(f.Hist))] {
		switch c {
		case 'S', 's', 'H', 'h', 'Q', 'q':
			ff.Flags |= FlagSYN
		case 'F', 'f':
			ff.Flags |= FlagFIN
		case 'R', 'r':
			ff.Flags |= FlagRST
		}
	}
}

func addrOf(b *[16]byte, version uint8) netip.Addr {
	if version == 4 {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(*b)
}
