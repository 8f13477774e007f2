package query

import (
	"slices"
	"time"
)

// Gap is a silent interval: no selected packet strictly between Start and End (Unix ns).
type Gap struct{ Start, End int64 }

// Duration returns End - Start.
func (g Gap) Duration() time.Duration { return time.Duration(g.End - g.Start) }

// Gaps returns the silent intervals of at least minGap (and longer than zero), in time
// order: stretches with no selected packet between consecutive packets (in time order),
// from the capture's first packet (or the window's start) to the first selected one, and
// from the last selected one to the capture's end (or the window's end).
func Gaps(st Store, sel Selection, minGap time.Duration) ([]Gap, error) {
	var ts []int64
	err := st.Packets(sel.packetRows(), sel.Since, sel.Until, NeedBasic, func(p *PacketRow) error {
		if sel.keep(p) {
			ts = append(ts, p.TS)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !slices.IsSorted(ts) {
		slices.Sort(ts)
	}
	first, last := st.Span()
	lo, hi := max(first, sel.Since), min(last, sel.Until)
	var gaps []Gap
	emit := func(a, b int64) {
		if b-a >= int64(minGap) && b > a {
			gaps = append(gaps, Gap{a, b})
		}
	}
	if st.NumPackets() == 0 || lo > hi {
		return gaps, nil
	}
	if len(ts) == 0 {
		emit(lo, hi)
		return gaps, nil
	}
	emit(lo, ts[0])
	for i := 1; i < len(ts); i++ {
		emit(ts[i-1], ts[i])
	}
	emit(ts[len(ts)-1], hi)
	return gaps, nil
}
