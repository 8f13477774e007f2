// Package compare answers "is the loss in the network?" for the same traffic captured at two
// points A and B (a SPAN port near the client and a capture on the server, say).
//
// Compare reads both sides in capture order, at once (packets read back by (file, offset)
// from the captures a query.Store names, decoded with fastparse), then:
//
//   - pairs their flows: the same 5-tuple with overlapping times (the flows of one tuple that
//     overlap are merged per side, since one point's flow tracking may split a connection the
//     other saw whole); otherwise, under NAT, by evidence scored against a threshold (client
//     and server ISN, first TCP timestamp, SYN options, digests of the first payload, shared
//     IP IDs); a flow whose best candidates tie is reported as ambiguous, never guessed;
//   - matches packets on a key of fields that survive routing and NAT (IPv4 ID, protocol, TCP
//     seq and ack, payload length, FNV-1a of the first 64 payload bytes), the k-th occurrence
//     at A with the k-th at B; the same key twice within 1 ms at one point is a SPAN
//     duplicate; TCP data left over is matched as byte ranges, so segments TSO/GRO merged or
//     split are "coalesced", not lost;
//   - fits B's clock against A's on the lower envelope of the delays of each path (a_to_b and
//     b_to_a: queueing only adds delay), finds clock steps and places each between two frames
//     of B; the sum of the two minimum one-way delays is exact, their split (and so every
//     one-way delay) assumes a symmetric path;
//   - orients each flow (which point each direction passes first) and classifies every packet
//     seen at one point only: upstream only is lost between the points unless the receiver's
//     ACK covers it before the data is sent again (then the downstream capture dropped it), or,
//     with no ACK to tell, the downstream capture reports interface drops (then it is "lost or
//     capture drop"); downstream only is the upstream capture's drop; an extra copy downstream
//     was duplicated between the points;
//   - walks each TCP sender's transmissions to place every retransmission's previous
//     transmission: lost before the first point, between the points, after the second, or
//     spurious (the receiver had acknowledged it);
//   - measures one-way delays (percentiles, delay variation), RFC 4737 reordering downstream,
//     and TTL, DSCP, ECN and MSS rewrites.
//
// Result holds it all with stable JSON names and raw numbers (ns, counts); WriteTable and
// WriteJSON print it; ExtractMissing writes the packets seen at one point only to pcapng
// with a comment each.
//
// Limits: the records of both sides (80 bytes a packet, plus transient arrays of about as
// much during the analysis) are held in memory: memory grows with the captures, not with a
// matching window. Offsets are B's clock minus A's; a clock step smaller than 100 us is not
// reported.
package compare
