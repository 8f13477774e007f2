#!/bin/sh
# gen-golden.sh CORPUS_DIR: regenerate the tshark golden files the flowhash tests compare against,
# so the tests need no tshark at run time. Run with TShark 4.0.17 (the version of the corpus
# manifest), as the corpus README describes: empty config dir, TZ=UTC, reassembly off.
#
# For each capture FILE it writes golden/FILE.conv and golden/FILE.tcpa:
#   FILE.conv  one line per row of `-z conv,tcp` and `-z conv,udp`:
#              proto addrA portA addrB portB frames_A_to_B frames_B_to_A
#   FILE.tcpa  one line per frame that carries any tcp.analysis flag we check:
#              frame tcp.stream retransmission fast spurious out_of_order dup_ack(num) zero_window
#                    lost_segment ack_lost_segment keep_alive window_full zero_window_probe
# and golden/FILE.ackrtt, one line per TCP stream with tcp.analysis.ack_rtt values:
#              first_frame_of_the_stream samples mean_ns
set -eu
corpus=${1:?usage: gen-golden.sh CORPUS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/golden
mkdir -p "$out"
WIRESHARK_CONFIG_DIR=$(mktemp -d)
export WIRESHARK_CONFIG_DIR TZ=UTC LC_ALL=C
tshark --version 2>/dev/null | head -1 >"$out/TSHARK_VERSION"
for f in "$corpus"/*; do
	name=$(basename "$f")
	case "$name" in MANIFEST.tsv|README.md|*.py) continue ;; esac
	in=$f
	case "$name" in *.gz) in=$(mktemp); gzip -dc "$f" >"$in" ;; esac
	tshark -n -r "$in" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -q -z conv,tcp -z conv,udp 2>/dev/null |
		awk '
		/^TCP Conversations/ {p="tcp"} /^UDP Conversations/ {p="udp"}
		/<->/ {
			a=$1; b=$3
			ia=match(a, /:[0-9]+$/); ha=substr(a,1,ia-1); pa=substr(a,ia+1)
			ib=match(b, /:[0-9]+$/); hb=substr(b,1,ib-1); pb=substr(b,ib+1)
			# columns after the endpoints: <- frames, bytes, unit, -> frames, bytes, unit, ...
			print p, ha, pa, hb, pb, $7, $4
		}' | sort >"$out/$name.conv" || true
	tshark -n -r "$in" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y tcp.analysis.flags \
		-T fields -E separator=/t -E occurrence=f \
		-e frame.number -e tcp.stream -e tcp.analysis.retransmission -e tcp.analysis.fast_retransmission \
		-e tcp.analysis.spurious_retransmission -e tcp.analysis.out_of_order -e tcp.analysis.duplicate_ack_num \
		-e tcp.analysis.zero_window -e tcp.analysis.lost_segment -e tcp.analysis.ack_lost_segment \
		-e tcp.analysis.keep_alive -e tcp.analysis.window_full -e tcp.analysis.zero_window_probe 2>/dev/null |
		awk -F'\t' -v OFS=' ' '{for(i=1;i<=NF;i++) if($i=="") $i="-"; $1=$1; print}' >"$out/$name.tcpa" || true
	tshark -n -r "$in" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -e tcp.stream 2>/dev/null |
		awk 'NF{if($1+1>n)n=$1+1} END{print n+0}' >"$out/$name.streams" || true
	tshark -n -r "$in" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y tcp \
		-T fields -e frame.number -e tcp.stream -e tcp.analysis.ack_rtt 2>/dev/null |
		awk -F'\t' '{s=$2; if(!(s in first)) first[s]=$1; if($3!=""){n[s]++; sum[s]+=$3*1e9}}
		END{for(s in n) printf "%d %d %.0f\n", first[s], n[s], sum[s]/n[s]}' | sort -n >"$out/$name.ackrtt" || true
	case "$name" in *.gz) rm -f "$in" ;; esac
done
