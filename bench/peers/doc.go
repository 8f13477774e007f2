// Package peers holds the baselines pcapdex is measured against in the same benchmark run:
// gopacket's pcapgo readers and DecodingLayerParser, kept in this module so gopacket never
// enters pcapdex's own go.mod. CountFlows is the flow-table baseline (bench/cmd/gopacketflows
// is its CLI, bench/compare.sh times it beside pcapdex, tshark and tcpdump).
package peers
