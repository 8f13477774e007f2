package flowhash

import "github.com/pcapdex/pcapdex/fastparse"

// RelSeq turns the raw sequence and acknowledgement numbers and window of one TCP
// connection's segments into what Wireshark shows (tcp.seq, tcp.ack, tcp.window_size), for
// the packet views of the index and of the streaming store. Keep one per flow key, starting
// from NewRelSeq, and feed it the key's segments in capture order.
//
// Rules, as Wireshark's defaults have them:
//   - a SYN's sequence number is relative 0; a direction first seen mid-stream starts at 1
//     (its base is the first sequence number minus one), and an ACK seen before the other
//     side's first segment fixes that side's base at ack-1;
//   - a SYN without ACK carrying a new initial sequence number on a key already seen is a new
//     connection (port reuse): every base starts again;
//   - the window is scaled by the sender's shift once both SYNs were seen and both carried
//     the window-scale option (shift capped at 14); SYNs themselves are never scaled.
type RelSeq struct {
	isn    [2]uint32
	hasISN [2]bool
	ws     [2]int8 // window scale from each side's SYN, -1 none
	sawSyn [2]bool
}

// NewRelSeq returns the state of a key before its first segment.
func NewRelSeq() RelSeq { return RelSeq{ws: [2]int8{-1, -1}} }

// Next returns the relative sequence and acknowledgement numbers and the scaled window of a
// segment travelling in direction di (0 or 1, fixed per endpoint), updating the state.
func (s *RelSeq) Next(d *Segment, di int) (seq, ack, win uint32) {
	oi := 1 - di
	syn := d.TCPFlags&fastparse.TCPSyn != 0
	hasAck := d.TCPFlags&fastparse.TCPAck != 0
	if syn {
		if !hasAck && s.hasISN[di] && s.isn[di] != d.Seq {
			*s = NewRelSeq() // a new connection on the same 5-tuple
		}
		s.sawSyn[di] = true
		s.ws[di] = -1
		if d.TCPOpts&fastparse.OptWScale != 0 {
			s.ws[di] = int8(min(d.WScale, 14))
		}
	}
	if !s.hasISN[di] {
		s.isn[di], s.hasISN[di] = d.Seq, true
		if !syn {
			s.isn[di]--
		}
	}
	seq = d.Seq - s.isn[di]
	if hasAck {
		if !s.hasISN[oi] {
			s.isn[oi], s.hasISN[oi] = d.Ack-1, true
		}
		ack = d.Ack - s.isn[oi]
	}
	win = uint32(d.Window)
	if !syn && s.sawSyn[0] && s.sawSyn[1] && s.ws[0] >= 0 && s.ws[1] >= 0 {
		win <<= uint(s.ws[di])
	}
	return seq, ack, win
}
