package query

import (
	"fmt"
	"time"

	"github.com/pcapdex/pcapdex/internal/intmath"
)

// Align says where timeline buckets start.
type Align uint8

const (
	AlignEpoch Align = iota // buckets start at multiples of the bucket width since the Unix epoch (UTC)
	AlignStart              // buckets start at the capture's first packet, as tshark -z io,stat does
)

func (a Align) String() string {
	switch a {
	case AlignEpoch:
		return "epoch"
	case AlignStart:
		return "start"
	}
	return fmt.Sprintf("Align(%d)", uint8(a))
}

// ParseAlign parses an alignment name: epoch or start.
func ParseAlign(s string) (Align, error) {
	switch s {
	case "epoch":
		return AlignEpoch, nil
	case "start":
		return AlignStart, nil
	}
	return 0, fmt.Errorf("unknown alignment %q (want epoch or start)", s)
}

// TimelineOptions configure Timeline.
type TimelineOptions struct {
	Bucket time.Duration // bucket width (> 0)
	Align  Align
}

// MaxBuckets bounds the rows of a timeline; a wider range needs a wider bucket.
const MaxBuckets = 10_000_000

// Buckets are a timeline: packets and bytes per bucket of equal width.
type Buckets struct {
	First   int64         // start of the first bucket, Unix ns
	Width   time.Duration // bucket width
	Packets []uint64      // per bucket
	Bytes   []uint64      // frame lengths per bucket
}

// Start returns the start of bucket i, Unix ns.
func (b *Buckets) Start(i int) int64 { return b.First + int64(i)*int64(b.Width) }

// seriesStore is implemented by stores holding per-second packet and byte counts.
type seriesStore interface {
	Series(fn func(sec, pkts, bytes int64) error) (bool, error)
}

// Timeline counts packets and bytes (frame lengths, as tshark's io,stat BYTES) per bucket,
// from the bucket holding the capture's first packet to the one holding its last (clipped
// to the selection's window), empty buckets as zero. With a filter, only the matching
// flows' packets count. An empty capture or window gives no buckets.
func Timeline(st Store, sel Selection, o TimelineOptions) (Buckets, error) {
	width := int64(o.Bucket)
	tl := Buckets{Width: o.Bucket}
	if width <= 0 {
		return tl, fmt.Errorf("bucket width must be positive")
	}
	first, last := st.Span()
	lo, hi := max(first, sel.Since), min(last, sel.Until)
	base := int64(0)
	if o.Align == AlignStart {
		base = first
	}
	bucketOf := func(ts int64) int64 { return intmath.FloorDiv(ts-base, width) }
	if st.NumPackets() == 0 || lo > hi {
		return tl, nil
	}
	b0, b1 := bucketOf(lo), bucketOf(hi)
	if b1-b0+1 > MaxBuckets {
		return tl, fmt.Errorf("%d buckets exceed the limit of %d: use wider buckets", b1-b0+1, MaxBuckets)
	}
	pk := make([]uint64, b1-b0+1)
	by := make([]uint64, b1-b0+1)
	done := false
	if ss, ok := st.(seriesStore); ok && sel.Rows == nil && !sel.Windowed() && base%1e9 == 0 && width%1e9 == 0 {
		var err error
		done, err = ss.Series(func(sec, pkts, bytes int64) error {
			if b := bucketOf(sec*1e9) - b0; b >= 0 && b < int64(len(pk)) {
				pk[b] += uint64(pkts)
				by[b] += uint64(bytes)
			}
			return nil
		})
		if err != nil {
			return tl, err
		}
	}
	if !done {
		err := st.Packets(sel.packetRows(), sel.Since, sel.Until, NeedBasic, func(p *PacketRow) error {
			if !sel.keep(p) {
				return nil
			}
			if b := bucketOf(p.TS) - b0; b >= 0 && b < int64(len(pk)) {
				pk[b]++
				by[b] += uint64(p.OrigLen)
			}
			return nil
		})
		if err != nil {
			return tl, err
		}
	}
	tl.First, tl.Packets, tl.Bytes = base+b0*width, pk, by
	return tl, nil
}
