package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/pcapng"
)

// sampleCopy copies testdata/sample.pcapng into a temporary directory (so its sidecar index
// lands there) and returns its path.
func sampleCopy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/sample.pcapng")
	if err != nil {
		t.Skipf("testdata/sample.pcapng: %v", err)
	}
	p := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var so, se bytes.Buffer
	code := run(args, &so, &se)
	return so.String(), se.String(), code
}

// queryCLICases are command lines (without the input) whose output must not depend on
// whether it comes from the index or from --no-index.
var queryCLICases = [][]string{
	{"flows"},
	{"flows", "--sort", "bytes", "--limit", "5", "--format", "csv", "tcp"},
	{"flows", "--columns", "flow_id,orig_h,resp_h,history,syn_rtt", "--format", "json", "rst or syn_rtt > 100ms"},
	{"events", "--type", "rst,retransmission,duplicate_ack"},
	{"events", "--format", "jsonl", "host", "192.0.2.3"},
	{"packets", "--flow", "3"},
	{"packets", "--format", "csv", "host", "192.0.2.3", "and", "port", "443"},
	{"timeline", "--bucket", "1s", "--format", "jsonl"},
	{"timeline", "--bucket", "100ms", "vlan", "and", "host", "10.20.0.4"}, // its flows are VLAN-tagged
	{"gaps", "--min", "500ms", "host", "192.0.2.3"},
	{"top", "--by", "host", "-n", "5"},
	{"top", "--by", "port", "--metric", "packets", "--format", "json"},
	{"top", "--by", "pair", "tcp"},
	{"top", "--by", "flow", "-n", "1", "orig", "host", "10.20.0.4"},
	{"sizes"},
	{"sizes", "--histogram", "--format", "csv", "port", "443"},
	{"concurrent"},
	{"concurrent", "--from", "orig", "--format", "jsonl"},
	{"concurrent", "--at", "+1s"},
	{"packets", "--since", "+0.5s", "--until", "+1.5s", "--time", "relative", "tcp"},
	// --no-index keeps only what each command reads (query.StreamKeepFor): flows, top, events
	// and concurrent with windows and filters read no packet rows; gaps and sizes keep short
	// rows; extract reads records back by offset.
	{"flows", "--since", "+0.5s", "--until", "+1.5s", "--format", "csv", "syn"},
	{"top", "--by", "src", "--since", "+1s", "udp"},
	{"events", "--since", "+0.5s", "--format", "csv", "tcp"},
	{"concurrent", "--at", "+1s", "tcp"},
	{"gaps", "--min", "10ms", "--until", "+1s"},
	{"sizes", "--since", "+0.5s", "tcp"},
	{"extract", "-w", "-", "--annotate", "port", "443"},
}

// TestQueryCLIIndexEqualsNoIndex runs each command in-process on the sample capture twice:
// from its index (built on first use, the build report on stderr only) and with
// --no-index; stdout must be identical and non-empty.
func TestQueryCLIIndexEqualsNoIndex(t *testing.T) {
	p := sampleCopy(t)
	for i, c := range queryCLICases {
		args := append([]string{c[0], p}, c[1:]...)
		out, errs, code := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		if i == 0 {
			if c[0] != "flows" {
				t.Fatal("the first case must be flows")
			}
			if !strings.Contains(errs, "sample.pcapng.pcapdex") {
				t.Errorf("first query should build the index and say so on stderr, got %q", errs)
			}
			if _, err := os.Stat(p + ".pcapdex"); err != nil {
				t.Errorf("no sidecar index after the first query: %v", err)
			}
		} else if errs != "" {
			t.Errorf("%v: stderr %q with an up-to-date index", args, errs)
		}
		if strings.Count(out, "\n") < 2 && !strings.HasPrefix(c[0], "sizes") {
			t.Errorf("%v: too little output:\n%s", args, out)
		}
		out2, errs2, code2 := runCLI(t, append(args, "--no-index")...)
		if code2 != exitOK || out2 != out {
			t.Errorf("%v: --no-index exit %d (%s), output differs:\nindex:\n%.800s\nno-index:\n%.800s", args, code2, errs2, out, out2)
		}
	}
}

// TestQueryCLIValues pins a few answers on the sample capture.
func TestQueryCLIValues(t *testing.T) {
	p := sampleCopy(t)
	out, errs, code := runCLI(t, "sizes", p, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("sizes json %q: %v", out, err)
	}
	// tshark: 3153 frames, frame.len nearest-rank quartiles 66/74/118 (query/testdata/tshark/sample.len.txt).
	for k, v := range map[string]float64{"packets": 3153, "min": 54, "p25": 66, "p50": 74, "p75": 118, "p90": 697, "p99": 1518, "max": 1518} {
		if rows[0][k] != v {
			t.Errorf("sizes %s = %v, want %v", k, rows[0][k], v)
		}
	}
	// Packets of one flow: the handshake first, relative numbers from 0.
	out, _, _ = runCLI(t, "packets", p, "--flow", "3", "--format", "csv", "--limit", "3")
	want := "frame,ts,rel,flow_id,dir,flags,seq,ack,len,win,analysis\n" +
		"5,2024-01-01T00:00:00.000868000Z,0,3,orig,SYN,0,,0,64240,\n" +
		"6,2024-01-01T00:00:00.000953000Z,85000,3,resp,\"SYN,ACK\",0,1,0,65160,handshake_rtt\n" +
		"30,2024-01-01T00:00:00.006440000Z,5572000,3,orig,ACK,1,1,0,64240,handshake_ack_rtt\n"
	if out != want {
		t.Errorf("packets --flow 3:\n%s\nwant:\n%s", out, want)
	}
	// Timeline: one row per second, empty ones as zero, packets summing to the capture's.
	out, _, _ = runCLI(t, "timeline", p, "--bucket", "1s", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || lines[0] != "ts,packets,bytes" {
		t.Fatalf("timeline:\n%s", out)
	}
	total := 0
	for _, l := range lines[1:] {
		var n int
		f := strings.Split(l, ",")
		for _, ch := range f[1] {
			n = n*10 + int(ch-'0')
		}
		total += n
	}
	if total != 3153 {
		t.Errorf("timeline packets sum to %d, want 3153", total)
	}
}

// TestQueryCLIErrors: a filter syntax error shows the caret and exits 2; a missing input
// exits 3 (as for info and index); bad flags exit 2.
func TestQueryCLIErrors(t *testing.T) {
	p := sampleCopy(t)
	_, errs, code := runCLI(t, "timeline", p, "host", "10.0.0.1", "and", "(", "port")
	if code != exitUsage || !strings.Contains(errs, "^") {
		t.Errorf("syntax error: exit %d, stderr %q", code, errs)
	}
	if _, _, code := runCLI(t, "sizes", filepath.Join(t.TempDir(), "nope.pcap")); code != exitInput {
		t.Errorf("missing input: exit %d, want %d", code, exitInput)
	}
	for _, args := range [][]string{
		{"timeline", p, "--bucket", "0s"}, {"top", p, "--by", "mac"}, {"extract", p},
		{"extract", p, "-w", "x.pcap", "--annotate"}, {"packets", p, "--format", "xml"},
		{"concurrent", p, "--at", "yesterday"}, {"gaps", p, "--since", "soon"},
	} {
		if _, _, code := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	// A corrupt index given directly is refused with exit 3.
	bad := filepath.Join(t.TempDir(), "bad.pcapdex")
	os.WriteFile(bad, []byte("\x89PDX\r\n\x1a\n garbage that is no index at all, not even its footer....."), 0o644)
	if _, errs, code := runCLI(t, "sizes", bad); code != exitInput || errs == "" {
		t.Errorf("corrupt index: exit %d, stderr %q", code, errs)
	}
}

// TestQueryCLIInputs: an index file, a directory of captures (one set, its index in the
// user cache) and a stale sidecar all answer; extract writes a readable pcapng.
func TestQueryCLIInputs(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	p := sampleCopy(t)
	want, _, _ := runCLI(t, "top", p, "--by", "port")
	got, errs, code := runCLI(t, "top", p+".pcapdex", "--by", "port")
	if code != exitOK || got != want {
		t.Errorf("index as input: exit %d %s\n%s\nwant\n%s", code, errs, got, want)
	}
	// Stale: append a byte's worth of change (rewrite with a new mtime and size).
	b, _ := os.ReadFile(p)
	os.WriteFile(p, append(b, make([]byte, 0)...), 0o644)
	os.Chtimes(p, mtimeFuture(), mtimeFuture())
	if _, errs, code := runCLI(t, "top", p, "--by", "port"); code != exitOK || !strings.Contains(errs, "rebuilding") {
		t.Errorf("stale sidecar: exit %d, stderr %q (want a rebuild message)", code, errs)
	}
	// A directory of two captures is one set: twice the packets of one.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.pcapng"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "b.pcapng"), b, 0o644)
	out, errs, code := runCLI(t, "sizes", dir, "--format", "csv")
	if code != exitOK || !strings.Contains(out, "\n6306,") {
		t.Errorf("directory set: exit %d %s\n%s", code, errs, out)
	}
	if m, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "pcapdex", "set-*.pcapdex")); len(m) != 1 {
		t.Errorf("set index in the cache: %v", m)
	}
	out2, _, _ := runCLI(t, "sizes", filepath.Join(dir, "*.pcapng"), "--format", "csv", "--no-index")
	if out2 != out {
		t.Errorf("glob --no-index:\n%s\nindex:\n%s", out2, out)
	}
	// extract: pcapng with comments, readable back.
	w := filepath.Join(t.TempDir(), "o.pcapng")
	if _, errs, code := runCLI(t, "extract", p, "-w", w, "--annotate", "retransmissions > 0"); code != exitOK {
		t.Fatalf("extract: exit %d %s", code, errs)
	}
	r, err := pcapng.Open(w, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pk pcapng.Packet
	n := 0
	for r.Next(&pk) == nil {
		n++
		if !strings.Contains(string(pk.Comment()), `matched "retransmissions > 0"`) {
			t.Fatalf("packet %d comment %q", n, pk.Comment())
		}
	}
	if n == 0 {
		t.Error("extract wrote no packets")
	}
	// extract to stdout.
	out, _, code = runCLI(t, "extract", p, "-w", "-", "host", "192.0.2.3")
	if code != exitOK || !strings.HasPrefix(out, "\x0a\x0d\x0d\x0a") {
		t.Errorf("extract -w -: exit %d, %d bytes", code, len(out))
	}
}

func mtimeFuture() time.Time { return time.Now().Add(time.Hour) }

// TestTrackFlags: --workers reaches the query (used when the captures are read in one
// pass); --udp-timeout other than 1m gives the query its own tracking options (0: never, -1
// to flowhash), with --workers and events; 1m, given or not, leaves the index.
func TestTrackFlags(t *testing.T) {
	for _, c := range []struct {
		args             []string
		track            bool
		workers, timeout int64
	}{
		{nil, false, 0, 0},
		{[]string{"--workers", "2"}, false, 2, 0},
		{[]string{"--udp-timeout", "1m"}, false, 0, 0},
		{[]string{"--udp-timeout", "30s", "--workers", "2"}, true, 2, 30e9},
		{[]string{"--udp-timeout", "0"}, true, 0, -1},
	} {
		var q queryFlags
		var tf trackFlags
		fs := newQueryFlags("flows", &q, &bytes.Buffer{})
		tf.add(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		tf.apply(fs, &q)
		if (q.track != nil) != c.track {
			t.Fatalf("%v: track options %+v, want set %v", c.args, q.track, c.track)
		}
		if q.workers != int(c.workers) {
			t.Errorf("%v: workers %d, want %d", c.args, q.workers, c.workers)
		}
		if q.track != nil && (int64(q.track.Workers) != c.workers || q.track.UDPTimeout != c.timeout || !q.track.Events) {
			t.Errorf("%v: %+v, want %d workers, UDP timeout %d, events", c.args, *q.track, c.workers, c.timeout)
		}
	}
}
