package compare

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

func protoName(p uint8) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	case 58:
		return "icmp6"
	}
	return strconv.Itoa(int(p))
}

func epString(ipver uint8, e endpoint) string {
	var a netip.Addr
	if ipver == 4 {
		a = netip.AddrFrom4([4]byte(e.addr[:4]))
	} else {
		a = netip.AddrFrom16(e.addr)
	}
	return netip.AddrPortFrom(a, e.port).String()
}

// pathWords names a path's points: first, second, and the arrow.
func pathWords(path string) (first, second string) {
	if path == "b_to_a" {
		return "B", "A"
	}
	return "A", "B"
}

// count formats n with thousands separators: 5,012.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// dur formats ns for people: 850 us, 1.20 ms, 2.50 s.
func dur(ns int64) string {
	a := ns
	if a < 0 {
		a = -a
	}
	switch {
	case a < 1_000:
		return fmt.Sprintf("%d ns", ns)
	case a < 1_000_000:
		return fmt.Sprintf("%.3g us", float64(ns)/1e3)
	case a < 1_000_000_000:
		return fmt.Sprintf("%.3g ms", float64(ns)/1e6)
	}
	return fmt.Sprintf("%.3g s", float64(ns)/1e9)
}

func bursts(n int64) string {
	if n == 1 {
		return "1 burst"
	}
	return count(n) + " bursts"
}

func pct(n, of int64) string {
	if of == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(of))
}

// dirVerdict says in one sentence what happened to one direction between the points.
func dirVerdict(d *Direction) string {
	first, second := pathWords(d.Path)
	who := strings.ReplaceAll(d.Direction, "_", "-")
	up := d.AtA
	if first == "B" {
		up = d.AtB
	}
	var parts []string
	if d.LostBetween == 0 {
		parts = append(parts, fmt.Sprintf("between %s and %s the network lost none of %s %s packets", first, second, count(up), who))
	} else {
		parts = append(parts, fmt.Sprintf("between %s and %s the network lost %s of %s %s packets (%s) in %s",
			first, second, count(d.LostBetween), count(up), who, pct(d.LostBetween, up), bursts(d.LossBursts)))
	}
	if d.CaptureDropA+d.CaptureDropB > 0 {
		parts = append(parts, fmt.Sprintf("capture drops A %s, B %s", count(d.CaptureDropA), count(d.CaptureDropB)))
	}
	if d.Unsure > 0 {
		parts = append(parts, fmt.Sprintf("%s more seen at %s only: lost, or dropped by %s's capture (it reports drops; no ACK tells)", count(d.Unsure), first, second))
	}
	if d.Retransmissions > 0 {
		before, after := d.LostBeforeA+d.LostBeforeB, d.LostAfterA+d.LostAfterB
		parts = append(parts, fmt.Sprintf("%s of %s retransmissions repair losses between the points (%s lost before %s, %s after %s, %s spurious)",
			count(d.RetransBetween), count(d.Retransmissions), count(before), first, count(after), second, count(d.Spurious)))
	}
	if d.Reordered > 0 || d.DupBetween > 0 {
		parts = append(parts, fmt.Sprintf("%s reordered, %s duplicated between the points", count(d.Reordered), count(d.DupBetween)))
	}
	if d.ISNShift != 0 {
		parts = append(parts, fmt.Sprintf("sequence numbers rewritten between the points (B = A + %d)", d.ISNShift))
	}
	if d.CoalescedA+d.CoalescedB > 0 {
		parts = append(parts, fmt.Sprintf("coalesced segments A %s, B %s (TSO/GRO, not loss)", count(d.CoalescedA), count(d.CoalescedB)))
	}
	if d.Delay.Count > 0 {
		parts = append(parts, fmt.Sprintf("delay %s to %s p50 %s, p99 %s", first, second, dur(d.Delay.P50Ns), dur(d.Delay.P99Ns)))
	}
	return strings.Join(parts, "; ")
}

func flowVerdict(f *Flow) string {
	return dirVerdict(&f.Directions[0]) + ". " + dirVerdict(&f.Directions[1]) + "."
}

// totals sums the flows; dAB and dBA are the sorted delays of each path.
func totals(res *Result, dAB, dBA []int64) Totals {
	t := Totals{Flows: len(res.Flows), Unpaired: len(res.UnpairedA) + len(res.UnpairedB), Ambiguous: len(res.Ambiguous)}
	for i := range res.Flows {
		for d := range 2 {
			x := &res.Flows[i].Directions[d]
			s, up := &t.AToB, x.AtA
			if x.Path == "b_to_a" {
				s, up = &t.BToA, x.AtB
			}
			s.Packets += up
			s.LostBetween += x.LostBetween
			s.LossBursts += x.LossBursts
			s.CaptureDropA += x.CaptureDropA
			s.CaptureDropB += x.CaptureDropB
			s.Unsure += x.Unsure
			s.Coalesced += x.CoalescedA + x.CoalescedB
			s.DupBetween += x.DupBetween
			s.Reordered += x.Reordered
			s.Retrans += x.Retransmissions
			s.LostBefore += x.LostBeforeA + x.LostBeforeB
			s.Between += x.RetransBetween
			s.LostAfter += x.LostAfterA + x.LostAfterB
			s.Spurious += x.Spurious
		}
	}
	t.DelayAToB, t.DelayBToA = delayStats(dAB), delayStats(dBA)
	t.Lost = t.AToB.LostBetween + t.BToA.LostBetween
	t.CaptureA = t.AToB.CaptureDropA + t.BToA.CaptureDropA
	t.CaptureB = t.AToB.CaptureDropB + t.BToA.CaptureDropB
	t.Retrans = t.AToB.Retrans + t.BToA.Retrans
	t.RetransNet = t.AToB.Between + t.BToA.Between
	return t
}

func overallVerdict(res *Result) string {
	t := &res.Totals
	if t.Flows == 0 {
		return "no flow was seen at both points: nothing to compare"
	}
	var b strings.Builder
	all := t.AToB.Packets + t.BToA.Packets
	if t.Lost == 0 {
		fmt.Fprintf(&b, "The network between A and B lost nothing: every one of %s packets of %s flows seen upstream reached the other point",
			count(all), count(int64(t.Flows)))
		if t.CaptureA+t.CaptureB > 0 {
			fmt.Fprintf(&b, " (or was missed by a capture: A %s, B %s)", count(t.CaptureA), count(t.CaptureB))
		}
		b.WriteString(".")
	} else {
		fmt.Fprintf(&b, "The network between A and B lost %s of %s packets (%s): A to B %s of %s in %s, B to A %s of %s in %s.",
			count(t.Lost), count(all), pct(t.Lost, all), count(t.AToB.LostBetween), count(t.AToB.Packets), bursts(t.AToB.LossBursts),
			count(t.BToA.LostBetween), count(t.BToA.Packets), bursts(t.BToA.LossBursts))
		if t.CaptureA+t.CaptureB > 0 {
			fmt.Fprintf(&b, " Capture drops (not the network): A %s, B %s.", count(t.CaptureA), count(t.CaptureB))
		}
	}
	if n := t.AToB.Unsure + t.BToA.Unsure; n > 0 {
		fmt.Fprintf(&b, " %s packets seen upstream only carry no ACK evidence while the downstream capture reports drops (A %s, B %s): lost or dropped, not told apart.",
			count(n), count(res.A.InterfaceDrops), count(res.B.InterfaceDrops))
	}
	if t.Retrans > 0 {
		fmt.Fprintf(&b, " Of %s retransmissions, %s repair losses between A and B, %s losses before the first point, %s after the second, %s are spurious.",
			count(t.Retrans), count(t.RetransNet), count(t.AToB.LostBefore+t.BToA.LostBefore), count(t.AToB.LostAfter+t.BToA.LostAfter),
			count(t.AToB.Spurious+t.BToA.Spurious))
	}
	if t.DelayAToB.Count > 0 {
		fmt.Fprintf(&b, " Delay A to B p50 %s, p99 %s", dur(t.DelayAToB.P50Ns), dur(t.DelayAToB.P99Ns))
		if t.DelayBToA.Count > 0 {
			fmt.Fprintf(&b, "; B to A p50 %s, p99 %s", dur(t.DelayBToA.P50Ns), dur(t.DelayBToA.P99Ns))
		}
		b.WriteString(" (one-way split assumes a symmetric path).")
	}
	if t.UnpairedPackets > 0 {
		fmt.Fprintf(&b, " %s packets of flows seen at one point only, within the other capture's time span, are listed too.", count(t.UnpairedPackets))
	}
	if n := len(res.Ambiguous); n == 1 {
		b.WriteString(" 1 flow could not be paired unambiguously (listed, not guessed).")
	} else if n > 1 {
		fmt.Fprintf(&b, " %d flows could not be paired unambiguously (listed, not guessed).", n)
	}
	return b.String()
}
