package compare

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestJSONNames pins the JSON names (a contract with scripts) and checks the table has one
// row per flow direction and the verdict.
func TestJSONNames(t *testing.T) {
	g := generate()
	pa, pb := g.write(t, t.TempDir())
	res, err := Compare(openSide(t, pa), openSide(t, pb), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) string { return strings.Join(slices.Sorted(maps.Keys(m)), ",") }
	if got, want := keys(top), "a,ambiguous_pairings,b,clock,flows,missing,retransmissions,totals,unpaired_flows_a,unpaired_flows_b,verdict"; got != want {
		t.Errorf("top-level keys %s\nwant %s", got, want)
	}
	var flows []struct {
		Directions []map[string]json.RawMessage `json:"directions"`
	}
	if err := json.Unmarshal(top["flows"], &flows); err != nil {
		t.Fatal(err)
	}
	want := "a_only,b_only,both,capture_drop_a,capture_drop_b,coalesced_a,coalesced_b,delay,direction,dscp_changes,duplicated_between,ecn_changes,isn_shift,loss_bursts,lost_between,lost_or_capture_drop,mss_changes,packets_a,packets_b,path,reordered,retrans_lost_after_a,retrans_lost_after_b,retrans_lost_before_a,retrans_lost_before_b,retrans_lost_between,retrans_spurious,retransmissions,span_duplicates_a,span_duplicates_b,ttl_changes"
	if got := keys(flows[0].Directions[0]); got != want {
		t.Errorf("direction keys %s\nwant %s", got, want)
	}
	var clock map[string]json.RawMessage
	json.Unmarshal(top["clock"], &clock)
	if got, want := keys(clock), "matched_packets,min_delay_a_to_b_ns,min_delay_b_to_a_ns,min_delay_sum_ns,segments,split_assumption,steps"; got != want {
		t.Errorf("clock keys %s\nwant %s", got, want)
	}
	buf.Reset()
	if err := WriteTable(&buf, res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, " c>s ") + strings.Count(out, " s>c "); n != 4 || !strings.Contains(out, res.Verdict) {
		t.Errorf("table: %d direction rows, verdict present %v:\n%s", n, strings.Contains(out, res.Verdict), out)
	}
}
