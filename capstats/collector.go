package capstats

import (
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Collector is the flowhash.Consumer that fills one File per capture of a pipeline's run:
// the record-level counters from each batch, the decoder counts and flow facts from the
// pipeline when the capture ends. Add it to any pass (index build, --no-index store) and
// that pass also answers `pcapdex info`.
type Collector struct {
	// PerFileFlows tracks each capture's own flows for its flow facts: set it when the
	// pipeline reads a set of several captures (the pipeline's flows continue across
	// files). A single capture takes its flow facts from the pipeline.
	PerFileFlows bool
	// Flow are the tracking options of PerFileFlows (the pipeline's, normally).
	Flow flowhash.Options

	files []*File
	cur   *File
}

// Files returns the File of every capture read so far, in order.
func (c *Collector) Files() []*File { return c.files }

// Add appends a File for a capture the pipeline never read (one that could not be
// opened), so Files keeps the order of the inputs.
func (c *Collector) Add(f *File) { c.files = append(c.files, f) }

func (c *Collector) BeginFile(r *pcapng.Reader) error {
	c.cur = &File{Path: r.Name()}
	c.cur.begin(r)
	if c.PerFileFlows {
		c.cur.tracker = flowhash.NewTracker(c.Flow)
	}
	c.files = append(c.files, c.cur)
	return nil
}

func (c *Collector) Batch(b *flowhash.Batch) error {
	s := c.cur
	for i := range b.Packets {
		p := &b.Packets[i]
		s.observe(p)
		if s.tracker != nil {
			s.tracker.AddKeyed(b.Key(i), &b.Info[i], p.Ordinal, p.TS)
		}
	}
	return nil
}

func (c *Collector) EndFile(e *flowhash.FileEnd) error {
	s := c.cur
	if e.ReadErr != nil {
		s.Err = e.ReadErr.Error()
	}
	s.finish(e.Reader)
	s.Decode = e.Decode
	if s.tracker != nil {
		s.Flows = s.tracker.Result()
		s.tracker = nil
	} else {
		s.Flows = e.Pipeline.Summary()
	}
	c.cur = nil
	return nil
}

// ReadFile reads the capture at path in one pass (decoding with full counts and flow
// tracking on opt.Workers goroutines) and returns its File. A file that cannot be opened
// gives a File with OpenFailed and Err set; a read error part-way gives the counts up to it
// and Err. opt.DecodeStats is forced on.
func ReadFile(path string, ropt pcapng.Options, opt flowhash.Options) *File {
	r, err := pcapng.Open(path, ropt)
	if err != nil {
		return &File{Path: path, OpenFailed: true, Err: err.Error()}
	}
	defer r.Close()
	opt.DecodeStats = true
	var c Collector
	pl := flowhash.NewPipeline(opt, &c)
	pl.Run(r) // a read error is in the File
	f := c.files[0]
	f.Path = path
	return f
}
