package readbench

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pcapdex/pcapdex/pcapng"
)

func bigFile(b *testing.B, name string) (string, int64) {
	dir := os.Getenv("PCAPDEX_BIG")
	if dir == "" {
		dir = "/tmp/pcapdex-big"
	}
	path := filepath.Join(dir, name)
	st, err := os.Stat(path)
	if err != nil {
		b.Skipf("%s absent (build it with /work/shared/tools/make-big-capture %s, or set PCAPDEX_BIG): %v", path, dir, err)
	}
	warm(b, path)
	return path, st.Size()
}

// warm reads the file once so every benchmark starts from the page cache.
func warm(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4<<20)
	for {
		if _, err := f.Read(buf); err != nil {
			return
		}
	}
}

var sink int

func report(b *testing.B, packets int) {
	b.ReportMetric(float64(packets)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

func benchPcapdex(b *testing.B, name string, noMmap bool) {
	path, size := bigFile(b, name)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for range b.N {
		r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
		if err != nil {
			b.Fatal(err)
		}
		var p pcapng.Packet
		n = 0
		sum := 0
		for {
			if err := r.Next(&p); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			sum += len(p.Data)
			n++
		}
		sink += sum
		r.Close()
	}
	report(b, n)
}

func benchPcapdexBatch(b *testing.B, name string, noMmap bool) {
	path, size := bigFile(b, name)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	batch := pcapng.NewBatch(256)
	for range b.N {
		r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		sum := 0
		for {
			if err := r.ReadBatch(batch); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			for i := range batch.Packets {
				sum += len(batch.Packets[i].Data)
			}
			n += len(batch.Packets)
		}
		sink += sum
		r.Close()
	}
	report(b, n)
}

func BenchmarkPcapMmap(b *testing.B)        { benchPcapdex(b, "big.pcap", false) }
func BenchmarkPcapRead(b *testing.B)        { benchPcapdex(b, "big.pcap", true) }
func BenchmarkPcapMmapBatch(b *testing.B)   { benchPcapdexBatch(b, "big.pcap", false) }
func BenchmarkPcapReadBatch(b *testing.B)   { benchPcapdexBatch(b, "big.pcap", true) }
func BenchmarkPcapngMmap(b *testing.B)      { benchPcapdex(b, "big.pcapng", false) }
func BenchmarkPcapngRead(b *testing.B)      { benchPcapdex(b, "big.pcapng", true) }
func BenchmarkPcapngMmapBatch(b *testing.B) { benchPcapdexBatch(b, "big.pcapng", false) }

// BenchmarkPcapgo: gopacket's pcapgo.Reader with ZeroCopyReadPacketData over a 1 MiB bufio
// reader (without bufio it would make two read syscalls per packet).
func BenchmarkPcapgo(b *testing.B) {
	path, size := bigFile(b, "big.pcap")
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		sum := 0
		for {
			data, _, err := r.ZeroCopyReadPacketData()
			if err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			sum += len(data)
			n++
		}
		sink += sum
		f.Close()
	}
	report(b, n)
}

// BenchmarkPcapgoNg: gopacket's pcapgo.NgReader with ZeroCopyReadPacketData.
func BenchmarkPcapgoNg(b *testing.B) {
	path, size := bigFile(b, "big.pcapng")
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := pcapgo.NewNgReader(bufio.NewReaderSize(f, 1<<20), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		sum := 0
		for {
			data, _, err := r.ZeroCopyReadPacketData()
			if err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			sum += len(data)
			n++
		}
		sink += sum
		f.Close()
	}
	report(b, n)
}
