#!/bin/sh
# Regenerates tshark's answers used by query/tshark_test.go (tshark 4.0.17; CI has no
# tshark, so the answers are kept here). Run from this directory:  ./make.sh
# Per case (capture, host): conversations of the host (-z conv,tcp), packets and bytes per
# second for all frames and for "host and tcp" (tshark: ip.addr==H && tcp && !icmp, since tshark also
# matches the TCP header an ICMP error quotes) (-z io,stat,1), the frame numbers a display
# filter selects (-Y), nearest-rank quantiles of frame.len over all frames, and per TCP
# packet its flags, relative seq and ack, payload length and calculated (scaled) window.
set -eu
export TZ=UTC
WIRESHARK_CONFIG_DIR=$(mktemp -d)
export WIRESHARK_CONFIG_DIR
C=../../../../shared/corpus
T="-o ip.defragment:FALSE -o ipv6.defragment:FALSE"
while read -r name file host; do
	tshark -r "$file" $T -q -z "conv,tcp,ip.addr==$host" > "$name.conv.txt"
	tshark -r "$file" $T -q -z "io,stat,1,,ip.addr==$host && tcp && !icmp" > "$name.io.txt"
	tshark -r "$file" $T -Y "ip.addr==$host && tcp && !icmp" -T fields -e frame.number > "$name.frames.txt"
	tshark -r "$file" $T -Y "tcp && !icmp && !icmpv6" -T fields -e frame.number -e tcp.flags \
		-e tcp.seq -e tcp.ack -e tcp.len -e tcp.window_size > "$name.tcp.txt"
	tshark -r "$file" $T -T fields -e frame.len | sort -n | awk '
		{ v[NR] = $1 }
		function q(p,  r) { r = int(p * NR); if (r < p * NR) r++; if (r < 1) r = 1; return v[r] }
		END { printf "count %d min %d p25 %d p50 %d p75 %d p90 %d p99 %d max %d\n", NR, v[1], q(0.25), q(0.5), q(0.75), q(0.9), q(0.99), v[NR] }' > "$name.len.txt"
done <<CASES
example $C/example.pcap 212.199.202.53
b206 $C/206_example_b.pcap 65.54.95.14
rst $C/one_http_stream_rst.pcap 10.3.65.35
fast009 $C/retransmit-fast009.pcap 10.0.88.85
sample ../../../testdata/sample.pcapng 192.0.2.3
gnutella $C/gnutella.pcap 10.0.2.15
CASES
rm -rf "$WIRESHARK_CONFIG_DIR"
