package query

import (
	"fmt"

	"encoding/csv"
	"encoding/json"
	"github.com/RoaringBitmap/roaring/v2"
	"io"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"

	"github.com/pcapdex/pcapdex/filter"
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

var benchFlows = func() []FlowFields {
	r := rand.New(rand.NewPCG(7, 8))
	fs := make([]FlowFields, 1<<20)
	for i := range fs {
		fs[i] = randFlow(r)
	}
	return fs
}

var benchFilter = "host 10.0.0.5 and tcp and (bytes > 1MB or syn_rtt > 300ms)"

// BenchmarkEvalBitmap runs a plan over 2^20 flows through a FlowSet with prebuilt postings
// (as an index would serve them) and columns in blocks of 4096.
func BenchmarkEvalBitmap(b *testing.B) {
	fs := benchFlows()
	set := NewFlowSet(fs, 4096)
	src := &cachedSource{FlowSet: set}
	p, _ := Compile(filter.MustParse(benchFilter))
	got, _ := p.Eval(src) // warm the caches: postings and columns built once
	b.ReportMetric(float64(got.GetCardinality()), "matches")
	b.ResetTimer()
	for b.Loop() {
		p.Eval(src)
	}
	b.ReportMetric(float64(len(fs))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mflows/s")
}

// BenchmarkEvalRows is the baseline: MatchFlow over every flow.
func BenchmarkEvalRows(b *testing.B) {
	fs := benchFlows()
	p, _ := Compile(filter.MustParse(benchFilter))
	n := 0
	for b.Loop() {
		n = 0
		for i := range fs {
			if p.MatchFlow(&fs[i]) {
				n++
			}
		}
	}
	b.ReportMetric(float64(n), "matches")
	b.ReportMetric(float64(len(fs))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mflows/s")
}

// cachedSource memoizes a FlowSet's postings, standing in for an index whose postings are
// stored ready-made.
type cachedSource struct {
	*FlowSet
	cache map[string]*roaring.Bitmap
}

func (s *cachedSource) memo(key string, f func() (*roaring.Bitmap, error)) (*roaring.Bitmap, error) {
	if b, ok := s.cache[key]; ok {
		return b, nil
	}
	if s.cache == nil {
		s.cache = map[string]*roaring.Bitmap{}
	}
	b, err := f()
	b.RunOptimize()
	s.cache[key] = b
	return b, err
}

func (s *cachedSource) Host(a netip.Addr, d filter.Dir) (*roaring.Bitmap, error) {
	return s.memo(fmt.Sprint("host", a, d), func() (*roaring.Bitmap, error) { return s.FlowSet.Host(a, d) })
}

func (s *cachedSource) Net(p netip.Prefix, d filter.Dir) (*roaring.Bitmap, error) {
	return s.memo(fmt.Sprint("net", p, d), func() (*roaring.Bitmap, error) { return s.FlowSet.Net(p, d) })
}

func (s *cachedSource) Ports(lo, hi uint16, d filter.Dir) (*roaring.Bitmap, error) {
	return s.memo(fmt.Sprint("port", lo, hi, d), func() (*roaring.Bitmap, error) { return s.FlowSet.Ports(lo, hi, d) })
}

func (s *cachedSource) Proto(p uint8) (*roaring.Bitmap, error) {
	return s.memo(fmt.Sprint("proto", p), func() (*roaring.Bitmap, error) { return s.FlowSet.Proto(p) })
}
