#!/bin/sh
# gen.sh: rewrite the hand-built captures (gen.py) and their tshark goldens. Run with
# TShark 4.0.17, as ../gen-golden.sh does; the .tcpa format is the same as golden/*.tcpa.
set -eu
cd "$(dirname "$0")"
python3 gen.py
WIRESHARK_CONFIG_DIR=$(mktemp -d)
export WIRESHARK_CONFIG_DIR TZ=UTC LC_ALL=C
for f in *.pcap; do
	tshark -n -r "$f" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y tcp.analysis.flags \
		-T fields -E separator=/t -E occurrence=f \
		-e frame.number -e tcp.stream -e tcp.analysis.retransmission -e tcp.analysis.fast_retransmission \
		-e tcp.analysis.spurious_retransmission -e tcp.analysis.out_of_order -e tcp.analysis.duplicate_ack_num \
		-e tcp.analysis.zero_window -e tcp.analysis.lost_segment -e tcp.analysis.ack_lost_segment \
		-e tcp.analysis.keep_alive -e tcp.analysis.window_full -e tcp.analysis.zero_window_probe 2>/dev/null |
		awk -F'\t' -v OFS=' ' '{for(i=1;i<=NF;i++) if($i=="") $i="-"; $1=$1; print}' >"$f.tcpa"
	tshark -n -r "$f" -T fields -e tcp.stream 2>/dev/null |
		awk 'NF{if($1+1>n)n=$1+1} END{print n+0}' >"$f.streams"
done
