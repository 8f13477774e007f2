package index

// The schema of the index pcapdex writes, beside the container layout index/doc.go draws:
// section, table and column names and block sizes are durable (a change needs a new
// FormatVersion) and are the contract between the builder and query/.
//
// Names of the builder's sections and tables.
const (
	TablePackets    = "packets"      // one row per packet, PacketBlockRows rows per block
	TablePacketFlow = "packets.flow" // flow id and analysis flags per packet, same blocks as packets
	TableFlows      = "flows"        // one row per flow; row r is flow id r+1
	TableEvents     = "events"       // TCP analysis events, in frame order
	TableSeries     = "series"       // per-second counters, in time order
	SectionMeta     = "meta"         // build facts, JSON

	PostOrigAddr   = "post.orig_h"      // originator address (4 or 16 bytes) -> flow rows
	PostRespAddr   = "post.resp_h"      // responder address -> flow rows
	PostOrigPort   = "post.orig_p"      // originator port (u16 BE; TCP/UDP/SCTP) -> flow rows
	PostRespPort   = "post.resp_p"      // responder port -> flow rows
	PostProto      = "post.proto"       // IP protocol (1 byte) -> flow rows
	PostVLAN       = "post.vlan"        // outermost VLAN id (u16 BE) -> flow rows
	PostState      = "post.state"       // conn_state name ("SF") -> flow rows
	PostEvent      = "post.event"       // event type (1 byte, flowhash.EventType) -> flow rows
	PostFlowBlocks = "post.flow.blocks" // flow row (u32 BE) -> packet blocks, for flows spanning > WideFlowBlocks blocks
)

// Packet table columns, in order.
var packetColumns = []ColumnSpec{
	{"ts", KindInt64},         // ns since the epoch
	{"file", KindUint16},      // index into the captures section
	{"off", KindInt64},        // byte offset of the record in its (decompressed) file, stored as a gap (packets.go)
	{"caplen", KindUint32},    // captured bytes
	{"trunc", KindUint32},     // original length - captured length
	{"dir", KindUint8},        // flowhash.Dir of the packet relative to its flow key (A->B 0, B->A 1)
	{"tcp_flags", KindUint16}, // fastparse TCP flag bits, 0 for non-TCP
	{"seq", KindUint32},       // relative sequence number (SYN = 0; mid-stream start = 1), stored predicted (packets.go)
	{"ack", KindUint32},       // relative acknowledgement number (0 without ACK), stored predicted (packets.go)
	{"win", KindUint32},       // window, scaled when both SYNs carried a window scale, stored predicted (packets.go)
	{"plen", KindUint32},      // transport payload length, stored predicted for TCP rows (packets.go)
	{"kslot", KindUint32},     // block-local key slot of TCP packets (see packets.go)
}

// Packet-flow table columns.
var packetFlowColumns = []ColumnSpec{
	{"flow", KindUint32},     // flow id (row + 1), 0 for packets without IP; predicted for TCP rows (packets.go)
	{"analysis", KindUint32}, // bit (1 << EventType) for each event flagged on the packet
}

var flowColumns = []ColumnSpec{
	{"ts", KindInt64}, {"ts_end", KindInt64}, {"first_frame", KindInt64},
	{"proto", KindUint8}, {"ipver", KindUint8},
	{"orig_h", KindAddr}, {"orig_p", KindUint16}, {"resp_h", KindAddr}, {"resp_p", KindUint16},
	{"vlan", KindUint16}, // outermost VLAN id, 0xffff for none
	{"orig_pkts", KindInt64}, {"resp_pkts", KindInt64},
	{"orig_bytes", KindInt64}, {"resp_bytes", KindInt64},
	{"orig_ip_bytes", KindInt64}, {"resp_ip_bytes", KindInt64},
	{"conn_state", KindUint8}, {"history", KindBytes}, {"tcp_flags", KindUint16},
	{"syn_rtt", KindInt64}, {"ack_rtt", KindInt64},
	{"rtt_min", KindInt64}, {"rtt_avg", KindInt64}, {"rtt_max", KindInt64},
	{"retransmissions", KindUint32}, {"fast_retransmissions", KindUint32},
	{"spurious_retransmissions", KindUint32}, {"out_of_order", KindUint32},
	{"dup_acks", KindUint32}, {"zero_windows", KindUint32},
	{"lost_segments", KindUint32}, {"acked_unseen", KindUint32},
	{"orig_mss", KindUint16}, {"resp_mss", KindUint16},
	{"orig_wscale", KindUint8}, {"resp_wscale", KindUint8}, // int8 as two's complement, 0xff: none
	{"icmp_type", KindUint8}, {"icmp_code", KindUint8}, {"has_l4", KindUint8},
	{"pblk_first", KindUint32}, {"pblk_last", KindUint32}, // packet blocks of the first and last packet
}

var eventColumns = []ColumnSpec{
	{"frame", KindInt64}, {"ts", KindInt64}, {"flow", KindUint32},
	{"type", KindUint8}, {"from_orig", KindUint8}, {"detail", KindInt64},
}

var seriesColumns = []ColumnSpec{
	{"sec", KindInt64}, {"packets", KindInt64}, {"bytes", KindInt64},
	{"new_flows", KindInt64}, {"events", KindInt64},
}

// PacketBlockRows is the default number of packets per block of the packet tables.
const PacketBlockRows = 1 << 16

// FlowBlockRows is the number of flows per block of the flows table. A query for one host
// decodes the blocks holding its flows: 8Ki rows decode 8 times fewer values than 64Ki
// per block touched, for an index 0.4-0.6% larger (measured on generated and small-packet
// captures; 4Ki rows cost 0.9-6%, as dictionaries repeat per block).
const FlowBlockRows = 1 << 13

// WideFlowBlocks: flows whose packets span more blocks than this get a block bitmap in
// PostFlowBlocks; narrower ones are found by scanning pblk_first..pblk_last.
const WideFlowBlocks = 4

const noKey = ^uint32(0)

// chainedBit marks, in Builder.flags, packets that got a key slot (TCP with a header).
const chainedBit = 1 << 15
