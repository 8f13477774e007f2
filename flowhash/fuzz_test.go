package flowhash

import (
	"encoding/binary"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
)

// FuzzTCPSegments feeds arbitrary TCP segment sequences (16 bytes each: direction and port
// bits, IPv4 or IPv6, flags, seq, ack, payload length, window, time step) between two hosts
// through a Table and checks that nothing panics, that the per-flow counters add up to the
// totals, that every flow's key is one that was added (compact keys and the IPv6 slab
// round-trip, also across flows retired by port reuse) and that histories hold only letters
// pcapdex writes.
func FuzzTCPSegments(f *testing.F) {
	f.Add([]byte{})
	seed := make([]byte, 0, 16*6)
	for _, s := range [][7]uint32{
		{0, uint32(fS), 1000, 0, 0, 65535, 1},
		{1, uint32(fSA), 5000, 1001, 0, 65535, 1},
		{0, uint32(fA), 1001, 5001, 0, 512, 1},
		{0, uint32(fPA), 1001, 5001, 100, 512, 1},
		{0, uint32(fPA), 1001, 5001, 100, 512, 300},
		{1, uint32(fR), 5001, 0, 0, 0, 1},
	} {
		var b [16]byte
		b[0] = byte(s[0])
		binary.BigEndian.PutUint16(b[1:], uint16(s[1]))
		binary.BigEndian.PutUint32(b[3:], s[2])
		binary.BigEndian.PutUint32(b[7:], s[3])
		b[11] = byte(s[4])
		binary.BigEndian.PutUint16(b[12:], uint16(s[5]))
		binary.BigEndian.PutUint16(b[14:], uint16(s[6]))
		seed = append(seed, b[:]...)
	}
	f.Add(seed)
	seed6 := append([]byte(nil), seed...)
	for i := 0; i < len(seed6); i += 16 {
		seed6[i] |= 0x40 // the same exchange over IPv6
	}
	f.Add(seed6)
	f.Fuzz(func(t *testing.T, data []byte) {
		tab := NewTable(Options{Events: true, UDPTimeout: -1})
		var ts int64
		n := uint64(0)
		keys := map[Key]bool{}
		for len(data) >= 16 {
			b := data[:16]
			data = data[16:]
			src, dst := "10.0.0.1", "10.0.0.2"
			if b[0]&0x40 != 0 {
				src, dst = "2001:db8::1", "2001:db8::2"
			}
			sp, dp := uint16(40000+int(b[0]>>1&3)), uint16(80)
			if b[0]&1 != 0 {
				src, dst, sp, dp = dst, src, dp, sp
			}
			p := ipPacket(t, src, dst, fastparse.ProtoTCP, sp, dp)
			p.TCPFlags = binary.BigEndian.Uint16(b[1:]) & 0x1ff
			p.Seq = binary.BigEndian.Uint32(b[3:])
			p.Ack = binary.BigEndian.Uint32(b[7:])
			p.PayloadLen = uint32(b[11])
			p.Window = binary.BigEndian.Uint16(b[12:])
			if b[0]&0x80 != 0 {
				p.TCPOpts |= fastparse.OptWScale | fastparse.OptMSS
				p.WScale, p.MSS = b[11], 1460
			}
			p.IPLen = 40 + p.PayloadLen
			ts += int64(binary.BigEndian.Uint16(b[14:])) * 1000
			n++
			k, d, _ := KeyOf(&p)
			keys[k] = true
			tab.Add(&k, d, &p, n, ts)
		}
		res := &Result{}
		res.merge([]*Table{tab}, nil)
		var pk uint64
		var tot Totals
		for i := range res.Flows {
			fl := &res.Flows[i]
			if fl.ID != uint64(i+1) {
				t.Fatalf("flow %d has id %d", i, fl.ID)
			}
			pk += fl.OrigPkts + fl.RespPkts
			tot.Retransmissions += uint64(fl.TCP.Retransmissions)
			tot.OutOfOrder += uint64(fl.TCP.OutOfOrder)
			tot.DupAcks += uint64(fl.TCP.DupAcks)
			tot.ZeroWindows += uint64(fl.TCP.ZeroWindows)
			if int(fl.HistLen) > MaxHistory {
				t.Fatalf("history length %d", fl.HistLen)
			}
			if !keys[fl.Key] {
				t.Fatalf("flow %d has key %+v, never added", fl.ID, fl.Key)
			}
			for _, c := range []byte(fl.History()) {
				if histCode[c] == 0 {
					t.Fatalf("flow %d history %q has letter %q", fl.ID, fl.History(), c)
				}
			}
		}
		tot.Packets = n
		if pk != n || tot != res.Totals {
			t.Fatalf("flows hold %d packets and %v; totals %d packets %v", pk, tot, n, res.Totals)
		}
		for i := 1; i < len(res.Events); i++ {
			if res.Events[i].Frame < res.Events[i-1].Frame {
				t.Fatal("events out of frame order")
			}
		}
	})
}
