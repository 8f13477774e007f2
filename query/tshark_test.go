package query

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/pcapng"
)

// tsharkCase is one capture and host whose tshark answers are in testdata/tshark (made by
// testdata/tshark/make.sh, which lists the same cases).
type tsharkCase struct{ name, file, host string }

func tsharkCases(t *testing.T) []tsharkCase {
	c := corpusDir(t)
	sample, err := filepath.Abs("../testdata/sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	return []tsharkCase{
		{"example", filepath.Join(c, "example.pcap"), "212.199.202.53"},
		{"b206", filepath.Join(c, "206_example_b.pcap"), "65.54.95.14"},
		{"rst", filepath.Join(c, "one_http_stream_rst.pcap"), "10.3.65.35"},
		{"fast009", filepath.Join(c, "retransmit-fast009.pcap"), "10.0.88.85"},
		{"sample", sample, "192.0.2.3"},
		{"gnutella", filepath.Join(c, "gnutella.pcap"), "10.0.2.15"},
	}
}

func openIndexStore(t *testing.T, paths ...string) *IndexStore {
	t.Helper()
	out := filepath.Join(t.TempDir(), "x.pcapdex")
	if _, err := index.BuildFiles(out, paths, index.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := index.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	s, err := NewIndexStore(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tshark", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func selectFilter(t *testing.T, st Store, expr string) Selection {
	t.Helper()
	plan, err := CompileFlows(filter.MustParse(expr))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := Select(st, plan, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

type convSide struct{ frames, bytes uint64 }

// TestTsharkConv: the flows of a host, merged per address+port pair as tshark's
// conversations are, have tshark's frames per direction, bytes (when tshark prints exact
// bytes), relative start and duration; and there are as many.
func TestTsharkConv(t *testing.T) {
	for _, c := range tsharkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			st := openIndexStore(t, c.file)
			sel := selectFilter(t, st, "host "+c.host+" and tcp")
			type key struct{ a, b netip.AddrPort }
			type conv struct {
				side        map[netip.AddrPort]*convSide // by sender
				first, last int64
			}
			convs := map[key]*conv{}
			norm := func(x, y netip.AddrPort) key {
				if y.Compare(x) < 0 {
					x, y = y, x
				}
				return key{x, y}
			}
			flowEnds := map[uint32][2]netip.AddrPort{}
			err := st.Flows(sel.Rows, 0, func(f *flowhash.Flow) error {
				op, rp := FlowPorts(f)
				oa, ra := FlowAddrs(f)
				flowEnds[uint32(f.ID)] = [2]netip.AddrPort{netip.AddrPortFrom(oa, op), netip.AddrPortFrom(ra, rp)}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = st.Packets(sel.Rows, sel.Since, sel.Until, NeedTCP, func(p *PacketRow) error {
				e := flowEnds[p.Flow]
				k := norm(e[0], e[1])
				cv := convs[k]
				if cv == nil {
					cv = &conv{side: map[netip.AddrPort]*convSide{}, first: p.TS}
					convs[k] = cv
				}
				from := e[1]
				if p.FromOrig {
					from = e[0]
				}
				s := cv.side[from]
				if s == nil {
					s = &convSide{}
					cv.side[from] = s
				}
				s.frames++
				s.bytes += uint64(p.OrigLen)
				cv.last = p.TS
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			start, _ := st.Span()
			rows := 0
			for _, line := range strings.Split(golden(t, c.name+".conv.txt"), "\n") {
				f := strings.Fields(line)
				if len(f) < 14 || f[1] != "<->" {
					continue
				}
				rows++
				a, err1 := netip.ParseAddrPort(f[0])
				b, err2 := netip.ParseAddrPort(f[2])
				if err1 != nil || err2 != nil {
					t.Fatalf("golden line %q: %v %v", line, err1, err2)
				}
				cv := convs[norm(a, b)]
				if cv == nil {
					t.Errorf("tshark conversation %s <-> %s: no flow", a, b)
					continue
				}
				// Columns: <- frames bytes unit, -> frames bytes unit, total frames bytes unit, start, duration.
				check := func(who netip.AddrPort, frames, n, unit string) {
					s := cv.side[who]
					if s == nil {
						s = &convSide{}
					}
					if frames != strconv.FormatUint(s.frames, 10) {
						t.Errorf("%s <-> %s: %s sent %d frames, tshark %s", a, b, who, s.frames, frames)
					}
					if unit == "bytes" && n != strconv.FormatUint(s.bytes, 10) {
						t.Errorf("%s <-> %s: %s sent %d bytes, tshark %s", a, b, who, s.bytes, n)
					}
				}
				check(b, f[3], f[4], f[5]) // "<-": B to A
				check(a, f[6], f[7], f[8]) // "->": A to B
				rel := fmt.Sprintf("%.9f", float64(cv.first-start)/1e9)
				if rel != f[12] {
					t.Errorf("%s <-> %s: relative start %s, tshark %s", a, b, rel, f[12])
				}
				// tshark subtracts relative times held as doubles, then rounds.
				dur := fmt.Sprintf("%.4f", float64(cv.last-start)/1e9-float64(cv.first-start)/1e9)
				if dur != f[13] {
					t.Errorf("%s <-> %s: duration %s, tshark %s", a, b, dur, f[13])
				}
			}
			if rows == 0 || rows != len(convs) {
				t.Errorf("tshark lists %d conversations, pcapdex has %d", rows, len(convs))
			}
		})
	}
}

// timelineCSV runs Timeline (1 s buckets from the capture's first packet) and returns
// packets and bytes per bucket.
func timelineCSV(t *testing.T, st Store, sel Selection) [][2]uint64 {
	tl, err := Timeline(st, sel, TimelineOptions{Bucket: time.Second, Align: AlignStart})
	if err != nil {
		t.Fatal(err)
	}
	out := make([][2]uint64, len(tl.Packets))
	for i := range out {
		out[i] = [2]uint64{tl.Packets[i], tl.Bytes[i]}
	}
	return out
}

// TestTsharkIOStat: timeline with --align start equals tshark -z io,stat,1 for all frames
// and for "host X and tcp" (tshark: ip.addr==X && tcp), bucket by bucket.
func TestTsharkIOStat(t *testing.T) {
	for _, c := range tsharkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			st := openIndexStore(t, c.file)
			all := timelineCSV(t, st, Selection{Since: math.MinInt64, Until: math.MaxInt64})
			host := timelineCSV(t, st, selectFilter(t, st, "host "+c.host+" and tcp"))
			var want [][4]uint64
			for _, line := range strings.Split(golden(t, c.name+".io.txt"), "\n") {
				if !strings.Contains(line, "<>") {
					continue
				}
				f := strings.Split(line, "|")
				if len(f) < 6 {
					t.Fatalf("golden line %q", line)
				}
				var v [4]uint64
				for i := range v {
					n, err := strconv.ParseUint(strings.TrimSpace(f[2+i]), 10, 64)
					if err != nil {
						t.Fatalf("golden line %q: %v", line, err)
					}
					v[i] = n
				}
				want = append(want, v)
			}
			if len(want) != len(all) || len(want) != len(host) {
				t.Fatalf("tshark has %d intervals, pcapdex %d (all) and %d (host)", len(want), len(all), len(host))
			}
			for i, w := range want {
				if all[i] != [2]uint64{w[0], w[1]} || host[i] != [2]uint64{w[2], w[3]} {
					t.Errorf("interval %d: pcapdex all %v host %v, tshark %v", i, all[i], host[i], w)
				}
			}
		})
	}
}

// TestTsharkSizes: frame-size quantiles equal the nearest-rank quantiles of tshark's
// frame.len.
func TestTsharkSizes(t *testing.T) {
	for _, c := range tsharkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			st := openIndexStore(t, c.file)
			s, err := Sizes(st, Selection{Since: math.MinInt64, Until: math.MaxInt64})
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("count %d min %d p25 %d p50 %d p75 %d p90 %d p99 %d max %d", s.Packets, s.Min, s.P25, s.P50, s.P75, s.P90, s.P99, s.Max)
			if want := strings.TrimSpace(golden(t, c.name+".len.txt")); got != want {
				t.Errorf("pcapdex: %s\ntshark:  %s", got, want)
			}
		})
	}
}

// TestTsharkExtract: extract "host X and tcp" writes exactly the frames tshark -Y
// "ip.addr==X && tcp && !icmp" selects, each with the original bytes, lengths and time; when tshark
// is installed it must read the output without complaint.
func TestTsharkExtract(t *testing.T) {
	for _, c := range tsharkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			st := openIndexStore(t, c.file)
			sel := selectFilter(t, st, "host "+c.host+" and tcp")
			var want []int64
			for _, f := range strings.Fields(golden(t, c.name+".frames.txt")) {
				n, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, n)
			}
			var got []int64
			if err := st.Packets(sel.Rows, sel.Since, sel.Until, NeedBasic, func(p *PacketRow) error { got = append(got, p.Frame); return nil }); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("selected frames differ from tshark -Y:\npcapdex %d frames %v\ntshark  %d frames %v", len(got), head64(got), len(want), head64(want))
			}
			for _, ng := range []bool{false, true} {
				var out bytes.Buffer
				stats, err := Extract(st, sel, ExtractOptions{Pcapng: ng, Annotate: ng, Filter: "host " + c.host + " and tcp"}, &out)
				if err != nil {
					t.Fatal(err)
				}
				if stats.Packets != int64(len(want)) {
					t.Fatalf("wrote %d packets, want %d", stats.Packets, len(want))
				}
				compareExtracted(t, c.file, want, out.Bytes(), ng)
				if _, err := exec.LookPath("tshark"); err == nil {
					f := filepath.Join(t.TempDir(), "out.pcap")
					if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					cmd := exec.Command("tshark", "-r", f, "-T", "fields", "-e", "frame.number")
					cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+t.TempDir(), "TZ=UTC")
					var so, se bytes.Buffer
					cmd.Stdout, cmd.Stderr = &so, &se
					err := cmd.Run()
					msg := strings.TrimSpace(strings.ReplaceAll(se.String(), "Running as user \"root\" and group \"root\". This could be dangerous.", ""))
					if err != nil || msg != "" {
						t.Errorf("tshark on the extract: %v %s", err, msg)
					}
					if n := len(strings.Fields(so.String())); n != len(want) {
						t.Errorf("tshark reads %d frames from the extract, want %d", n, len(want))
					}
				}
			}
		})
	}
}

func head64(v []int64) []int64 { return v[:min(len(v), 20)] }

// compareExtracted reads the extract back and checks every packet against the frame of the
// original capture.
func compareExtracted(t *testing.T, capture string, frames []int64, out []byte, ng bool) {
	t.Helper()
	orig, err := pcapng.Open(capture, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ex, err := pcapng.NewBytesReader("extract", out)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	if want := map[bool]pcapng.Format{false: pcapng.FormatPcap, true: pcapng.FormatPcapng}[ng]; ex.Format() != want {
		t.Fatalf("extract format %v, want %v", ex.Format(), want)
	}
	var p, q pcapng.Packet
	n := int64(0)
	for _, fr := range frames {
		for n < fr {
			if err := orig.Next(&p); err != nil {
				t.Fatalf("original ends before frame %d: %v", fr, err)
			}
			n++
		}
		if err := ex.Next(&q); err != nil {
			t.Fatalf("extract ends before frame %d: %v", fr, err)
		}
		if !bytes.Equal(p.Data, q.Data) || p.OrigLen != q.OrigLen || p.TS != q.TS || p.LinkType != q.LinkType {
			t.Fatalf("frame %d differs in the extract (ts %d/%d, len %d/%d, link %d/%d)", fr, p.TS, q.TS, p.OrigLen, q.OrigLen, p.LinkType, q.LinkType)
		}
		if ng && !bytes.Contains(q.Comment(), []byte("matched \"host ")) {
			t.Fatalf("frame %d: annotation %q", fr, q.Comment())
		}
	}
	if err := ex.Next(&q); !errors.Is(err, io.EOF) {
		t.Fatalf("extract has packets beyond the %d selected (err %v)", len(frames), err)
	}
}
