#!/usr/bin/env bash
# Makes example-anon.tshark.tsv: tshark's reading (tshark 4.0.17, Debian's; checksums
# checked) of the anonymized extract TestAnonymizedExtractTshark writes, so the test needs
# no tshark. Run from the repository root: cmd/pcapdex/testdata/anon/make-golden.sh
set -euo pipefail
corpus=${PCAPDEX_CORPUS:-../shared/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/pcapdex" ./cmd/pcapdex
cp "$corpus/example.pcap" "$tmp/example.pcap"
"$tmp/pcapdex" extract -w "$tmp/anon.pcap" --anonymize 'pcapdex test key' "$tmp/example.pcap" 'udp or port 44147'
tshark -r "$tmp/anon.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
  -T fields -E separator=/t -e frame.number -e frame.cap_len -e eth.src -e eth.dst -e ip.src -e ip.dst \
  -e ip.checksum.status -e tcp.checksum.status -e udp.checksum.status \
  > cmd/pcapdex/testdata/anon/example-anon.tshark.tsv
