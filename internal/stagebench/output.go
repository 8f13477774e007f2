package stagebench

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/pcapdex/pcapdex/internal/textenc"
	"github.com/pcapdex/pcapdex/output"
)

// AppendJSON appends the report as one JSON object (and a newline) to dst. Keys are
// stable: every stage object has every key, in this order. Durations are nanoseconds,
// sizes bytes, rates per second; "speedup" is null outside the flows stages (or when 1
// worker was not measured), "matches" is -1 outside the query stages, "eval_ns" (the
// open+evaluate part of a query, before reading rows back) 0 outside them, and
// "rss_peak_bytes" 0 where the system cannot tell. NaN and infinities print as 0.
func (r *Report) AppendJSON(dst []byte) []byte {
	m := r.Machine
	b := append(dst, '{')
	b = textenc.AppendKeyString(b, "capture", r.Capture)
	b = textenc.AppendKeyInt(b, "capture_bytes", r.CaptureBytes)
	b = textenc.AppendKeyUint(b, "stream_bytes", r.StreamBytes)
	b = textenc.AppendKeyUint(b, "packets", r.Packets)
	b = append(textenc.AppendKey(b, "machine"), '{')
	b = textenc.AppendKeyString(b, "cpu", m.CPU)
	b = textenc.AppendKeyInt(b, "num_cpu", int64(m.NumCPU))
	b = textenc.AppendKeyInt(b, "gomaxprocs", int64(m.GOMAXPROCS))
	b = textenc.AppendKeyString(b, "go", m.GoVersion)
	b = textenc.AppendKeyString(b, "goos", m.GOOS)
	b = textenc.AppendKeyString(b, "goarch", m.GOARCH)
	b = append(b, '}')
	b = appendKeyFloats(b, "load_avg_start", r.LoadStart[:])
	b = appendKeyFloats(b, "load_avg_end", r.LoadEnd[:])
	b = textenc.AppendKeyString(b, "statistic", Statistic)
	b = textenc.AppendKeyInt(b, "repeat", int64(r.Repeat))
	b = textenc.AppendKeyInt(b, "query_repeat", int64(r.QueryRepeat))
	b = textenc.AppendKeyBool(b, "no_mmap", r.NoMmap)
	b = textenc.AppendKeyUint(b, "max_rss_bytes", r.MaxRSS)
	b = append(textenc.AppendKey(b, "stages"), '[')
	for i := range r.Stages {
		s := &r.Stages[i]
		b = append(textenc.AppendElem(b), '{')
		b = textenc.AppendKeyString(b, "stage", s.Stage)
		b = textenc.AppendKeyString(b, "name", s.Name)
		b = textenc.AppendKeyString(b, "detail", s.Detail)
		b = textenc.AppendKeyInt(b, "workers", int64(s.Workers))
		b = textenc.AppendKeyInt(b, "runs", int64(s.Runs))
		b = textenc.AppendKeyUint(b, "packets", s.Packets)
		b = textenc.AppendKeyUint(b, "bytes", s.Bytes)
		b = textenc.AppendKeyUint(b, "flows", s.Flows)
		b = textenc.AppendKeyInt(b, "matches", s.Matches)
		b = textenc.AppendKeyInt(b, "eval_ns", int64(s.Eval))
		b = textenc.AppendKeyInt(b, "wall_ns", int64(s.Wall))
		b = textenc.AppendKeyInt(b, "wall_min_ns", int64(s.WallMin))
		b = textenc.AppendKeyInt(b, "wall_max_ns", int64(s.WallMax))
		b = textenc.AppendKeyInt(b, "cpu_ns", int64(s.CPU))
		b = appendKeyFloat(b, "packets_per_sec", s.PacketsPerSec())
		b = appendKeyFloat(b, "gb_per_sec", s.GBPerSec())
		b = appendKeyFloat(b, "ns_per_packet", s.NsPerPacket())
		b = appendKeyFloat(b, "cpu_ns_per_packet", s.CPUNsPerPacket())
		b = textenc.AppendKeyUint(b, "allocs", s.Mallocs)
		b = textenc.AppendKeyUint(b, "alloc_bytes", s.AllocBytes)
		b = appendKeyFloat(b, "allocs_per_packet", s.AllocsPerPacket())
		b = appendKeyFloat(b, "alloc_bytes_per_packet", s.AllocBytesPerPacket())
		b = textenc.AppendKeyUint(b, "gcs", uint64(s.GCs))
		b = textenc.AppendKeyUint(b, "heap_peak_bytes", s.HeapPeak)
		b = textenc.AppendKeyUint(b, "rss_peak_bytes", s.RSSPeak)
		if s.Stage == StageFlows && s.Speedup > 0 {
			b = appendKeyFloat(b, "speedup", s.Speedup)
		} else {
			b = append(textenc.AppendKey(b, "speedup"), "null"...)
		}
		b = append(b, '}')
	}
	return append(b, ']', '}', '\n')
}

// finite keeps NaN and infinities (which JSON cannot hold) out of the output.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// appendKeyFloat appends the member k with v (0 when not finite) in its shortest form.
func appendKeyFloat(dst []byte, k string, v float64) []byte {
	return textenc.AppendKeyFloat(dst, k, finite(v), -1)
}

// appendKeyFloats appends the member k with an array of numbers.
func appendKeyFloats(dst []byte, k string, v []float64) []byte {
	dst = append(textenc.AppendKey(dst, k), '[')
	for _, x := range v {
		dst = strconv.AppendFloat(textenc.AppendElem(dst), finite(x), 'f', -1, 64)
	}
	return append(dst, ']')
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

// WriteTable writes the report as aligned tables (the output package's table format):
// packet stages with rates, then queries with their latencies.
func (r *Report) WriteTable(w io.Writer) error {
	var b bytes.Buffer
	hasQuery := false
	var flows uint64
	for i := range r.Stages {
		hasQuery = hasQuery || r.Stages[i].Stage == StageQuery
		if flows == 0 {
			flows = r.Stages[i].Flows
		}
	}
	fmt.Fprintf(&b, "pcapdex bench %s: %s, %d packets", r.Capture, output.AppendHumanSize(nil, uint64(r.CaptureBytes)), r.Packets)
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

	opt := output.Options{Format: output.FormatTable}
	t := output.NewTable(&b, opt, output.Col{Name: "stage", Kind: output.KindString},
		output.Col{Name: "packets", Kind: output.KindUint}, output.Col{Name: "wall", Kind: output.KindDuration},
		output.Col{Name: "cpu", Kind: output.KindDuration}, output.Col{Name: "pkts/s", Kind: output.KindUint},
		output.Col{Name: "GB/s", Kind: output.KindFloat}, output.Col{Name: "ns/pkt", Kind: output.KindFloat},
		output.Col{Name: "cpu ns/pkt", Kind: output.KindFloat}, output.Col{Name: "allocs/pkt", Kind: output.KindFloat},
		output.Col{Name: "B/pkt", Kind: output.KindFloat}, output.Col{Name: "GCs", Kind: output.KindUint},
		output.Col{Name: "heap peak", Kind: output.KindBytes}, output.Col{Name: "RSS peak", Kind: output.KindBytes},
		output.Col{Name: "speedup", Kind: output.KindFloat})
	for i := range r.Stages {
		s := &r.Stages[i]
		if s.Stage == StageQuery {
			continue
		}
		t.Str(s.Name)
		t.Uint(s.Packets)
		t.Duration(int64(s.Wall))
		t.Duration(int64(s.CPU))
		t.Uint(uint64(math.Round(finite(s.PacketsPerSec()))))
		t.Float(s.GBPerSec())
		t.Float(s.NsPerPacket())
		t.Float(s.CPUNsPerPacket())
		t.Float(s.AllocsPerPacket())
		t.Float(s.AllocBytesPerPacket())
		t.Uint(uint64(s.GCs))
		t.Size(s.HeapPeak)
		sizeOrNull(t, s.RSSPeak)
		if s.Stage == StageFlows && s.Speedup > 0 {
			t.Float(s.Speedup)
		} else {
			t.Null()
		}
		if err := t.EndRow(); err != nil {
			return err
		}
	}
	if err := t.Close(); err != nil {
		return err
	}
	if hasQuery {
		b.WriteString("\n")
		t := output.NewTable(&b, opt, output.Col{Name: "query", Kind: output.KindString},
			output.Col{Name: "matches", Kind: output.KindInt}, output.Col{Name: "median", Kind: output.KindDuration},
			output.Col{Name: "eval", Kind: output.KindDuration}, output.Col{Name: "min", Kind: output.KindDuration},
			output.Col{Name: "max", Kind: output.KindDuration}, output.Col{Name: "cpu", Kind: output.KindDuration},
			output.Col{Name: "allocs", Kind: output.KindUint}, output.Col{Name: "alloc", Kind: output.KindBytes},
			output.Col{Name: "heap peak", Kind: output.KindBytes}, output.Col{Name: "filter", Kind: output.KindString})
		for i := range r.Stages {
			s := &r.Stages[i]
			if s.Stage != StageQuery {
				continue
			}
			t.Str(s.Name)
			t.Int(s.Matches)
			t.Duration(int64(s.Wall))
			if s.Eval > 0 {
				t.Duration(int64(s.Eval))
			} else {
				t.Null()
			}
			t.Duration(int64(s.WallMin))
			t.Duration(int64(s.WallMax))
			t.Duration(int64(s.CPU))
			t.Uint(s.Mallocs)
			t.Size(s.AllocBytes)
			t.Size(s.HeapPeak)
			t.Str(s.Detail)
			if err := t.EndRow(); err != nil {
				return err
			}
		}
		if err := t.Close(); err != nil {
			return err
		}
	}
	rss := "?"
	if r.MaxRSS > 0 {
		rss = string(output.AppendHumanSize(nil, r.MaxRSS))
	}
	fmt.Fprintf(&b, "\nprocess max RSS %s (getrusage; mapped capture pages count); cpu = user+sys of the whole process\n", rss)
	_, err := w.Write(b.Bytes())
	return err
}

// sizeOrNull sets a size cell, null for 0 (unknown).
func sizeOrNull(t *output.Table, n uint64) {
	if n == 0 {
		t.Null()
	} else {
		t.Size(n)
	}
}
