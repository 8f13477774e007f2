package flowhash

// EventType names one kind of TCP analysis event. The names (see String) follow Wireshark's
// tcp.analysis.* fields where one exists.
type EventType uint8

const (
	EvRetransmission         EventType = iota + 1 // tcp.analysis.retransmission (RTO-style)
	EvFastRetransmission                          // tcp.analysis.fast_retransmission
	EvSpuriousRetransmission                      // tcp.analysis.spurious_retransmission
	EvOutOfOrder                                  // tcp.analysis.out_of_order
	EvDupAck                                      // tcp.analysis.duplicate_ack; Detail = its number
	EvZeroWindow                                  // tcp.analysis.zero_window
	EvZeroWindowProbe                             // tcp.analysis.zero_window_probe
	EvZeroWindowProbeAck                          // tcp.analysis.zero_window_probe_ack
	EvWindowFull                                  // tcp.analysis.window_full
	EvWindowUpdate                                // tcp.analysis.window_update
	EvLostSegment                                 // tcp.analysis.lost_segment (previous segment not captured)
	EvAckedUnseen                                 // tcp.analysis.ack_lost_segment (ACKed unseen segment)
	EvKeepAlive                                   // tcp.analysis.keep_alive
	EvKeepAliveAck                                // tcp.analysis.keep_alive_ack
	EvPortReuse                                   // tcp.analysis.reused_ports: a SYN started a new flow on a used 5-tuple
	EvSYNRetry                                    // a SYN repeated before any SYN-ACK; Detail = attempt number (2, 3, ...)
	EvHandshakeRTT                                // SYN -> SYN-ACK seen; Detail = RTT in ns
	EvHandshakeAckRTT                             // SYN-ACK -> ACK seen; Detail = RTT in ns
	EvRST                                         // a RST; Dir says who sent it
	EvFIN                                         // a FIN (first one per direction); Dir says who sent it
	EvRSTStorm                                    // the StormCount-th RST (or FIN) of a flow within StormWindow; Detail = count
	EvFINStorm                                    // as EvRSTStorm, for FINs
	EvAckStall                                    // data outstanding and no new ACK for AckStallTime; Detail = stall in ns
	numEventTypes
)

var eventNames = [numEventTypes]string{
	EvRetransmission:         "retransmission",
	EvFastRetransmission:     "fast_retransmission",
	EvSpuriousRetransmission: "spurious_retransmission",
	EvOutOfOrder:             "out_of_order",
	EvDupAck:                 "duplicate_ack",
	EvZeroWindow:             "zero_window",
	EvZeroWindowProbe:        "zero_window_probe",
	EvZeroWindowProbeAck:     "zero_window_probe_ack",
	EvWindowFull:             "window_full",
	EvWindowUpdate:           "window_update",
	EvLostSegment:            "lost_segment",
	EvAckedUnseen:            "ack_lost_segment",
	EvKeepAlive:              "keep_alive",
	EvKeepAliveAck:           "keep_alive_ack",
	EvPortReuse:              "reused_ports",
	EvSYNRetry:               "syn_retry",
	EvHandshakeRTT:           "handshake_rtt",
	EvHandshakeAckRTT:        "handshake_ack_rtt",
	EvRST:                    "rst",
	EvFIN:                    "fin",
	EvRSTStorm:               "rst_storm",
	EvFINStorm:               "fin_storm",
	EvAckStall:               "ack_stall",
}

// String returns the event's name as printed by `pcapdex events`.
func (t EventType) String() string {
	if t == 0 || t >= numEventTypes {
		return "unknown"
	}
	return eventNames[t]
}

// Event is one TCP analysis finding at one packet.
type Event struct {
	Frame    uint64    // frame ordinal of the packet
	TS       int64     // its timestamp, ns since the Unix epoch
	FlowID   uint64    // id of the flow (see Flow.ID); filled when the run finishes
	Type     EventType //
	FromOrig bool      // the packet was sent by the flow's originator
	Detail   int64     // type-specific: dup-ACK number, RTT or stall in ns, count
	serial   uint32    // the flow's serial in its table, resolved to FlowID at the end
}
