package flowhash

import (
	"strconv"
	"time"

	"github.com/pcapdex/pcapdex/fastparse"
)

// Tracker is the single-goroutine form of Process for callers that already run their own
// packet loop (pcapdex info): feed it decoded packets in capture order, then call Result.
type Tracker struct {
	t   *Table
	res Result
}

// NewTracker returns a Tracker with options opt (Workers is ignored).
func NewTracker(opt Options) *Tracker {
	opt.defaults()
	return &Tracker{t: NewTable(opt)}
}

// Add accounts one decoded packet (any status; packets without IP are only counted) and
// returns what flow tracking found about it (zero for packets without IP). Frames must be
// given in increasing order; then PacketResult.Serial+1 is the packet's flow id (Flow.ID)
// and KeySerial+1 its key id, as PacketInfo numbers them.
func (tr *Tracker) Add(d *fastparse.Packet, frame uint64, ts int64) PacketResult {
	tr.res.Packets++
	tr.res.DecodeStatus[d.Status]++
	tr.res.Decode.Add(d)
	k, dir, ok := KeyOf(d)
	if !ok {
		return PacketResult{}
	}
	tr.res.IPPackets++
	return tr.t.Add(&k, dir, d, frame, ts)
}

// AddInfo is Add for consumers of PacketInfo: it fills in as a Pipeline would for the same
// packet at the same frame (flow and key ids included).
func (tr *Tracker) AddInfo(d *fastparse.Packet, frame uint64, ts int64, in *PacketInfo) {
	vlan := uint16(0xffff)
	if d.VLANCount > 0 {
		vlan = d.VLANs[0]
	}
	tr.res.Packets++
	tr.res.DecodeStatus[d.Status]++
	tr.res.Decode.Add(d)
	k, dir, ok := KeyOf(d)
	if !ok {
		*in = PacketInfo{Status: d.Status, VLAN: vlan}
		return
	}
	tr.res.IPPackets++
	*in = PacketInfo{Status: d.Status, Proto: d.Proto, VLAN: vlan, IP: true, Dir: dir}
	in.Segment.set(d)
	r := tr.t.add(&k, k.Hash(), dir, &in.Segment, frame, ts)
	in.FromOrig, in.Flow, in.Key = r.FromOrig, r.Serial+1, r.KeySerial+1
	in.Events, in.Analysis, in.ScaledWindow = r.Events, r.Analysis, r.ScaledWindow
}

// AddKeyed accounts a packet a Pipeline has already decoded (k and in from a Batch: Key(i),
// Info[i]), for facts kept beside the pipeline's own, such as per-file flows of a capture
// set. Result.Decode stays empty (the pipeline has it: Options.DecodeStats, RunStats).
func (tr *Tracker) AddKeyed(k *Key, in *PacketInfo, frame uint64, ts int64) {
	tr.res.Packets++
	tr.res.DecodeStatus[in.Status]++
	if !in.IP {
		return
	}
	tr.res.IPPackets++
	seg := in.Segment
	tr.t.add(k, k.Hash(), in.Dir, &seg, frame, ts)
}

// Result finishes tracking and returns the result; the Tracker must not be used afterwards.
func (tr *Tracker) Result() *Result {
	tr.res.merge([]*Table{tr.t}, nil)
	return &tr.res
}

// AppendInfoJSONFields appends the file-level flow facts `pcapdex info` reports, named and
// counted as the corpus manifest does, as JSON members without surrounding braces or commas:
//
//	"tcp_conversations":N,"udp_conversations":N,"retransmissions":N,"out_of_order":N,"dup_acks":N,"zero_windows":N
//
// Conversations are tshark's -z conv rows (address+port pairs, not tcp.stream);
// retransmissions include fast and spurious ones, as tshark flags them.
func (r *Result) AppendInfoJSONFields(dst []byte) []byte {
	dst = append(dst, `"tcp_conversations":`...)
	dst = strconv.AppendInt(dst, int64(r.TCPConversations), 10)
	dst = append(dst, `,"udp_conversations":`...)
	dst = strconv.AppendInt(dst, int64(r.UDPConversations), 10)
	dst = append(dst, `,"retransmissions":`...)
	dst = strconv.AppendUint(dst, r.Totals.Retransmissions, 10)
	dst = append(dst, `,"out_of_order":`...)
	dst = strconv.AppendUint(dst, r.Totals.OutOfOrder, 10)
	dst = append(dst, `,"dup_acks":`...)
	dst = strconv.AppendUint(dst, r.Totals.DupAcks, 10)
	dst = append(dst, `,"zero_windows":`...)
	dst = strconv.AppendUint(dst, r.Totals.ZeroWindows, 10)
	return dst
}

// ProtoName returns the lower-case name of an IP protocol (tcp, udp, icmp, icmp6, sctp) or
// its number.
func AppendProtoName(dst []byte, proto uint8) []byte {
	switch proto {
	case fastparse.ProtoTCP:
		return append(dst, "tcp"...)
	case fastparse.ProtoUDP:
		return append(dst, "udp"...)
	case fastparse.ProtoICMP:
		return append(dst, "icmp"...)
	case fastparse.ProtoICMPv6:
		return append(dst, "icmp6"...)
	case fastparse.ProtoSCTP:
		return append(dst, "sctp"...)
	}
	return strconv.AppendUint(dst, uint64(proto), 10)
}

// AppendTime appends ns since the epoch as RFC 3339 in UTC with nanoseconds.
func AppendTime(dst []byte, ns int64) []byte {
	return time.Unix(0, ns).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z07:00")
}

// AppendSeconds appends a duration in ns as seconds with 9 decimals ("0.012500000").
func AppendSeconds(dst []byte, ns int64) []byte {
	if ns < 0 {
		dst = append(dst, '-')
		ns = -ns
	}
	dst = strconv.AppendInt(dst, ns/1e9, 10)
	frac := ns % 1e9
	dst = append(dst, '.')
	for div := int64(1e8); div > 0; div /= 10 {
		dst = append(dst, byte('0'+frac/div%10))
	}
	return dst
}

func appendAddr(dst []byte, k *Key, a *[16]byte) []byte {
	var kk Key
	kk.A, kk.IPVersion = *a, k.IPVersion
	return kk.Addr(DirAB).AppendTo(dst)
}

// FlowFields are the column names of AppendFlowJSON and AppendFlowCSV, in order.
var FlowFields = []string{
	"flow_id", "community_id", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "ts", "ts_end",
	"duration", "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_ip_bytes",
	"resp_ip_bytes", "conn_state", "history", "syn_rtt", "ack_rtt", "rtt_min", "rtt_avg", "rtt_max",
	"retransmissions", "fast_retransmissions", "spurious_retransmissions", "out_of_order",
	"dup_acks", "zero_windows", "lost_segments", "acked_unseen", "orig_mss", "resp_mss",
	"orig_wscale", "resp_wscale", "first_frame",
}

// AppendFlowJSON appends f as one JSON object (no newline) with the FlowFields keys. For
// ICMP, orig_p/resp_p are the originator's first message type and code. RTTs are seconds, or
// null when not measured; TCP-only fields are omitted for other protocols.
func AppendFlowJSON(dst []byte, f *Flow) []byte {
	return appendFlow(dst, f, true)
}

// AppendFlowCSV appends f as one CSV record (no newline) in FlowFields order; unmeasured
// values are empty.
func AppendFlowCSV(dst []byte, f *Flow) []byte {
	return appendFlow(dst, f, false)
}

func appendFlow(dst []byte, f *Flow, js bool) []byte {
	i := 0
	key := func(quoted bool) {
		if js {
			if i == 0 {
				dst = append(dst, '{')
			} else {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = append(dst, FlowFields[i]...)
			dst = append(dst, '"', ':')
			if quoted {
				dst = append(dst, '"')
			}
		} else if i > 0 {
			dst = append(dst, ',')
		}
		i++
	}
	end := func(quoted bool) {
		if js && quoted {
			dst = append(dst, '"')
		}
	}
	u := func(v uint64) { key(false); dst = strconv.AppendUint(dst, v, 10) }
	sec := func(ns int64, ok bool) {
		key(false)
		if ok {
			dst = AppendSeconds(dst, ns)
		} else if js {
			dst = append(dst, "null"...)
		}
	}
	oa, op := f.OrigEndpoint()
	ra, rp := f.RespEndpoint()
	if f.Key.Proto == fastparse.ProtoICMP || f.Key.Proto == fastparse.ProtoICMPv6 {
		op, rp = uint16(f.ICMPType), uint16(f.ICMPCode)
	}
	u(f.ID)
	key(true)
	dst = f.AppendCommunityID(dst)
	end(true)
	key(true)
	dst = AppendProtoName(dst, f.Key.Proto)
	end(true)
	key(true)
	dst = appendAddr(dst, &f.Key, oa)
	end(true)
	u(uint64(op))
	key(true)
	dst = appendAddr(dst, &f.Key, ra)
	end(true)
	u(uint64(rp))
	key(true)
	dst = AppendTime(dst, f.FirstTS)
	end(true)
	key(true)
	dst = AppendTime(dst, f.LastTS)
	end(true)
	sec(f.LastTS-f.FirstTS, true)
	u(f.OrigPkts)
	u(f.RespPkts)
	u(f.OrigBytes)
	u(f.RespBytes)
	u(f.OrigIPBytes)
	u(f.RespIPBytes)
	key(true)
	dst = append(dst, f.ConnState.String()...)
	end(true)
	key(true)
	dst = append(dst, f.Hist[:f.HistLen]...)
	end(true)
	st := &f.TCP
	isTCP := f.Key.Proto == fastparse.ProtoTCP
	sec(st.SynRTT, isTCP && st.SynRTT != 0)
	sec(st.AckRTT, isTCP && st.AckRTT != 0)
	sec(st.RTTMin, st.RTTSamples > 0)
	sec(st.RTTAvg, st.RTTSamples > 0)
	sec(st.RTTMax, st.RTTSamples > 0)
	for _, v := range []uint32{st.Retransmissions, st.FastRetransmissions, st.SpuriousRetransmissions,
		st.OutOfOrder, st.DupAcks, st.ZeroWindows, st.LostSegments, st.AckedUnseen} {
		u(uint64(v))
	}
	u(uint64(st.MSS[0]))
	u(uint64(st.MSS[1]))
	key(false)
	dst = strconv.AppendInt(dst, int64(st.WScale[0]), 10)
	key(false)
	dst = strconv.AppendInt(dst, int64(st.WScale[1]), 10)
	u(f.FirstFrame)
	if js {
		dst = append(dst, '}')
	}
	return dst
}

// AppendEventJSON appends e as one JSON object (no newline):
// {"frame":N,"ts":"...","flow_id":N,"type":"...","from":"orig"|"resp","detail":N}.
func AppendEventJSON(dst []byte, e *Event) []byte {
	dst = append(dst, `{"frame":`...)
	dst = strconv.AppendUint(dst, e.Frame, 10)
	dst = append(dst, `,"ts":"`...)
	dst = AppendTime(dst, e.TS)
	dst = append(dst, `","flow_id":`...)
	dst = strconv.AppendUint(dst, e.FlowID, 10)
	dst = append(dst, `,"type":"`...)
	dst = append(dst, e.Type.String()...)
	dst = append(dst, `","from":"`...)
	if e.FromOrig {
		dst = append(dst, "orig"...)
	} else {
		dst = append(dst, "resp"...)
	}
	dst = append(dst, `","detail":`...)
	dst = strconv.AppendInt(dst, e.Detail, 10)
	return append(dst, '}')
}
