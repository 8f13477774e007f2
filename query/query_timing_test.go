package query

import (
	"fmt"

	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/pcapdex/pcapdex/filter"
)

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
	p, _ := CompileFlows(filter.MustParse(benchFilter))
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
	p, _ := CompileFlows(filter.MustParse(benchFilter))
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
