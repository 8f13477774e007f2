package follow

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkFollowLive: a writer appends a pcap at a steady rate (200k packets/s, or
// FOLLOW_BENCH_RATE, for 5 s, 1000 TCP connections, written every 10 ms as tcpdump's buffer
// would), with a burst of 300 RSTs just before the end of capture second 3; the follower
// runs with a resets rule. Reported: the packets/s the follower sustained (all packets
// committed / time from the first write), the lag from writing the burst to its alert, and
// the last seal's duration. Run with -benchtime=1x.
func BenchmarkFollowLive(b *testing.B) {
	rate := 200_000
	if v, err := strconv.Atoi(os.Getenv("FOLLOW_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	for range b.N {
		benchFollow(b, rate, 5)
	}
}

func benchFollow(b *testing.B, rate, secs int) {
	dir := b.TempDir()
	if d := os.Getenv("FOLLOW_BENCH_DIR"); d != "" {
		dir = d
	}
	path := filepath.Join(dir, "live.pcap")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	rules, err := ParseRules("bench", "[[rule]]\nname = \"resets\"\nmetric = \"resets\"\nwindow = \"1s\"\nwarn = 100\n")
	if err != nil {
		b.Fatal(err)
	}
	var alertAt atomic.Int64
	var committed atomic.Int64
	var doneAt atomic.Int64
	total := int64(rate*secs + 300)
	f, err := Open(Options{Inputs: []string{path}, Dir: filepath.Join(dir, "follow"), Settle: time.Hour, Rules: rules,
		OnAlert: func(a Alert) error {
			if a.State == "firing" && alertAt.Load() == 0 {
				alertAt.Store(time.Now().UnixNano())
			}
			return nil
		}})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	var lastSeal atomic.Int64
	go func() {
		runErr <- f.Run(ctx, RunOptions{Poll: 50 * time.Millisecond, StatusEvery: 20 * time.Millisecond, Status: func(s Stats) {
			committed.Store(int64(s.Packets))
			lastSeal.Store(int64(s.SealDuration))
			if int64(s.Packets) >= total && doneAt.Load() == 0 {
				doneAt.Store(time.Now().UnixNano())
			}
		}})
	}()

	const conns = 1000
	seq := make([]uint32, conns)
	frame := tcpFrame([4]byte{10, 0, 0, 1}, [4]byte{192, 168, 0, 1}, 1, 80, 0, 0, 0x10, 10)
	buf := make([]byte, 0, 1<<20)
	buf = binary.LittleEndian.AppendUint32(buf, 0xa1b2c3d4)
	buf = binary.LittleEndian.AppendUint16(buf, 2)
	buf = binary.LittleEndian.AppendUint16(buf, 4)
	buf = binary.LittleEndian.AppendUint64(buf, 0)
	buf = binary.LittleEndian.AppendUint32(buf, 262144)
	buf = binary.LittleEndian.AppendUint32(buf, 1)
	rec := func(ts int64, c int, flags byte) {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(ts/1e9))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(ts%1e9/1000))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(frame)))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(frame)))
		n := len(buf)
		buf = append(buf, frame...)
		ip := buf[n+14:]
		ip[14], ip[15] = byte(c>>8), byte(c) // source address 10.0.c
		binary.BigEndian.PutUint16(ip[20:], uint16(10000+c))
		binary.BigEndian.PutUint32(ip[24:], seq[c])
		ip[33] = flags
		seq[c] += 10
	}
	start := time.Now()
	t0 := int64(1_700_000_000e9)
	var burstAt int64
	perTick := rate / 100
	k := 0
	for tick := 0; tick < secs*100; tick++ {
		for range perTick {
			rec(t0+int64(k)*1e9/int64(rate), k%conns, 0x18)
			k++
		}
		if tick == 399 { // the last 10 ms of capture second 3
			for i := range 300 {
				rec(t0+int64(k-1)*1e9/int64(rate), i%conns, 0x14) // at the last packet of second 3
			}
			burstAt = time.Now().UnixNano()
		}
		for len(buf) >= 4096 {
			n := len(buf) &^ 4095
			if _, err := out.Write(buf[:n]); err != nil {
				b.Fatal(err)
			}
			buf = append(buf[:0], buf[n:]...)
		}
		if d := time.Until(start.Add(time.Duration(tick+1) * 10 * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
	}
	if _, err := out.Write(buf); err != nil {
		b.Fatal(err)
	}
	written := time.Since(start)
	deadline := time.Now().Add(60 * time.Second)
	for doneAt.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-runErr; err != nil {
		b.Fatal(err)
	}
	if doneAt.Load() == 0 {
		b.Fatalf("follower committed %d of %d packets within a minute", committed.Load(), total)
	}
	elapsed := time.Duration(doneAt.Load() - start.UnixNano())
	b.ReportMetric(float64(total)/elapsed.Seconds(), "pkts/s")
	b.ReportMetric(float64(total)/written.Seconds(), "written-pkts/s")
	if alertAt.Load() != 0 {
		b.ReportMetric(float64(alertAt.Load()-burstAt)/1e6, "alert-lag-ms")
	} else {
		b.Error("the burst raised no alert")
	}
	b.ReportMetric(float64(lastSeal.Load())/1e6, "seal-ms")
}
