package flowhash

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/pcapng"
)

// writeUDPCapture writes n Ethernet/IPv4/UDP frames, one flow per 16 packets, to a pcap in
// dir and returns its path.
func writeUDPCapture(t *testing.T, dir string, n int) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapng.NewPcapWriter(&buf, pcapng.LinkType(1), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 14+20+8+4)
	frame[12], frame[13] = 0x08, 0x00 // IPv4
	ip := frame[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 20+8+4)
	copy(ip[12:], []byte{10, 0, 0, 1})
	copy(ip[16:], []byte{10, 0, 0, 2})
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[2:], 53)
	binary.BigEndian.PutUint16(udp[4:], 8+4)
	for i := range n {
		binary.BigEndian.PutUint16(udp[0:], uint16(1024+i/16))
		if err := w.WritePacket(int64(1_700_000_000_000_000_000+i*1000), frame, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "udp.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestParallelStallNoDeadlock stalls worker 0 just before it waits for a free batch, until
// worker 1 has taken every free batch (each of which then waits for shard 0). A worker that
// waited for a free batch alone would wait forever; it must also take its published batch.
func TestParallelStallNoDeadlock(t *testing.T) {
	path := writeUDPCapture(t, t.TempDir(), 40*batchSize)
	base := runFile(t, path, Options{Workers: 1})
	for _, noMmap := range []bool{false, true} {
		r, err := pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
		if err != nil {
			t.Fatal(err)
		}
		pl := NewPipeline(Options{Workers: 2})
		stalls := 0
		pl.waitFreeHook = func(w int, free <-chan *Batch) {
			if w != 0 || stalls >= 3 {
				return
			}
			stalls++
			deadline := time.Now().Add(5 * time.Second)
			for len(free) > 0 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Microsecond)
			}
		}
		errc := make(chan error, 1)
		go func() { errc <- pl.Run(r) }()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("noMmap=%v: the pipeline is deadlocked (worker 0 stalled %d times)", noMmap, stalls)
		}
		r.Close()
		res := pl.Result()
		if stalls == 0 {
			t.Errorf("noMmap=%v: worker 0 never waited for a free batch: the test stalled nothing", noMmap)
		}
		if res.Packets != base.Packets || len(res.Flows) != len(base.Flows) || res.Packets != 40*batchSize {
			t.Errorf("noMmap=%v: %d packets, %d flows; want %d, %d", noMmap, res.Packets, len(res.Flows), base.Packets, len(base.Flows))
		}
	}
}
