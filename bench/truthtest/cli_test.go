package truthtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/bench/internal/modroot"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// pcapdexBin returns the pcapdex binary: $PCAPDEX, else one built once from the working tree
// (the main module, which bench's go.mod replaces with ../; built there because the bench
// module's go.sum does not list every dependency of the index and query packages).
func pcapdexBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("PCAPDEX"); p != "" {
			binPath = p
			return
		}
		root, err := modroot.Find()
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(workDir, "pcapdex")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/pcapdex")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/pcapdex in %s: %v\n%s", root, err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// runCLI runs pcapdex with args and returns its stdout; a non-zero exit fails the test.
func runCLI(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(pcapdexBin(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "TZ=UTC")
	if err := cmd.Run(); err != nil {
		t.Fatalf("pcapdex %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// TestCLITruth compares what the pcapdex command prints with the truth: `info --format json`
// (file totals) and `flows --format jsonl` through the index (built on first use) and
// streaming with --no-index and two workers.
func TestCLITruth(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.get(t)
			t.Run("info", func(t *testing.T) { checkInfo(t, tc, c) })
			t.Run("flows-index", func(t *testing.T) {
				checkFlowsJSONL(t, "pcapdex flows (index)", c, runCLI(t, "flows", "--format", "jsonl", c.path))
				if _, err := os.Stat(c.path + ".pcapdex"); err != nil {
					t.Errorf("flows did not build the index beside the capture: %v", err)
				}
			})
			t.Run("flows-no-index", func(t *testing.T) {
				checkFlowsJSONL(t, "pcapdex flows --no-index", c, runCLI(t, "flows", "--format", "jsonl", "--no-index", "--workers", "2", c.path))
			})
		})
	}
}

// jsonObj is one JSON object with its members still raw, so that a missing member is told
// apart from a zero.
type jsonObj struct {
	m   map[string]json.RawMessage
	r   *report
	ctx string
}

func (o *jsonObj) raw(key string) (json.RawMessage, bool) {
	v, ok := o.m[key]
	if !ok {
		o.r.add("missing member", fmt.Sprintf("%s: no %q member", o.ctx, key))
	}
	return v, ok
}

func (o *jsonObj) str(key string) string {
	v, ok := o.raw(key)
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		o.r.add("bad member", fmt.Sprintf("%s: %q is %s, want a string", o.ctx, key, v))
	}
	return s
}

// num returns an integer member as text (null as "null").
func (o *jsonObj) num(key string) string {
	v, ok := o.raw(key)
	if !ok {
		return ""
	}
	s := string(v)
	if s != "null" {
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			o.r.add("bad member", fmt.Sprintf("%s: %q is %s, want an integer", o.ctx, key, v))
		}
	}
	return s
}

// durNS reads a duration member: integer nanoseconds, or seconds with a fraction; null is 0
// (not measured, as the truth writes it). ok is false for null.
func (o *jsonObj) durNS(key string) (ns int64, ok bool) {
	v, present := o.raw(key)
	if !present || string(v) == "null" {
		return 0, false
	}
	ns, err := parseNS(string(v), strings.Contains(string(v), "."))
	if err != nil {
		o.r.add("bad member", fmt.Sprintf("%s: %q: %v", o.ctx, key, err))
	}
	return ns, true
}

// parseNS parses "123" (ns) or, when secs, "1704067200.000123000" (seconds, exactly).
func parseNS(s string, secs bool) (int64, error) {
	if !secs {
		return strconv.ParseInt(s, 10, 64)
	}
	ip, fp, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(ip, 10, 64)
	if err != nil || len(fp) > 9 {
		return 0, fmt.Errorf("bad seconds %q", s)
	}
	fp += strings.Repeat("0", 9-len(fp))
	frac, err := strconv.ParseInt(fp, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad seconds %q", s)
	}
	return sec*1e9 + frac, nil
}

func checkInfo(t *testing.T, tc *tcase, c *capture) {
	out := runCLI(t, "info", "--format", "jsonl", c.path) // one object (json is an array)
	r := newReport(t, "pcapdex info")
	o := &jsonObj{r: r, ctx: "info"}
	if err := json.Unmarshal(out, &o.m); err != nil {
		t.Fatalf("info output is not one JSON object: %v\n%s", err, out)
	}
	tot := &c.truth.Totals
	r.value("format", tc.format, o.str("format"))
	for _, k := range []struct {
		name string
		want any
	}{
		{"packets", tot.Packets},
		{"frame_bytes", tot.FrameBytes},
		{"captured_bytes", tot.FrameBytes},
		{"ipv4", tot.IPv4},
		{"ipv6", tot.IPv6},
		{"tcp", tot.TCP},
		{"udp", tot.UDP},
		{"icmp", tot.ICMP},
		{"vlan_frames", tot.VLANFrames},
		{"malformed", 0},
		{"other", 0},
		{"ts_backward_steps", 0},
		{"tcp_conversations", tot.TCPConvs},
		{"udp_conversations", tot.UDPConvs},
		{"retransmissions", tot.Retransmissions},
		{"out_of_order", tot.OutOfOrder},
		{"dup_acks", tot.DupAcks},
		{"zero_windows", tot.ZeroWindows},
	} {
		r.value(k.name, k.want, o.num(k.name))
	}
	for _, k := range []struct {
		name string
		want int64
	}{{"first_ts", tot.FirstNS}, {"last_ts", tot.LastNS}, {"earliest_ts", tot.FirstNS}, {"latest_ts", tot.LastNS}} {
		s := o.str(k.name)
		ns, err := parseNS(s, true)
		if err != nil {
			r.add(k.name, fmt.Sprintf("%s: %v", k.name, err))
			continue
		}
		r.value(k.name, k.want, ns)
	}
	r.done()
}

// checkFlowsJSONL compares `pcapdex flows --format jsonl` output with the truth.
func checkFlowsJSONL(t *testing.T, source string, c *capture, out []byte) {
	t.Helper()
	r := newReport(t, source)
	var got []*rec
	protos := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		o := &jsonObj{r: r, ctx: fmt.Sprintf("line %d", line)}
		if err := json.Unmarshal(sc.Bytes(), &o.m); err != nil {
			t.Fatalf("%s: line %d is not a JSON object: %v\n%s", source, line, err, sc.Bytes())
		}
		proto := o.str("proto")
		if proto == "icmp6" {
			proto = "icmp"
		}
		protos[proto]++
		op, _ := strconv.ParseUint(o.num("orig_p"), 10, 16)
		rp, _ := strconv.ParseUint(o.num("resp_p"), 10, 16)
		g := newRec(proto, o.str("orig_h"), uint16(op), o.str("resp_h"), uint16(rp))
		g.desc = fmt.Sprintf("pcapdex flow %s %s", o.num("flow_id"), g.desc)
		o.ctx += " (" + g.desc + ")"
		for _, ts := range []struct {
			key string
			f   int
		}{{"ts", fFirstNS}, {"ts_end", fLastNS}} {
			tm, err := time.Parse(time.RFC3339Nano, o.str(ts.key))
			if err != nil {
				r.add("bad member", fmt.Sprintf("%s: %s: %v", o.ctx, ts.key, err))
				continue
			}
			g.setI(ts.f, tm.UnixNano())
		}
		for _, n := range []struct {
			key string
			f   int
		}{{"orig_pkts", fOrigPkts}, {"orig_bytes", fOrigBytes}, {"orig_ip_bytes", fOrigIPBytes},
			{"resp_pkts", fRespPkts}, {"resp_bytes", fRespBytes}, {"resp_ip_bytes", fRespIPBytes},
			{"retransmissions", fRetrans}, {"fast_retransmissions", fFastRetrans}, {"out_of_order", fOutOfOrder},
			{"dup_acks", fDupAcks}, {"lost_segments", fLost}, {"zero_windows", fZeroWin}} {
			v := o.num(n.key)
			if v == "null" && proto != "tcp" {
				v = "0" // TCP counters of other protocols: the truth says 0
			}
			g.set(n.f, v)
		}
		g.set(fConnState, o.str("conn_state"))
		syn, synOK := o.durNS("syn_rtt")
		ack, ackOK := o.durNS("ack_rtt")
		g.setI(fSynSynAck, syn)
		if synOK && ackOK {
			g.setI(fHandshakeRTT, handshakeRTT(syn, ack))
		} else {
			g.setI(fHandshakeRTT, 0)
		}
		got = append(got, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	r.flows(c.want, got)
	tot := &c.truth.Totals
	r.value("flows", tot.Flows, line)
	r.value("tcp flows", tot.TCPConvs, protos["tcp"])
	r.value("udp flows", tot.UDPConvs, protos["udp"])
	r.value("icmp flows", tot.ICMPConvs, protos["icmp"])
	r.done()
}
