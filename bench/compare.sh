#!/usr/bin/env bash
# compare.sh CAPTURE: time pcapdex and its peers on the same capture, in one run, and print
# each tool's time in seconds and as a ratio to `pcapdex flows`.
#
# Tools (each skipped with a note when missing):
#   pcapdex flows --no-index --format csv    the flow table in one full pass (the reference of the ratios)
#   pcapdex info > /dev/null                 one pass: reading, decoding, counting, flows (one goroutine)
#   pcapdex index --force                    building the index
#   pcapdex flows (from that index)          the same flow table answered from the index
#   gopacketflows CAPTURE                    gopacket pcapgo + DecodingLayerParser into a flow map
#   tshark -q -z conv,tcp                    Wireshark's TCP conversation table
#   tcpdump -r CAPTURE -w /dev/null          read and rewrite, no decoding
#   tcpdump -n -r CAPTURE > /dev/null        read and print one line per packet
#
# Environment: RUNS (timed runs per tool, default 5), WARMUP (default 1),
# SKIP (space-separated tool names to leave out: pcapdex-info gopacket tshark tcpdump-w tcpdump-n),
# PCAPDEX_WORKERS (passed as --workers when set), PCAPDEX (a pcapdex binary to use instead
# of building /tmp/pcapdex from the checkout).
# Uses hyperfine when installed (median of RUNS), otherwise plain timing (median of RUNS).
set -euo pipefail

if [[ $# -ne 1 || ! -r $1 ]]; then
	echo "usage: bench/compare.sh CAPTURE" >&2
	exit 2
fi
cap=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
runs=${RUNS:-5}
warmup=${WARMUP:-1}
skip=" ${SKIP:-} "
bin=$(mktemp -d /tmp/compare.XXXXXX)
trap 'rm -rf "$bin"' EXIT

echo "== building" >&2
pcapdex=${PCAPDEX:-/tmp/pcapdex}
if [[ -z ${PCAPDEX:-} ]]; then
	(cd "$root" && go build -o /tmp/pcapdex ./cmd/pcapdex)
fi
(cd "$here" && go build -o "$bin/gopacketflows" ./cmd/gopacketflows)

export TZ=UTC WIRESHARK_CONFIG_DIR="$bin/wsconfig"
mkdir -p "$WIRESHARK_CONFIG_DIR"
workers=()
if [[ -n ${PCAPDEX_WORKERS:-} ]]; then workers=(--workers "$PCAPDEX_WORKERS"); fi

names=() cmds=()
add() { # name command
	if [[ $skip == *" $1 "* ]]; then
		echo "skip $1 (SKIP)" >&2
		return
	fi
	names+=("$1")
	cmds+=("$2")
}
# The reference is one full pass (--no-index), the work every peer below does too. The index
# lines show the pickle: building it once, then answering the same flow table from it.
add pcapdex-flows "$pcapdex flows --no-index --format csv ${workers[*]} '$cap' > /dev/null"
add pcapdex-info "$pcapdex info '$cap' > /dev/null"
add pcapdex-index "$pcapdex index --force ${workers[*]} -o '$bin/cap.pcapdex' '$cap' > /dev/null 2>&1"
add pcapdex-indexed-flows "$pcapdex flows --index '$bin/cap.pcapdex' --format csv '$cap' > /dev/null 2>&1"
add gopacket "'$bin/gopacketflows' -q '$cap'"
if command -v tshark > /dev/null; then
	add tshark "tshark -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE -q -z conv,tcp -r '$cap' > /dev/null 2>&1"
else
	echo "skip tshark (not installed)" >&2
fi
if command -v tcpdump > /dev/null; then
	add tcpdump-w "tcpdump -r '$cap' -w /dev/null 2> /dev/null"
	add tcpdump-n "tcpdump -n -r '$cap' > /dev/null 2>&1"
else
	echo "skip tcpdump (not installed)" >&2
fi

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

secs=()
if command -v hyperfine > /dev/null; then
	method="hyperfine $(hyperfine --version | awk '{print $2}'), median of $runs runs after $warmup warmup"
	for i in "${!cmds[@]}"; do
		hyperfine --style none --shell bash --warmup "$warmup" --runs "$runs" -n "${names[$i]}" \
			--export-json "$bin/h$i.json" "${cmds[$i]}" > /dev/null
		secs+=("$(jq -r '.results[0].median' "$bin/h$i.json")")
	done
else
	method="plain timing, median of $runs runs after $warmup warmup"
	for i in "${!cmds[@]}"; do
		for ((w = 0; w < warmup; w++)); do bash -c "${cmds[$i]}"; done
		for ((r = 0; r < runs; r++)); do
			s=$(date +%s.%N)
			bash -c "${cmds[$i]}"
			e=$(date +%s.%N)
			echo "$e - $s" | bc -l
		done | median > "$bin/t$i"
		secs+=("$(cat "$bin/t$i")")
	done
fi

size=$(stat -c %s "$cap")
echo "capture:  $cap ($size bytes)"
echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1e6}' /proc/meminfo)"
echo "go:       $(go version | awk '{print $3}')   $(tshark --version 2> /dev/null | head -1 || true)   $(tcpdump --version 2>&1 | head -1 || true)"
echo "method:   $method"
echo "commit:   $(git -C "$root" rev-parse --short HEAD)$([[ -n ${PCAPDEX:-} ]] && echo " (pcapdex binary: $PCAPDEX)")"
echo
ref=${secs[0]}
printf '%-14s %10s %10s %12s  %s\n' tool seconds "x pcapdex" "MB/s" command
for i in "${!cmds[@]}"; do
	s=${secs[$i]}
	if [[ $(echo "$s <= 0" | bc -l) == 1 ]]; then s=0.000001; fi
	printf '%-14s %10.3f %10.2f %12.1f  %s\n' "${names[$i]}" "$s" "$(echo "$s / $ref" | bc -l)" \
		"$(echo "$size / $s / 1000000" | bc -l)" "${cmds[$i]//$bin\//}"
done
