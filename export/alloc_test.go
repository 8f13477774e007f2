package export

import (
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/output"
)

// TestRowNoAllocs: a row of the packets table through the partitioner into a Parquet file
// allocates nothing once the hour's file is open (the packets table is one row a packet).
func TestRowNoAllocs(t *testing.T) {
	dir := t.TempDir()
	cols := output.PacketColumns()
	p := newPartitioner(cols, "c.pcap", nil, func(date string, hour int, cols []output.Col) (sink, error) {
		return newParquetSink(filepath.Join(dir, date, "x.parquet"), "packets", cols, 0)
	})
	row := func() {
		p.Uint(1)
		p.Time(1_700_000_000e9)
		p.Duration(5)
		p.Uint(3)
		p.Str("orig")
		p.StrBytes([]byte("SA"))
		p.Uint(1)
		p.Uint(2)
		p.Uint(100)
		p.Uint(65535)
		p.Null()
		if err := p.EndRow(); err != nil {
			t.Fatal(err)
		}
	}
	for range 1000 {
		row()
	}
	if n := testing.AllocsPerRun(1000, row); n > 0 {
		t.Errorf("%v allocations per row", n)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p.abort()
}
