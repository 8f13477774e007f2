//go:build unix

package compare

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/query"
)

// buildIndex indexes one capture as `pcapdex index` does.
func buildIndex(tb testing.TB, capture, out string) {
	tb.Helper()
	if _, err := index.BuildFiles(out, []string{capture}, index.BuildOptions{}); err != nil {
		tb.Fatal(err)
	}
}

func indexSide(tb testing.TB, path string) Side {
	r, err := index.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	st, err := query.NewIndexStore(r)
	if err != nil {
		tb.Fatal(err)
	}
	sel, err := query.Select(st, nil, math.MinInt64, math.MaxInt64)
	if err != nil {
		tb.Fatal(err)
	}
	return Side{Store: st, Sel: sel}
}

// BenchmarkCompareIndexed compares two indexed captures of a generated exchange
// (COMPARE_BENCH_SEGS download segments, default 50,000: about 75 MB a side) and, as the
// yardstick the issue sets, indexes one of them: compare must take no longer.
func BenchmarkCompareIndexed(b *testing.B) {
	segs := 50_000
	if s := os.Getenv("COMPARE_BENCH_SEGS"); s != "" {
		segs, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	pa, pb := generateN(segs).write(b, dir)
	st, _ := os.Stat(pa)
	ia, ib := filepath.Join(dir, "a.pcapdex"), filepath.Join(dir, "b.pcapdex")
	t0, c0 := time.Now(), cpuTime()
	buildIndex(b, pa, ia)
	indexOne, indexCPU := time.Since(t0), cpuTime()-c0
	buildIndex(b, pb, ib)
	b.ResetTimer()
	var cmpTime, cmpCPU time.Duration
	for range b.N {
		t, c := time.Now(), cpuTime()
		res, err := Compare(indexSide(b, ia), indexSide(b, ib), Options{})
		if err != nil {
			b.Fatal(err)
		}
		cmpTime += time.Since(t)
		cmpCPU += cpuTime() - c
		if res.Totals.Flows != 2 {
			b.Fatalf("%d flows paired", res.Totals.Flows)
		}
	}
	b.ReportMetric(float64(indexOne.Milliseconds()), "index-one-ms")
	b.ReportMetric(float64(cmpTime.Milliseconds())/float64(b.N), "compare-ms")
	b.ReportMetric(float64(cmpTime)/float64(b.N)/float64(indexOne), "compare/index")
	b.ReportMetric(float64(indexCPU.Milliseconds()), "index-one-cpu-ms")
	b.ReportMetric(float64(cmpCPU.Milliseconds())/float64(b.N), "compare-cpu-ms")
	b.SetBytes(2 * st.Size())
}

// cpuTime is the process's user plus system CPU time (the machine is shared: wall time
// alone says little).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
