// Package filter is pcapdex's filter language: the lexer, the parser ([Parse]), the syntax
// tree ([Node] and its types), the numeric flow fields a filter compares ([Field]) and the
// values they take ([ParseSize], [ParseDuration], [ParseCount]; [ParseTime] for --since and
// --until). It knows nothing of where flows are kept: package query compiles a Node into a
// plan over an index or flows in memory.
//
// # Grammar
//
// A filter is tcpdump's language (pcap-filter(7)) with tcpdump's meaning, plus predicates on
// what a flow did and Zeek's words for a flow's two roles.
//
// Packet primitives select packets exactly as tcpdump -r FILE FILTER does (package query
// checks each packet's bytes the way libpcap's generated code would):
//
//	[src|dst|src or dst] host ADDR    IPv4 or IPv6 address ("host" may be left out: "src 10.0.0.1");
//	                                  an IPv4 host also matches ARP/RARP sender and target addresses
//	[src|dst] net NET                 10.0.0.0/8, 2001:db8::/32, "net 10.0.0.0 mask 255.0.0.0",
//	                                  classful "net 10" (/8), "net 192.168" (/16), "net 172.16/12"
//	[src|dst] port N                  TCP, UDP or SCTP; a number or a name from a fixed table (http, dns, ...)
//	[src|dst] portrange A-B           inclusive
//	tcp udp sctp icmp icmp6 igmp      "proto N", "ip proto N", "ip6 proto N", "proto \udp"
//	ip ip6 arp rarp                   the link layer's protocol
//	vlan [ID]                         an 802.1Q/802.1ad tag; as in tcpdump, primitives written after
//	                                  a vlan look past one more tag ("vlan and tcp"), and without one
//	                                  they do not match tagged frames
//	ether host|src|dst MAC            Ethernet addresses; "ether proto N" (an EtherType)
//	broadcast multicast               Ethernet broadcast/multicast ("ether broadcast");
//	                                  "ip multicast", "ip6 multicast"
//	greater N, less N                 len >= N, len <= N (the length on the wire)
//	EXPR OP EXPR                      arithmetic over packet bytes: "tcp[13] & 2 != 0",
//	                                  "ip[6:2] & 0x1fff != 0", "len - 14 > 1000",
//	                                  "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
//	                                  "icmp[icmptype] == icmp-echo"
//
// EXPR is a number (decimal, 0x hex), len, a named constant (tcpflags, tcp-fin tcp-syn tcp-rst
// tcp-push tcp-ack tcp-urg tcp-ece tcp-cwr, icmptype icmpcode icmp-echo icmp-echoreply
// icmp-unreach ..., icmp6type icmp6-echo ...), a load PROTO[EXPR] or PROTO[EXPR:SIZE] (SIZE 1,
// 2 or 4; PROTO ether, ip, ip6, tcp, udp, sctp, icmp, icmp6, igmp, arp, rarp; tcp, udp, icmp
// and the like are IPv4's, not fragments, as in libpcap), or EXPR OP EXPR with + - * / % & | ^
// << >> (libpcap's precedence: * / % over + - over << >> over & over | ^). A load past the
// captured bytes rejects the packet, as in BPF.
//
// Flow primitives select flows; on a packet they look at the packet's flow:
//
//	orig|resp host ADDR, net NET,     the flow's originator (the side that sent its first packet,
//	port N, portrange A-B             normally the SYN) or responder: "orig host X", "resp port 443"
//	state == CODE                     Zeek conn_state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH
//	                                  ("state CODE" and "state != CODE" also work)
//	syn fin rst                       the flow saw a segment with that TCP flag
//	FIELD OP VALUE                    OP is == != < <= > >= ("=" is "=="); a bare FIELD means FIELD > 0
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
// Packets and flows: a command that lists packets (packets, extract, timeline, gaps, sizes)
// selects the packets the filter matches; a command that lists flows (flows, top, events,
// concurrent) selects the flows holding at least one matching packet. A filter of flow
// primitives only is answered from the index without reading packets.
//
// Unsupported tcpdump words (gateway, mpls, pppoes, inbound, protochain, LLC protocols, ...)
// are errors naming the closest supported form.
//
// Wireshark's stream numbers: "tcp_stream == N" and "udp_stream == N" (Wireshark's
// tcp.stream and udp.stream: the flow's rank among the TCP or UDP flows, from 0).
//
// # Display filters
//
// A filter that names a dotted Wireshark field ("ip.addr == 10.0.0.1 && tcp.port == 443") is
// read as a Wireshark display filter ([ParseDisplay]; the fields are [DisplayFields]), with
// == != < <= > >= (eq ne lt le gt ge), "in {80, 443, 8000..8080}", && and, || or, ! not and
// parentheses; "and" binds tighter than "or". A bare field tests presence
// ("tcp.analysis.retransmission"). "==" holds when any occurrence of the field in the packet
// is equal, "!=" when none is, as in Wireshark 4.
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
