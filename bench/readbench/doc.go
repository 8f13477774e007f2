// Package readbench measures how fast captures are iterated: pcapdex's pcapng reader on the
// mapped and plain-read paths against gopacket's pcapgo readers, on the same big file in the
// same run. Build the file with ../shared/tools/make-big-capture (from the repository root) /tmp/pcapdex-big (or point
// PCAPDEX_BIG at a directory holding big.pcap and big.pcapng); the benchmarks skip without it.
//
//	go test ./readbench -run XXX -bench . -benchmem -benchtime 3x
package readbench
