package flowhash

import (
	"os"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// benchBatches reads ../testdata/sample.pcap (3153 packets, 400 flows of the benchmark
// generator's mix) into pipeline batches, for the per-stage benchmarks below, which run with
// the batch in cache: they measure the work of each stage, not the memory traffic of reading.
func benchBatches(b *testing.B) (*Pipeline, []*Batch) {
	data, err := os.ReadFile("../testdata/sample.pcap")
	if err != nil {
		b.Skip(err)
	}
	r, err := pcapng.NewBytesReader("sample.pcap", data)
	if err != nil {
		b.Fatal(err)
	}
	pl := NewPipeline(Options{Workers: 1})
	var bs []*Batch
	var frames uint64
	for {
		bt := newBatch(1)
		if err := pl.read(r, bt, &frames); err != nil {
			break
		}
		bs = append(bs, bt)
	}
	return pl, bs
}

// decodeAll runs the decode stage over every batch once and returns the packet count.
func decodeAll(bs []*Batch) int {
	var dec fastparse.Packet
	var st fastparse.Stats
	n := 0
	for _, bt := range bs {
		decodeBatch(bt, 1, false, &st, &dec)
		n += len(bt.Packets)
	}
	return n
}

// BenchmarkDecodeBatch is the decode workers' stage: decode, key, hash, shard.
func BenchmarkDecodeBatch(b *testing.B) {
	_, bs := benchBatches(b)
	n := decodeAll(bs)
	var dec fastparse.Packet
	var st fastparse.Stats
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, bt := range bs {
			decodeBatch(bt, 1, false, &st, &dec)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/packet")
}

// BenchmarkTrack is the shards' stage in steady state (every flow already known): flow
// lookup, accounting and TCP analysis.
func BenchmarkTrack(b *testing.B) {
	pl, bs := benchBatches(b)
	n := decodeAll(bs)
	t := pl.tables[0]
	for _, bt := range bs {
		track(t, bt, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, bt := range bs {
			track(t, bt, 0)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/packet")
}
