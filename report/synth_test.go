package report

import (
	"bufio"
	"encoding/binary"
	"net/netip"
	"os"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/pcapdex/pcapdex/query"
)

// synth describes a generated capture: TCP downloads from servers to one client, with
// retransmissions, a zero window, duplicate ACKs and client resets, spread over days with
// silent stretches between bursts.
type synth struct {
	Flows     int   // connections
	Segments  int   // data segments of each (the first flow gets BigFlow instead)
	BigFlow   int   // data segments of flow 1 (a long time-sequence graph)
	Start     int64 // Unix ns of the first packet
	Step      int64 // ns between connection starts
	Client    [4]byte
	LossEvery int // every LossEvery-th segment is sent twice (0: never)
	Payload   int // bytes of each data segment (0: 1460)
}

func (s synth) clientAddr() netip.Addr { return netip.AddrFrom4(s.Client) }

func mustPlan(t testing.TB, text string) *query.Plan {
	t.Helper()
	p, err := query.CompileFilter(text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type tcpPkt struct {
	ts           int64
	src, dst     [4]byte
	sport, dport uint16
	seq, ack     uint32
	flags        uint8 // FIN 1, SYN 2, RST 4, PSH 8, ACK 16
	win          uint16
	payload      int
}

func appendFrame(b []byte, p tcpPkt) []byte {
	b = append(b, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00) // Ethernet, IPv4
	total := 20 + 20 + p.payload
	b = append(b, 0x45, 0, byte(total>>8), byte(total), 0, 0, 0x40, 0, 64, 6, 0, 0)
	b = append(b, p.src[:]...)
	b = append(b, p.dst[:]...)
	b = binary.BigEndian.AppendUint16(b, p.sport)
	b = binary.BigEndian.AppendUint16(b, p.dport)
	b = binary.BigEndian.AppendUint32(b, p.seq)
	b = binary.BigEndian.AppendUint32(b, p.ack)
	b = append(b, 5<<4, p.flags)
	b = binary.BigEndian.AppendUint16(b, p.win)
	b = append(b, 0, 0, 0, 0)
	for range p.payload {
		b = append(b, 'x')
	}
	return b
}

// write writes the capture to path (pcap, ns timestamps) and returns its packet count.
func (s synth) write(t testing.TB, path string) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := pcapng.NewPcapWriter(bw, 1, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var buf []byte
	emit := func(p tcpPkt) {
		buf = appendFrame(buf[:0], p)
		if err := w.WritePacket(p.ts, buf, uint32(len(buf))); err != nil {
			t.Fatal(err)
		}
		n++
	}
	for i := range s.Flows {
		srv := [4]byte{10, 0, 1, byte(1 + i%40)}
		cp, sp := uint16(40000+i%20000), uint16(443)
		if i%7 == 3 {
			sp = 80
		}
		ts := s.Start + int64(i)*s.Step
		const rtt = 20e6
		cseq, sseq := uint32(1000), uint32(5000)
		emit(tcpPkt{ts, s.Client, srv, cp, sp, cseq, 0, 2, 64240, 0})
		ts += rtt
		emit(tcpPkt{ts, srv, s.Client, sp, cp, sseq, cseq + 1, 18, 65535, 0})
		ts += 1e5
		emit(tcpPkt{ts, s.Client, srv, cp, sp, cseq + 1, sseq + 1, 16, 64240, 0})
		ts += 1e5
		emit(tcpPkt{ts, s.Client, srv, cp, sp, cseq + 1, sseq + 1, 24, 64240, 200})
		cseq += 201
		segs := s.Segments
		if i == 0 {
			segs = s.BigFlow
		}
		next := sseq + 1
		mss := uint32(1460)
		if s.Payload > 0 {
			mss = uint32(s.Payload)
		}
		win := uint16(64240)
		for k := range segs {
			ts += 2e5
			emit(tcpPkt{ts, srv, s.Client, sp, cp, next, cseq, 16, 65535, int(mss)})
			if s.LossEvery > 0 && k%s.LossEvery == s.LossEvery-1 {
				ts += 3 * rtt
				emit(tcpPkt{ts, srv, s.Client, sp, cp, next, cseq, 16, 65535, int(mss)}) // retransmission
			}
			next += mss
			if k%2 == 1 || k == segs-1 {
				ts += rtt / 2
				win = 64240
				if i%5 == 1 && k == segs/2|1 {
					win = 0 // the client's buffer is full
				}
				emit(tcpPkt{ts, s.Client, srv, cp, sp, cseq, next, 16, win, 0})
				if win == 0 {
					ts += 50e6
					emit(tcpPkt{ts, s.Client, srv, cp, sp, cseq, next, 16, 64240, 0}) // window update
				}
			}
		}
		ts += 1e6
		if i%4 == 2 {
			emit(tcpPkt{ts, s.Client, srv, cp, sp, cseq, next, 4, 0, 0}) // client reset
			continue
		}
		emit(tcpPkt{ts, srv, s.Client, sp, cp, next, cseq, 17, 65535, 0})
		ts += rtt
		emit(tcpPkt{ts, s.Client, srv, cp, sp, cseq, next + 1, 17, 64240, 0})
		ts += rtt
		emit(tcpPkt{ts, srv, s.Client, sp, cp, next + 1, cseq + 1, 16, 65535, 0})
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}
