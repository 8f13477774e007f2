// Package streams rebuilds the byte streams of TCP connections (and the datagram streams
// of UDP flows) from a capture, as tcpflow and Wireshark's Follow TCP Stream do: files per
// direction with a manifest (Write), or one conversation on the terminal (Follow).
//
// # Reading
//
// Flows are selected by the query layer (a filter over an index, or over one pass); only
// their packets are read, back from the captures by byte offset (query.Store.Packets with
// query.NeedRecord, pcapng.Reader.ReadPacketAt), and decoded with fastparse. Per packet
// nothing allocates once the buffers of the flows in flight have grown; a flow's buffers
// go back to a pool when its last packet has been seen, so memory follows the flows open
// at once, not the capture.
//
// # Reassembly
//
// Half reassembles one direction: segments in capture order, bytes out in sequence order
// as chunks, one per segment as Wireshark's Follow prints them.
//   - Stream offsets are 64-bit and counted from the byte after the SYN (or from the first
//     sequence number seen when the capture started mid-connection), so sequence numbers
//     wrap at 2^32 without notice.
//   - The first copy of a byte wins, as in Wireshark's reassembly; a later copy that differs
//     counts as a conflict (segments and bytes) when the first copy is still held: the
//     bytes waiting beyond a gap, and the last History bytes delivered (32 KiB by default).
//     Older overlaps count as unchecked.
//   - A hole is data the capture never had. It is declared when the other side acknowledges
//     bytes beyond it (Wireshark's rule: the receiver had them), when the snaplen cut a
//     segment, when a segment lands beyond the out-of-order window (8 MiB by default;
//     memory per direction is bounded by it, never by the stream), or at the end of the
//     capture. A segment beyond the window while the other side acknowledges nothing past
//     the bytes here is dropped and counted instead (a receiver would drop it too: a bogus
//     sequence number must not end the stream); without ACKs in the capture it is a hole.
//   - A one-byte segment just below the next expected byte is a keep-alive and is ignored;
//     a zero-window probe is data like any other; a RST ends nothing: what follows in the
//     same flow is still part of it (flows split as tcp.stream does, on a new SYN).
//   - Bytes before the first sequence number seen are dropped (counted).
//
// # Files
//
// Each direction with at least one captured byte gets a file named as tcpflow 1.6's
// default template names it (AppendFileName): 010.000.000.001.01234-010.000.000.002.00080,
// "--VLAN" after it when the frames carry a VLAN tag, and "c1", "c2", ... when an earlier
// flow of the run used the name (a reused 4-tuple: tcpflow's connection-count suffix).
// UDP files end in ".udp". Holes: zero bytes (default; up to the last captured byte, so
// file offsets are stream offsets, as in tcpflow's files), nothing (skip), or the file ends
// (stop). Files are written under temporary names and renamed when their flow ends; a file
// that exists is an error unless Force, and an input is never written over.
//
// The manifest has one JSON object per flow, in the order the flows end: flow id,
// Community ID, protocol, endpoints, and per direction (orig, resp) the file (null when
// none), bytes captured, bytes in the file, segments or datagrams, first and last data
// times (Unix ns), holes as [offset, length, reason] (at most 1000 listed; the counts are
// exact), conflicts, overlapping, unchecked, keep-alive, window overflows, out-of-window
// and before-start bytes.
//
// # Agreement with Wireshark and tcpflow
//
// Follow prints every TCP stream of the corpus as tshark 4.0.17's -z follow,tcp,raw,N
// does, byte for byte (corpus_test.go, with the goldens in testdata/ and the script that
// made them), and ascii and hex on a few captures; -z follow,udp,raw,N on all 197 UDP
// streams of two captures (the UDP stream number is the flow's rank among UDP flows, which
// is udp.stream unless a 5-tuple idles past the flow timeout and is used again). Where Follow and the files differ on
// purpose: Follow shows an acknowledged gap as Wireshark's "[N bytes missing in capture
// file]" text and hides data still waiting beyond a gap when the capture ends (Wireshark
// never shows it); the files hold that data after a hole (reason "end") and never the
// marker text. Wireshark's Follow can take a later copy of a byte over an earlier one when
// both wait beyond a gap and the later one starts lower; the files keep the first copy.
//
// tcpflow 1.6.1 writes the same bytes as Write with HolesZero wherever it agrees with
// Wireshark: on the corpus, 369 of its 478 files are equal byte for byte. It departs from
// Wireshark in these ways (corpus_test.go tells the first two apart by themselves and lists
// the rest with their reason):
//   - it takes a segment's length from the captured bytes rather than the IP length, so
//     the bytes after the IP packet (Ethernet padding of short frames, zeros or not) are
//     written as data: at the end of a file they remain (45 files have 1 to 7 bytes
//     more), a connection without payload, or the packets after it closed, get a file of
//     padding alone (63 files), and a padded keep-alive, no longer one byte long, writes
//     over a byte of the stream (1 file);
//   - it writes every copy of a retransmitted byte where it belongs, so the last copy wins
//     where copies differ (no such stream in the corpus);
//   - it closes a connection at a RST (and at a FIN once every byte was seen), so later
//     packets of the connection start a new file with a "c1" suffix;
//   - it does not decode GRE and other tunnels, a VLAN stack with PPPoE, Linux SLL2, or
//     pcapng files whose interfaces have different link types: those captures give it
//     fewer files or none (46 files pcapdex writes);
//   - like Write, it writes nothing for bytes cut by the snaplen, and no file for a
//     direction of only cut bytes.
package streams
