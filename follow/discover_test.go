package follow

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

func TestSortNew(t *testing.T) {
	for _, c := range [][]string{
		// tcpdump -C without -W: the first file has no number
		{"/c/cap.pcap", "/c/cap.pcap1", "/c/cap.pcap2", "/c/cap.pcap10"},
		// dumpcap ring: the number decides, then the time
		{"/c/x_00009_20240101235959.pcapng", "/c/x_00010_20240102000000.pcapng", "/c/x_00100_20240101000000.pcapng"},
		// tcpdump -G strftime names
		{"/c/cap-20240101-095959.pcap", "/c/cap-20240101-100000.pcap", "/c/cap-20240102-000000.pcap"},
	} {
		got := slices.Clone(c)
		slices.Reverse(got)
		sortNew(got)
		if !slices.Equal(got, c) {
			t.Errorf("sorted %q, want %q", got, c)
		}
	}
}

// TestSortWrappedRing: a tcpdump -C -W 3 ring after a wrap, found at once (a follower
// started late): cap.pcap0 holds the newest packets, so the set starts at cap.pcap1.
func TestSortWrappedRing(t *testing.T) {
	dir := t.TempDir()
	for i, first := range []int64{300, 100, 200} {
		w := &rotWriter{style: "tcpdump-G", dir: dir, pkts: []genPacket{{first * 1e9, tcpFrame([4]byte{1}, [4]byte{2}, 1, 2, 0, 0, 0x02, 0)}}}
		if err := w.finish(); err != nil {
			t.Fatal(err)
		}
		ms, _ := filepath.Glob(filepath.Join(dir, "cap-*.pcap"))
		if err := os.Rename(ms[0], filepath.Join(dir, "cap.pcap"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	got := []string{filepath.Join(dir, "cap.pcap0"), filepath.Join(dir, "cap.pcap1"), filepath.Join(dir, "cap.pcap2")}
	sortNew(got)
	want := []string{filepath.Join(dir, "cap.pcap1"), filepath.Join(dir, "cap.pcap2"), filepath.Join(dir, "cap.pcap0")}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
