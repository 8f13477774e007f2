package output

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/netip"
	"strconv"
	"testing"
)

var benchCols = []Col{
	{"start", KindTime}, {"src", KindAddr}, {"dst", KindAddr}, {"sport", KindUint},
	{"dport", KindUint}, {"proto", KindString}, {"bytes", KindBytes}, {"duration", KindDuration},
}

func benchRow(tb *Table, i int, src, dst netip.Addr) {
	tb.Time(captureStart + int64(i)*1000)
	tb.Addr(src)
	tb.Addr(dst)
	tb.Uint(51000)
	tb.Uint(443)
	tb.Str("tcp")
	tb.Size(uint64(i) * 1500)
	tb.Duration(int64(i) * 1e6)
	tb.EndRow()
}

func benchTable(b *testing.B, f Format) {
	tb := NewTable(io.Discard, Options{Format: f}, benchCols...)
	src, dst := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("192.168.1.1")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		benchRow(tb, i, src, dst)
	}
}

func BenchmarkTableCSV(b *testing.B)   { benchTable(b, FormatCSV) }
func BenchmarkTableJSONL(b *testing.B) { benchTable(b, FormatJSONL) }

// BenchmarkStdlibCSV is the baseline: the same row through encoding/csv with strconv.
func BenchmarkStdlibCSV(b *testing.B) {
	w := csv.NewWriter(io.Discard)
	src, dst := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("192.168.1.1")
	rec := make([]string, 8)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec[0] = string(AppendRFC3339(nil, captureStart+int64(i)*1000, 9))
		rec[1], rec[2] = src.String(), dst.String()
		rec[3], rec[4], rec[5] = "51000", "443", "tcp"
		rec[6] = strconv.FormatUint(uint64(i)*1500, 10)
		rec[7] = strconv.FormatInt(int64(i)*1e6, 10)
		w.Write(rec)
	}
	w.Flush()
}

// BenchmarkStdlibJSONL is the baseline: the same row through encoding/json.
func BenchmarkStdlibJSONL(b *testing.B) {
	type row struct {
		Start    string     `json:"start"`
		Src      netip.Addr `json:"src"`
		Dst      netip.Addr `json:"dst"`
		Sport    uint16     `json:"sport"`
		Dport    uint16     `json:"dport"`
		Proto    string     `json:"proto"`
		Bytes    uint64     `json:"bytes"`
		Duration int64      `json:"duration"`
	}
	enc := json.NewEncoder(io.Discard)
	src, dst := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("192.168.1.1")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		enc.Encode(row{string(AppendRFC3339(nil, captureStart+int64(i)*1000, 9)), src, dst, 51000, 443, "tcp", uint64(i) * 1500, int64(i) * 1e6})
	}
}
