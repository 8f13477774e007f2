// Package filter is pcapdex's filter language: the lexer, the parser ([Parse]), the syntax
// tree ([Node] and its types), the numeric flow fields a filter compares ([Field]) and the
// values they take ([ParseSize], [ParseDuration], [ParseCount]; [ParseTime] for --since and
// --until). It knows nothing of where flows are kept: package query compiles a Node into a
// plan over an index or flows in memory.
//
// # Grammar
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
// Keywords are case-insensitive. [String] prints a parsed filter in canonical form (every
// shorthand expanded, nested and/or in parentheses, values in plain units), which parses
// back to the same tree. Errors are [*Error], whose text shows the filter with a caret under
// the fault. Parsing takes time linear in the length of the filter. Filters nest at most 256
// levels of "not" and parentheses, counted in the filter and in its canonical form (where
// each switch between an unparenthesized "and" and "or" adds a level), so that every parsed
// filter prints as text that parses back.
//
// # Time bounds
//
// ParseTime reads the --since/--until forms: RFC 3339 with optional fractional seconds,
// Unix epoch seconds with an optional fraction, or +DURATION from the start of the capture
// (a TimeSpec that Resolve settles once the start is known).
package filter
