// Package report writes pcapdex's HTML report: one self-contained, offline file with the
// charts of a capture study (summary, I/O graph, activity per minute of each UTC day,
// frame sizes, top talkers, one host's connections, problem flows, per-flow TCP graphs,
// the event timeline).
//
// Gather computes the data through the query package's typed rows (Timeline, Gaps, Sizes,
// Top, Flows, Packets, Events, RSTs), never a second implementation, and writes the tables
// as the query commands' JSON (output.Write* with FormatJSON) so the report shows exactly
// what `pcapdex timeline|gaps|sizes|top|flows|concurrent --format json` print. Long series
// are reduced with Decimate to the pixels of a chart. Write wraps the data in the HTML
// page with the vendored uPlot (assets/README.md) and a strict Content-Security-Policy.
//
// The data object's keys: summary; timeline {bucket_ns, gap_min_ns, rows (timeline JSON),
// gaps (gaps JSON), overlay {event type: counts per bucket}}; activity {days [{date,
// packets[1440], bytes[1440]}], truncated}; sizes {summary (sizes JSON), histogram (sizes
// --histogram JSON)}; top [{by, metric, rows (top JSON)}]; host {addr, limit, rows (flows
// JSON)} or null; problems {total, rows (flows JSON), scores, client_rsts_total,
// client_rsts (concurrent --rst orig JSON)}; flows [{flow_id, found, series {NAME: {x,
// y}}}]; events {total, types, ts, flow, type, per_flow}.
package report
