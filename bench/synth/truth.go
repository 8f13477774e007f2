package synth

import (
	"net/netip"
)

// flowTruth accumulates what was written for one flow.
type flowTruth struct {
	first, last     int64
	pkts            [2]uint64 // [orig, resp]
	payload         [2]uint64
	ipBytes         [2]uint64
	hist            uint16 // histXxx bits
	ev              [8]uint32
	synTS, synAckTS int64
	hsAckTS         int64
}

// Flag history bits, as Zeek's conn_state needs them.
const (
	histOrigSYN = 1 << iota
	histRespSYNACK
	histOrigFIN
	histRespFIN
	histOrigRST
	histRespRST
	histOrigAny
	histRespAny
)

// Events counts the TCP analysis events of a flow or a file, named after Wireshark's
// tcp.analysis fields.
type Events struct {
	Retransmissions     uint64 `json:"retransmissions"`      // tcp.analysis.retransmission (fast ones included)
	FastRetransmissions uint64 `json:"fast_retransmissions"` // tcp.analysis.fast_retransmission
	OutOfOrder          uint64 `json:"out_of_order"`         // tcp.analysis.out_of_order
	DupAcks             uint64 `json:"dup_acks"`             // tcp.analysis.duplicate_ack
	LostSegments        uint64 `json:"lost_segments"`        // tcp.analysis.lost_segment ("previous segment not captured")
	ZeroWindows         uint64 `json:"zero_windows"`         // tcp.analysis.zero_window
	ZeroWindowProbes    uint64 `json:"zero_window_probes"`   // tcp.analysis.zero_window_probe
	WindowUpdates       uint64 `json:"window_updates"`       // tcp.analysis.window_update
}

func (e *Events) add(o *Events) {
	e.Retransmissions += o.Retransmissions
	e.FastRetransmissions += o.FastRetransmissions
	e.OutOfOrder += o.OutOfOrder
	e.DupAcks += o.DupAcks
	e.LostSegments += o.LostSegments
	e.ZeroWindows += o.ZeroWindows
	e.ZeroWindowProbes += o.ZeroWindowProbes
	e.WindowUpdates += o.WindowUpdates
}

// DirTruth counts one direction of a flow.
type DirTruth struct {
	Packets      uint64 `json:"packets"`
	PayloadBytes uint64 `json:"payload_bytes"` // transport payload
	IPBytes      uint64 `json:"ip_bytes"`      // IP total length (IPv6: 40 + payload length), as Zeek's *_ip_bytes
}

// FlowTruth is the ground truth of one flow. Orig is the side that sent the first packet
// (the client); for ICMP, SrcPort and DstPort hold the echo request's type and code, as
// Zeek does.
type FlowTruth struct {
	ID        uint64   `json:"id"` // start order, from 0
	Proto     string   `json:"proto"`
	Src       string   `json:"src"`
	SrcPort   uint16   `json:"sport"`
	Dst       string   `json:"dst"`
	DstPort   uint16   `json:"dport"`
	ICMPID    uint16   `json:"icmp_id,omitempty"`
	VLAN      uint16   `json:"vlan,omitempty"`
	FirstNS   int64    `json:"first_ns"`
	LastNS    int64    `json:"last_ns"`
	Orig      DirTruth `json:"orig"`
	Resp      DirTruth `json:"resp"`
	ConnState string   `json:"conn_state"` // Zeek's vocabulary: S0 REJ SF S1 S2 S3 RSTO RSTR RSTOS0 SH OTH
	Events
	// HandshakeRTTNS is the time from the last SYN to the ACK completing the handshake, as
	// Wireshark's tcp.analysis.initial_rtt; SYNToSYNACKNS is the SYN (last one) to SYN-ACK time.
	HandshakeRTTNS int64 `json:"handshake_rtt_ns,omitempty"`
	SYNToSYNACKNS  int64 `json:"syn_synack_ns,omitempty"`
}

// Totals counts a whole output.
type Totals struct {
	Packets    int64            `json:"packets"`
	FrameBytes int64            `json:"frame_bytes"`
	IPv4       int64            `json:"ipv4_packets"`
	IPv6       int64            `json:"ipv6_packets"`
	TCP        int64            `json:"tcp_packets"`
	UDP        int64            `json:"udp_packets"`
	ICMP       int64            `json:"icmp_packets"` // ICMP and ICMPv6
	VLANFrames int64            `json:"vlan_frames"`
	Flows      int64            `json:"flows"`
	TCPConvs   int64            `json:"tcp_conversations"`
	UDPConvs   int64            `json:"udp_conversations"`
	ICMPConvs  int64            `json:"icmp_conversations"`
	ConnStates map[string]int64 `json:"conn_states"`
	MaxOpen    int64            `json:"max_open_flows"` // most flows open (started, not ended) at once
	Events
	FirstNS int64 `json:"first_ns"`
	LastNS  int64 `json:"last_ns"`
}

// account adds one written packet to its flow's truth and the file totals.
func (g *Generator) account(f *flow, p *pkt, frame []byte) {
	t := &f.tr
	d := 0
	if p.fromResp {
		d = 1
	}
	a := &f.a
	l2 := 14
	if a.vlan != 0 {
		l2 = 18
		g.tot.VLANFrames++
	}
	ipLen := uint64(len(frame) - l2)
	hdr := uint64(20)
	if a.v6 {
		hdr = 40
		g.tot.IPv6++
	} else {
		g.tot.IPv4++
	}
	switch a.proto {
	case protoTCP:
		g.tot.TCP++
	case protoUDP:
		g.tot.UDP++
	default:
		g.tot.ICMP++
	}
	_ = hdr
	t.pkts[d]++
	t.payload[d] += uint64(p.plen)
	t.ipBytes[d] += ipLen
	t.last = p.ts
	if g.tot.Packets == 0 {
		g.tot.FirstNS = p.ts
	}
	g.tot.Packets++
	g.tot.FrameBytes += int64(len(frame))
	g.tot.LastNS = p.ts
	if d == 0 {
		t.hist |= histOrigAny
	} else {
		t.hist |= histRespAny
	}
	if a.proto == protoTCP {
		fl := p.flags
		switch {
		case fl&(tcpSYN|tcpACK) == tcpSYN && d == 0:
			t.hist |= histOrigSYN
			t.synTS = p.ts
		case fl&(tcpSYN|tcpACK) == tcpSYN|tcpACK && d == 1:
			if t.hist&histRespSYNACK == 0 {
				t.synAckTS = p.ts
			}
			t.hist |= histRespSYNACK
		case fl&(tcpSYN|tcpRST|tcpFIN) == 0 && d == 0 && t.hist&histRespSYNACK != 0 && t.hsAckTS == 0:
			t.hsAckTS = p.ts
		}
		if fl&tcpFIN != 0 {
			t.hist |= histOrigFIN << d
		}
		if fl&tcpRST != 0 {
			t.hist |= histOrigRST << d
		}
		for i := 0; i < 8; i++ {
			if p.ev&(1<<i) != 0 {
				t.ev[i]++
			}
		}
	}
}

// connState names the flow's state in Zeek's conn.log vocabulary, from what was written.
func (f *flow) connState() string {
	h := f.tr.hist
	switch f.a.proto {
	case protoUDP:
		if h&histRespAny != 0 {
			return "SF"
		}
		return "S0"
	case protoICMP, protoICMPv6:
		return "OTH"
	}
	syn, synack := h&histOrigSYN != 0, h&histRespSYNACK != 0
	switch {
	case syn && !synack:
		switch {
		case h&histRespRST != 0:
			return "REJ"
		case h&histOrigRST != 0:
			return "RSTOS0"
		case h&histOrigFIN != 0:
			return "SH"
		}
		return "S0"
	case syn && synack:
		switch {
		case h&histOrigRST != 0:
			return "RSTO"
		case h&histRespRST != 0:
			return "RSTR"
		case h&histOrigFIN != 0 && h&histRespFIN != 0:
			return "SF"
		case h&histOrigFIN != 0:
			return "S2"
		case h&histRespFIN != 0:
			return "S3"
		}
		return "S1"
	}
	return "OTH"
}

func (f *flow) events() Events {
	e := &f.tr.ev
	return Events{
		Retransmissions:     uint64(e[0]),
		FastRetransmissions: uint64(e[1]),
		OutOfOrder:          uint64(e[2]),
		DupAcks:             uint64(e[3]),
		LostSegments:        uint64(e[4]),
		ZeroWindows:         uint64(e[5]),
		ZeroWindowProbes:    uint64(e[6]),
		WindowUpdates:       uint64(e[7]),
	}
}

func (g *Generator) countFlow(f *flow) {
	g.tot.Flows++
	switch f.a.proto {
	case protoTCP:
		g.tot.TCPConvs++
	case protoUDP:
		g.tot.UDPConvs++
	default:
		g.tot.ICMPConvs++
	}
	if g.tot.ConnStates == nil {
		g.tot.ConnStates = map[string]int64{}
	}
	g.tot.ConnStates[f.connState()]++
	ev := f.events()
	g.tot.Events.add(&ev)
}

func addrString(b *[16]byte, v6 bool) string {
	if v6 {
		return netip.AddrFrom16(*b).String()
	}
	return netip.AddrFrom4([4]byte(b[:4])).String()
}

// fillTruth writes the flow's record into ft.
func (f *flow) fillTruth(ft *FlowTruth) {
	t := &f.tr
	a := &f.a
	*ft = FlowTruth{
		ID:        f.id,
		Src:       addrString(&a.cli, a.v6),
		Dst:       addrString(&a.srv, a.v6),
		SrcPort:   a.cport,
		DstPort:   a.sport,
		VLAN:      a.vlan,
		FirstNS:   t.first,
		LastNS:    t.last,
		Orig:      DirTruth{t.pkts[0], t.payload[0], t.ipBytes[0]},
		Resp:      DirTruth{t.pkts[1], t.payload[1], t.ipBytes[1]},
		ConnState: f.connState(),
		Events:    f.events(),
	}
	switch a.proto {
	case protoTCP:
		ft.Proto = "tcp"
	case protoUDP:
		ft.Proto = "udp"
	default:
		ft.Proto = "icmp"
		ft.SrcPort, ft.DstPort = 8, 0
		if a.v6 {
			ft.SrcPort = 128
		}
		ft.ICMPID = f.icmpID
	}
	if t.synTS != 0 && t.synAckTS != 0 {
		ft.SYNToSYNACKNS = t.synAckTS - t.synTS
		if t.hsAckTS != 0 {
			ft.HandshakeRTTNS = t.hsAckTS - t.synTS
		}
	}
}
