package flowhash

import "github.com/pcapdex/pcapdex/fastparse"

// ConnState is Zeek's conn_state for a flow (TCP; UDP flows get S0 one-way, SF answered;
// ICMP and other IP flows get OTH, as Zeek assigns them).
type ConnState uint8

const (
	StateOTH ConnState = iota
	StateS0
	StateS1
	StateSF
	StateREJ
	StateS2
	StateS3
	StateRSTO
	StateRSTR
	StateRSTOS0
	StateRSTRH
	StateSH
	StateSHR
)

var connStateNames = [...]string{"OTH", "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR"}

// String returns Zeek's name of the state.
func (s ConnState) String() string {
	if int(s) < len(connStateNames) {
		return connStateNames[s]
	}
	return "OTH"
}

// MaxHistory is the most history letters a flow keeps; later letters are dropped.
const MaxHistory = 24

// Flow is the record of one finished (or still open at the end of the capture) flow. Orig
// and resp fields are from the originator's side: the SYN sender, else the sender of the
// first packet (or its receiver when that packet is a SYN-ACK).
type Flow struct {
	ID         uint64 // 1-based, in order of the flow's first packet in the capture
	Key        Key
	Orig       Dir    // which endpoint of Key is the originator (DirAB: A)
	FirstFrame uint64 // frame ordinal of the first packet
	FirstTS    int64  // ns since the Unix epoch
	LastTS     int64

	OrigPkts, RespPkts       uint64
	OrigBytes, RespBytes     uint64 // transport payload bytes (IP payload when no transport header)
	OrigIPBytes, RespIPBytes uint64 // IP total length, summed

	ICMPType, ICMPCode uint8 // first ICMP message of the originator (for Community ID)
	HasL4              bool  // packets carried a decoded transport header (ports are real)
	ConnState          ConnState
	HistLen            uint8
	Hist               [MaxHistory]byte // Zeek history letters; see History

	TCP TCPStats // zero for non-TCP flows

	newConv bool   // first flow of its key with transport headers: a new tshark conversation
	serial  uint32 // the flow's serial in its table (PacketResult.Serial)
}

// History returns the Zeek-style history string (allocates; use Hist[:HistLen] to avoid it).
func (f *Flow) History() string { return string(f.Hist[:f.HistLen]) }

// OrigAddr returns the originator's address bytes and port (its "port" for ICMP is the type).
func (f *Flow) OrigEndpoint() (addr *[16]byte, port uint16) {
	if f.Orig == DirAB {
		return &f.Key.A, f.Key.PortA
	}
	return &f.Key.B, f.Key.PortB
}

// RespEndpoint returns the responder's address bytes and port.
func (f *Flow) RespEndpoint() (addr *[16]byte, port uint16) {
	if f.Orig == DirAB {
		return &f.Key.B, f.Key.PortB
	}
	return &f.Key.A, f.Key.PortA
}

// AppendCommunityID appends the flow's Community ID v1 string (seed 0).
func (f *Flow) AppendCommunityID(dst []byte) []byte {
	sa, sp := f.OrigEndpoint()
	da, dp := f.RespEndpoint()
	if f.Key.Proto == fastparse.ProtoICMP || f.Key.Proto == fastparse.ProtoICMPv6 {
		sp, dp = uint16(f.ICMPType), uint16(f.ICMPCode)
	}
	return AppendCommunityID(dst, 0, f.Key.IPVersion == 6, sa, da, f.Key.Proto, sp, dp)
}

// TCPStats are a TCP flow's analysis results. Times are in ns; 0 means not measured. Index
// 0 of the pairs is the originator, 1 the responder. Who sent FINs and RSTs, and when, is in
// the event stream (EvFIN, EvRST); RTTMin/RTTMax saturate at about 4.29 s.
type TCPStats struct {
	SynRTT     int64 // SYN -> SYN-ACK
	AckRTT     int64 // SYN-ACK -> ACK of the handshake
	RTTMin     int64 // data -> ACK samples
	RTTAvg     int64
	RTTMax     int64
	RTTSamples uint32

	MSS    [2]uint16 // MSS option of each side's SYN, 0 if none
	WScale [2]int8   // window scale shift of each side, -1 if not in use

	Retransmissions         uint32 // all packets Wireshark flags tcp.analysis.retransmission (incl. fast and spurious)
	FastRetransmissions     uint32
	SpuriousRetransmissions uint32
	OutOfOrder              uint32
	DupAcks                 uint32
	ZeroWindows             uint32
	ZeroWindowProbes        uint32
	LostSegments            uint32
	AckedUnseen             uint32
	KeepAlives              uint32
	WindowFull              uint32
	SYNs                    uint16 // SYNs without ACK
	RSTs                    uint16
}
