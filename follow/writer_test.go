package follow

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// A generated TCP traffic: conns connections, each a handshake, data both ways with now
// and then a retransmission, and a FIN exchange; packets interleaved, 1 ms apart.
type genPacket struct {
	ts   int64
	data []byte
}

func genTraffic(seed uint64, conns int, t0 int64) []genPacket {
	rng := rand.New(rand.NewPCG(seed, 1))
	type conn struct {
		c, s         [4]byte
		cp, sp       uint16
		cseq, sseq   uint32
		step, nsteps int
	}
	var cs []*conn
	for i := range conns {
		cs = append(cs, &conn{c: [4]byte{10, 0, byte(i >> 8), byte(i)}, s: [4]byte{192, 168, 1, byte(i % 7)},
			cp: uint16(40000 + i), sp: []uint16{80, 443, 22}[i%3], cseq: rng.Uint32(), sseq: rng.Uint32(), nsteps: 6 + rng.IntN(30)})
	}
	var out []genPacket
	ts := t0
	var last []byte
	for len(cs) > 0 {
		k := rng.IntN(len(cs))
		c := cs[k]
		ts += 1e6
		var p []byte
		const syn, ack, fin, psh = 0x02, 0x10, 0x01, 0x08
		switch {
		case c.step == 0:
			p = tcpFrame(c.c, c.s, c.cp, c.sp, c.cseq, 0, syn, 0)
			c.cseq++
		case c.step == 1:
			p = tcpFrame(c.s, c.c, c.sp, c.cp, c.sseq, c.cseq, syn|ack, 0)
			c.sseq++
		case c.step == 2:
			p = tcpFrame(c.c, c.s, c.cp, c.sp, c.cseq, c.sseq, ack, 0)
		case c.step < c.nsteps:
			n := 1 + rng.IntN(1200)
			if rng.IntN(2) == 0 {
				p = tcpFrame(c.c, c.s, c.cp, c.sp, c.cseq, c.sseq, ack|psh, n)
				c.cseq += uint32(n)
			} else {
				p = tcpFrame(c.s, c.c, c.sp, c.cp, c.sseq, c.cseq, ack|psh, n)
				c.sseq += uint32(n)
			}
			if rng.IntN(10) == 0 && last != nil {
				out = append(out, genPacket{ts, p})
				ts += 1e6
				p = append([]byte(nil), p...) // a retransmission
			}
		case c.step == c.nsteps:
			p = tcpFrame(c.c, c.s, c.cp, c.sp, c.cseq, c.sseq, fin|ack, 0)
			c.cseq++
		case c.step == c.nsteps+1:
			p = tcpFrame(c.s, c.c, c.sp, c.cp, c.sseq, c.cseq, fin|ack, 0)
			c.sseq++
		default:
			p = tcpFrame(c.c, c.s, c.cp, c.sp, c.cseq, c.sseq, ack, 0)
			cs = append(cs[:k], cs[k+1:]...)
		}
		c.step++
		last = p
		out = append(out, genPacket{ts, p})
	}
	return out
}

func tcpFrame(src, dst [4]byte, sp, dp uint16, seq, ack uint32, flags byte, n int) []byte {
	b := make([]byte, 14+20+20+n)
	b[12], b[13] = 0x08, 0x00
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+n))
	ip[8], ip[9] = 64, 6
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	for i := range n {
		tcp[20+i] = byte(i)
	}
	return b
}

// rotWriter writes packets the way the capture tools do: output buffered and written in
// 4 KiB steps (so a file almost always ends mid-record), a new file every perFile packets
// in one of three styles:
//
//	"tcpdump-C": cap.pcap0, cap.pcap1, cap.pcap2, then cap.pcap0 again, truncated in place
//	             (same path, same inode: tcpdump -C size -W 3)
//	"tcpdump-G": cap-YYYYmmdd-HHMMSS.pcap from the first packet's time (tcpdump -G)
//	"dumpcap":   cap_NNNNN_YYYYmmddHHMMSS.pcapng, an ISB written at close, the oldest
//	             deleted beyond 3 files (dumpcap -b filesize -b files:3)
type rotWriter struct {
	style   string
	dir     string
	perFile int
	pkts    []genPacket
	next    int
	f       *os.File
	buf     []byte
	inFile  int
	nfiles  int
	created []string // dumpcap: the files on disk, oldest first
	fileSec int64    // tcpdump-G: the second the current file is named after
}

func (w *rotWriter) done() bool { return w.next >= len(w.pkts) }

// write writes n packets (flushing full 4 KiB steps).
func (w *rotWriter) write(n int) error {
	for ; n > 0 && w.next < len(w.pkts); n-- {
		p := w.pkts[w.next]
		if w.f == nil || w.inFile == w.perFile && w.style != "tcpdump-G" ||
			w.style == "tcpdump-G" && p.ts/1e9 != w.fileSec {
			if err := w.rotate(p.ts); err != nil {
				return err
			}
		}
		w.buf = w.record(w.buf, p)
		w.next++
		w.inFile++
		for len(w.buf) >= 4096 {
			if _, err := w.f.Write(w.buf[:4096]); err != nil {
				return err
			}
			w.buf = append(w.buf[:0], w.buf[4096:]...)
		}
	}
	return nil
}

func (w *rotWriter) record(b []byte, p genPacket) []byte {
	if w.style == "dumpcap" {
		n := len(p.data)
		pad := (n + 3) &^ 3
		blen := uint32(32 + pad)
		b = binary.LittleEndian.AppendUint32(b, 6)
		b = binary.LittleEndian.AppendUint32(b, blen)
		b = binary.LittleEndian.AppendUint32(b, 0)
		us := uint64(p.ts / 1000)
		b = binary.LittleEndian.AppendUint32(b, uint32(us>>32))
		b = binary.LittleEndian.AppendUint32(b, uint32(us))
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
		b = append(b, p.data...)
		b = append(b, make([]byte, pad-n)...)
		return binary.LittleEndian.AppendUint32(b, blen)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(p.ts/1e9))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.ts%1e9/1000))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p.data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p.data)))
	return append(b, p.data...)
}

func (w *rotWriter) header(b []byte) []byte {
	if w.style == "dumpcap" {
		b = binary.LittleEndian.AppendUint32(b, 0x0A0D0D0A)
		b = binary.LittleEndian.AppendUint32(b, 28)
		b = binary.LittleEndian.AppendUint32(b, 0x1A2B3C4D)
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint64(b, ^uint64(0))
		b = binary.LittleEndian.AppendUint32(b, 28)
		b = binary.LittleEndian.AppendUint32(b, 1) // IDB
		b = binary.LittleEndian.AppendUint32(b, 20)
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint32(b, 262144)
		return binary.LittleEndian.AppendUint32(b, 20)
	}
	b = binary.LittleEndian.AppendUint32(b, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 262144)
	return binary.LittleEndian.AppendUint32(b, 1)
}

// closeFile flushes what is buffered (dumpcap: after an ISB) and closes the file.
func (w *rotWriter) closeFile(ts int64) error {
	if w.f == nil {
		return nil
	}
	if w.style == "dumpcap" {
		us := uint64(ts / 1000)
		for _, v := range []uint32{5, 24, 0, uint32(us >> 32), uint32(us), 24} {
			w.buf = binary.LittleEndian.AppendUint32(w.buf, v)
		}
	}
	_, err := w.f.Write(w.buf)
	w.buf = w.buf[:0]
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	return err
}

func (w *rotWriter) rotate(ts int64) error {
	if err := w.closeFile(ts); err != nil {
		return err
	}
	t := time.Unix(0, ts).UTC()
	w.fileSec = ts / 1e9
	var name string
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	switch w.style {
	case "tcpdump-C":
		name = fmt.Sprintf("cap.pcap%d", w.nfiles%3)
	case "tcpdump-G":
		name = "cap-" + t.Format("20060102-150405") + ".pcap"
	case "dumpcap":
		name = fmt.Sprintf("cap_%05d_%s.pcapng", w.nfiles+1, t.Format("20060102150405"))
		w.created = append(w.created, name)
		if len(w.created) > 3 {
			if err := os.Remove(filepath.Join(w.dir, w.created[0])); err != nil {
				return err
			}
			w.created = w.created[1:]
		}
	}
	f, err := os.OpenFile(filepath.Join(w.dir, name), flag, 0o644)
	if err != nil {
		return err
	}
	w.f, w.inFile = f, 0
	w.nfiles++
	w.buf = w.header(w.buf[:0])
	return nil
}

// finish writes the rest and closes the last file.
func (w *rotWriter) finish() error {
	if err := w.write(len(w.pkts)); err != nil {
		return err
	}
	return w.closeFile(w.pkts[len(w.pkts)-1].ts)
}
