#!/bin/sh
# gen-golden.sh writes the goldens of streams/corpus_test.go from the shared corpus:
#
#   follow.tsv   per capture, TCP stream (tcp.stream) and mode: the SHA-256 and length of
#                tshark's `-q -z follow,tcp,MODE,N` block (from the newline before the first
#                separator to the last separator), and for mode raw the SHA-256 and length of
#                each node's bytes (node 0 sent the stream's first packet)
#   follow-udp.tsv  the same for `-z follow,udp,raw,N` on every UDP stream (udp.stream) of
#                a few captures
#   tcpflow.tsv  per capture and file of `tcpflow -r CAPTURE -o DIR`: the file's size and
#                SHA-256, and the SHA-256 of all but its last 64 bytes with those bytes in
#                hex (tcpflow writes the bytes after the IP packet, such as Ethernet padding,
#                as data: the test tells that difference by them)
#
# Made with TShark 4.0.17 and tcpflow 1.6.1 (Debian 12: apt-get install tshark tcpflow).
# Run from anywhere: sh streams/testdata/gen-golden.sh [CORPUS_DIR]
# (ONLY=tcpflow, ONLY=follow or ONLY=udp writes just that file.)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-$here/../../../shared/corpus}
[ -f "$corpus/MANIFEST.tsv" ] || { echo "no corpus at $corpus" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Captures with TCP conversations (MANIFEST column 14), by name.
caps=$(awk -F'\t' 'NR > 1 && $14 > 0 { print $1 }' "$corpus/MANIFEST.tsv" | sort)
# Modes beyond raw only on a few small captures: enough to pin the formats.
fmt_caps="206_example_b.pcap gap-data-missing.pcapng one_http_stream_rst.pcap retransmit-fast009.pcap"

follow="$here/follow.tsv"
follow_udp="$here/follow-udp.tsv"
udp_caps="example.pcap many-protocols.pcap"
flow="$here/tcpflow.tsv"
only=${ONLY:-}
cat >"$tmp/block.py" <<'EOF'
import hashlib, sys
cap, stream, mode, path = sys.argv[1:]
data = open(path, 'rb').read()
sep = b"=" * 67 + b"\n"
start = data.index(b"\n" + sep)
end = data.rindex(sep) + len(sep)
block = data[start:end]
row = [cap, stream, mode, hashlib.sha256(block).hexdigest(), str(len(block))]
if mode == "raw":
    nodes = [bytearray(), bytearray()]
    body = block[len(b"\n" + sep):-len(sep)]
    for line in body.split(b"\n")[4:]:
        if not line:
            continue
        n = 1 if line.startswith(b"\t") else 0
        nodes[n] += bytes.fromhex(line.strip(b"\t").decode())
    for b in nodes:
        row += [hashlib.sha256(b).hexdigest(), str(len(b))]
else:
    row += ["-", "-", "-", "-"]
print("\t".join(row))
EOF
[ "$only" = tcpflow ] || [ "$only" = udp ] || printf 'capture\tstream\tmode\tblock_sha256\tblock_len\tnode0_sha256\tnode0_len\tnode1_sha256\tnode1_len\n' >"$follow"
[ "$only" = follow ] || [ "$only" = udp ] || printf 'capture\tfile\tsize\tsha256\thead_sha256\ttail_hex\n' >"$flow"

[ "$only" = udp ] && caps=
for c in $caps; do
	src="$corpus/$c"
	cap="$tmp/cap"
	case "$c" in
	*.gz) gzip -dc "$src" >"$cap" ;;
	*) cp "$src" "$cap" ;;
	esac
	streams=$(tshark -r "$cap" -T fields -e tcp.stream 2>/dev/null | grep -v '^$' | sort -un || true)
	modes=raw
	case " $fmt_caps " in *" $c "*) modes="raw ascii hex" ;; esac
	[ "$only" = tcpflow ] && modes=
	for m in $modes; do
		for s in $streams; do
			tshark -r "$cap" -q -z "follow,tcp,$m,$s" 2>/dev/null >"$tmp/out" || true
			python3 "$tmp/block.py" "$c" "$s" "$m" "$tmp/out" >>"$follow"
		done
	done
	[ "$only" = follow ] && continue
	rm -rf "$tmp/flow"
	mkdir "$tmp/flow"
	tcpflow -r "$cap" -o "$tmp/flow" >/dev/null 2>&1 || true
	(cd "$tmp/flow" && ls | grep -v '^report.xml$' | LC_ALL=C sort) | python3 -c '
import hashlib, sys
cap, d = sys.argv[1:]
for name in sys.stdin.read().split():
    b = open(d + "/" + name, "rb").read()
    head = b[:max(0, len(b) - 64)]
    print("\t".join([cap, name, str(len(b)), hashlib.sha256(b).hexdigest(), hashlib.sha256(head).hexdigest(), b[len(head):].hex() or "-"]))
' "$c" "$tmp/flow" >>"$flow"
done

# UDP: every udp.stream of a few captures, raw.
[ -n "$only" ] && [ "$only" != udp ] && exit 0
printf 'capture\tstream\tmode\tblock_sha256\tblock_len\tnode0_sha256\tnode0_len\tnode1_sha256\tnode1_len\n' >"$follow_udp"
for c in $udp_caps; do
	cap="$tmp/cap"
	cp "$corpus/$c" "$cap"
	for s in $(tshark -r "$cap" -T fields -e udp.stream 2>/dev/null | grep -v '^$' | sort -un); do
		tshark -r "$cap" -q -z "follow,udp,raw,$s" 2>/dev/null >"$tmp/out" || true
		python3 "$tmp/block.py" "$c" "$s" raw "$tmp/out" >>"$follow_udp"
	done
done
