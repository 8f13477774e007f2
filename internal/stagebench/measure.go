package stagebench

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// sample is what one run of a stage cost.
type sample struct {
	wall       time.Duration
	cpu        time.Duration // user + system time of the whole process
	mallocs    uint64        // heap objects allocated (runtime.MemStats.Mallocs delta)
	allocBytes uint64        // heap bytes allocated (TotalAlloc delta)
	gcs        uint32        // garbage collections completed
	heapPeak   uint64        // highest heap-objects figure sampled while the stage ran
	rssPeak    uint64        // process peak RSS during the stage (0: unknown on this system)
}

// heapInterval is how often the heap sampler looks at the heap while a stage runs.
const heapInterval = 2 * time.Millisecond

// heapSampler tracks the high-water mark of the Go heap (bytes in heap objects, live or not
// yet swept) from a goroutine of its own, through runtime/metrics, which neither stops the
// world nor allocates. Spikes shorter than heapInterval can be missed; stop takes a last
// sample, so the figure is at least the heap at the end of the stage.
type heapSampler struct {
	s    []metrics.Sample
	t    *time.Ticker
	peak uint64
	stop chan struct{}
	done chan struct{}
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{
		s:    []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}},
		t:    time.NewTicker(heapInterval),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	h.sample()
	go h.loop()
	return h
}

func (h *heapSampler) sample() {
	metrics.Read(h.s)
	if h.s[0].Value.Kind() == metrics.KindUint64 {
		h.peak = max(h.peak, h.s[0].Value.Uint64())
	}
}

func (h *heapSampler) loop() {
	for {
		select {
		case <-h.stop:
			h.t.Stop()
			h.sample()
			close(h.done)
			return
		case <-h.t.C:
			h.sample()
		}
	}
}

// finish stops the sampler and returns the peak. Only the sampler goroutine touches peak
// until done is closed.
func (h *heapSampler) finish() uint64 {
	close(h.stop)
	<-h.done
	return h.peak
}

// measure runs fn once and reports its cost. Before the run, memory is returned to the
// operating system (debug.FreeOSMemory: a full GC plus scavenging) so that each stage starts
// from the same heap and its peak RSS is its own; everything measure itself allocates is
// allocated before the first MemStats read, so mallocs counts fn's allocations only (and
// the runtime's own, which are few).
func measure(fn func() error) (sample, error) {
	var s sample
	debug.FreeOSMemory()
	rs := newRusage()
	rss := resetPeakRSS()
	h := startHeapSampler()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	rs.start()
	t0 := time.Now()
	err := fn()
	s.wall = time.Since(t0)
	s.cpu = rs.elapsed()
	runtime.ReadMemStats(&m1)
	s.heapPeak = h.finish()
	s.mallocs = m1.Mallocs - m0.Mallocs
	s.allocBytes = m1.TotalAlloc - m0.TotalAlloc
	s.gcs = m1.NumGC - m0.NumGC
	if rss {
		s.rssPeak = peakRSS()
	}
	return s, err
}
