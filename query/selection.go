package query

import (
	"errors"
	"math"

	"github.com/RoaringBitmap/roaring/v2"
)

// Selection is what a command's filter and time window chose.
type Selection struct {
	// Rows are the matching flow rows; nil when there is no filter, in which case packet
	// commands see every packet, with or without IP.
	Rows *roaring.Bitmap
	// Since and Until bound packet times (inclusive, Unix ns); flows must be active in
	// [Since, Until] to match. math.MinInt64 / math.MaxInt64 when not given.
	Since, Until int64
	// Frames, for a filter that looks at packets (Plan.PacketLevel), are the matching
	// packets (frame number - 1); Rows are then the flows holding at least one of them, and
	// Orphans says some matching packets belong to no flow (ARP, other non-IP frames).
	Frames  *roaring.Bitmap
	Orphans bool
}

// packetRows are the flows whose packets a packet command reads: nil (every packet) when
// matching packets without a flow are to be listed too.
func (s *Selection) packetRows() *roaring.Bitmap {
	if s.Orphans {
		return nil
	}
	return s.Rows
}

// keep reports whether a packet read for the selection is one of its packets.
func (s *Selection) keep(p *PacketRow) bool {
	return s.inTime(p.TS) && (s.Frames == nil || p.Frame > 0 && p.Frame <= 1<<32 && s.Frames.Contains(uint32(p.Frame-1)))
}

// Windowed reports whether --since or --until narrowed the selection.
func (s *Selection) Windowed() bool { return s.Since != math.MinInt64 || s.Until != math.MaxInt64 }

func (s *Selection) inTime(ts int64) bool { return ts >= s.Since && ts <= s.Until }

// Select evaluates plan (nil: no filter) over st and applies the time window.
func Select(st Store, plan *Plan, since, until int64) (Selection, error) {
	sel := Selection{Since: since, Until: until}
	if plan.PacketLevel() {
		return selectPackets(st, plan, since, until, false)
	}
	if plan != nil && plan.root.kind != pAll {
		rows, err := plan.Eval(st)
		if err != nil {
			return sel, err
		}
		sel.Rows = rows
	}
	if sel.Windowed() && sel.Rows != nil {
		w, err := st.Window(since, until)
		if err != nil {
			return sel, err
		}
		sel.Rows = roaring.And(sel.Rows, w)
	}
	return sel, nil
}

// SelectFlows is Select for a caller that reads only the selected flows (Selection.Rows),
// not the packets: a packet-level filter then stops reading a flow's packets at its first
// match, and the Selection has no Frames.
func SelectFlows(st Store, plan *Plan, since, until int64) (Selection, error) {
	if plan.PacketLevel() {
		return selectPackets(st, plan, since, until, true)
	}
	return Select(st, plan, since, until)
}

// FlowRows returns the flows the selection names: its Rows, or with no filter the flows
// active in the window (nil: all).
func (s *Selection) FlowRows(st Store) (*roaring.Bitmap, error) {
	if s.Rows != nil || !s.Windowed() {
		return s.Rows, nil
	}
	return st.Window(s.Since, s.Until)
}

// errStop ends a store's iteration early: a limit was reached or the consumer of an
// iterator stopped.
var errStop = errors.New("query: stop")
