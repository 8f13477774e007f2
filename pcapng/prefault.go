package pcapng

import (
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Page faults are a third of reading a mapped capture from the page cache: the kernel maps
// 16 pages per fault, about 30,000 faults per GB, each costing the reading goroutine a trip
// into the kernel. For large files a prefault goroutine takes them off the reading
// goroutine: it loads one byte per page, staying at most prefaultLead bytes ahead of the
// cursor (so a file larger than memory does not push out the pages the reader is about to
// use), on another CPU. The CPU time is the same; the reader's share of it shrinks.
const (
	prefaultStep = 1 << 20 // the cursor is published every prefaultStep bytes
	pageBytes    = 4096
)

// Variables, so tests can lower them.
var (
	prefaultMinSize       = 64 << 20 // files at least this large get a prefault goroutine
	prefaultLead    int64 = 32 << 20 // how far ahead of the cursor it maps pages
)

type prefaulter struct {
	cursor atomic.Int64 // the reader's position, published every prefaultStep bytes
	stop   atomic.Bool
	done   chan struct{}
	sink   byte
}

// startPrefault starts the prefault goroutine for the mapped file, if it is large enough
// and there is another CPU to run it. Close stops it; so does the garbage collector, for a
// Reader dropped without Close.
func (r *Reader) startPrefault() {
	if len(r.mapped) < prefaultMinSize || runtime.GOMAXPROCS(0) < 2 {
		return
	}
	pf := &prefaulter{done: make(chan struct{})}
	r.prefault = pf
	go pf.run(r.mapped)
	runtime.AddCleanup(r, func(pf *prefaulter) { pf.stop.Store(true) }, pf)
}

func (pf *prefaulter) run(m []byte) {
	defer close(pf.done)
	// A file truncated under the mapping faults (SIGBUS) past its new end: here that only
	// ends the prefaulting (the reader meets the fault itself when it gets there).
	debug.SetPanicOnFault(true)
	defer func() { _ = recover() }()
	var acc byte
	for off := 0; off < len(m); off += pageBytes {
		// Far enough ahead: wait for the reader, polling less often the longer it takes
		// (a consumer may pause for long).
		for wait := 50 * time.Microsecond; int64(off) > pf.cursor.Load()+prefaultLead; wait = min(2*wait, 20*time.Millisecond) {
			if pf.stop.Load() {
				return
			}
			time.Sleep(wait)
		}
		if off&(prefaultStep-1) == 0 && pf.stop.Load() {
			return
		}
		acc |= m[off]
	}
	pf.sink = acc
}

// publish tells the prefault goroutine where the reader is.
func (r *Reader) publish() {
	if pf := r.prefault; pf != nil && int64(r.pos) >= pf.cursor.Load()+prefaultStep {
		pf.cursor.Store(int64(r.pos))
	}
}

// stopPrefault stops the prefault goroutine and waits for it: the mapping must outlive it.
func (r *Reader) stopPrefault() {
	if pf := r.prefault; pf != nil {
		pf.stop.Store(true)
		<-pf.done
		r.prefault = nil
	}
}
