package follow

import (
	"slices"
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
