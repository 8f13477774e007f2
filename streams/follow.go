package streams

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/pcapdex/pcapdex/query"
)

// PrintMode is how Follow shows the bytes.
type PrintMode uint8

const (
	PrintRaw   PrintMode = iota // hex, one line per chunk (tshark -z follow,tcp,raw)
	PrintASCII                  // printable bytes, others as '.', after each chunk's length (follow,tcp,ascii)
	PrintHex                    // hex dump with offsets and ASCII (follow,tcp,hex)
)

// ParsePrintMode parses raw, ascii or hex.
func ParsePrintMode(s string) (PrintMode, error) {
	switch s {
	case "raw":
		return PrintRaw, nil
	case "ascii":
		return PrintASCII, nil
	case "hex":
		return PrintHex, nil
	}
	return 0, fmt.Errorf("%q: want raw, ascii or hex", s)
}

func (m PrintMode) String() string {
	return [...]string{"raw", "ascii", "hex"}[m]
}

// ErrNoFlow is returned by Follow for a flow id the capture does not have.
var ErrNoFlow = errors.New("no such flow")

// FollowOptions configure Follow.
type FollowOptions struct {
	Mode            PrintMode
	Window, History int64 // as in Options
	Since, Until    int64 // packet time bounds (Unix ns, inclusive); both 0: no bounds
}

// Follow writes flow id's conversation to w as tshark 4.0's `-z follow,tcp,MODE,N` prints
// it (N is the flow's tcp.stream number: its rank among the TCP flows): a header naming
// the two nodes (node 0 sent the first packet), then the chunks of both directions
// interleaved in the order they became contiguous, node 1's marked by a tab. A gap the
// other side acknowledged shows as Wireshark's "[N bytes missing in capture file]"; bytes
// the snaplen cut are left out without a mark; data still waiting beyond a gap when the
// capture ends is not shown (as in Wireshark). UDP flows print each datagram as a chunk,
// with the flow's rank among UDP flows as the stream number.
func Follow(in Input, id uint32, o FollowOptions, w io.Writer) error {
	if id == 0 {
		return fmt.Errorf("flow %d: %w", id, ErrNoFlow)
	}
	one := roaring.New()
	one.Add(id - 1)
	flows, rows, err := selectFlows(in.Store, one, func(f *flowhash.Flow) bool { return true })
	if err != nil {
		return err
	}
	info := flows[id]
	if info == nil {
		return fmt.Errorf("flow %d: %w", id, ErrNoFlow)
	}
	f := &info.f
	proto := "tcp"
	switch {
	case f.Key.Proto == fastparse.ProtoUDP && f.HasL4:
		proto = "udp"
	case f.Key.Proto != fastparse.ProtoTCP || !f.HasL4:
		return fmt.Errorf("flow %d is neither TCP nor UDP", id)
	}
	// The stream number: how many flows of the protocol come before this one.
	stream := 0
	err = in.Store.Flows(nil, query.NeedFlowColumns("proto", "has_l4"), func(g *flowhash.Flow) error {
		if uint32(g.ID) < id && g.Key.Proto == f.Key.Proto && g.HasL4 {
			stream++
		}
		return nil
	})
	if err != nil {
		return err
	}
	fw := &follower{mode: o.Mode, bw: bufio.NewWriterSize(w, 64<<10)}
	for d := range fw.half {
		fw.half[d].Init(o.Window, o.History)
	}
	wk := newWalker(in)
	defer wk.close()
	since, until := o.Since, o.Until
	if since == 0 && until == 0 {
		since, until = -1<<63, 1<<63-1
	}
	err = wk.run(rows, since, until, func(p *query.PacketRow, pkt *pcapng.Packet, dec *fastparse.Packet) error {
		var d flowhash.Dir
		switch {
		case proto == "tcp" && dec.IsTCP(), proto == "udp" && dec.IsUDP():
			d = dirOf(f, dec)
		default:
			return nil
		}
		if !fw.started {
			fw.started, fw.node0 = true, d
			fw.a0, fw.p0 = endpoint(f, d)
			fw.a1, fw.p1 = endpoint(f, d^1)
		}
		server := d != fw.node0
		data, wire := payload(dec, pkt.Data)
		if proto == "udp" {
			if len(data) > 0 {
				fw.record(server, data)
			}
			return nil
		}
		if dec.TCPFlags&fastparse.TCPAck != 0 {
			fw.chunks(!server, fw.half[d^1].Ack(dec.Ack, p.Frame, p.TS))
		}
		seg := Segment{Seq: dec.Seq, SYN: dec.TCPFlags&fastparse.TCPSyn != 0, Len: wire, Data: data, Frame: p.Frame, TS: p.TS}
		fw.chunks(server, fw.half[d].Push(&seg))
		return nil
	})
	if err != nil {
		return err
	}
	return fw.finish(proto, stream)
}

type follower struct {
	mode    PrintMode
	bw      *bufio.Writer
	half    [2]Half
	started bool
	node0   flowhash.Dir
	a0, a1  netip.Addr
	p0, p1  uint16
	// The body is kept until the end: the header names the nodes, known only then.
	body []byte
	pos  [2]uint32 // bytes shown per node (hex offsets)
	mark []byte
}

func (fw *follower) chunks(server bool, cs []Chunk) {
	for i := range cs {
		c := &cs[i]
		if c.Data != nil {
			fw.record(server, c.Data)
			continue
		}
		if c.Reason == HoleTruncated {
			continue // Wireshark moves on by the wire length: nothing shown
		}
		fw.mark = append(fw.mark[:0], '[')
		fw.mark = strconv.AppendInt(fw.mark, int64(int32(c.Hole)), 10)
		fw.mark = append(fw.mark, " bytes missing in capture file]\x00"...)
		fw.record(server, fw.mark)
	}
}

const hexDigits = "0123456789abcdef"

// record appends one chunk as tshark's follow_draw prints it.
func (fw *follower) record(server bool, data []byte) {
	b := fw.body
	node := 0
	if server {
		node = 1
	}
	switch fw.mode {
	case PrintRaw:
		if server {
			b = append(b, '\t')
		}
		for _, x := range data {
			b = append(b, hexDigits[x>>4], hexDigits[x&15])
		}
		b = append(b, '\n')
	case PrintASCII:
		if server {
			b = append(b, '\t')
		}
		b = strconv.AppendUint(b, uint64(len(data)), 10)
		b = append(b, '\n')
		for _, x := range data {
			if x == '\r' || x == '\n' || x >= 0x20 && x < 0x7f {
				b = append(b, x)
			} else {
				b = append(b, '.')
			}
		}
		b = append(b, '\n')
	case PrintHex:
		b = appendHexDump(b, server, fw.pos[node], data)
	}
	fw.pos[node] += uint32(len(data))
	fw.body = b
}

// appendHexDump appends tshark's follow_print_hex: 16 bytes a line, an 8-digit offset,
// hex with an extra space after the 8th byte, then the bytes as ASCII.
func appendHexDump(b []byte, server bool, off uint32, data []byte) []byte {
	for i := 0; i < len(data); i += 16 {
		if server {
			b = append(b, '\t')
		}
		o := off + uint32(i)
		for s := 28; s >= 0; s -= 4 {
			b = append(b, "0123456789ABCDEF"[o>>uint(s)&15])
		}
		b = append(b, ' ', ' ')
		line := data[i:min(i+16, len(data))]
		for k := 0; k < 16; k++ {
			if k < len(line) {
				b = append(b, hexDigits[line[k]>>4], hexDigits[line[k]&15], ' ')
			} else {
				b = append(b, ' ', ' ', ' ')
			}
			if k == 7 {
				b = append(b, ' ')
			}
		}
		b = append(b, ' ')
		for k, x := range line {
			if x >= ' ' && x < 0x7f {
				b = append(b, x)
			} else {
				b = append(b, '.')
			}
			if k == 7 {
				b = append(b, ' ')
			}
		}
		if b[len(b)-1] == ' ' { // tshark drops one trailing space, even a byte's
			b = b[:len(b)-1]
		}
		b = append(b, '\n')
	}
	return b
}

const separator = "===================================================================\n"

func (fw *follower) finish(proto string, stream int) error {
	b := fw.bw
	fmt.Fprintf(b, "\n%sFollow: %s,%s\nFilter: %s.stream eq %d\n", separator, proto, fw.mode, proto, stream)
	node := func(n int, a netip.Addr, p uint16) {
		if a.Is6() {
			fmt.Fprintf(b, "Node %d: [%s]:%d\n", n, a, p)
		} else {
			fmt.Fprintf(b, "Node %d: %s:%d\n", n, a, p)
		}
	}
	if fw.started {
		node(0, fw.a0, fw.p0)
		node(1, fw.a1, fw.p1)
	} else {
		b.WriteString("Node 0: :0\nNode 1: :0\n")
	}
	b.Write(fw.body)
	b.WriteString(separator)
	return b.Flush()
}
