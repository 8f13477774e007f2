// Package query turns filter text into a plan over flows, and rows into output.
//
// # Filter language
//
// A filter selects flows. It is tcpdump's language for the primitives users already type,
// plus predicates on what a flow did:
//
//	[src|dst] host ADDR          IPv4 or IPv6 address ("host" may be left out: "src 10.0.0.1", "10.0.0.1")
//	[src|dst] net CIDR           10.0.0.0/8, 2001:db8::/32; also "net 10.0.0.0 mask 255.0.0.0"
//	[src|dst] port N             a number or a service name from a fixed table (http, https, ssh, dns, ...)
//	[src|dst] portrange A-B      inclusive; ports exist only for tcp, udp and sctp flows
//	tcp udp icmp icmp6           transport protocol; "proto N" or "proto tcp" for any other
//	ip ip6                       address family
//	vlan [ID]                    flows carried in VLAN ID (the outermost tag), or in any VLAN
//	state == CODE                Zeek conn_state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH
//	                             ("state CODE" and "state != CODE" also work)
//	syn fin rst                  the flow saw a segment with that TCP flag
//	FIELD OP VALUE               OP is == != < <= > >= ("=" is "=="); a bare FIELD means FIELD > 0
//
// Fields and their values:
//
//	bytes                         IP bytes, both directions; sizes: 1500, 1.5KB, 1MB, 2GiB
//	orig_bytes resp_bytes         payload bytes of each side, as Zeek counts them; sizes
//	pkts orig_pkts resp_pkts      counts
//	duration syn_rtt              durations: 300ms, 1.5s, 5m (units ns us ms s m h; 0 needs none)
//	retransmissions zero_windows out_of_order dup_acks   counts
//
// Size units are case-insensitive: KB, MB, GB, TB are powers of 1000 (1MB = 1000000 bytes);
// KiB, MiB, GiB, TiB are powers of 1024 (1MiB = 1048576). Fractions round to the nearest byte
// or nanosecond. A flow without a TCP handshake has no syn_rtt: no comparison on it holds,
// so "syn_rtt < 1s" skips it and "not syn_rtt < 1s" keeps it.
//
// Direction: the originator of a flow (the side that sent its first packet, normally the
// SYN) is its source and the responder its destination. "src host X" matches flows X
// originated, "dst port 443" flows whose responder port is 443, and "host X" / "port N"
// either end.
//
// Operators: "not" or "!", "and" or "&&", "or" or "||", parentheses. As in tcpdump, "not"
// binds tightest and "and" and "or" have EQUAL precedence, grouping left to right:
// "tcp or udp and port 53" means "(tcp or udp) and port 53". Use parentheses.
//
// Shorthands from tcpdump: a bare value repeats the last qualifier, so "port 80 or 443" is
// "port 80 or port 443" and "src host a or b" is "src host a or src host b" ("not" is not
// repeated: "not host a and b" is "not host a and host b"); a protocol before a qualifier
// joins it with "and": "tcp port 80" is "tcp and port 80", and "tcp port 80 or 443" repeats
// the protocol too.
//
// Keywords are case-insensitive. String prints a parsed filter in canonical form (every
// shorthand expanded, nested and/or in parentheses, values in plain units), which parses
// back to the same tree. Errors are *Error, whose text shows the filter with a caret under
// the fault.
//
// # Evaluation
//
// Compile normalizes a filter (nots pushed to the leaves, and/or flattened) and classifies
// each leaf: host, net, port, proto, ip/ip6, vlan and state are posting predicates answered
// by bitmaps from a Source; numeric fields and TCP flags are column predicates that scan a
// NumericColumn a block at a time. Plan.Eval intersects postings smallest first, scans
// columns only in blocks that still hold candidates (and not at all when block min/max
// decide), and stops an "and" as soon as it is empty. Plan.MatchFlow evaluates one
// FlowFields record: the streaming mode evaluator and the reference Eval is tested against.
//
// Sources: IndexSource answers from an index file (flow postings and the flows table, whose
// row r is flow id r+1) and also reads rows back (FlowRows) and flows active in a time
// window (Window, for --since/--until); FlowSet answers from flows in memory
// (FlowFields.SetFlow fills one from a flowhash record).
//
// # Commands
//
// Each command computes typed rows from a Store and a Selection (Select: the filter's flows
// and the time window), one file each, and knows nothing of output formats; the output
// package writes the rows as a table, csv, jsonl or json. Options are typed (enums such as
// FlowSort, TopBy and TopMetric, parsed by their Parse functions; time.Duration for
// widths and minimums). The commands that can be long stream their rows in capture order
// (iter.Seq2 over a reused row, nothing held); the others return slices or a summary:
//
//	Flows        the selected flows (*flowhash.Flow: Zeek conn.log fields, flow id,
//	             community id, TCP analysis counters), sorted by FlowSort, at most Limit
//	Packets      packets of the selected flows (*Packet: the PacketRow with TCP fields, and
//	             Rel, the time since the flow's first packet)
//	Timeline     packets and bytes (frame lengths, frame.len) per bucket, empty buckets as
//	             zero; AlignStart starts buckets at the first packet as tshark -z io,stat
//	             does, AlignEpoch at multiples of the width
//	Gaps         silences of at least a minimum, capture edges included
//	Top          groups by src, dst, host, port, pair or flow: flows packets bytes share
//	             (bytes: IP bytes, both directions)
//	Sizes        packets bytes min p25 p50 p75 p90 p99 max mean of frame lengths, quantiles
//	             by nearest rank (rank ceil(q*n)); SizeStats.Histogram gives Wireshark's
//	             packet-length buckets with fraction and cdf
//	Events       the TCP analysis events (*flowhash.Event) in frame order
//	OpenFlowsAt  the flows open at an instant
//	RSTs         per RST: who sent it, its flow, and the other flows open at that instant
//	Extract      the selected packets as pcap or pcapng, read back by (file, offset),
//	             optionally with a comment per packet saying why it matched
//
// A filter selects flows; packet commands print the packets of the selected flows (with no
// filter, every packet, IP or not). Frames are numbered 1, 2, ... over the whole capture
// set in capture order (for one file, Wireshark's frame numbers).
//
// # Stores
//
// IndexStore answers from an index file: flow postings and column scans select flows, the
// flows table's column groups a command needs are decoded (FlowNeed), and packet blocks are
// read only when a command needs packets, and then only the blocks holding the selected
// flows (pblk_first..pblk_last, or the post.flow.blocks bitmap of a long flow). Within a
// block the flow ids are decoded first, then only the columns the command reads (Need),
// each into one reused scratch from which only the kept rows are copied (a short CLI run
// pays for fresh memory in page faults more than for decoding). Flows and Events keep only
// the selected rows the same way; events of a small selection skip event blocks outside its
// packets' time spans, and concurrent counts open flows per RST from the flows blocks that
// can hold them (Store.OpenAt). StreamStore reads the
// captures in one pass and keeps the flow tracker's result in memory, plus per-packet rows
// and events only for the commands that read them (StreamKeepFor; --no-index). Both give byte-identical output for every command (tested on every
// corpus file and a capture set), which checks the index end to end.
package query
