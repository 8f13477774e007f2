// Package flowbench measures the whole flow pipeline (read, decode, key, shard, flow tables,
// TCP analysis) on a large capture against a gopacket baseline (pcapgo reader,
// DecodingLayerParser, a map of flows) in the same run.
//
// The capture is $PCAPDEX_BIG, default /tmp/pcapdex-big/big.pcap (make it with
// ../shared/tools/make-big-capture (from the repository root) /tmp/pcapdex-big; never commit it). Run:
//
//	cd bench && go test ./flowbench -run TestFlowReport -v          # one pass each, ratios
//	cd bench && go test ./flowbench -run '^$' -bench . -benchtime 1x  # benchmarks
package flowbench
