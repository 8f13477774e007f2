package flowhash

import (
	"strconv"

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

// AppendProtoName appends the lower-case name of an IP protocol (tcp, udp, icmp, icmp6, sctp) or
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
