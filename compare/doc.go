// Package compare answers "is the loss in the network?" for the same traffic captured at two
// points A and B (a SPAN port near the client and a capture on the server, say).
//
// Compare reads both sides in capture order (packets read back by (file, offset) from the
// captures a query.Store names, decoded with fastparse), pairs their flows (same 5-tuple, or,
// under NAT, by evidence: ISNs, the first TCP timestamp, SYN options, first payload digests,
// shared IP IDs), matches packets on fields that survive routing and NAT (IPv4 ID, protocol,
// TCP seq and ack, payload length, a digest of the first 64 payload bytes; TCP data also as
// byte ranges so TSO/GRO coalescing is not loss), fits the two capture clocks on the lower
// envelope of the delays, and classifies every packet seen at one point only: lost in the
// network between the points, or dropped by a capture (the receiver's ACK covers it), and
// every retransmission's original: lost before the first point, between them, after the
// second, or spurious.
//
// Terms: for one direction of a flow, the upstream point is the one its packets pass first.
// A packet seen upstream only was lost between the points or dropped by the downstream
// capture; one seen downstream only was dropped by the upstream capture. The path of a
// direction is a_to_b or b_to_a. Offsets are B's clock minus A's; the sum of the two
// minimum one-way delays is exact, their split assumes a symmetric path.
//
// Limits: the per-packet records of both sides (about 80 bytes a packet) are held in memory
// for the analysis; memory is not yet bounded by the matching window.
package compare
