package filter

import (
	"strconv"
	"strings"
	"testing"
)

var sinkNode Node

func benchmarkParse(b *testing.B, filter string) {
	b.ReportAllocs()
	b.SetBytes(int64(len(filter)))
	for b.Loop() {
		n, err := Parse(filter)
		if err != nil {
			b.Fatal(err)
		}
		sinkNode = n
	}
}

// BenchmarkParse is a filter as a user types it.
func BenchmarkParse(b *testing.B) {
	benchmarkParse(b, "host 10.0.0.5 and tcp port 80 or 443 and (syn_rtt > 300ms or retransmissions)")
}

// BenchmarkParseChain is a generated "or" of 10,000 hosts; ns/op over 10,000 is the cost
// of one term, which stays flat as the chain grows (TestParseLongChains).
func BenchmarkParseChain(b *testing.B) {
	var s strings.Builder
	for i := range 10_000 {
		if i > 0 {
			s.WriteString(" or ")
		}
		s.WriteString("host 10.0.")
		s.WriteString(strconv.Itoa(i >> 8))
		s.WriteByte('.')
		s.WriteString(strconv.Itoa(i & 255))
	}
	benchmarkParse(b, s.String())
}
