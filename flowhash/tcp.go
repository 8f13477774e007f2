package flowhash

import "github.com/pcapdex/pcapdex/fastparse"

// TCP sequence analysis, following Wireshark 4.0's tcp_analyze_sequence_number (packet-tcp.c)
// with its default preferences (analyze sequence numbers on, relative sequence numbers on,
// fast retransmission takes precedence over out-of-order, window scaling taken from the
// handshake and unknown otherwise). Each rule is written as a comment where it is
// implemented. Sequence numbers are compared with serial-number arithmetic as Wireshark's
// GT_SEQ/LT_SEQ do; "not set" tests on nextseq/lastack/maxseqtobeacked use zero as Wireshark
// does (with absolute numbers, as Wireshark passes them to the analysis).
//
// Differences from Wireshark, on purpose:
//   - Wireshark keeps a list of every unacknowledged segment per direction (up to 10000) to
//     compute per-ACK RTTs. Here a sample is taken only when an ACK covers exactly the most
//     recent data segment of the other direction (the one that set its nextseq), from that
//     segment's time, and not after a retransmission or out-of-order segment that way
//     (Karn's rule): no state beyond nextseq and its time, so per-flow state stays bounded.
//     The retransmission/out-of-order/dup-ACK/zero-window flags do not depend on that list.
//   - Bytes in flight and push bytes are not tracked.

// Per-packet analysis flags (Wireshark's TCP_A_* bits).
const (
	aRetrans uint32 = 1 << iota
	aFastRetrans
	aSpurious
	aOutOfOrder
	aDupAck
	aZeroWindow
	aZeroWindowProbe
	aZeroWindowProbeAck
	aWindowFull
	aWindowUpdate
	aLost
	aAckLost
	aKeepAlive
	aKeepAliveAck
	aReusedPorts
)

// half flags
const (
	hBaseSeqSet uint8 = 1 << iota // Wireshark TCP_S_BASE_SEQ_SET
	hSawAck                       // sent a segment with ACK after the handshake (ends is_first_ack)
	hRTTPending                   // the segment that set nextseq carried data and waits for its ACK (an RTT sample)
	hSawFIN
	hSawRST
)

// Zeek-like endpoint states, used for conn_state.
const (
	epInactive uint8 = iota
	epSynSent
	epSynAckSent
	epPartial
	epEstablished
	epClosed
	epReset
)

// tcpHalf is one direction's sequence-analysis state (Wireshark's tcp_flow_t and
// tcp_analyze_seq_info for that direction); its times are in tcpState, its rarely used
// fields in tcpCold.
type tcpHalf struct {
	baseSeq         uint32
	nextseq         uint32 // highest seq+len(+SYN/FIN) seen so far; 0 = none yet
	maxSeqToBeAcked uint32 // highest contiguous nextseq, for ACKed-unseen detection
	lastack         uint32 // ACK field of the last segment in this direction
	window          uint16 // raw (unscaled) window of the last segment
	mss             uint16 // MSS option from the SYN, 0 if none
	winScale        int8   // -1 unknown, -2 known not to be used, else the shift
	flags           uint8  // h* bits
	state           uint8  // ep* Zeek endpoint state
	lastSeg         uint8  // ls* flags of the last segment in this direction
}

// tcpHalf.lastSeg bits: the analysis flags of the previous segment that later rules read.
const (
	lsKeepAlive uint8 = 1 << iota
	lsZeroWindowProbe
)

// tcpState is the per-flow TCP state every TCP flow needs: both halves, handshake timing,
// RTT samples, history: 152 bytes. What most flows never need (analysis counters, duplicate
// ACK runs, RSTs) is in a tcpCold record allocated on first use.
type tcpState struct {
	h           [2]tcpHalf // indexed by Dir (key order, not originator)
	nextseqTime [2]int64   // time of the segment that set h[d].nextseq
	// Handshake times, each turning into a duration once its end is seen (hs* bits say
	// which): rtt1 is the most recent SYN (Wireshark's ts_mru_syn), then the first RTT
	// (ts_first_rtt); syn is the first SYN, then SYN -> SYN-ACK; synAck is the first
	// SYN-ACK, then SYN-ACK -> ACK.
	rtt1, syn, synAck int64
	lastProgress      int64 // last time an ACK advanced, for ACK stall
	stormStart        int64 // time of the first RST/FIN in the current storm window
	rttSum            int64 // data->ACK RTT samples
	hist              history
	rttMin            uint32 // ns, saturating at ~4.29 s
	rttMax            uint32 // ns, saturating
	rttN              uint32
	cold              int32  // index + 1 into Table.cold, 0 = none
	synCount          uint16 // SYNs without ACK seen (saturating)
	histOnce          uint16 // letters recorded once per direction (bit per letter and direction)
	histLen           uint8
	hs                uint8 // hs* handshake bits
	stormFlags        uint8 // 1 = RST storm reported, 2 = FIN storm reported, 4 = ACK stall reported
	stormN            uint8 // RSTs or FINs in the current storm window (saturating)
}

// tcpState.hs bits.
const (
	hsSyn      uint8 = 1 << iota // a SYN was seen
	hsSynAck                     // a SYN-ACK was seen
	hsAck                        // the handshake's ACK was seen: synAck is SYN-ACK -> ACK
	hsSynRTT                     // a SYN preceded the first SYN-ACK: syn is SYN -> SYN-ACK
	hsMruSyn                     // rtt1 holds the most recent SYN's time
	hsFirstRTT                   // rtt1 holds the first RTT
)

// tcpCold is the TCP state of a flow that had an analysis flag with a counter
// (countedFlags), a RST or a duplicate ACK: zero values for every other flow.
type tcpCold struct {
	lastackTime [2]int64 // time of the last segment each way, kept from the record's creation (see analyzeSeq)
	dupacknum   [2]int32 // duplicate ACKs in a row each way
	lastRSTSeq  [2]uint32
	retrans     [2]uint32 // retransmissions (all kinds) sent each way
	retransData [2]uint32 // of which carried payload (Zeek history 'T')
	zeroWin     [2]uint32 // zero-window segments sent each way
	outOfOrder  uint32
	dupAcks     uint32
	fastRetrans uint32
	spurious    uint32
	lost        uint32
	ackedUnseen uint32
	keepAlive   uint32
	windowFull  uint32
	zwProbe     uint32
	rstCount    uint16   // saturating
	retransLog  [2]uint8 // history 't' letters written so far (logarithmic)
	zwLog       [2]uint8 // history 'w' letters written so far
}

// seq comparisons (serial number arithmetic), as Wireshark's GT_SEQ & co.
func gtSeq(a, b uint32) bool { return int32(a-b) > 0 }
func ltSeq(a, b uint32) bool { return int32(a-b) < 0 }
func leSeq(a, b uint32) bool { return int32(a-b) <= 0 }

const (
	thFIN = fastparse.TCPFin
	thSYN = fastparse.TCPSyn
	thRST = fastparse.TCPRst
	thACK = fastparse.TCPAck
)

// analyzeSeq runs Wireshark's sequence analysis for one segment travelling in direction d and
// returns the packet's analysis flags. seglen is the TCP payload length from the IP length.
func (tb *Table) analyzeSeq(t *tcpState, d Dir, ts int64, seq, ack, seglen uint32, flags uint16, window uint16) (af uint32, dupNum int32) {
	fwd, rev := &t.h[d], &t.h[d^1]
	c := tb.coldIf(t) // nil: no duplicate ACK run either way, lastackTime not needed

	// Base sequence numbers: the SYN's seq, else seq-1 for a flow picked up mid-stream; the
	// reverse base comes from the first ACK (ack-1). They only matter for relative numbers.
	if fwd.flags&hBaseSeqSet == 0 {
		if flags&thSYN != 0 {
			fwd.baseSeq = seq
		} else {
			fwd.baseSeq = seq - 1
		}
		fwd.flags |= hBaseSeqSet
	}
	if rev.flags&hBaseSeqSet == 0 && flags&thACK != 0 {
		rev.baseSeq = ack - 1
		rev.flags |= hBaseSeqSet
	}

	fin := false // reached "finished_fwd"
	// ZERO WINDOW PROBE: exactly 1 byte, at the next expected seq, while the other side's
	// window is 0.
	if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
		af |= aZeroWindowProbe
		fin = true
	}
	if !fin {
		// ZERO WINDOW: window field 0 on a segment without SYN, FIN or RST.
		if window == 0 && flags&(thRST|thFIN|thSYN) == 0 {
			af |= aZeroWindow
		}
		// LOST SEGMENT: seq beyond the highest nextseq seen (once one is known), not on RST.
		if fwd.nextseq != 0 && gtSeq(seq, fwd.nextseq) && flags&thRST == 0 {
			af |= aLost
		}
		// KEEP ALIVE: 0 or 1 byte starting one byte before nextseq, no SYN/FIN/RST.
		if (seglen == 0 || seglen == 1) && seq == fwd.nextseq-1 && flags&(thSYN|thFIN|thRST) == 0 {
			af |= aKeepAlive
		}
		// WINDOW UPDATE: no data, same seq (== nextseq) and ack as before, a new non-zero
		// window.
		if seglen == 0 && window != 0 && window != fwd.window && seq == fwd.nextseq &&
			ack == fwd.lastack && flags&(thSYN|thFIN|thRST) == 0 {
			af |= aWindowUpdate
		}
		// WINDOW FULL: data reaching exactly the right edge of the other side's advertised
		// window (lastack + window << scale; no scaling before the other side's first ACK),
		// only when the other side's scaling is known.
		if seglen > 0 && rev.winScale != -1 && flags&(thSYN|thFIN|thRST) == 0 {
			shift := uint(0)
			if rev.flags&hSawAck != 0 && rev.winScale >= 0 {
				shift = uint(rev.winScale)
			}
			if seq+seglen == rev.lastack+uint32(rev.window)<<shift {
				af |= aWindowFull
			}
		}
		// KEEP ALIVE ACK: no data, same non-zero window, seq and ack as before, and the last
		// segment the other way was a keep-alive.
		if seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextseq &&
			ack == fwd.lastack && rev.lastSeg&lsKeepAlive != 0 && flags&(thSYN|thFIN|thRST) == 0 {
			af |= aKeepAliveAck
			fin = true
		}
	}
	if !fin {
		// ZERO WINDOW PROBE ACK: repeats a zero window, seq and ack, after a probe the other
		// way.
		if seglen == 0 && window == 0 && window == fwd.window && seq == fwd.nextseq &&
			ack == fwd.lastack && rev.lastSeg&lsZeroWindowProbe != 0 && flags&(thSYN|thFIN|thRST) == 0 {
			af |= aZeroWindowProbeAck
			fin = true
		}
	}
	if !fin {
		// DUPLICATE ACK: no data, same non-zero window, seq == nextseq and the same ack as the
		// previous segment in this direction, no SYN/FIN/RST. Its number counts the run.
		if seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextseq &&
			ack == fwd.lastack && flags&(thSYN|thFIN|thRST) == 0 {
			c = tb.coldOf(t)
			c.dupacknum[d]++
			af |= aDupAck
			dupNum = c.dupacknum[d]
		}
	}

	// finished_fwd: a changed ACK number resets the duplicate-ACK run.
	if c != nil && ack != fwd.lastack {
		c.dupacknum[d] = 0
	}

	// ACKED UNSEEN SEGMENT: an ACK beyond the other side's highest contiguous seq seen
	// (once one is known). The boundary then moves to the other side's nextseq so the same
	// gap is reported once. (Wireshark 4.0 rule; later versions add a dup-ACK neutralisation.)
	if rev.maxSeqToBeAcked != 0 && gtSeq(ack, rev.maxSeqToBeAcked) && flags&thACK != 0 {
		af |= aAckLost
		rev.maxSeqToBeAcked = rev.nextseq
	}

	// RETRANSMISSION / FAST RETRANSMISSION / SPURIOUS / OUT-OF-ORDER: a segment with data or
	// SYN/FIN whose seq is below nextseq ("not advanced"). A keep-alive is none of these.
	if seglen > 0 || flags&(thSYN|thFIN) != 0 {
		notAdvanced := fwd.nextseq != 0 && ltSeq(seq, fwd.nextseq)
		if af&aKeepAlive != 0 {
			goto done
		}
		// More than one byte starting one below nextseq (after a possible zero-window
		// probe) really adds data: not a retransmission/out-of-order.
		if seglen > 1 && fwd.nextseq-1 == seq {
			notAdvanced = false
		}
		// SPURIOUS RETRANSMISSION: data that the other side has already acknowledged in
		// full (seq+len <= its last ACK), whether or not it advances nextseq. It takes
		// precedence over fast retransmission and out-of-order: tshark 4.0.17 flags an
		// acknowledged segment resent within the out-of-order window as spurious
		// (testdata/tshark-cases).
		if seglen > 0 && rev.lastack != 0 && leSeq(seq+seglen, rev.lastack) {
			af |= aSpurious
			goto done
		}
		// FAST RETRANSMISSION: not advanced, >= 2 duplicate ACKs the other way, seq equal to
		// their ACK, and within 20 ms of the last of them. Time differences are unsigned as in
		// Wireshark: a segment earlier than the ACK (time going backwards) is never within.
		// (A run of 2 duplicate ACKs the other way means the cold record exists since the
		// first of them, so lastackTime holds that way's last segment.)
		if notAdvanced && c != nil && c.dupacknum[d^1] >= 2 && rev.lastack == seq && uint64(ts-c.lastackTime[d^1]) < 20_000_000 {
			af |= aFastRetrans
			goto done
		}
		// OUT-OF-ORDER: not advanced, within the first RTT of the handshake (3 ms when it is
		// unknown) of the segment that set nextseq, and not ending exactly at nextseq (the
		// SYN/FIN byte counted; the corpus shows tshark 4.0.17 counts it).
		{
			thres := uint64(3_000_000)
			if t.hs&hsFirstRTT != 0 {
				thres = uint64(t.rtt1)
			}
			end := seq + seglen
			if flags&(thSYN|thFIN) != 0 {
				end++
			}
			if notAdvanced && uint64(ts-t.nextseqTime[d]) < thres && fwd.nextseq != end {
				af |= aOutOfOrder
				goto done
			}
		}
		// RETRANSMISSION: any other segment that does not advance the sequence.
		if notAdvanced {
			af |= aRetrans
		}
	}
done:
	nextseq := seq + seglen
	if flags&(thSYN|thFIN) != 0 {
		nextseq++
	}
	// Keep the highest nextseq (a zero-window probe does not advance it).
	if gtSeq(nextseq, fwd.nextseq) || fwd.nextseq == 0 {
		if af&aZeroWindowProbe == 0 {
			fwd.nextseq = nextseq
			t.nextseqTime[d] = ts
		}
	}
	// Highest contiguous seq: advances only when this segment starts at it.
	if seq == fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked == 0 {
		if af&aZeroWindowProbe == 0 {
			fwd.maxSeqToBeAcked = fwd.nextseq
		}
	}
	fwd.window = window
	fwd.lastack = ack
	if c != nil {
		c.lastackTime[d] = ts
	}
	fwd.lastSeg = 0
	if af&aKeepAlive != 0 {
		fwd.lastSeg |= lsKeepAlive
	}
	if af&aZeroWindowProbe != 0 {
		fwd.lastSeg |= lsZeroWindowProbe
	}
	return af, dupNum
}
