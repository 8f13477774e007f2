package query

import (
	"math"
	"slices"
	"sort"
)

// SizeBuckets are the histogram's lower bounds, Wireshark's "Packet Lengths" statistics
// buckets (0-19, 20-39, 40-79, ..., 2560-5119, 5120 and more).
var SizeBuckets = []uint32{0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120}

// SizeStats summarise frame lengths. Quantiles use the nearest-rank method: the q-quantile
// of n sorted lengths is the one at 1-based rank ceil(q*n) (p50 of 1,2,3,4 is 2).
type SizeStats struct {
	Packets, Bytes                    uint64
	Min, P25, P50, P75, P90, P99, Max uint32
	Mean                              float64
	Hist                              []uint64 // packets per SizeBuckets bucket
}

// SizeBin is one row of the histogram.
type SizeBin struct {
	Lo, Hi   uint32 // bounds, inclusive; Hi is 0 for the last, open bucket (Open)
	Open     bool
	Packets  uint64
	Fraction float64 // of all packets
	CDF      float64 // fraction of packets at most Hi bytes long
}

// Histogram returns the histogram's buckets up to the largest non-empty one.
func (s *SizeStats) Histogram() []SizeBin {
	last := -1
	for i, c := range s.Hist {
		if c > 0 {
			last = i
		}
	}
	bins := make([]SizeBin, 0, last+1)
	var cum uint64
	for i := 0; i <= last; i++ {
		c := s.Hist[i]
		cum += c
		b := SizeBin{Lo: SizeBuckets[i], Packets: c,
			Fraction: float64(c) / float64(s.Packets), CDF: float64(cum) / float64(s.Packets)}
		if i+1 < len(SizeBuckets) {
			b.Hi = SizeBuckets[i+1] - 1
		} else {
			b.Open = true
		}
		bins = append(bins, b)
	}
	return bins
}

// quantile returns the nearest-rank q-quantile (0 < q <= 1) of sorted values given as
// counts per value (sizes ascending).
func quantile(sizes []uint32, counts []uint64, n uint64, q float64) uint32 {
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var c uint64
	for i, s := range sizes {
		c += counts[i]
		if c >= rank {
			return s
		}
	}
	return 0
}

// Sizes returns the frame-length statistics (frame.len, the length on the wire) of the
// selected packets.
func Sizes(st Store, sel Selection) (SizeStats, error) {
	var small [65536]uint64
	big := map[uint32]uint64{}
	var s SizeStats
	err := st.Packets(sel.packetRows(), sel.Since, sel.Until, NeedBasic, func(p *PacketRow) error {
		if !sel.keep(p) {
			return nil
		}
		if p.OrigLen < uint32(len(small)) {
			small[p.OrigLen]++
		} else {
			big[p.OrigLen]++
		}
		s.Packets++
		s.Bytes += uint64(p.OrigLen)
		return nil
	})
	if err != nil || s.Packets == 0 {
		return s, err
	}
	var sizes []uint32
	var counts []uint64
	for v, c := range small {
		if c > 0 {
			sizes, counts = append(sizes, uint32(v)), append(counts, c)
		}
	}
	bigKeys := make([]uint32, 0, len(big))
	for k := range big {
		bigKeys = append(bigKeys, k)
	}
	slices.Sort(bigKeys)
	for _, k := range bigKeys {
		sizes, counts = append(sizes, k), append(counts, big[k])
	}
	s.Min, s.Max = sizes[0], sizes[len(sizes)-1]
	s.P25 = quantile(sizes, counts, s.Packets, 0.25)
	s.P50 = quantile(sizes, counts, s.Packets, 0.50)
	s.P75 = quantile(sizes, counts, s.Packets, 0.75)
	s.P90 = quantile(sizes, counts, s.Packets, 0.90)
	s.P99 = quantile(sizes, counts, s.Packets, 0.99)
	s.Mean = float64(s.Bytes) / float64(s.Packets)
	s.Hist = make([]uint64, len(SizeBuckets))
	for i, v := range sizes {
		b := sort.Search(len(SizeBuckets), func(j int) bool { return SizeBuckets[j] > v }) - 1
		s.Hist[b] += counts[i]
	}
	return s, nil
}
