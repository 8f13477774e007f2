package compare

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// The generator simulates one TCP connection (and a small UDP exchange) seen at two points:
//
//	client --200us-- A ==== 1.5 ms + jitter (the network) ==== B --100us-- server
//
// and writes what A and B capture, with the truth: where each transmission was lost (before
// the first point, between, after the second), what each capture missed or duplicated, what
// the network reordered, duplicated, remarked (TTL -3, DSCP EF->0, ECN CE), the client's
// address and port rewritten by NAT between A and B, TSO coalescing at B (the server's
// capture sees pairs of segments as one), and B's clock: offset, skew and one step. The
// minimum delay is the same both ways (the offset split is exact only on a symmetric path).

// fate is what happens to one transmission on its path.
type fate uint8

const (
	fOK      fate = iota
	fBefore       // lost before the first point on its path
	fBetween      // lost between the points
	fAfter        // lost after the second point
)

const (
	gd0      = 200_000   // client <-> A
	gdNet    = 1_500_000 // A <-> B, plus jitter
	gd1      = 100_000   // B <-> server
	gRTO     = 40_000_000
	gOff0    = 12_345_679 // B's clock minus A's at gT0
	gSkewPPM = 50.0
	gStep    = 4_000_000 // B's clock jumps forward at gStepAt
	gT0      = int64(1_700_000_000_000_000_000)
)

var gStepAt = gT0 + 450_000_000

// bClock is B's capture clock at true time t.
func bClock(t int64) int64 {
	off := gOff0 + int64(gSkewPPM*1e-6*float64(t-gT0))
	if t >= gStepAt {
		off += gStep
	}
	return t + off
}

// gpkt is one transmission.
type gpkt struct {
	c2s          bool
	udp          bool
	client       int // 0: the NATed TCP client, 1: the UDP client
	seq, ack     uint32
	flags        uint16
	plen         int
	payOff       uint32 // stream offset of the payload (content is a function of it)
	ipid         uint16
	tos          uint8
	mss          uint16
	fate         fate
	tA, tB       int64 // true times at A and B (-1: not reached)
	tR           int64 // at the receiver (-1: lost)
	ce           bool  // CE-marked between the points
	dropA, dropB bool  // the capture at that point missed it
	spanA, spanB bool  // the capture at that point saw it twice (20 us apart)
	netDup       bool  // duplicated between the points (3 ms later)
	tsoB         int   // 1: first of a pair B sees as one segment, 2: second (not at B)
	rtxOrigin    string
	isRtx        bool
	seg          int
}

type genTruth struct {
	// seqShiftB, when not 0, is added to the client's sequence numbers (and the server's
	// ACKs) at B: a firewall between the points randomizing the client's ISN.
	seqShiftB uint32
	pkts      []*gpkt
	// observations per point, in capture order, with frame numbers
	obsA, obsB []gobs
}

type gobs struct {
	p    *gpkt
	ts   int64 // capture time (that point's clock)
	t    int64 // true time
	kind int   // 0 normal, 1 SPAN copy, 2 network duplicate copy
}

func jitter(r *rand.Rand) int64 {
	if r.IntN(10) < 3 {
		return 0
	}
	return r.Int64N(400_000)
}

// path computes the times p reaches A, B and the receiver, sent at t.
func (p *gpkt) path(t int64, r *rand.Rand) {
	p.tA, p.tB, p.tR = -1, -1, -1
	net := int64(gdNet) + jitter(r)
	if p.c2s {
		if p.fate == fBefore {
			return
		}
		p.tA = t + gd0
		if p.fate == fBetween {
			return
		}
		p.tB = p.tA + net
		if p.fate == fAfter {
			return
		}
		p.tR = p.tB + gd1
		return
	}
	if p.fate == fBefore {
		return
	}
	p.tB = t + gd1
	if p.fate == fBetween {
		return
	}
	p.tA = p.tB + net
	if p.fate == fAfter {
		return
	}
	p.tR = p.tA + gd0
}

const (
	gCISN = 1_000_000_000
	gSISN = 4_294_000_000 // wraps during the download
	gNc   = 300
	gNs   = 3000
	gMSSc = 1000
	gMSSs = 1400
)

// generate runs the simulation with the standard download of gNs segments.
func generate() *genTruth { return generateN(gNs) }

// generateN runs the simulation with a download of ns segments (ns >= gNs).
func generateN(ns int) *genTruth {
	r := rand.New(rand.NewPCG(13, 42))
	g := &genTruth{}
	ipid := [2]uint16{1000, 30000} // client, server
	add := func(p *gpkt, t int64) *gpkt {
		side := 0
		if !p.c2s {
			side = 1
		}
		if p.client == 1 {
			side = 0
		}
		p.ipid = ipid[side]
		ipid[side]++
		if p.c2s {
			p.tos = 0xb8 // DSCP EF, remarked to 0 between the points
		} else {
			p.tos = 0x02 // ECT(0)
		}
		p.path(t, r)
		g.pkts = append(g.pkts, p)
		return p
	}
	// Handshake.
	t := gT0
	syn := add(&gpkt{c2s: true, seq: gCISN, flags: synF, mss: 1460, seg: -1}, t)
	synack := add(&gpkt{seq: gSISN, ack: gCISN + 1, flags: synF | ackF, mss: 1460, seg: -1}, syn.tR)
	add(&gpkt{c2s: true, seq: gCISN + 1, ack: gSISN + 1, flags: ackF, seg: -1}, synack.tR)

	// Phase 1: the client uploads; phase 2: the server answers.
	up := map[int][]fate{20: {fBefore, fOK}, 50: {fBetween, fOK}, 51: {fBetween, fOK}, 120: {fBetween, fOK},
		200: {fAfter, fOK}, 250: {fOK, fOK}}
	down := map[int][]fate{100: {fBefore, fOK}, 1500: {fBefore, fOK}, 700: {fBetween, fOK}, 701: {fBetween, fOK},
		702: {fBetween, fOK}, 2000: {fBetween, fOK}, 2400: {fBetween, fBetween, fOK}, 900: {fAfter, fOK},
		2600: {fAfter, fOK}, 1200: {fOK, fOK}}
	ackLoss := map[int]bool{300: true, 301: true} // the client's ACKs of these segments are lost between
	t1 := gT0 + 20_000_000
	end1 := g.phase(true, gNc, gMSSc, 200_000, t1, up, nil, add)
	g.phase(false, ns, gMSSs, 150_000, end1+100_000_000, down, ackLoss, add)

	// A small UDP exchange of another client, not NATed: query 7 and answer 12 lost between.
	tu := gT0 + 5_000_000
	for i := range 20 {
		q := add(&gpkt{c2s: true, udp: true, client: 1, plen: 40, payOff: uint32(i * 97), seg: i}, tu+int64(i)*30_000_000)
		if i == 7 {
			q.fate = fBetween
			q.path(tu+int64(i)*30_000_000, r)
			continue
		}
		a := &gpkt{udp: true, client: 1, plen: 120, payOff: uint32(50_000 + i*131), seg: i}
		if i == 12 {
			a.fate = fBetween
		}
		add(a, q.tR+50_000)
	}

	// What the captures and the network did besides losing packets.
	for _, p := range g.pkts {
		switch {
		case p.udp, p.plen == 0:
		case p.c2s && p.seg == 80 && !p.isRtx, p.c2s && p.seg == 160 && !p.isRtx:
			p.dropB = true // upstream only, the server got it: B's capture drop
		case p.c2s && p.seg == 90 && !p.isRtx:
			p.dropA = true // downstream only: A's capture drop
		case !p.c2s && (p.seg == 400 || p.seg == 1000) && !p.isRtx:
			p.dropA = true
		case !p.c2s && p.seg == 1100 && !p.isRtx:
			p.dropB = true
		case p.c2s && p.seg == 150 && !p.isRtx:
			p.spanA = true
		case !p.c2s && p.seg == 1800 && !p.isRtx:
			p.spanB = true
		case !p.c2s && p.seg == 1700 && !p.isRtx:
			p.netDup = true
		case !p.c2s && p.seg >= 1300 && p.seg < 1310 && p.plen > 0:
			p.ce = true
		case !p.c2s && p.seg >= 2800 && p.seg < 2900 && p.plen > 0:
			p.tsoB = 1 + (p.seg-2800)%2
		}
		if p.c2s && p.plen == 0 && p.seg == 500 && p.flags == ackF {
			p.dropA = true // a pure ACK A's capture missed
		}
	}
	g.observe()
	return g
}

const (
	finF uint16 = 1
	synF uint16 = 2
	ackF uint16 = 16
)

// phase simulates one sender: n segments of mss bytes every gap ns from t0, with planned
// fates (plan[seg][k] for transmission k; a later entry is a retransmission RTO after the
// previous one). The receiver ACKs every arrival with its cumulative ACK. It returns the
// time of the last transmission.
func (g *genTruth) phase(c2s bool, n, mss int, gap, t0 int64, plan map[int][]fate, ackLoss map[int]bool, add func(*gpkt, int64) *gpkt) int64 {
	isn, risn := uint32(gCISN+1), uint32(gSISN+1)
	if !c2s {
		isn, risn = gSISN+1, gCISN+1+gNc*gMSSc
	}
	var sent []*gpkt
	last := t0
	for i := range n {
		fates := plan[i]
		if fates == nil {
			fates = []fate{fOK}
		}
		t := t0 + int64(i)*gap
		for k, f := range fates {
			p := &gpkt{c2s: c2s, seq: isn + uint32(i*mss), ack: risn, flags: ackF, plen: mss, payOff: uint32(i * mss), fate: f, seg: i, isRtx: k > 0}
			if k > 0 {
				p.rtxOrigin = [...]string{fOK: "spurious", fBefore: "before", fBetween: "between", fAfter: "after"}[fates[k-1]]
			}
			add(p, t)
			sent = append(sent, p)
			last = max(last, t)
			t += gRTO
		}
	}
	// The receiver: arrivals in time order, a cumulative ACK for each.
	arr := slices.Clone(sent)
	arr = slices.DeleteFunc(arr, func(p *gpkt) bool { return p.tR < 0 })
	slices.SortStableFunc(arr, func(x, y *gpkt) int { return cmp.Compare(x.tR, y.tR) })
	got := make([]bool, n)
	next := 0
	for _, p := range arr {
		copies := 1
		if !c2s && p.seg == 1700 && !p.isRtx {
			copies = 2 // the network duplicate reaches the client too
		}
		for c := range copies {
			got[p.seg] = true
			for next < n && got[next] {
				next++
			}
			a := &gpkt{c2s: !c2s, seq: risn, ack: isn + uint32(next*mss), flags: ackF, seg: p.seg}
			if ackLoss[p.seg] && !p.isRtx && c == 0 {
				a.fate = fBetween
			}
			add(a, p.tR+int64(c)*3_000_000)
		}
	}
	return last
}

// observe builds each point's capture: the packets that reached it and were not dropped,
// duplicated, coalesced, in capture-time order, with frame numbers.
func (g *genTruth) observe() {
	for _, p := range g.pkts {
		if p.tA >= 0 && !p.dropA {
			g.obsA = append(g.obsA, gobs{p: p, ts: p.tA, t: p.tA})
			if p.spanA {
				g.obsA = append(g.obsA, gobs{p: p, ts: p.tA + 20_000, t: p.tA + 20_000, kind: 1})
			}
			if p.netDup {
				g.obsA = append(g.obsA, gobs{p: p, ts: p.tA + 3_000_000, t: p.tA + 3_000_000, kind: 2})
			}
		}
		if p.tB >= 0 && !p.dropB && p.tsoB != 2 {
			g.obsB = append(g.obsB, gobs{p: p, ts: bClock(p.tB), t: p.tB})
			if p.spanB {
				g.obsB = append(g.obsB, gobs{p: p, ts: bClock(p.tB + 20_000), t: p.tB + 20_000, kind: 1})
			}
		}
	}
	by := func(x, y gobs) int { return cmp.Compare(x.ts, y.ts) }
	slices.SortStableFunc(g.obsA, by)
	slices.SortStableFunc(g.obsB, by)
}

var (
	macA = []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08, 0x00}
)

// frame builds the bytes of p as seen at point b (b true: B, behind the NAT).
func (p *gpkt) frame(atB bool, seqShift uint32) []byte {
	client := [4]byte{10, 0, 0, 5}
	cport := uint16(40000)
	server := [4]byte{192, 0, 2, 10}
	sport := uint16(443)
	if p.client == 1 {
		client, cport, server, sport = [4]byte{10, 0, 0, 6}, 5353, [4]byte{192, 0, 2, 53}, 53
	} else if atB {
		client, cport = [4]byte{203, 0, 113, 7}, 61000
	}
	src, dst, spt, dpt := client, server, cport, sport
	if !p.c2s {
		src, dst, spt, dpt = server, client, sport, cport
	}
	plen := p.plen
	if atB && p.tsoB == 1 {
		plen *= 2
	}
	l4 := 20
	if p.udp {
		l4 = 8
	}
	var opts []byte
	if p.mss != 0 {
		mss := p.mss
		if atB && p.c2s {
			mss = 1400 // clamped by the NAT box
		}
		opts = []byte{2, 4, byte(mss >> 8), byte(mss)}
	}
	b := make([]byte, 0, 14+20+l4+len(opts)+plen)
	b = append(b, macA...)
	ttl, tos := uint8(64), p.tos
	// The network between the points: 3 hops, DSCP remarked to 0, CE marks.
	downstreamB := p.c2s && atB
	downstreamA := !p.c2s && !atB
	if downstreamB || downstreamA {
		ttl -= 3
		if p.c2s {
			tos &^= 0xfc
		}
		if p.ce {
			tos |= 3
		}
	}
	ip := make([]byte, 20)
	ip[0], ip[1] = 0x45, tos
	binary.BigEndian.PutUint16(ip[2:], uint16(20+l4+len(opts)+plen))
	binary.BigEndian.PutUint16(ip[4:], p.ipid)
	ip[6] = 0x40
	ip[8] = ttl
	ip[9] = 6
	if p.udp {
		ip[9] = 17
	}
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	b = append(b, ip...)
	if p.udp {
		u := make([]byte, 8)
		binary.BigEndian.PutUint16(u[0:], spt)
		binary.BigEndian.PutUint16(u[2:], dpt)
		binary.BigEndian.PutUint16(u[4:], uint16(8+plen))
		b = append(b, u...)
	} else {
		tc := make([]byte, 20)
		binary.BigEndian.PutUint16(tc[0:], spt)
		binary.BigEndian.PutUint16(tc[2:], dpt)
		seq, ack := p.seq, p.ack
		if atB && p.client == 0 {
			if p.c2s {
				seq += seqShift
			} else if p.flags&ackF != 0 {
				ack += seqShift
			}
		}
		binary.BigEndian.PutUint32(tc[4:], seq)
		binary.BigEndian.PutUint32(tc[8:], ack)
		tc[12] = byte((20 + len(opts)) / 4 << 4)
		tc[13] = byte(p.flags)
		binary.BigEndian.PutUint16(tc[14:], 65535)
		b = append(b, tc...)
		b = append(b, opts...)
	}
	for i := range plen {
		o := p.payOff + uint32(i)
		b = append(b, byte(o*2654435761>>13))
	}
	return b
}

// write writes both captures into dir.
func (g *genTruth) write(t testing.TB, dir string) (string, string) {
	pa, pb := filepath.Join(dir, "a.pcapng"), filepath.Join(dir, "b.pcapng")
	for _, x := range []struct {
		path string
		obs  []gobs
		atB  bool
	}{{pa, g.obsA, false}, {pb, g.obsB, true}} {
		f, err := os.Create(x.path)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriter(f)
		w, err := pcapng.NewPcapngWriter(bw, pcapng.PcapngWriterOptions{UserAppl: "compare test"})
		if err != nil {
			t.Fatal(err)
		}
		id, err := w.AddInterface(pcapng.LinkTypeEthernet, 0, "gen", 9)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range x.obs {
			d := o.p.frame(x.atB, g.seqShiftB)
			if err := w.WritePacket(id, o.ts, d, uint32(len(d)), ""); err != nil {
				t.Fatal(err)
			}
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
	}
	return pa, pb
}

// TestWriteGenerated writes the generated pair into $COMPARE_GEN_DIR, with
// $COMPARE_GEN_SEGS download segments (default 3000), for trying the CLI; skipped otherwise.
func TestWriteGenerated(t *testing.T) {
	dir := os.Getenv("COMPARE_GEN_DIR")
	if dir == "" {
		t.Skip("COMPARE_GEN_DIR not set")
	}
	n := gNs
	if s := os.Getenv("COMPARE_GEN_SEGS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < gNs {
			t.Fatalf("COMPARE_GEN_SEGS=%q: want a number >= %d", s, gNs)
		}
	}
	generateN(n).write(t, dir)
}
