package follow

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

const t0 = int64(1_700_000_000e9)

// burstCapture is one TCP connection opened at t0: the client sends 100 bytes every 100 ms
// from t0+1s, each ACKed 20 ms later; in [t0+20s, t0+25s) every segment is retransmitted
// 10 ms after it was sent (50 retransmissions, 10 a second); nothing at all is sent in
// [t0+40s, t0+50s); the last segment leaves at t0+59.9s.
func burstCapture() []genPacket {
	c, s := [4]byte{10, 0, 0, 1}, [4]byte{192, 168, 1, 1}
	const cp, sp = 40000, 80
	cseq, sseq := uint32(1000), uint32(5000)
	out := []genPacket{
		{t0, tcpFrame(c, s, cp, sp, cseq, 0, 0x02, 0)},
		{t0 + 1e6, tcpFrame(s, c, sp, cp, sseq, cseq+1, 0x12, 0)},
		{t0 + 2e6, tcpFrame(c, s, cp, sp, cseq+1, sseq+1, 0x10, 0)},
	}
	cseq++
	sseq++
	for k := int64(0); ; k++ {
		ts := t0 + 1e9 + k*100e6
		if ts >= t0+60e9 {
			break
		}
		if ts >= t0+40e9 && ts < t0+50e9 {
			continue
		}
		out = append(out, genPacket{ts, tcpFrame(c, s, cp, sp, cseq, sseq, 0x18, 100)})
		if ts >= t0+20e9 && ts < t0+25e9 {
			out = append(out, genPacket{ts + 10e6, tcpFrame(c, s, cp, sp, cseq, sseq, 0x18, 100)})
		}
		cseq += 100
		out = append(out, genPacket{ts + 20e6, tcpFrame(s, c, sp, cp, sseq, cseq, 0x10, 0)})
	}
	return out
}

const burstRules = `
[[rule]]
name = "retransmissions"
filter = "tcp and port 80"
metric = "retransmissions"
window = "5s"
warn = 10
critical = 40
hysteresis = 0.5

[[rule]]
name = "silence"
metric = "silence"
group_by = "none"
window = "1s"
warn = 5
cooldown = "3s"
`

// The documented instants: a window of 5 s evaluated at whole second T counts seconds
// T-5 .. T-1; retransmissions are 10 a second in seconds 20..24.
var burstWant = []string{
	"retransmissions firing warn 21 10",     // seconds 16..20
	"retransmissions firing critical 24 40", // 20..23
	"retransmissions firing warn 29 10",     // 24..28: 10 < 40*0.5
	"retransmissions resolved ok 30 0",      // 25..29: 0 < 10*0.5
	"silence firing warn 45 5.08",           // last packet t0+39.92
	"silence resolved ok 51 0.08",           // last packet t0+50.92
}

func alertLines(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, strings.Join([]string{a.Rule, a.State, a.Level,
			strconv.FormatInt((a.Last-t0)/1e9, 10), strconv.FormatFloat(a.Value, 'g', 4, 64)}, " "))
	}
	return out
}

func TestAlertInstants(t *testing.T) {
	rules, err := ParseRules("test", burstRules)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "burst.pcap")
	w := &rotWriter{style: "tcpdump-C", dir: filepath.Dir(path), perFile: 1 << 30, pkts: burstCapture()}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "cap.pcap*"))
	// Replay: one pass over the finished capture.
	eng := NewEngine(rules)
	pl := flowhash.NewPipeline(flowhash.Options{Workers: 2}, eng)
	r, err := pcapng.Open(files[0], pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.Run(r); err != nil {
		t.Fatal(err)
	}
	r.Close()
	got := alertLines(eng.Alerts())
	if !slices.Equal(got, burstWant) {
		t.Fatalf("alerts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(burstWant, "\n"))
	}
	if eng.Firing() != 0 {
		t.Errorf("%d keys still firing", eng.Firing())
	}
	a := eng.Alerts()[1]
	if a.Threshold != 40 || a.Window != 5*time.Second || a.First != t0+21e9 || a.Evidence.File != files[0] || a.Evidence.Frame == 0 || a.Evidence.Offset == 0 {
		t.Errorf("critical alert: %+v", a)
	}
	if !strings.Contains(a.String(), "CRITICAL retransmissions [all]") {
		t.Errorf("readable line %q", a.String())
	}
}

// TestAlertsLiveEqualReplay follows the burst capture as it is written in 4 KiB steps,
// sealing (and being killed) along the way: the alerts printed are those of one replay.
func TestAlertsLiveEqualReplay(t *testing.T) {
	rules, err := ParseRules("test", burstRules)
	if err != nil {
		t.Fatal(err)
	}
	capDir := t.TempDir()
	fdir := filepath.Join(t.TempDir(), "follow")
	w := &rotWriter{style: "tcpdump-G", dir: capDir, pkts: burstCapture()}
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	var printed []Alert
	crash := false
	opt := Options{Inputs: []string{capDir}, Dir: fdir, Settle: 5 * time.Second, SealEvery: time.Second, Workers: 2,
		Now: clock.now, Rules: rules, OnAlert: func(a Alert) error { printed = append(printed, a); return nil },
		crash: func(p string) bool { return crash && p == "manifest-renamed" }}
	f, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; !w.done(); i++ {
		if err := w.write(37); err != nil {
			t.Fatal(err)
		}
		clock.t = clock.t.Add(700 * time.Millisecond)
		crash = i%9 == 8
		if _, err := f.Step(); err != nil {
			t.Fatal(err)
		}
		if err := f.Seal(); err == errCrash {
			f.Close()
			if f, err = Open(opt); err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	}
	crash = false
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		clock.t = clock.t.Add(time.Minute)
		if _, err := f.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Seal(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := alertLines(printed)
	if !slices.Equal(got, burstWant) {
		t.Fatalf("live alerts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(burstWant, "\n"))
	}
}

// TestSlowHandshakes: handshakes of 50, 300 and 500 ms starting at t0+1s, t0+2s, t0+3s;
// the two slow ones (> 200 ms) in one 5 s window fire the rule.
func TestSlowHandshakes(t *testing.T) {
	rules, err := ParseRules("t", "[[rule]]\nname = \"slow\"\nmetric = \"slow-handshakes\"\nslow = \"200ms\"\nwindow = \"5s\"\nwarn = 2\n")
	if err != nil {
		t.Fatal(err)
	}
	var pkts []genPacket
	s := [4]byte{192, 168, 1, 1}
	for i, rtt := range []int64{50e6, 300e6, 500e6} {
		c := [4]byte{10, 0, 0, byte(i)}
		at := t0 + int64(i+1)*1e9
		pkts = append(pkts,
			genPacket{at, tcpFrame(c, s, 4000, 80, 100, 0, 0x02, 0)},
			genPacket{at + rtt, tcpFrame(s, c, 80, 4000, 900, 101, 0x12, 0)},
			genPacket{at + rtt + 1e6, tcpFrame(c, s, 4000, 80, 101, 901, 0x10, 0)})
	}
	slices.SortStableFunc(pkts, func(a, b genPacket) int { return int(a.ts - b.ts) })
	pkts = append(pkts, genPacket{t0 + 9e9, tcpFrame(s, [4]byte{10, 0, 0, 0}, 80, 4000, 901, 101, 0x10, 0)})
	dir := t.TempDir()
	w := &rotWriter{style: "tcpdump-C", dir: dir, perFile: 1 << 30, pkts: pkts}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	eng := NewEngine(rules)
	r, err := pcapng.Open(filepath.Join(dir, "cap.pcap0"), pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := flowhash.NewPipeline(flowhash.Options{Workers: 1}, eng).Run(r); err != nil {
		t.Fatal(err)
	}
	// Slow SYN-ACKs in seconds 2 (t0+2.3s) and 3 (t0+3.5s): the window of T = 4 (seconds
	// -1..3) holds both; that of T = 8 (seconds 3..7) only one.
	got := alertLines(eng.Alerts())
	want := []string{"slow firing warn 4 2", "slow resolved ok 8 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("alerts %q, want %q", got, want)
	}
}
