package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes res as one indented JSON object (stable snake_case names, raw numbers).
func WriteJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// WriteTable writes res for people: the clocks, one line per flow direction, the flows'
// verdicts and the overall verdict.
func WriteTable(w io.Writer, res *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "A: %s (%s packets)\nB: %s (%s packets)\n", strings.Join(res.A.Files, " "), count(res.A.Packets),
		strings.Join(res.B.Files, " "), count(res.B.Packets))
	c := &res.Clock
	for i, s := range c.Segments {
		fmt.Fprintf(&b, "clock: B - A = %+.6f ms at %s (A's clock), skew %+.3f ppm", float64(s.OffsetNs)/1e6, stamp(s.StartNs), s.SkewPPM)
		if i > 0 {
			st := c.Steps[i-1]
			fmt.Fprintf(&b, ", after a step of %+.3f ms at B frame %d", float64(st.SizeNs)/1e6, st.FrameB)
		}
		fmt.Fprintf(&b, " (fitted on %s A to B and %s B to A packets)\n", count(int64(s.AToB.Points)), count(int64(s.BToA.Points)))
	}
	if c.MinDelaySumNs != 0 {
		fmt.Fprintf(&b, "minimum one-way delay: A to B %s, B to A %s (the split assumes a symmetric path; their sum %s is exact)\n",
			dur(c.MinDelayABNs), dur(c.MinDelayBANs), dur(c.MinDelaySumNs))
	}
	if _, err := io.WriteString(w, b.String()+"\n"); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flow_a\tflow_b\tproto\tdirection\tpath\tat_a\tat_b\tboth\ta_only\tb_only\tlost_between\tbursts\tdrop_a\tdrop_b\tcoalesced\tdup\treordered\tretrans\tr_before\tr_between\tr_after\tr_spurious\tdelay_p50\tdelay_p99\tttl\t")
	for _, f := range res.Flows {
		for _, d := range f.Directions {
			ttl := "-"
			if len(d.TTL) > 0 {
				ttl = fmt.Sprintf("%d>%d", d.TTL[0].From, d.TTL[0].To)
			}
			p50, p99 := "-", "-"
			if d.Delay.Count > 0 {
				p50, p99 = dur(d.Delay.P50Ns), dur(d.Delay.P99Ns)
			}
			path := "A>B"
			if d.Path == "b_to_a" {
				path = "B>A"
			}
			dir := "c>s"
			if d.Direction == "server_to_client" {
				dir = "s>c"
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n",
				f.FlowA, f.FlowB, f.Proto, dir, path, d.AtA, d.AtB, d.Both, d.AOnly, d.BOnly, d.LostBetween, d.LossBursts,
				d.CaptureDropA, d.CaptureDropB, d.CoalescedA+d.CoalescedB, d.DupBetween, d.Reordered, d.Retransmissions,
				d.LostBeforeA+d.LostBeforeB, d.RetransBetween, d.LostAfterA+d.LostAfterB, d.Spurious, p50, p99, ttl)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("\n")
	for _, f := range res.Flows {
		fmt.Fprintf(&b, "flow %d (A) = flow %d (B), %s %s -> %s", f.FlowA, f.FlowB, f.Proto, f.ClientA, f.ServerA)
		if f.ClientB != f.ClientA || f.ServerB != f.ServerA {
			fmt.Fprintf(&b, ", at B %s -> %s", f.ClientB, f.ServerB)
		}
		fmt.Fprintf(&b, ", paired by %s: %s\n", f.Pairing, f.Verdict)
	}
	for _, a := range res.Ambiguous {
		fmt.Fprintf(&b, "ambiguous: flow %d at %s could be any of flows %v at the other point (score %d): not paired\n",
			a.Flow, strings.ToUpper(a.Point), a.Candidates, a.Score)
	}
	if n := len(res.UnpairedA) + len(res.UnpairedB); n > 0 {
		fmt.Fprintf(&b, "flows seen at one point only: A %d, B %d\n", len(res.UnpairedA), len(res.UnpairedB))
	}
	fmt.Fprintf(&b, "\n%s\n", res.Verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

func stamp(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000Z")
}
