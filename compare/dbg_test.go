package compare
import ("testing";"time";"os")
func TestDbgBig(t *testing.T) {
	if os.Getenv("DBGBIG") == "" { t.Skip() }
	a, b := indexSide(t, "/tmp/cmpbig/a.pcapdex"), indexSide(t, "/tmp/cmpbig/b.pcapdex")
	t0 := time.Now()
	da, err := readSide(a, "A")
	t.Log("readA", time.Since(t0), err, cpuTime()); t0 = time.Now()
	db, err := readSide(b, "B")
	t.Log("readB", time.Since(t0), err, cpuTime()); t0 = time.Now()
	res := analyze(da, db, Options{MaxDelay: 2*time.Second, MaxOffset: time.Hour, PairThreshold: 5})
	t.Log("analyze", time.Since(t0), cpuTime(), res.Clock.Segments, res.Clock.Steps)
}
