// Package flowhash turns decoded packets into flows and TCP analysis: a symmetric flow key
// and a fixed, versioned hash; per-shard flow tables; Wireshark's tcp.analysis rules; Zeek's
// conn_state and history; Community ID v1.
//
// # Pipeline
//
//	n workers, worker w owning shard w, each in a loop:
//	  read   when the next batch its shard needs is unread: take the reader (a mutex;
//	         pcapng.Reader.ReadBatch gives views into the mapping, batches of 2048), which
//	         numbers batches in capture order
//	  decode on the core that just read it (fastparse.DecodeFCS, KeyOf, Key.Hash, split by
//	         Shard), then publish the batch to every shard's slot ring (slot seq%nb)
//	  track  otherwise: its shard's packets of the next batch in order (one Table per shard,
//	         every flow in exactly one shard), writing each packet's shard-local flow and key
//	         serials, analysis flags and event bits into the batch
//	  -> collector (the caller's goroutine: a ring restores batch order; flow and key
//	     serials become ids in capture order; the consumer gets each Batch once; the batch
//	     goes back to a pool of nb, which bounds memory and keeps slots free)
//
// NewPipeline(opt, consume) runs it with Options.Workers workers and as many shards
// (default GOMAXPROCS); with one worker everything runs in the caller's goroutine. Run feeds
// one capture; several Runs make a capture set (flows continue, frames count on). The
// consumer sees every packet in capture order with its PacketInfo: flow id and key id
// (1, 2, ... in order of first packet, so no renumbering at the end), direction, analysis
// flags, event bits, scaled window. Each shard sees the packets of its flows in capture
// order, so results do not depend on the number of workers: flows are ordered by their
// first frame and numbered from 1 (Flow.ID), events by frame. Process is a Pipeline without
// a consumer over one capture; Tracker is the same thing for callers that already run a
// packet loop. Per packet nothing allocates and nothing goes through an interface; the
// consumer is called per batch.
//
// # Keys and hashes (durable)
//
// Key orders the two (address, port) endpoints (address bytes, then port) so both
// directions share it; Dir says which way a packet went. ICMP/ICMPv6 use Community ID's port
// equivalents (type and counterpart type, or type and code for one-way messages). Key.Hash
// is hash version 1 (HashVersion), defined in its doc comment and pinned by golden tests:
// it may be written to disk. AppendCommunityID implements Community ID v1 (seed 0 by default)
// and passes the spec's baseline vectors.
//
// # Flows
//
// A flow is a Key plus a life: a TCP SYN (without ACK) whose sequence number differs from the
// base sequence number of that direction starts a new flow on the same Key, as Wireshark's
// tcp.stream does (the SYN carries EvPortReuse); a non-TCP flow ends after Options.UDPTimeout
// of idle time (default 60 s, as Zeek). Conversations (Result.TCPConversations,
// UDPConversations) count Keys, as tshark -z conv does, not flows. The originator is the SYN
// sender, else the first packet's sender (its receiver when that packet is a SYN-ACK, with
// '^' in the history). Bytes are transport payload bytes (IP length based) and IP total
// lengths. Packets are keyed by their innermost IP header as fastparse reports it (tunnels
// followed), which is also what tshark's conversation table counts.
//
// # TCP analysis
//
// tcp.go implements Wireshark 4.0's tcp_analyze_sequence_number with default preferences,
// rule by rule (each rule is a comment where it is implemented): retransmission, fast and
// spurious retransmission, out-of-order (first-RTT threshold, 3 ms when unknown), duplicate
// ACK and its number, zero window, zero-window probe and its ACK, window update, window full,
// lost segment, ACKed unseen segment, keep-alive and its ACK. On the corpus every one of
// these flags matches tshark 4.0.17 frame by frame (corpus_frames_test.go). On top: handshake
// RTTs, data->ACK RTT samples (an ACK covering exactly the newest data segment the other
// way, timed from that segment; none after a retransmission that way, Karn's rule), MSS and window
// scale per side, SYN retries, RST/FIN storms (Options.StormCount within StormWindow), ACK
// stalls (Options.AckStall), and Zeek's conn_state and history (F recorded once per
// direction; T and W logged at 1, 10, 100, ... occurrences; C and G are not produced).
//
// # Costs
//
// Add allocates nothing per packet once the table has grown (TestAddNoAllocs); a Run
// allocates a constant (goroutines, channels) and nothing per batch or packet
// (TestPipelineNoAllocs). Live memory per flow (TestBytesPerFlow, with FLOWBENCH=1 at 1
// million flows; the pipeline's collector adds 8 bytes a flow for its serial-to-id maps):
//
//	flow state (internal/slab)   104  key compacted to 14 bytes: IPv4 addresses inline,
//	                                  IPv6 address pairs in a slab of their own (+32)
//	TCP state                    152  both halves' sequence state, handshake times that turn
//	                                  into RTTs in place, RTT samples, packed history (16)
//	index slot                   17-21  8-byte slots at a load of 1/4 to 1/2
//	TCP cold record              104  only for flows with a counted analysis flag, a
//	                                  duplicate ACK or a RST
//
// So 1 million concurrent flows take: open IPv4 TCP connections 273 MB (+8 MB collector),
// IPv6 305 MB, UDP 121 MB, TCP flows with retransmissions 377 MB; a closed TCP flow costs
// what an open one does. The goal of 300 MB for 1 million flows is met for IPv4 and for any
// realistic mix (bench/flowbench TestFlowBytes: 169 bytes a flow on the benchmark
// capture); a capture of only IPv6 TCP connections needs 313 MB.
package flowhash
