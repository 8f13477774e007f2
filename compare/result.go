package compare

// Result is the answer of Compare. JSON names are stable; numbers are raw (ns, counts).
type Result struct {
	A         PointInfo   `json:"a"`
	B         PointInfo   `json:"b"`
	Clock     Clock       `json:"clock"`
	Flows     []Flow      `json:"flows"`
	Ambiguous []Ambiguous `json:"ambiguous_pairings"`
	// UnpairedA/B are flows seen at one point only (ids at that point).
	UnpairedA []uint32 `json:"unpaired_flows_a"`
	UnpairedB []uint32 `json:"unpaired_flows_b"`
	Totals    Totals   `json:"totals"`
	// Missing lists every packet seen at one point only (coalesced data excepted), in time
	// order on A's clock: of paired flows, and of flows seen at one point only within the
	// other capture's time span.
	Missing         []Missing `json:"missing"`
	Retransmissions []Retrans `json:"retransmissions"`
	Verdict         string    `json:"verdict"`
}

// PointInfo describes one capture point.
type PointInfo struct {
	Files   []string `json:"files"`
	Packets int64    `json:"packets"`
	NonIP   int64    `json:"non_ip_packets"`
	// InterfaceDrops is what the captures' interface statistics report (-1: nothing).
	InterfaceDrops int64 `json:"interface_drops"`
}

// Clock is the fitted relation of B's clock to A's.
type Clock struct {
	Matched  int            `json:"matched_packets"`
	Segments []ClockSegment `json:"segments"`
	Steps    []ClockStep    `json:"steps"`
	// MinDelaySumNs is the sum of the two paths' minimum one-way delays: exact, whatever
	// the clocks. The split below assumes a symmetric path ("split_assumption").
	MinDelaySumNs   int64  `json:"min_delay_sum_ns"`
	MinDelayABNs    int64  `json:"min_delay_a_to_b_ns"`
	MinDelayBANs    int64  `json:"min_delay_b_to_a_ns"`
	SplitAssumption string `json:"split_assumption"`
}

// ClockSegment is the clock between two steps: B's clock minus A's is OffsetNs at StartNs
// (A's clock), drifting by SkewPPM.
type ClockSegment struct {
	StartNs  int64   `json:"start_ns"`
	OffsetNs int64   `json:"offset_ns"`
	SkewPPM  float64 `json:"skew_ppm"`
	// Per path: the lower envelope of the raw differences, at StartNs, and its slope.
	AToB PathFit `json:"a_to_b"`
	BToA PathFit `json:"b_to_a"`
}

// PathFit is one path's lower-envelope line.
type PathFit struct {
	Points      int     `json:"points"`
	InterceptNs int64   `json:"intercept_ns"`
	SlopePPM    float64 `json:"slope_ppm"`
}

// Flow is one paired flow.
type Flow struct {
	FlowA   uint32 `json:"flow_a"`
	FlowB   uint32 `json:"flow_b"`
	Proto   string `json:"proto"`
	ClientA string `json:"client_a"` // as A saw it
	ServerA string `json:"server_a"`
	ClientB string `json:"client_b"` // as B saw it (NAT)
	ServerB string `json:"server_b"`
	Pairing string `json:"pairing"` // "5-tuple" ("5-tuple, merged"), or the evidence that matched
	// PiecesA/B: the flows one point's tracking split this connection into (merged here).
	PiecesA []uint32 `json:"pieces_a,omitempty"`
	PiecesB []uint32 `json:"pieces_b,omitempty"`
	Score   int      `json:"score"`
	// Directions: [0] client to server (A's originator to responder), [1] back.
	Directions [2]Direction `json:"directions"`
	Verdict    string       `json:"verdict"`
}

// Direction is what happened to one direction of a flow between the points.
type Direction struct {
	Direction string `json:"direction"` // client_to_server or server_to_client
	Path      string `json:"path"`      // a_to_b or b_to_a: which point it passes first
	// ISNShift: B's TCP sequence numbers minus A's, when a box between the points rewrote
	// the ISN (0: none); B's are taken back by it before matching.
	ISNShift uint32 `json:"isn_shift"`
	AtA      int64  `json:"packets_a"`
	AtB      int64  `json:"packets_b"`
	Both     int64  `json:"both"`
	AOnly    int64  `json:"a_only"`
	BOnly    int64  `json:"b_only"`
	// Coalesced data: segments at each point matched as byte ranges, not one to one.
	CoalescedA int64 `json:"coalesced_a"`
	CoalescedB int64 `json:"coalesced_b"`
	// Of the packets seen at one point only:
	LostBetween  int64 `json:"lost_between"`   // upstream only, the receiver never got it
	LossBursts   int64 `json:"loss_bursts"`    // runs of consecutive losses between
	CaptureDropA int64 `json:"capture_drop_a"` // A's capture missed it
	CaptureDropB int64 `json:"capture_drop_b"`
	// Unsure: upstream only with nothing to tell (no ACK covers it) while the downstream
	// capture's interface statistics report drops.
	Unsure     int64 `json:"lost_or_capture_drop"`
	SpanDupA   int64 `json:"span_duplicates_a"` // the same packet twice within 1 ms
	SpanDupB   int64 `json:"span_duplicates_b"`
	DupBetween int64 `json:"duplicated_between"` // extra copies downstream
	Reordered  int64 `json:"reordered"`          // RFC 4737: arrived downstream after a later packet
	// Retransmissions (seen at either point) and where their original was lost.
	Retransmissions int64 `json:"retransmissions"`
	LostBeforeA     int64 `json:"retrans_lost_before_a"`
	LostBeforeB     int64 `json:"retrans_lost_before_b"`
	RetransBetween  int64 `json:"retrans_lost_between"`
	LostAfterA      int64 `json:"retrans_lost_after_a"`
	LostAfterB      int64 `json:"retrans_lost_after_b"`
	Spurious        int64 `json:"retrans_spurious"`
	Delay           Delay `json:"delay"`
	// Rewrites between the points, upstream value to downstream value, with counts.
	TTL  []Change `json:"ttl_changes"`
	DSCP []Change `json:"dscp_changes"`
	ECN  []Change `json:"ecn_changes"`
	MSS  []Change `json:"mss_changes"`
}

// Delay is the one-way delay between the points of the matched packets, on the fitted
// clocks (the symmetric-path split).
type Delay struct {
	Count    int64 `json:"count"`
	MinNs    int64 `json:"min_ns"`
	P50Ns    int64 `json:"p50_ns"`
	P90Ns    int64 `json:"p90_ns"`
	P99Ns    int64 `json:"p99_ns"`
	MaxNs    int64 `json:"max_ns"`
	PDVP99Ns int64 `json:"pdv_p99_ns"` // p99 minus min (RFC 5481 packet delay variation)
}

// Change is one rewrite: From upstream became To downstream on Count packets.
type Change struct {
	From  int   `json:"from"`
	To    int   `json:"to"`
	Count int64 `json:"count"`
}

// Missing is one packet seen at one point only.
type Missing struct {
	Point     string `json:"point"` // a or b: where it was seen
	Frame     int64  `json:"frame"`
	TS        int64  `json:"ts"` // its capture time (that point's clock)
	FlowA     uint32 `json:"flow_a"`
	FlowB     uint32 `json:"flow_b"`
	Direction string `json:"direction"`
	// Verdict: lost_between, capture_drop_a, capture_drop_b, duplicated_between,
	// lost_between_or_capture_drop (no ACK to tell, and the downstream capture reports drops).
	Verdict string `json:"verdict"`

	file uint16
	off  int64
	at   int64
}

// Retrans is one retransmission and where its original was lost.
type Retrans struct {
	Point     string `json:"point"` // the upstream point, where it was seen first
	Frame     int64  `json:"frame"`
	FlowA     uint32 `json:"flow_a"`
	Direction string `json:"direction"`
	// Origin: lost_before_a, lost_before_b, lost_between, lost_after_a, lost_after_b,
	// spurious.
	Origin string `json:"origin"`
	// OriginalFrame is the previous transmission's frame at Point (0: not seen there).
	OriginalFrame int64 `json:"original_frame"`
}

// Totals sum the directions over all paired flows, per path.
type Totals struct {
	Flows     int      `json:"paired_flows"`
	AToB      PathSums `json:"a_to_b"`
	BToA      PathSums `json:"b_to_a"`
	DelayAToB Delay    `json:"delay_a_to_b"`
	DelayBToA Delay    `json:"delay_b_to_a"`
	Unpaired  int      `json:"unpaired_flows"`
	// UnpairedPackets: packets of flows seen at one point only, within the other capture's
	// time span (listed in Missing too).
	UnpairedPackets int64 `json:"unpaired_flow_packets"`
	Ambiguous       int   `json:"ambiguous_flows"`
	Lost            int64 `json:"lost_between"`
	CaptureA        int64 `json:"capture_drop_a"`
	CaptureB        int64 `json:"capture_drop_b"`
	Retrans         int64 `json:"retransmissions"`
	RetransNet      int64 `json:"retrans_lost_between"`
}

// PathSums sums one path's directions.
type PathSums struct {
	Packets      int64 `json:"packets"` // seen at the upstream point
	LostBetween  int64 `json:"lost_between"`
	LossBursts   int64 `json:"loss_bursts"`
	CaptureDropA int64 `json:"capture_drop_a"`
	CaptureDropB int64 `json:"capture_drop_b"`
	Unsure       int64 `json:"lost_or_capture_drop"`
	Coalesced    int64 `json:"coalesced"`
	DupBetween   int64 `json:"duplicated_between"`
	Reordered    int64 `json:"reordered"`
	Retrans      int64 `json:"retransmissions"`
	LostBefore   int64 `json:"retrans_lost_before"`
	Between      int64 `json:"retrans_lost_between"`
	LostAfter    int64 `json:"retrans_lost_after"`
	Spurious     int64 `json:"retrans_spurious"`
}
