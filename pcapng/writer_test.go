package pcapng

import (
	"bytes"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

type readPacket struct {
	Packet
	comment string
}

func readAll(t testing.TB, r *Reader) []readPacket {
	t.Helper()
	var out []readPacket
	var p Packet
	for {
		err := r.Next(&p)
		if err != nil {
			if err != io.EOF {
				t.Logf("stop: %v", err)
			}
			return out
		}
		q := p
		q.Data = append([]byte(nil), p.Data...)
		q.Options = nil
		out = append(out, readPacket{q, string(p.Comment())})
	}
}

func samePackets(t *testing.T, name string, a, b []readPacket, compareIface bool) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d packets read back, want %d", name, len(b), len(a))
	}
	for i := range a {
		x, y := a[i], b[i]
		tsEq := x.TS == y.TS || (x.TS == math.MaxInt64) || !x.HasTS
		if !bytes.Equal(x.Data, y.Data) || x.CapLen != y.CapLen || x.OrigLen != y.OrigLen || !tsEq ||
			x.LinkType != y.LinkType || x.Flags != y.Flags || x.comment != y.comment || (compareIface && x.Iface != y.Iface) {
			t.Fatalf("%s: packet %d differs after round trip:\n got %+v %q\nwant %+v %q", name, i+1,
				y.Packet, y.comment, x.Packet, x.comment)
		}
	}
}

// TestRoundTripCorpus reads every corpus file, writes it again (pcap files with the pcap
// writer, pcapng files with the pcapng writer) and checks the packets read back are the same:
// data, lengths, timestamps (except clamped ones, which the writer cannot represent, and
// SPB packets, which have none), link types, epb_flags and comments.
func TestRoundTripCorpus(t *testing.T) {
	dir := corpusDir(t)
	for _, row := range readManifest(t, dir) {
		name := row["file"]
		t.Run(name, func(t *testing.T) {
			r, err := Open(filepath.Join(dir, name), Options{})
			if err != nil {
				t.Skipf("not readable: %v", err)
			}
			defer r.Close()
			orig := readAll(t, r)
			var buf bytes.Buffer
			if r.Format() == FormatPcap {
				ifc := r.Interfaces()[0]
				w, err := NewPcapWriter(&buf, ifc.LinkType, ifc.SnapLen, ifc.TSResol == 9)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range orig {
					if err := w.WritePacket(p.TS, p.Data, p.OrigLen); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			} else {
				w, err := NewPcapngWriter(&buf, PcapngWriterOptions{UserAppl: "pcapdex test"})
				if err != nil {
					t.Fatal(err)
				}
				for _, ifc := range r.Interfaces() {
					if _, err := w.AddInterface(ifc.LinkType, ifc.SnapLen, ifc.Name, ifc.TSResol); err != nil {
						t.Fatal(err)
					}
				}
				for _, p := range orig {
					ts := p.TS
					if ts == math.MaxInt64 || !p.HasTS {
						ts = 0
					}
					if err := w.WritePacketFlags(int(p.Iface), ts, p.Data, p.OrigLen, p.Flags, p.comment); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			for _, noMmap := range []bool{false, true} {
				r2, err := NewReader(bytes.NewReader(buf.Bytes()), Options{Name: "roundtrip", NoMmap: noMmap})
				if err != nil {
					t.Fatal(err)
				}
				back := readAll(t, r2)
				if r2.Truncated() || r2.err != io.EOF {
					t.Fatalf("read back: truncated=%v err=%v", r2.Truncated(), r2.err)
				}
				samePackets(t, name, orig, back, true)
			}
		})
	}
}

func TestPcapWriterHeader(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewPcapWriter(&buf, LinkTypeLinuxSLL, 65535, true)
	if err := w.WritePacket(1_500_000_000_123_456_789, []byte{1, 2, 3}, 60); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	want := []byte{0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 113, 0, 0, 0,
		0x00, 0x2f, 0x68, 0x59, 0x15, 0xcd, 0x5b, 0x07, 3, 0, 0, 0, 60, 0, 0, 0, 1, 2, 3}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("pcap bytes\n got % x\nwant % x", buf.Bytes(), want)
	}
	if err := w.WritePacket(-1, nil, 0); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("negative timestamp: err = %v", err)
	}
}

func TestPcapngWriterNoAllocs(t *testing.T) {
	w, _ := NewPcapngWriter(io.Discard, PcapngWriterOptions{})
	w.AddInterface(LinkTypeEthernet, 0, "eth0", 9)
	data := make([]byte, 1500)
	n := testing.AllocsPerRun(1000, func() {
		if err := w.WritePacket(0, 1_700_000_000_000_000_001, data, 1500, "hello"); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("WritePacket allocates %v times per packet", n)
	}
	pw, _ := NewPcapWriter(io.Discard, LinkTypeEthernet, 0, false)
	n = testing.AllocsPerRun(1000, func() { pw.WritePacket(1_700_000_000_000_000_000, data, 1500) })
	if n != 0 {
		t.Fatalf("pcap WritePacket allocates %v times per packet", n)
	}
}
