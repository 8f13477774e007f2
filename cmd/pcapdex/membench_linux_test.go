//go:build linux

package main

import (
	"bufio"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pcapdex/pcapdex/internal/testpkt"
)

// TestMemoryRetransmissionStorm is issue 19's memory benchmark: `index` of one TCP flow of
// identical retransmitted segments (zstd-compressed, generated here, never committed) must
// stay under 500 MB RSS. PCAPDEX_MEMBENCH_GIB sets the uncompressed size (the case
// is 10; unset, the test is skipped: it takes minutes).
func TestMemoryRetransmissionStorm(t *testing.T) {
	gib, _ := strconv.ParseFloat(os.Getenv("PCAPDEX_MEMBENCH_GIB"), 64)
	if gib <= 0 {
		t.Skip("set PCAPDEX_MEMBENCH_GIB=10 to run the memory benchmark")
	}
	dir := t.TempDir()
	capPath := filepath.Join(dir, "storm.pcap.zst")
	const recLen = 16 + 80
	n := int64(gib * (1 << 30) / recLen)
	if err := writeStorm(capPath, n); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "index", capPath)
	cmd.Env = append(os.Environ(), "PCAPDEX_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitPartial {
		// 4: the events beyond the per-flow cap are not kept, and the index says so.
		t.Fatalf("index: exit %d (%v), want 4\n%s", code, err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	rss := ru.Maxrss << 10
	t.Logf("index of %d packets (%.1f GiB): max RSS %d MB, %.1f s user\n%s", n+3, gib, rss>>20,
		float64(ru.Utime.Sec)+float64(ru.Utime.Usec)/1e6, out)
	if rss > 500<<20 {
		t.Errorf("max RSS %d MB, want under 500 MB", rss>>20)
	}
}

// writeStorm writes a zstd-compressed pcap: a handshake, then n copies of one 26-byte data
// segment (each one a retransmission of the first).
func writeStorm(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(zw, 1<<20)
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	w.Write(hdr)
	ts := uint64(1_700_000_000_000_000)
	put := func(b []byte) {
		var rec [16]byte
		binary.LittleEndian.PutUint32(rec[:], uint32(ts/1e6))
		binary.LittleEndian.PutUint32(rec[4:], uint32(ts%1e6))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(b)))
		w.Write(rec[:])
		w.Write(b)
		ts += 10
	}
	put(testpkt.TCPFrame(0x02, 1000, 0, true, 0))
	put(testpkt.TCPFrame(0x12, 5000, 1001, false, 0))
	put(testpkt.TCPFrame(0x10, 1001, 5001, true, 0))
	data := testpkt.TCPFrame(0x18, 1001, 5001, true, 26)
	for range n {
		put(data)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
