package synth

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A flow summary is the common ground between the ground truth and tshark's view of a
// capture: one TSV line per flow, sorted, with the fields both can state.
//
//	proto orig oport resp rport pkts_o pkts_r payload_o payload_r ipbytes_o ipbytes_r
//	retrans fast ooo dupack lost zerowin zwprobe winupdate initial_rtt_us
const summaryHeader = "#proto\torig\toport\tresp\trport\tpkts_o\tpkts_r\tpay_o\tpay_r\tip_o\tip_r\tretrans\tfast\tooo\tdupack\tlost\tzerowin\tzwprobe\twinupd\tirtt_us"

type sumFlow struct {
	proto, orig, resp string
	oport, rport      int
	pkts, pay, ipb    [2]int64
	ev                [8]int64
	irttUS            int64
}

func (s *sumFlow) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d", s.proto, s.orig, s.oport, s.resp, s.rport,
		s.pkts[0], s.pkts[1], s.pay[0], s.pay[1], s.ipb[0], s.ipb[1])
	for _, e := range s.ev {
		fmt.Fprintf(&b, "\t%d", e)
	}
	fmt.Fprintf(&b, "\t%d", s.irttUS)
	return b.String()
}

func sortedLines(m map[string]*sumFlow) []string {
	out := make([]string, 0, len(m))
	for _, f := range m {
		out = append(out, f.line())
	}
	sort.Strings(out)
	return out
}

// truthSummary renders a ground-truth file as summary lines. ICMP flows are keyed like
// tshark's: ports 0.
func truthSummary(t *Truth) []string {
	m := map[string]*sumFlow{}
	for _, f := range t.Flows {
		s := &sumFlow{proto: f.Proto, orig: f.Src, resp: f.Dst, oport: int(f.SrcPort), rport: int(f.DstPort)}
		if f.Proto == "icmp" {
			s.oport, s.rport = int(f.ICMPID), int(f.ICMPID)
		}
		s.pkts = [2]int64{int64(f.Orig.Packets), int64(f.Resp.Packets)}
		s.pay = [2]int64{int64(f.Orig.PayloadBytes), int64(f.Resp.PayloadBytes)}
		s.ipb = [2]int64{int64(f.Orig.IPBytes), int64(f.Resp.IPBytes)}
		e := f.Events
		s.ev = [8]int64{int64(e.Retransmissions), int64(e.FastRetransmissions), int64(e.OutOfOrder), int64(e.DupAcks),
			int64(e.LostSegments), int64(e.ZeroWindows), int64(e.ZeroWindowProbes), int64(e.WindowUpdates)}
		s.irttUS = f.HandshakeRTTNS / 1000
		if f.ConnState == "REJ" {
			// Wireshark's initial_rtt also times a SYN answered by a RST-ACK.
			s.irttUS = (f.LastNS - f.FirstNS) / 1000
		}
		m[s.line()] = s
	}
	tot := t.Totals
	lines := sortedLines(m)
	return append(lines, fmt.Sprintf("#totals\tframes=%d\tbytes=%d\tipv4=%d\tipv6=%d\ttcp=%d\tudp=%d\ticmp=%d\tvlan=%d",
		tot.Packets, tot.FrameBytes, tot.IPv4, tot.IPv6, tot.TCP, tot.UDP, tot.ICMP, tot.VLANFrames))
}

// tsharkEvents are the tcp.analysis fields counted per flow, in summary order.
var tsharkEvents = []string{
	"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.out_of_order",
	"tcp.analysis.duplicate_ack", "tcp.analysis.lost_segment", "tcp.analysis.zero_window",
	"tcp.analysis.zero_window_probe", "tcp.analysis.window_update",
}

func runTshark(t *testing.T, capture string, extra ...string) []string {
	t.Helper()
	cfgDir := t.TempDir()
	args := append([]string{"-r", capture, "-n", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"}, extra...)
	cmd := exec.Command("tshark", args...)
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+cfgDir, "TZ=UTC")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// tsharkSummary runs tshark over a capture and renders what it sees as summary lines.
func tsharkSummary(t *testing.T, capture string) []string {
	rows := runTshark(t, capture, "-e", "frame.number", "-e", "frame.len", "-e", "ip.src", "-e", "ipv6.src",
		"-e", "ip.dst", "-e", "ipv6.dst", "-e", "ip.len", "-e", "ipv6.plen", "-e", "tcp.srcport", "-e", "tcp.dstport",
		"-e", "udp.srcport", "-e", "udp.dstport", "-e", "tcp.len", "-e", "udp.length", "-e", "icmp.ident", "-e", "icmpv6.echo.identifier",
		"-e", "tcp.analysis.initial_rtt", "-e", "vlan.id", "-e", "data.len", "-e", "icmp.type", "-e", "icmpv6.type")
	type frameRef struct {
		f   *sumFlow
		dir int
	}
	frames := map[int]frameRef{}
	flows := map[string]*sumFlow{}
	var frames64, bytes64, v4, v6, tcp, udp, icmp, vlan int64
	atoi := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
	for _, r := range rows {
		c := strings.Split(r, "\t")
		if len(c) < 21 {
			t.Fatalf("tshark row %q: %d fields", r, len(c))
		}
		num := int(atoi(c[0]))
		frames64++
		bytes64 += atoi(c[1])
		if c[17] != "" {
			vlan++
		}
		src, dst, ipb := c[2], c[4], atoi(c[6])
		if c[2] != "" {
			v4++
		} else {
			src, dst, ipb = c[3], c[5], 40+atoi(c[7])
			v6++
		}
		var proto string
		var sp, dp, pay int64
		switch {
		case c[8] != "":
			proto, sp, dp, pay = "tcp", atoi(c[8]), atoi(c[9]), atoi(c[12])
			tcp++
		case c[10] != "":
			proto, sp, dp, pay = "udp", atoi(c[10]), atoi(c[11]), atoi(c[13])-8
			udp++
		default:
			proto = "icmp"
			id := c[14]
			if id == "" {
				id = c[15]
			}
			sp, dp, pay = atoi(id), atoi(id), ipb-28
			if c[3] != "" {
				pay = ipb - 48
			}
			icmp++
		}
		ka := fmt.Sprintf("%s|%s|%d|%s|%d", proto, src, sp, dst, dp)
		kb := fmt.Sprintf("%s|%s|%d|%s|%d", proto, dst, dp, src, sp)
		dir := 0
		f := flows[ka]
		if f == nil {
			if f = flows[kb]; f != nil {
				dir = 1
			} else {
				f = &sumFlow{proto: proto, orig: src, resp: dst, oport: int(sp), rport: int(dp)}
				flows[ka] = f
			}
		}
		f.pkts[dir]++
		f.pay[dir] += pay
		f.ipb[dir] += ipb
		if c[16] != "" && f.irttUS == 0 {
			v, _ := strconv.ParseFloat(c[16], 64)
			f.irttUS = int64(v*1e6 + 0.5)
		}
		frames[num] = frameRef{f, dir}
	}
	for i, ev := range tsharkEvents {
		for _, r := range runTshark(t, capture, "-Y", ev, "-e", "frame.number") {
			if r == "" {
				continue
			}
			fr, ok := frames[int(atoi(r))]
			if !ok {
				t.Fatalf("tshark %s: frame %q unknown", ev, r)
			}
			fr.f.ev[i]++
		}
	}
	byLine := map[string]*sumFlow{}
	for _, f := range flows {
		byLine[f.line()] = f
	}
	return append(sortedLines(byLine), fmt.Sprintf("#totals\tframes=%d\tbytes=%d\tipv4=%d\tipv6=%d\ttcp=%d\tudp=%d\ticmp=%d\tvlan=%d",
		frames64, bytes64, v4, v6, tcp, udp, icmp, vlan))
}

// diffLines reports lines only in a or only in b (at most a few of each).
func diffLines(t *testing.T, what string, want, got []string) {
	t.Helper()
	inA := map[string]bool{}
	for _, l := range want {
		inA[l] = true
	}
	inB := map[string]bool{}
	for _, l := range got {
		inB[l] = true
	}
	bad := 0
	for _, l := range want {
		if !inB[l] {
			if bad < 15 {
				t.Errorf("%s: truth only: %s", what, l)
			}
			bad++
		}
	}
	for _, l := range got {
		if !inA[l] {
			if bad < 30 {
				t.Errorf("%s: tshark only: %s", what, l)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d differing lines of %d/%d", what, bad, len(want), len(got))
	}
}

func writeCapture(t *testing.T, dir string, cfg Config, format string) (string, *Truth) {
	t.Helper()
	path := filepath.Join(dir, "gen."+format)
	tpath := path + ".truth.json"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := os.Create(tpath)
	if err != nil {
		t.Fatal(err)
	}
	generate(t, cfg, format, f, tf)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tf.Close(); err != nil {
		t.Fatal(err)
	}
	tr, err := ReadTruthFile(tpath)
	if err != nil {
		t.Fatal(err)
	}
	return path, tr
}
