package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// benchTruth is the part of testdata/sample.pcapng.truth.json (the generator's ground
// truth) the bench test checks query answers against.
type benchTruth struct {
	Totals struct {
		Packets uint64 `json:"packets"`
		Flows   uint64 `json:"flows"`
	} `json:"totals"`
	Flows []struct {
		Proto           string `json:"proto"`
		Src             string `json:"src"`
		Dst             string `json:"dst"`
		DPort           int    `json:"dport"`
		SynSynAck       int64  `json:"syn_synack_ns"`
		Retransmissions int    `json:"retransmissions"`
		Orig            struct {
			IPBytes uint64 `json:"ip_bytes"`
		} `json:"orig"`
		Resp struct {
			IPBytes uint64 `json:"ip_bytes"`
		} `json:"resp"`
	} `json:"flows"`
}

type benchJSON struct {
	Capture      string `json:"capture"`
	CaptureBytes int64  `json:"capture_bytes"`
	Packets      uint64 `json:"packets"`
	Machine      struct {
		CPU        string `json:"cpu"`
		GOMAXPROCS int    `json:"gomaxprocs"`
		Go         string `json:"go"`
		GOOS       string `json:"goos"`
		GOARCH     string `json:"goarch"`
	} `json:"machine"`
	Statistic   string `json:"statistic"`
	Repeat      int    `json:"repeat"`
	MaxRSSBytes uint64 `json:"max_rss_bytes"`
	Stages      []struct {
		Stage           string   `json:"stage"`
		Name            string   `json:"name"`
		Detail          string   `json:"detail"`
		Workers         int      `json:"workers"`
		Runs            int      `json:"runs"`
		Packets         uint64   `json:"packets"`
		Bytes           uint64   `json:"bytes"`
		Flows           uint64   `json:"flows"`
		Matches         int64    `json:"matches"`
		EvalNs          int64    `json:"eval_ns"`
		WallNs          int64    `json:"wall_ns"`
		CPUNs           int64    `json:"cpu_ns"`
		PacketsPerSec   float64  `json:"packets_per_sec"`
		GBPerSec        float64  `json:"gb_per_sec"`
		NsPerPacket     float64  `json:"ns_per_packet"`
		CPUNsPerPacket  float64  `json:"cpu_ns_per_packet"`
		AllocsPerPacket float64  `json:"allocs_per_packet"`
		AllocBytesPP    float64  `json:"alloc_bytes_per_packet"`
		HeapPeakBytes   uint64   `json:"heap_peak_bytes"`
		Speedup         *float64 `json:"speedup"`
	} `json:"stages"`
}

// TestBenchJSON runs `pcapdex bench --format json` in-process on the sample capture: every
// stage is there, saw every packet of the capture (count from the generator's ground truth),
// reports sane rates, reads without allocating per packet, and the queries' answers equal
// the ground truth's.
func TestBenchJSON(t *testing.T) {
	const capture = "../../testdata/sample.pcapng"
	var truth benchTruth
	tb, err := os.ReadFile(capture + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(tb, &truth); err != nil {
		t.Fatal(err)
	}
	if truth.Totals.Packets == 0 || uint64(len(truth.Flows)) != truth.Totals.Flows {
		t.Fatalf("truth: %d packets, %d flows listed of %d", truth.Totals.Packets, len(truth.Flows), truth.Totals.Flows)
	}
	st, err := os.Stat(capture)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "--format", "json", "--repeat", "1", "--query-repeat", "3", "--workers", "1,2", "--tmpdir", tmp, capture}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var got benchJSON
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temporary index left behind: %v", ents)
	}
	if got.Packets != truth.Totals.Packets || got.CaptureBytes != st.Size() {
		t.Errorf("report: %d packets, %d bytes; want %d, %d", got.Packets, got.CaptureBytes, truth.Totals.Packets, st.Size())
	}
	m := got.Machine
	if m.Go != runtime.Version() || m.GOMAXPROCS != runtime.GOMAXPROCS(0) || m.GOOS != runtime.GOOS || m.GOARCH != runtime.GOARCH {
		t.Errorf("machine %+v", m)
	}
	if runtime.GOOS == "linux" && (m.CPU == "" || got.MaxRSSBytes == 0) {
		t.Errorf("linux: cpu model %q, max RSS %d", m.CPU, got.MaxRSSBytes)
	}
	if got.Statistic != "median" || got.Repeat != 1 {
		t.Errorf("statistic %q of %d", got.Statistic, got.Repeat)
	}

	want := map[string]bool{
		"read/raw": true, "read/mmap": true, "read/plain": true, "decode": true, "flows/1": true, "flows/2": true, "index": true,
		"query/host": true, "query/port": true, "query/syn_rtt": true, "query/retrans": true, "query/bytes": true, "query/timeline": true,
	}
	for _, s := range got.Stages {
		if !want[s.Name] {
			t.Errorf("unexpected or repeated stage %q", s.Name)
			continue
		}
		delete(want, s.Name)
		if s.Packets != truth.Totals.Packets {
			t.Errorf("%s: %d packets, the capture has %d", s.Name, s.Packets, truth.Totals.Packets)
		}
		if s.Bytes != uint64(st.Size()) {
			t.Errorf("%s: %d bytes, the capture has %d", s.Name, s.Bytes, st.Size())
		}
		if s.WallNs <= 0 || s.CPUNs < 0 || s.PacketsPerSec <= 0 || s.GBPerSec <= 0 || s.NsPerPacket <= 0 || s.CPUNsPerPacket < 0 ||
			s.AllocsPerPacket < 0 || s.AllocBytesPP < 0 || s.HeapPeakBytes == 0 {
			t.Errorf("%s: wall %d cpu %d pkts/s %v GB/s %v ns/pkt %v cpu ns/pkt %v allocs/pkt %v B/pkt %v heap %d",
				s.Name, s.WallNs, s.CPUNs, s.PacketsPerSec, s.GBPerSec, s.NsPerPacket, s.CPUNsPerPacket, s.AllocsPerPacket, s.AllocBytesPP, s.HeapPeakBytes)
		}
		// Rates are the same figures seen three ways.
		if r := float64(s.Packets) / (float64(s.WallNs) / 1e9); !near(s.PacketsPerSec, r) || !near(s.NsPerPacket, float64(s.WallNs)/float64(s.Packets)) {
			t.Errorf("%s: pkts/s %v, ns/pkt %v for %d packets in %d ns", s.Name, s.PacketsPerSec, s.NsPerPacket, s.Packets, s.WallNs)
		}
		wantRuns := 1
		switch s.Stage {
		case "read":
			// Opening the reader allocates a few objects (and a buffer for plain reads);
			// nothing is allocated per packet.
			if s.AllocsPerPacket >= 0.01 {
				t.Errorf("%s: %.4f allocations per packet, want < 0.01", s.Name, s.AllocsPerPacket)
			}
		case "flows":
			if s.Flows != truth.Totals.Flows {
				t.Errorf("%s: %d flows, truth %d", s.Name, s.Flows, truth.Totals.Flows)
			}
			if s.Speedup == nil || *s.Speedup <= 0 || (s.Workers == 1 && *s.Speedup != 1) {
				t.Errorf("%s: speedup %v", s.Name, s.Speedup)
			}
			if s.Name != "flows/"+strconv.Itoa(s.Workers) {
				t.Errorf("%s: workers %d", s.Name, s.Workers)
			}
		case "index":
			if s.Flows != truth.Totals.Flows {
				t.Errorf("%s: %d flows, truth %d", s.Name, s.Flows, truth.Totals.Flows)
			}
		case "query":
			wantRuns = 3
			if s.Flows != truth.Totals.Flows {
				t.Errorf("%s: %d flows in the index, truth %d", s.Name, s.Flows, truth.Totals.Flows)
			}
			if s.Name != "query/timeline" && (s.EvalNs <= 0 || s.EvalNs > s.WallNs) {
				t.Errorf("%s: eval %d ns of %d ns", s.Name, s.EvalNs, s.WallNs)
			}
			if w := truthMatches(t, &truth, s.Name, s.Detail); s.Matches != w {
				t.Errorf("%s (%s): %d matches, ground truth %d", s.Name, s.Detail, s.Matches, w)
			}
		}
		if s.Runs != wantRuns {
			t.Errorf("%s: %d runs, want %d", s.Name, s.Runs, wantRuns)
		}
		if s.Stage != "query" && s.EvalNs != 0 {
			t.Errorf("%s: eval_ns %d outside the query stages", s.Name, s.EvalNs)
		}
		if s.Stage != "flows" && s.Speedup != nil {
			t.Errorf("%s: speedup %v outside the flows stage", s.Name, *s.Speedup)
		}
	}
	for n := range want {
		t.Errorf("stage %s missing", n)
	}
}

func near(a, b float64) bool { return a >= b*0.999 && a <= b*1.001 }

// truthMatches counts the ground-truth flows a query stage's filter selects.
func truthMatches(t *testing.T, tr *benchTruth, name, filter string) int64 {
	t.Helper()
	var n int64
	count := func(f func(i int) bool) int64 {
		for i := range tr.Flows {
			if f(i) {
				n++
			}
		}
		return n
	}
	switch name {
	case "query/host":
		a, err := netip.ParseAddr(filter[strings.LastIndexByte(filter, ' ')+1:]) // "orig host A or resp host A"
		if err != nil {
			t.Fatalf("host filter %q: %v", filter, err)
		}
		return count(func(i int) bool { return tr.Flows[i].Src == a.String() || tr.Flows[i].Dst == a.String() })
	case "query/port":
		p, err := strconv.Atoi(strings.TrimPrefix(filter, "resp port "))
		if err != nil {
			t.Fatalf("port filter %q: %v", filter, err)
		}
		return count(func(i int) bool {
			f := &tr.Flows[i]
			return (f.Proto == "tcp" || f.Proto == "udp") && f.DPort == p
		})
	case "query/syn_rtt":
		return count(func(i int) bool { return tr.Flows[i].SynSynAck > 300e6 })
	case "query/retrans":
		return count(func(i int) bool { return tr.Flows[i].Retransmissions > 0 })
	case "query/bytes":
		return count(func(i int) bool { return tr.Flows[i].Orig.IPBytes+tr.Flows[i].Resp.IPBytes > 10000 })
	case "query/timeline":
		return 1 // the sample spans 7 s: one 60 s bucket
	}
	t.Fatalf("no truth for %s", name)
	return 0
}

// TestBenchTable checks the table output: the machine line, every stage, a query section.
func TestBenchTable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "--repeat", "1", "--query-repeat", "1", "--stages", "read,query", "-q", "--tmpdir", t.TempDir(), "../../testdata/sample.pcapng"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("-q: stderr %q", stderr.String())
	}
	out := stdout.String()
	for _, s := range []string{"machine: ", "GOMAXPROCS " + strconv.Itoa(runtime.GOMAXPROCS(0)), runtime.Version(), "load average",
		"read/raw", "read/mmap", "read/plain", "query/host", "query/timeline", "retransmissions > 0", "3153 packets, 400 flows;", "process max RSS"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	for _, s := range []string{"decode", "flows/", "\n  index"} {
		if strings.Contains(out, s) {
			t.Errorf("table has %q, a stage not asked for:\n%s", s, out)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	sample := "../../testdata/sample.pcapng"
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"bench"}, exitUsage},
		{[]string{"bench", sample, sample}, exitUsage},
		{[]string{"bench", "--format", "xml", sample}, exitUsage},
		{[]string{"bench", "--stages", "read,parse", sample}, exitUsage},
		{[]string{"bench", "--workers", "0", sample}, exitUsage},
		{[]string{"bench", "--repeat", "0", sample}, exitUsage},
		{[]string{"bench", "-"}, exitUsage},
		{[]string{"bench", filepath.Join(t.TempDir(), "missing.pcap")}, exitInput},
		{[]string{"bench", "--help"}, exitOK},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.code, stderr.String())
		}
	}
}
