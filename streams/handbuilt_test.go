package streams

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/pcapdex/pcapdex/query"
)

// Hand-built captures: Ethernet, IPv4, TCP, written with pcapng's pcap writer.

const (
	fSYN = 0x02
	fACK = 0x10
	fPSH = 0x08
	fFIN = 0x01
	fRST = 0x04
)

type tcpPkt struct {
	fromClient bool
	flags      uint8
	seq, ack   uint32
	data       string
	snap       int // > 0: keep only this many payload bytes (snaplen cut)
}

// conn is a TCP connection between 10.0.0.1:1234 (client) and 10.0.0.2:80.
func frame(p tcpPkt, sport, dport uint16) (data []byte, origLen uint32) {
	src, dst := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	if !p.fromClient {
		src, dst = dst, src
		sport, dport = dport, sport
	}
	b := make([]byte, 14+20+20+len(p.data))
	copy(b[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+20+len(p.data)))
	ip[8] = 64
	ip[9] = 6
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], p.seq)
	binary.BigEndian.PutUint32(tcp[8:], p.ack)
	tcp[12] = 5 << 4
	tcp[13] = p.flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	copy(tcp[20:], p.data)
	origLen = uint32(len(b))
	if p.snap > 0 {
		b = b[:14+40+p.snap]
	}
	return b, origLen
}

// writeCapture writes the connections' packets (each list on its own client port, in
// order, list after list) to a pcap in dir.
func writeCapture(t *testing.T, dir string, conns ...[]tcpPkt) string {
	t.Helper()
	path := filepath.Join(dir, "hand.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapng.NewPcapWriter(f, 1, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	ts := int64(1_700_000_000_000_000_000)
	for _, c := range conns {
		for _, p := range c {
			data, orig := frame(p, 1234, 80)
			ts += 1_000_000
			if err := w.WritePacket(ts, data, orig); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type manDir struct {
	File       *string  `json:"file"`
	Bytes      int64    `json:"bytes"`
	FileBytes  int64    `json:"file_bytes"`
	HoleBytes  int64    `json:"hole_bytes"`
	Holes      [][3]any `json:"holes"`
	Conflicts  int64    `json:"conflicts"`
	CBytes     int64    `json:"conflict_bytes"`
	KeepAlives int64    `json:"keepalives"`
}

type manLine struct {
	Flow        uint64 `json:"flow"`
	CommunityID string `json:"community_id"`
	Orig, Resp  manDir
}

// runWrite writes the streams of the capture at path into a new directory and returns it,
// with the manifest lines.
func runWrite(t *testing.T, path string, holes HoleMode) (string, []manLine) {
	t.Helper()
	out := t.TempDir()
	lines, err := writeInto(path, Options{Dir: out, Holes: holes})
	if err != nil {
		t.Fatal(err)
	}
	return out, lines
}

func writeInto(path string, o Options) ([]manLine, error) {
	st, err := query.NewStreamStore([]string{path}, false)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var man bytes.Buffer
	sel := query.Selection{Since: -1 << 63, Until: 1<<63 - 1}
	if _, err := Write(Input{Store: st}, sel, o, &man); err != nil {
		return nil, err
	}
	var lines []manLine
	sc := bufio.NewScanner(&man)
	for sc.Scan() {
		var m manLine
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, err
		}
		lines = append(lines, m)
	}
	return lines, nil
}

func readOut(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	c2s = "010.000.000.001.01234-010.000.000.002.00080"
	s2c = "010.000.000.002.00080-010.000.000.001.01234"
)

func handshake(isnC, isnS uint32) []tcpPkt {
	return []tcpPkt{
		{fromClient: true, flags: fSYN, seq: isnC},
		{flags: fSYN | fACK, seq: isnS, ack: isnC + 1},
		{fromClient: true, flags: fACK, seq: isnC + 1, ack: isnS + 1},
	}
}

func TestHandOverlapConflict(t *testing.T) {
	c := append(handshake(100, 500),
		tcpPkt{fromClient: true, flags: fACK | fPSH, seq: 101, ack: 501, data: "hello"},
		tcpPkt{fromClient: true, flags: fACK | fPSH, seq: 103, ack: 501, data: "XYZW"}, // "llo" differs, W new
		tcpPkt{flags: fACK | fPSH, seq: 501, ack: 107, data: "ok"},
	)
	out, man := runWrite(t, writeCapture(t, t.TempDir(), c), HolesZero)
	if got := readOut(t, out, c2s); got != "helloW" {
		t.Errorf("client stream %q, want %q (first copy wins)", got, "helloW")
	}
	if got := readOut(t, out, s2c); got != "ok" {
		t.Errorf("server stream %q", got)
	}
	if len(man) != 1 || man[0].Orig.Conflicts != 1 || man[0].Orig.CBytes != 3 {
		t.Fatalf("manifest %+v, want 1 conflict of 3 bytes", man)
	}
	if !strings.HasPrefix(man[0].CommunityID, "1:") {
		t.Errorf("community id %q", man[0].CommunityID)
	}
}

func TestHandWrap(t *testing.T) {
	isn := uint32(0xfffffff0)
	c := handshake(isn, 7)
	want := ""
	seq := isn + 1
	for i := range 4 {
		d := strings.Repeat(string(rune('a'+i)), 10)
		c = append(c, tcpPkt{fromClient: true, flags: fACK, seq: seq, ack: 8, data: d})
		seq += 10
		want += d
	}
	// Out of order across the wrap: the last two swapped.
	c[5], c[6] = c[6], c[5]
	out, _ := runWrite(t, writeCapture(t, t.TempDir(), c), HolesZero)
	if got := readOut(t, out, c2s); got != want {
		t.Errorf("stream %q, want %q", got, want)
	}
}

func TestHandHole(t *testing.T) {
	c := append(handshake(0, 1000),
		tcpPkt{fromClient: true, flags: fACK, seq: 1, ack: 1001, data: "abc"},
		// "def" at 4 never captured
		tcpPkt{fromClient: true, flags: fACK, seq: 7, ack: 1001, data: "ghi"},
		tcpPkt{flags: fACK, seq: 1001, ack: 10},                                        // the server had it all: a hole
		tcpPkt{fromClient: true, flags: fACK, seq: 10, ack: 1001, data: "jk", snap: 1}, // "k" cut by the snaplen
		tcpPkt{fromClient: true, flags: fACK, seq: 12, ack: 1001, data: "lm"},
	)
	path := writeCapture(t, t.TempDir(), c)
	for _, tc := range []struct {
		mode HoleMode
		want string
	}{{HolesZero, "abc\x00\x00\x00ghij\x00lm"}, {HolesSkip, "abcghijlm"}, {HolesStop, "abc"}} {
		out, man := runWrite(t, path, tc.mode)
		if got := readOut(t, out, c2s); got != tc.want {
			t.Errorf("holes %d: stream %q, want %q", tc.mode, got, tc.want)
		}
		if m := man[0].Orig; m.Bytes != 9 || m.HoleBytes != 4 || len(m.Holes) != 2 ||
			m.Holes[0][0] != 3.0 || m.Holes[0][1] != 3.0 || m.Holes[0][2] != "acked" ||
			m.Holes[1][0] != 10.0 || m.Holes[1][1] != 1.0 || m.Holes[1][2] != "truncated" {
			t.Errorf("holes %d: manifest %+v", tc.mode, m)
		}
	}
	// Follow marks the acknowledged gap as Wireshark does and skips the cut byte.
	st, err := query.NewStreamStore([]string{path}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var buf bytes.Buffer
	if err := Follow(Input{Store: st}, 1, FollowOptions{Mode: PrintASCII}, &buf); err != nil {
		t.Fatal(err)
	}
	want := "\n" + separator + "Follow: tcp,ascii\nFilter: tcp.stream eq 0\nNode 0: 10.0.0.1:1234\nNode 1: 10.0.0.2:80\n" +
		"3\nabc\n" + "34\n[3 bytes missing in capture file].\n" + "3\nghi\n" + "1\nj\n" + "2\nlm\n" + separator
	if buf.String() != want {
		t.Errorf("follow:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestHandMidStream(t *testing.T) {
	c := []tcpPkt{
		{fromClient: true, flags: fACK, seq: 77777, ack: 9, data: "middle "},
		{flags: fACK, seq: 9, ack: 77784, data: "reply"},
		{fromClient: true, flags: fACK, seq: 77784, ack: 14, data: "end"},
		{fromClient: true, flags: fACK, seq: 77786, ack: 14, data: "X"}, // a keep-alive: one byte below next
	}
	out, man := runWrite(t, writeCapture(t, t.TempDir(), c), HolesZero)
	if got := readOut(t, out, c2s); got != "middle end" {
		t.Errorf("client %q", got)
	}
	if got := readOut(t, out, s2c); got != "reply" {
		t.Errorf("server %q", got)
	}
	if man[0].Orig.KeepAlives != 1 || man[0].Orig.Conflicts != 0 {
		t.Errorf("manifest %+v", man[0].Orig)
	}
}

func TestHandReusedTuple(t *testing.T) {
	first := append(handshake(100, 500),
		tcpPkt{fromClient: true, flags: fACK, seq: 101, ack: 501, data: "one"},
		tcpPkt{fromClient: true, flags: fRST | fACK, seq: 104, ack: 501})
	second := append(handshake(90000, 7000),
		tcpPkt{fromClient: true, flags: fACK, seq: 90001, ack: 7001, data: "two"})
	out, man := runWrite(t, writeCapture(t, t.TempDir(), first, second), HolesZero)
	if len(man) != 2 {
		t.Fatalf("%d flows, want 2", len(man))
	}
	if got := readOut(t, out, c2s); got != "one" {
		t.Errorf("first %q", got)
	}
	if got := readOut(t, out, c2s+"c1"); got != "two" {
		t.Errorf("second %q", got)
	}
	if *man[1].Orig.File != c2s+"c1" {
		t.Errorf("manifest names %q", *man[1].Orig.File)
	}
	// Writing again into the same directory refuses to replace the files, unless forced.
	path := filepath.Join(filepath.Dir(out), "again.pcap")
	os.Rename(writeCapture(t, t.TempDir(), first, second), path)
	if _, err := writeInto(path, Options{Dir: out}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second write into %s: %v, want an error saying the file exists", out, err)
	}
	if _, err := writeInto(path, Options{Dir: out, Force: true}); err != nil {
		t.Errorf("forced: %v", err)
	}
	// An input is never written over, forced or not.
	os.Rename(path, filepath.Join(out, c2s))
	if _, err := writeInto(filepath.Join(out, c2s), Options{Dir: out, Force: true}); err == nil || !strings.Contains(err.Error(), "input") {
		t.Errorf("write over the input: %v", err)
	}
}

// TestWritePacketNoAllocs: the per-packet path of Write (decode, reassemble, buffer, write)
// allocates nothing once a flow's buffers exist.
func TestWritePacketNoAllocs(t *testing.T) {
	var pkts []tcpPkt
	pkts = append(pkts, handshake(1, 1)...)
	path := writeCapture(t, t.TempDir(), pkts)
	st, err := query.NewStreamStore([]string{path}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	flows, _, err := selectFlows(st, nil, func(*flowhash.Flow) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	w := &writer{o: Options{Dir: t.TempDir(), MaxOpen: 4}, flows: flows, states: map[uint32]*flowState{},
		names: map[string]int{}, man: io.Discard, zero: make([]byte, 1024)}
	flows[1].left = 1 << 60 // never ends
	payload := strings.Repeat("x", 1400)
	seq := uint32(2)
	var pkt pcapng.Packet
	var dec fastparse.Packet
	row := query.PacketRow{Flow: 1}
	step := func() {
		data, _ := frame(tcpPkt{fromClient: true, flags: fACK, seq: seq, ack: 2, data: payload}, 1234, 80)
		pkt.Data = data
		fastparse.Decode(&dec, 1, data, uint32(len(data)))
		if err := w.packet(&row, &pkt, &dec); err != nil {
			t.Fatal(err)
		}
		seq += 1400
	}
	for range 200 {
		step()
	}
	// frame allocates the test's packet; count only the rest.
	data, _ := frame(tcpPkt{fromClient: true, flags: fACK, seq: seq, ack: 2, data: payload}, 1234, 80)
	step2 := func() {
		binary.BigEndian.PutUint32(data[14+20+4:], seq)
		pkt.Data = data
		fastparse.Decode(&dec, 1, data, uint32(len(data)))
		if err := w.packet(&row, &pkt, &dec); err != nil {
			t.Fatal(err)
		}
		seq += 1400
	}
	if n := testing.AllocsPerRun(1000, step2); n != 0 {
		t.Fatalf("%v allocations per packet", n)
	}
	if got := w.states[1].half[flowhash.DirAB].Bytes + w.states[1].half[flowhash.DirBA].Bytes; got < 1000*1400 {
		t.Fatalf("%d bytes delivered", got)
	}
}

// udpFrame is an Ethernet/IPv4/UDP frame from 10.0.0.1:5353 (fromClient) or to it.
func udpFrame(fromClient bool, payload string) []byte {
	b, _ := frame(tcpPkt{fromClient: fromClient, data: payload}, 5353, 53)
	ip := b[14:]
	ip[9] = 17
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	copy(udp[8:], payload)
	return b[:14+20+8+len(payload)]
}

func TestHandUDP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "udp.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapng.NewPcapWriter(f, 1, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []struct {
		c bool
		d string
	}{{true, "query1"}, {false, "answer"}, {true, ""}, {true, "q2"}} {
		b := udpFrame(p.c, p.d)
		if err := w.WritePacket(int64(i+1)*1e9, b, uint32(len(b))); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	f.Close()
	const c, s = "010.000.000.001.05353-010.000.000.002.00053.udp", "010.000.000.002.00053-010.000.000.001.05353.udp"
	for _, framing := range []bool{false, true} {
		out := t.TempDir()
		if _, err := writeInto(path, Options{Dir: out, UDP: true, UDPFraming: framing}); err != nil {
			t.Fatal(err)
		}
		want := "query1q2"
		if framing {
			want = "\x00\x06query1\x00\x00\x00\x02q2"
		}
		if got := readOut(t, out, c); got != want {
			t.Errorf("framing %v: client %q, want %q", framing, got, want)
		}
		if got := readOut(t, out, s); !strings.HasSuffix(got, "answer") {
			t.Errorf("framing %v: server %q", framing, got)
		}
	}
	// Without --udp, UDP flows are left out.
	out := t.TempDir()
	if man, err := writeInto(path, Options{Dir: out}); err != nil || len(man) != 0 {
		t.Errorf("without UDP: %v, %d flows", err, len(man))
	}
}
