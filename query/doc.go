// Package query turns a parsed filter into a plan over flows, and rows into output.
//
// The filter language (grammar, parser, syntax tree, fields and units) is package
// [github.com/pcapdex/pcapdex/filter]; this package compiles its trees and evaluates them.
//
// # Evaluation
//
// Compile normalizes a filter (nots pushed to the leaves, and/or flattened) and classifies
// each leaf: host, net, port, proto, ip/ip6, vlan and state are posting predicates answered
// by bitmaps from a Source; numeric fields and TCP flags are column predicates that scan a
// NumericColumn a block at a time. Plan.Eval intersects postings smallest first, scans
// columns only in blocks that still hold candidates (and not at all when block min/max
// decide), and stops an "and" as soon as it is empty. Plan.MatchFlow evaluates one
// FlowFields record: the reference Eval is tested against.
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
