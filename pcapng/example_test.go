package pcapng_test

import (
	"errors"
	"fmt"
	"io"

	"github.com/pcapdex/pcapdex/pcapng"
)

// Open detects pcap or pcapng (compressed too) and Next hands out views of each packet
// without allocating: Data stays valid until Close on a mapped file, until the next Next
// otherwise.
func ExampleOpen() {
	r, err := pcapng.Open("../testdata/sample.pcapng", pcapng.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	var p pcapng.Packet
	var packets, bytes uint64
	for {
		if err := r.Next(&p); err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Println(err)
			}
			break
		}
		packets++
		bytes += uint64(p.OrigLen)
	}
	fmt.Println(r.Format(), packets, "packets,", bytes, "bytes; truncated:", r.Truncated())
	// Output:
	// pcapng 3153 packets, 787544 bytes; truncated: false
}
