// Package truthtest checks pcapdex against the generator's ground truth (bench/synth),
// counter by counter and exactly. It holds tests only:
//
//   - TestFlowhashTruth runs flowhash.Process (1 and 2 workers, bytes and mapped-file
//     readers) and a Pipeline with a consumer over generated captures and compares every
//     flow (matched by protocol and endpoints; orientation, first/last timestamps, packets,
//     payload and IP bytes per direction, conn_state, SYN->SYN-ACK time and initial RTT,
//     the eight tcp.analysis counts, VLAN) and the file totals with the truth.
//   - TestCLITruth builds cmd/pcapdex once and compares `pcapdex info --format json` and
//     `pcapdex flows --format jsonl` (through the index and with --no-index) the same way.
//
// The captures are small (20k-50k packets) with raised event rates, in pcap and pcapng, plus
// one of many short flows. PCAPDEX=/path/to/pcapdex makes TestCLITruth use that binary
// instead of building one.
package truthtest
