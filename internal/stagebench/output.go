package stagebench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// JSON keys are stable: every stage object has every key, in this order. Durations are
// nanoseconds, sizes bytes, rates per second; "speedup" is null outside the flows stages
// (or when 1 worker was not measured), "matches" is -1 outside the query stages, "eval_ns"
// (the open+evaluate part of a query, before reading rows back) 0 outside them, and
// "rss_peak_bytes" 0 where the system cannot tell.
type jsonStage struct {
	Stage               string   `json:"stage"`
	Name                string   `json:"name"`
	Detail              string   `json:"detail"`
	Workers             int      `json:"workers"`
	Runs                int      `json:"runs"`
	Packets             uint64   `json:"packets"`
	Bytes               uint64   `json:"bytes"`
	Flows               uint64   `json:"flows"`
	Matches             int64    `json:"matches"`
	EvalNs              int64    `json:"eval_ns"`
	WallNs              int64    `json:"wall_ns"`
	WallMinNs           int64    `json:"wall_min_ns"`
	WallMaxNs           int64    `json:"wall_max_ns"`
	CPUNs               int64    `json:"cpu_ns"`
	PacketsPerSec       float64  `json:"packets_per_sec"`
	GBPerSec            float64  `json:"gb_per_sec"`
	NsPerPacket         float64  `json:"ns_per_packet"`
	CPUNsPerPacket      float64  `json:"cpu_ns_per_packet"`
	Allocs              uint64   `json:"allocs"`
	AllocBytes          uint64   `json:"alloc_bytes"`
	AllocsPerPacket     float64  `json:"allocs_per_packet"`
	AllocBytesPerPacket float64  `json:"alloc_bytes_per_packet"`
	GCs                 uint32   `json:"gcs"`
	HeapPeakBytes       uint64   `json:"heap_peak_bytes"`
	RSSPeakBytes        uint64   `json:"rss_peak_bytes"`
	Speedup             *float64 `json:"speedup"`
}

type jsonMachine struct {
	CPU        string `json:"cpu"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
}

type jsonReport struct {
	Capture      string      `json:"capture"`
	CaptureBytes int64       `json:"capture_bytes"`
	StreamBytes  uint64      `json:"stream_bytes"`
	Packets      uint64      `json:"packets"`
	Machine      jsonMachine `json:"machine"`
	LoadStart    [3]float64  `json:"load_avg_start"`
	LoadEnd      [3]float64  `json:"load_avg_end"`
	Statistic    string      `json:"statistic"`
	Repeat       int         `json:"repeat"`
	QueryRepeat  int         `json:"query_repeat"`
	NoMmap       bool        `json:"no_mmap"`
	MaxRSSBytes  uint64      `json:"max_rss_bytes"`
	Stages       []jsonStage `json:"stages"`
}

// finite keeps NaN and infinities (which JSON cannot hold) out of the output.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// AppendJSON appends the report as one JSON object (and a newline) to dst.
func (r *Report) AppendJSON(dst []byte) []byte {
	m := r.Machine
	j := jsonReport{
		Capture: r.Capture, CaptureBytes: r.CaptureBytes, StreamBytes: r.StreamBytes, Packets: r.Packets,
		Machine:   jsonMachine{m.CPU, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.GOOS, m.GOARCH},
		LoadStart: r.LoadStart, LoadEnd: r.LoadEnd, Statistic: Statistic,
		Repeat: r.Repeat, QueryRepeat: r.QueryRepeat, NoMmap: r.NoMmap, MaxRSSBytes: r.MaxRSS,
		Stages: make([]jsonStage, len(r.Stages)),
	}
	for i := range r.Stages {
		s := &r.Stages[i]
		js := jsonStage{
			Stage: s.Stage, Name: s.Name, Detail: s.Detail, Workers: s.Workers, Runs: s.Runs,
			Packets: s.Packets, Bytes: s.Bytes, Flows: s.Flows, Matches: s.Matches, EvalNs: int64(s.Eval),
			WallNs: int64(s.Wall), WallMinNs: int64(s.WallMin), WallMaxNs: int64(s.WallMax), CPUNs: int64(s.CPU),
			PacketsPerSec: finite(s.PacketsPerSec()), GBPerSec: finite(s.GBPerSec()),
			NsPerPacket: finite(s.NsPerPacket()), CPUNsPerPacket: finite(s.CPUNsPerPacket()),
			Allocs: s.Mallocs, AllocBytes: s.AllocBytes,
			AllocsPerPacket: finite(s.AllocsPerPacket()), AllocBytesPerPacket: finite(s.AllocBytesPerPacket()),
			GCs: s.GCs, HeapPeakBytes: s.HeapPeak, RSSPeakBytes: s.RSSPeak,
		}
		if s.Stage == StageFlows && s.Speedup > 0 {
			v := finite(s.Speedup)
			js.Speedup = &v
		}
		j.Stages[i] = js
	}
	b, err := json.Marshal(&j)
	if err != nil { // cannot happen: plain values only, floats made finite
		panic("stagebench: " + err.Error())
	}
	return append(append(dst, b...), '\n')
}

// MachineLine describes the machine and its load in one line.
func (r *Report) MachineLine() string {
	m := r.Machine
	cpu := m.CPU
	if cpu == "" {
		cpu = "unknown CPU"
	}
	return fmt.Sprintf("machine: %s, %d CPUs, GOMAXPROCS %d, %s %s/%s; load average %.2f %.2f %.2f at start, %.2f %.2f %.2f at end",
		cpu, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.GOOS, m.GOARCH,
		r.LoadStart[0], r.LoadStart[1], r.LoadStart[2], r.LoadEnd[0], r.LoadEnd[1], r.LoadEnd[2])
}

// WriteTable writes the report as aligned tables: packet stages with rates, then queries
// with their latencies.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	hasQuery := false
	var flows uint64
	for i := range r.Stages {
		hasQuery = hasQuery || r.Stages[i].Stage == StageQuery
		if flows == 0 {
			flows = r.Stages[i].Flows
		}
	}
	fmt.Fprintf(&b, "pcapdex bench %s: %s, %d packets", r.Capture, humanBytes(uint64(r.CaptureBytes)), r.Packets)
	if flows > 0 {
		fmt.Fprintf(&b, ", %d flows", flows)
	}
	fmt.Fprintf(&b, "; %s of %d runs", Statistic, r.Repeat)
	if hasQuery {
		fmt.Fprintf(&b, " (queries: %d runs)", r.QueryRepeat)
	}
	b.WriteString("\n")
	b.WriteString(r.MachineLine())
	b.WriteString("\n\n")

	nameW := len("stage")
	for i := range r.Stages {
		nameW = max(nameW, len(r.Stages[i].Name))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", nameW-len(s)) }

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tpackets\twall\tcpu\tpkts/s\tGB/s\tns/pkt\tcpu ns/pkt\tallocs/pkt\tB/pkt\tGCs\theap peak\tRSS peak\tspeedup\t\n", pad("stage"))
	for i := range r.Stages {
		s := &r.Stages[i]
		if s.Stage == StageQuery {
			continue
		}
		speed := "-"
		if s.Stage == StageFlows && s.Speedup > 0 {
			speed = strconv.FormatFloat(s.Speedup, 'f', 2, 64) + "x"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%.2f\t%.1f\t%.1f\t%.3f\t%.1f\t%d\t%s\t%s\t%s\t\n",
			pad(s.Name), s.Packets, humanDur(s.Wall), humanDur(s.CPU), humanCount(s.PacketsPerSec()),
			s.GBPerSec(), s.NsPerPacket(), s.CPUNsPerPacket(), s.AllocsPerPacket(), s.AllocBytesPerPacket(),
			s.GCs, humanBytes(s.HeapPeak), rssText(s.RSSPeak), speed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if hasQuery {
		b.WriteString("\n")
		qw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(qw, "%s\tmatches\tmedian\teval\tmin\tmax\tcpu\tallocs\talloc\theap peak\t  %s\n", pad("query"), "filter")
		for i := range r.Stages {
			s := &r.Stages[i]
			if s.Stage != StageQuery {
				continue
			}
			eval := "-"
			if s.Eval > 0 {
				eval = humanDur(s.Eval)
			}
			fmt.Fprintf(qw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t  %s\n",
				pad(s.Name), s.Matches, humanDur(s.Wall), eval, humanDur(s.WallMin), humanDur(s.WallMax), humanDur(s.CPU),
				s.Mallocs, humanBytes(s.AllocBytes), humanBytes(s.HeapPeak), s.Detail)
		}
		if err := qw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(&b, "\nprocess max RSS %s (getrusage; mapped capture pages count); cpu = user+sys of the whole process\n", rssText(r.MaxRSS))
	_, err := io.WriteString(w, b.String())
	return err
}

func rssText(n uint64) string {
	if n == 0 {
		return "?"
	}
	return humanBytes(n)
}

// humanDur prints a duration with three significant digits: 812µs, 12.3ms, 1.23s.
func humanDur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	}
	return sig3(d.Seconds()) + "s"
}

// humanCount prints a rate with an SI suffix: 950, 12.3k, 4.56M.
func humanCount(v float64) string { return humanSI(v, "", "") }

// humanBytes prints a size in powers of 1000: 512 B, 12.3 kB, 1.23 GB.
func humanBytes(n uint64) string { return humanSI(float64(n), " ", "B") }

// humanSI prints v with three significant digits and a k, M or G prefix before unit, sep
// after the number; below 1000, v as a whole number.
func humanSI(v float64, sep, unit string) string {
	var p string
	switch {
	case v >= 1e9:
		v, p = v/1e9, "G"
	case v >= 1e6:
		v, p = v/1e6, "M"
	case v >= 1e3:
		v, p = v/1e3, "k"
	default:
		return strconv.FormatFloat(v, 'f', 0, 64) + sep + unit
	}
	return sig3(v) + sep + p + unit
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
