#!/bin/sh
# Whole-process latency of each query command for a one-host filter on the index of a
# capture of at least 1 GB, with hyperfine, and tshark answering the same questions from the
# capture (one run each: a full pass). Nothing is written to the repository.
#
#   query/testdata/bench/cli.sh [CAPTURE [HOST]]
#
# Builds pcapdex and the index (to $OUT, default /tmp/pcapdex-query-bench) when missing.
set -eu
CAP=${1:-/tmp/pcapdex-big/big.pcap}
H=${2:-10.46.137.130}
OUT=${OUT:-/tmp/pcapdex-query-bench}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$OUT"
(cd "$ROOT" && go build -o "$OUT/pcapdex" ./cmd/pcapdex)
X="$OUT/pcapdex"
I="$OUT/$(basename "$CAP").pcapdex"
"$X" index -o "$I" "$CAP" >&2
cd "$OUT"
hyperfine -N --warmup 3 --runs 30 --export-markdown "$OUT/cli.md" \
	"$X flows $I host $H" \
	"$X flows --index $I $CAP host $H" \
	"$X packets $I host $H" \
	"$X timeline --bucket 1h $I host $H" \
	"$X timeline --bucket 1h $I" \
	"$X gaps --min 1s $I host $H" \
	"$X top --by pair $I host $H" \
	"$X sizes $I host $H" \
	"$X events $I host $H" \
	"$X concurrent $I host $H" \
	"$X extract -w $OUT/x.pcap $I host $H"
if command -v tshark >/dev/null && [ "${TSHARK:-1}" = 1 ]; then
	export TZ=UTC WIRESHARK_CONFIG_DIR=$(mktemp -d)
	T="-o ip.defragment:FALSE -o ipv6.defragment:FALSE -n"
	for q in "flows|-q -z conv,tcp,ip.addr==$H" "timeline|-q -z io,stat,3600,ip.addr==$H" "extract|-Y ip.addr==$H -w $OUT/tshark-x.pcap"; do
		name=${q%%|*}
		args=${q#*|}
		/usr/bin/time -f "tshark $name: %e s wall, %U s user" tshark -r "$CAP" $T $args >/dev/null
	done
fi
