// Package stagebench times pcapdex stage by stage on one capture, the measuring logic of
// `pcapdex bench`: reading (mapped and plain reads), reading plus decoding, the flow
// pipeline with 1..N workers, building an index, and representative queries on that index.
//
// The read/raw stage reads the file with plain read calls and parses nothing: the floor any
// reader pays, printed first so the other stages can be read as multiples of it.
//
// Every stage runs on its own over the same capture after one untimed read has put the file
// in the page cache. For each run it records wall time, the process's CPU time (user +
// system, getrusage: every goroutine and the garbage collector count), heap allocations
// (runtime.MemStats deltas), the Go heap's high-water mark (sampled every 2 ms through
// runtime/metrics) and, on Linux, the process's peak RSS during the stage (the kernel's mark
// is reset through /proc/self/clear_refs before each run). A stage runs Options.Repeat
// times and the run with the median wall time is reported (the lower middle one for an even
// count), with the fastest and slowest wall times beside it. Stages that are compared with
// one another (the three reads; the flow pipeline at each worker count) run in interleaved
// rounds, so that load from other processes falls on them alike.
//
// Peak RSS counts the pages of a memory-mapped capture that the stage touched, so mapped
// stages show about the capture's size there; the heap peak is the Go heap only.
//
// Query stages open the index and answer a filter (parse, compile, evaluate, read the
// matching flow rows); their packets and bytes are the capture's, so their rates read as
// "capture answered per second"; Stage.Eval splits off the part before the rows are read.
// The flows stage's Speedup is the 1-worker wall time over the N-worker one: on a machine
// shared with other work, read it beside the CPU times.
package stagebench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Stage groups, in the order they run. Options.Stages selects among them.
const (
	StageRead   = "read"
	StageDecode = "decode"
	StageFlows  = "flows"
	StageIndex  = "index"
	StageQuery  = "query"
)

// AllStages lists every stage group in run order.
var AllStages = []string{StageRead, StageDecode, StageFlows, StageIndex, StageQuery}

// Options tune Run. The zero value runs every stage once with 1..GOMAXPROCS workers.
type Options struct {
	Stages      []string // stage groups to run (AllStages when empty)
	Workers     []int    // worker counts for the flow pipeline; empty means 1..GOMAXPROCS
	Repeat      int      // runs per stage (median reported); < 1 means 1
	QueryRepeat int      // runs per query; < 1 means max(Repeat, 15)
	NoMmap      bool     // decode, flows and index read with plain reads (read/plain always does)
	TempDir     string   // parent of the temporary index directory ("" = os.TempDir())

	// Progress, when set, gets one line per stage as it finishes (for long runs).
	Progress io.Writer
}

// Stage is the outcome of one stage: the figures of its median run.
type Stage struct {
	Stage   string // stage group: read, decode, flows, index, query
	Name    string // unique: read/mmap, read/plain, decode, flows/2, index, query/host, ...
	Detail  string // what ran, e.g. the query's filter
	Workers int    // flow pipeline workers (flows stages), 0 otherwise
	Runs    int

	Packets uint64 // packets the stage saw (query stages: the indexed capture's)
	Bytes   uint64 // capture bytes (decompressed stream) the stage went through
	Flows   uint64 // flows found (flows, index) or in the index (query)
	Matches int64  // query: flows matched (timeline: buckets); -1 for other stages

	// Eval is, for queries, the part of the median run's wall time spent opening the index
	// and computing the matching flows (parse, compile, Plan.Eval); the rest is reading the
	// matching rows back.
	Eval time.Duration

	Wall, WallMin, WallMax time.Duration
	CPU                    time.Duration // user + system time of the process during the median run

	Mallocs    uint64 // heap objects allocated during the median run
	AllocBytes uint64 // heap bytes allocated during the median run
	GCs        uint32 // garbage collections during the median run
	HeapPeak   uint64 // highest Go heap (bytes in heap objects) sampled over all runs
	RSSPeak    uint64 // highest process peak RSS over all runs; 0 when unknown

	// Speedup is, for flows stages, the 1-worker median wall time over this one's; 0 when
	// 1 worker was not measured or for other stages.
	Speedup float64
}

// PacketsPerSec is Packets over the median wall time.
func (s *Stage) PacketsPerSec() float64 { return per(float64(s.Packets), s.Wall.Seconds()) }

// GBPerSec is Bytes (10^9) over the median wall time.
func (s *Stage) GBPerSec() float64 { return per(float64(s.Bytes)/1e9, s.Wall.Seconds()) }

// NsPerPacket is the median wall time per packet.
func (s *Stage) NsPerPacket() float64 { return per(float64(s.Wall.Nanoseconds()), float64(s.Packets)) }

// CPUNsPerPacket is the median run's CPU time per packet.
func (s *Stage) CPUNsPerPacket() float64 {
	return per(float64(s.CPU.Nanoseconds()), float64(s.Packets))
}

// AllocsPerPacket is the median run's heap allocations per packet.
func (s *Stage) AllocsPerPacket() float64 { return per(float64(s.Mallocs), float64(s.Packets)) }

// AllocBytesPerPacket is the median run's heap bytes allocated per packet.
func (s *Stage) AllocBytesPerPacket() float64 { return per(float64(s.AllocBytes), float64(s.Packets)) }

func per(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Report is the outcome of Run.
type Report struct {
	Capture      string // path as given
	CaptureBytes int64  // file size
	StreamBytes  uint64 // bytes of the (decompressed) capture stream
	Packets      uint64 // packets counted by the warm-up read
	Machine      Machine
	LoadStart    [3]float64 // load averages before the warm-up read (zero when unknown)
	LoadEnd      [3]float64 // and after the last stage
	Repeat       int
	QueryRepeat  int
	NoMmap       bool
	Stages       []Stage
	MaxRSS       uint64 // the process's peak RSS: getrusage at the end, or the largest stage peak
}

// Statistic names which run of a stage is reported.
const Statistic = "median"

// Run benchmarks the capture at path. It fails when the capture cannot be read to its end
// (a truncated tail is accepted) or a stage fails; a failing stage's error names it.
func Run(path string, opt Options) (*Report, error) {
	stages := opt.Stages
	if len(stages) == 0 {
		stages = AllStages
	}
	for _, s := range stages {
		if !slices.Contains(AllStages, s) {
			return nil, fmt.Errorf("unknown stage %q (stages: read, decode, flows, index, query)", s)
		}
	}
	workers := opt.Workers
	if len(workers) == 0 {
		for w := 1; w <= runtime.GOMAXPROCS(0); w++ {
			workers = append(workers, w)
		}
	}
	for _, w := range workers {
		if w < 1 {
			return nil, fmt.Errorf("worker count %d: must be at least 1", w)
		}
	}
	if opt.Repeat < 1 {
		opt.Repeat = 1
	}
	if opt.QueryRepeat < 1 {
		opt.QueryRepeat = max(opt.Repeat, 15)
	}
	rep := &Report{Capture: path, Machine: ThisMachine(), Repeat: opt.Repeat, QueryRepeat: opt.QueryRepeat, NoMmap: opt.NoMmap}
	rep.LoadStart, _ = loadAvg()
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	rep.CaptureBytes = st.Size()

	// Warm the page cache and learn the packet count: one untimed plain read.
	warm, err := readAll(path, true)
	if err != nil {
		return nil, err
	}
	rep.Packets, rep.StreamBytes = warm.packets, warm.bytes
	mapDetail := "mapped file, Reader.Next"
	if r, err := pcapng.Open(path, pcapng.Options{}); err == nil {
		if !r.Mapped() {
			mapDetail = "Reader.Next; not mapped (" + r.Compression().String() + " input is streamed)"
		}
		r.Close()
	}

	b := &bench{path: path, opt: opt, rep: rep}
	defer b.cleanup()
	for _, g := range AllStages {
		if !slices.Contains(stages, g) {
			continue
		}
		var err error
		switch g {
		case StageRead:
			err = b.interleaved(opt.Repeat,
				stageSpec{StageRead, "read/raw", "os.File.Read into 1 MiB, no parsing: the floor", 0, b.raw},
				stageSpec{StageRead, "read/mmap", mapDetail, 0, func(o *outcome) error { return o.read(path, false) }},
				stageSpec{StageRead, "read/plain", "plain reads (--no-mmap), Reader.Next", 0, func(o *outcome) error { return o.read(path, true) }})
		case StageDecode:
			err = b.stage(StageDecode, "decode", "Reader.Next + fastparse.DecodeFCS"+b.how(), 0, func(o *outcome) error { return o.decode(path, opt.NoMmap) })
		case StageFlows:
			err = b.flows(workers)
		case StageIndex:
			err = b.index(true)
		case StageQuery:
			err = b.queries()
		}
		if err != nil {
			return nil, err
		}
	}
	rep.LoadEnd, _ = loadAvg()
	// Resetting the peak-RSS mark for each stage resets getrusage's ru_maxrss too (both
	// read the kernel's high-water mark), so the process's peak is the largest of the two.
	rep.MaxRSS = maxRSS()
	for i := range rep.Stages {
		rep.MaxRSS = max(rep.MaxRSS, rep.Stages[i].RSSPeak)
	}
	return rep, nil
}

// bench is one Run's state.
type bench struct {
	path    string
	opt     Options
	rep     *Report
	tmp     string // temporary directory holding the index
	idx     string // index file, once built
	idxFlow uint64 // flows in it
}

func (b *bench) how() string {
	if b.opt.NoMmap {
		return " (plain reads)"
	}
	return ""
}

func (b *bench) cleanup() {
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
}

// outcome is what a run reports besides its cost.
type outcome struct {
	packets, bytes, flows uint64
	matches               int64
	eval                  time.Duration // query: open, parse, compile and Plan.Eval, before reading rows
}

// stage runs fn Repeat times (runs times for queries) and appends the median run.
func (b *bench) stage(group, name, detail string, workers int, fn func(*outcome) error) error {
	return b.stageN(group, name, detail, workers, b.opt.Repeat, fn)
}

func (b *bench) stageN(group, name, detail string, workers, runs int, fn func(*outcome) error) error {
	return b.interleaved(runs, stageSpec{group, name, detail, workers, fn})
}

// stageSpec is one stage to measure.
type stageSpec struct {
	group, name, detail string
	workers             int
	fn                  func(*outcome) error
}

// interleaved measures the stages in rounds (each stage once per round, runs rounds) so
// that a burst of load from other processes hits the stages being compared alike, and
// appends each stage's median run.
func (b *bench) interleaved(runs int, specs ...stageSpec) error {
	samples := make([][]sample, len(specs))
	outs := make([][]outcome, len(specs))
	for i := range specs {
		samples[i], outs[i] = make([]sample, runs), make([]outcome, runs)
	}
	for r := range runs {
		for i, sp := range specs {
			o := &outs[i][r]
			o.matches = -1
			s, err := measure(func() error { return sp.fn(o) })
			if err != nil {
				return fmt.Errorf("stage %s: %w", sp.name, err)
			}
			samples[i][r] = s
		}
	}
	for i, sp := range specs {
		b.record(sp, samples[i], outs[i])
	}
	return nil
}

// record appends the stage whose runs are samples and outs: the run of median wall time.
func (b *bench) record(sp stageSpec, samples []sample, outs []outcome) {
	runs := len(samples)
	order := make([]int, runs)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return samples[order[i]].wall < samples[order[j]].wall })
	m := order[(runs-1)/2]
	s, o := samples[m], outs[m]
	st := Stage{
		Stage: sp.group, Name: sp.name, Detail: sp.detail, Workers: sp.workers, Runs: runs,
		Packets: o.packets, Bytes: o.bytes, Flows: o.flows, Matches: o.matches, Eval: o.eval,
		Wall: s.wall, WallMin: samples[order[0]].wall, WallMax: samples[order[runs-1]].wall,
		CPU: s.cpu, Mallocs: s.mallocs, AllocBytes: s.allocBytes, GCs: s.gcs,
	}
	for _, x := range samples {
		st.HeapPeak = max(st.HeapPeak, x.heapPeak)
		st.RSSPeak = max(st.RSSPeak, x.rssPeak)
	}
	b.rep.Stages = append(b.rep.Stages, st)
	if b.opt.Progress != nil {
		fmt.Fprintf(b.opt.Progress, "bench: %-14s %8s wall, %8s cpu (median of %d)\n", sp.name, humanDur(s.wall), humanDur(s.cpu), runs)
	}
}

// readAll reads every packet with Reader.Next and counts packets and stream bytes.
func readAll(path string, noMmap bool) (outcome, error) {
	var o outcome
	err := o.read(path, noMmap)
	return o, err
}

// read is the read stage: every packet through Reader.Next, nothing else.
func (o *outcome) read(path string, noMmap bool) error {
	r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
	if err != nil {
		return err
	}
	defer r.Close()
	var p pcapng.Packet
	var n uint64
	for {
		if err = r.Next(&p); err != nil {
			break
		}
		n++
	}
	if err != io.EOF {
		return err
	}
	o.packets, o.bytes = n, uint64(r.Offset())
	return nil
}

// raw reads the capture file with plain read calls into one 1 MiB buffer and nothing else:
// the cost of getting the bytes from the page cache, the baseline the read stages compare
// with. Its packets are the capture's, its bytes the file's (compressed, if it is).
func (b *bench) raw(o *outcome) error {
	f, err := os.Open(b.path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n uint64
	for {
		k, err := f.Read(buf)
		n += uint64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if n != uint64(b.rep.CaptureBytes) {
		return fmt.Errorf("%s: read %d bytes of %d (the file changed?)", b.path, n, b.rep.CaptureBytes)
	}
	o.packets, o.bytes = b.rep.Packets, n
	return nil
}

// decode is the read+decode stage: Reader.Next and fastparse.DecodeFCS per packet.
func (o *outcome) decode(path string, noMmap bool) error {
	r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
	if err != nil {
		return err
	}
	defer r.Close()
	var p pcapng.Packet
	var d fastparse.Packet
	var n uint64
	for {
		if err = r.Next(&p); err != nil {
			break
		}
		fastparse.DecodeFCS(&d, p.LinkType, p.Data, p.OrigLen, int(p.FCSLen))
		n++
	}
	if err != io.EOF {
		return err
	}
	o.packets, o.bytes = n, uint64(r.Offset())
	return nil
}

// flows runs the whole flow pipeline (flowhash.Process) once per worker count.
func (b *bench) flows(workers []int) error {
	first := len(b.rep.Stages)
	specs := make([]stageSpec, len(workers))
	for i, w := range workers {
		specs[i] = stageSpec{StageFlows, fmt.Sprintf("flows/%d", w), fmt.Sprintf("flowhash.Process, %d worker(s)%s", w, b.how()), w, func(o *outcome) error {
			r, err := pcapng.Open(b.path, pcapng.Options{NoMmap: b.opt.NoMmap})
			if err != nil {
				return err
			}
			defer r.Close()
			res, err := flowhash.Process(r, flowhash.Options{Workers: w})
			if err != nil {
				return err
			}
			o.packets, o.bytes, o.flows = res.Packets, uint64(r.Offset()), uint64(len(res.Flows))
			return nil
		}}
	}
	if err := b.interleaved(b.opt.Repeat, specs...); err != nil {
		return err
	}
	var one time.Duration
	for _, s := range b.rep.Stages[first:] {
		if s.Workers == 1 {
			one = s.Wall
		}
	}
	if one > 0 {
		for i := first; i < len(b.rep.Stages); i++ {
			if w := b.rep.Stages[i].Wall; w > 0 {
				b.rep.Stages[i].Speedup = float64(one) / float64(w)
			}
		}
	}
	return nil
}

// index builds the index into a temporary directory, timed as a stage when timed is true
// (otherwise once, for the query stages).
func (b *bench) index(timed bool) error {
	if b.tmp == "" {
		dir, err := os.MkdirTemp(b.opt.TempDir, "pcapdex-bench-*")
		if err != nil {
			return err
		}
		b.tmp = dir
	}
	out := filepath.Join(b.tmp, "bench.pcapdex")
	build := func(o *outcome) error {
		if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		st, err := buildIndex(b.path, out, b.opt)
		if err != nil {
			return err
		}
		o.packets, o.flows = uint64(st.Packets), uint64(st.Flows)
		o.bytes = b.rep.StreamBytes
		b.idxFlow = o.flows
		return nil
	}
	if !timed {
		var o outcome
		if err := build(&o); err != nil {
			return fmt.Errorf("index for the query stages: %w", err)
		}
		b.idx = out
		return nil
	}
	if err := b.stage(StageIndex, "index", "index.Builder to a temporary file"+b.how(), 0, build); err != nil {
		return err
	}
	b.idx = out
	if fi, err := os.Stat(out); err == nil {
		b.rep.Stages[len(b.rep.Stages)-1].Detail += fmt.Sprintf(", %d bytes", fi.Size())
	}
	return nil
}

// buildIndex writes the index of the capture at path to out with index.BuildFiles, the
// build `pcapdex index` runs (info statistics and the builder fed by the same pass), so the
// stage times what users run.
func buildIndex(path, out string, opt Options) (*index.BuildStats, error) {
	res, err := index.BuildFiles(out, []string{path}, index.BuildOptions{NoMmap: opt.NoMmap})
	if err != nil {
		return nil, err
	}
	return &res.BuildStats, nil
}
