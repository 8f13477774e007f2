// Package synth generates deterministic synthetic captures with their ground truth.
//
// A Generator draws flows from a fixed mix (TCP transfers of many sizes, DNS-like UDP,
// ICMP echo, unanswered and rejected SYNs; IPv4 and IPv6, some 802.1Q tags), each flow a
// small script that yields its packets one step (a round trip) at a time; a heap merges the
// open flows by timestamp, so memory is bounded by the open flows, not the output. All
// randomness comes from one math/rand/v2 PCG seeded by Config.Seed: the same Config gives
// the same bytes.
//
// TCP flows have handshakes with MSS, SACK-permitted, timestamps and window scale options,
// MSS-sized data in rounds acknowledged every second segment, and close with FIN or RST.
// Injected into some rounds, each counted the way Wireshark 4.0's tcp.analysis counts it:
//   - a segment lost after the capture point: duplicate ACKs with SACK blocks, then a fast
//     retransmission (retransmission + fast_retransmission, one duplicate_ack per later segment);
//   - a lost tail segment resent on timeout (retransmission);
//   - two segments swapped (lost_segment on the first, out_of_order on the second, one
//     duplicate_ack from the receiver);
//   - a receiver closing its window (zero_window), 1-byte probes (zero_window_probe, each
//     answered by a zero_window ACK) and the reopening (window_update).
//
// The first flows of every output are a tour of all features, so even small captures
// show each one. The ground truth (FlowTruth per flow, Totals per file) is counted from the
// packets actually written; tests compare it with tshark's view (see tshark_test.go and
// testdata/tshark/, tshark's answers for the captures in the repository's testdata/).
//
// Regenerate the repository's testdata (see testdata/README.md):
//
//go:generate go run ../cmd/pcapgen -q -o ../../testdata/sample.pcapng --flows 400 --size 500KB --seed 1 --truth ../../testdata/sample.pcapng.truth.json
//go:generate go run ../cmd/pcapgen -q -o ../../testdata/sample.pcap --flows 400 --size 500KB --seed 1 --truth ../../testdata/sample.pcap.truth.json
package synth
