package flowhash

import (
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Consumer is one user of a Pipeline's single pass over a capture set: the index builder, the
// capture statistics of `pcapdex info`, the in-memory store of --no-index, and every later
// feature that needs the packets with their flow ids and analysis. Any set of consumers runs
// in one pass (NewPipeline takes them all). The Pipeline calls them on the goroutine that
// called Run, in the order they were given: for each capture BeginFile, then Batch for every
// batch in capture order, then EndFile; Pipeline.Finish hands the finished Result to those
// that implement Finisher. An error from any method stops the run; Run returns it.
//
// Methods are called per capture or per batch, never per packet: a consumer loops over the
// batch itself (Batch's doc says how long its data lives).
type Consumer interface {
	BeginFile(r *pcapng.Reader) error
	Batch(b *Batch) error
	EndFile(e *FileEnd) error
}

// FileEnd is what EndFile learns about the capture just read.
type FileEnd struct {
	Reader *pcapng.Reader // still open: Truncated, Warnings, Interfaces, ... are final
	// ReadErr is the reader's error other than io.EOF: the packets before it were delivered.
	ReadErr error
	// Decode holds the decoder counts of this capture's packets (all of fastparse.Stats with
	// Options.DecodeStats, else ByStatus only).
	Decode fastparse.Stats
	// Pipeline is the running pipeline: Summary gives the flow facts of every Run so far.
	Pipeline *Pipeline
}

// Finisher is a Consumer that also wants the finished Result of the whole set.
type Finisher interface {
	Finish(res *Result) error
}

// BatchFunc is a Consumer that only looks at batches.
type BatchFunc func(b *Batch) error

func (f BatchFunc) BeginFile(*pcapng.Reader) error { return nil }
func (f BatchFunc) Batch(b *Batch) error           { return f(b) }
func (f BatchFunc) EndFile(*FileEnd) error         { return nil }
