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
// FlowFields record: the streaming mode evaluator and the reference Eval is tested against.
//
// Sources: IndexSource answers from an index file (flow postings and the flows table, whose
// row r is flow id r+1) and also reads rows back (FlowRows) and flows active in a time
// window (Window, for --since/--until); FlowSet answers from flows in memory
// (FlowFields.SetFlow fills one from a flowhash record).
//
// # Commands
//
// The pcapdex query commands are thin wrappers over the Write* functions here, each given a
// Store and a Selection (Select: the filter's flows and the --since/--until window):
//
//	WriteFlows       flows: FlowColumns (Zeek conn.log names: ts, orig_h, orig_p, resp_h,
//	                 resp_p, proto, duration, orig_bytes, resp_bytes, conn_state, history,
//	                 orig_pkts, orig_ip_bytes, ...; plus flow_id, community_id, syn_rtt and the
//	                 TCP analysis counters), --sort, --limit, --columns
//	WritePackets     packets of the selected flows: frame ts rel flow_id dir flags seq ack
//	                 len win analysis (rel: since the flow's first packet; dir: orig or resp,
//	                 the sender; seq/ack relative as Wireshark shows them; win scaled)
//	WriteTimeline    ts packets bytes per bucket, empty buckets as zero; bytes are frame
//	                 lengths (frame.len); AlignStart starts buckets at the first packet as
//	                 tshark -z io,stat does, AlignEpoch at multiples of the width
//	WriteGaps        start end duration of silences of at least --min, capture edges included
//	WriteTop         groups by src, dst, host, port, pair or flow: flows packets bytes share
//	                 (bytes: IP bytes, both directions)
//	WriteSizes       packets bytes min p25 p50 p75 p90 p99 max mean of frame lengths, quantiles
//	                 by nearest rank (rank ceil(q*n)); or the histogram (Wireshark's
//	                 packet-length buckets) lo hi packets fraction cdf
//	WriteEvents      frame ts flow_id type from detail, the TCP analysis events
//	WriteConcurrent  flows open at an instant, or per RST: frame ts flow_id from sender_h
//	                 orig_h orig_p resp_h resp_p open_flows (other flows open at that instant)
//	Extract          the selected packets as pcap or pcapng, read back by (file, offset),
//	                 optionally with a comment per packet saying why it matched
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
//
// # Output
//
// Table writes rows of typed columns as an aligned table with human units, or as csv
// (RFC 4180, LF line ends), jsonl or json with raw numbers: integers, sizes in bytes,
// durations in nanoseconds, timestamps per TimeFormat (RFC 3339 strings, or epoch or
// capture-relative seconds as numbers). Times print in UTC.
package query
