package compare

import "github.com/pcapdex/pcapdex/fastparse"

// key is what identifies one packet at both points: fields that survive routing and NAT.
type key struct {
	seq, ack, plen uint32
	digest         uint64
	ipid           uint16
	flags          uint16 // SYN, FIN, RST only
}

func keyOf(r *rec) key {
	k := key{seq: r.seq, ack: r.ack, plen: r.plen, digest: r.digest, flags: r.flags & (fastparse.TCPSyn | fastparse.TCPFin | fastparse.TCPRst)}
	if r.hasID {
		k.ipid = r.ipid
	}
	return k
}

// hash mixes a key into 64 bits (a map of uint64 is much cheaper than one of keys; equal
// hashes are checked against the full key).
func (k key) hash() uint64 {
	h := uint64(k.seq)<<32 | uint64(k.ack)
	h ^= k.digest + 0x9e3779b97f4a7c15 + h<<6 + h>>2
	h ^= uint64(k.plen)<<32 | uint64(k.ipid)<<16 | uint64(k.flags)
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 31
	return h
}

// spanDupWindow: the same key twice within it at one point is a capture (SPAN) duplicate.
const spanDupWindow = 1_000_000 // 1 ms

// markSpanDups marks the records whose key was seen at the same point at most 1 ms before.
func markSpanDups(rs []rec) {
	last := make(map[uint64]int32, len(rs))
	for i := range rs {
		k := keyOf(&rs[i])
		h := k.hash()
		if j, ok := last[h]; ok && rs[i].ts-rs[j].ts <= spanDupWindow && keyOf(&rs[j]) == k {
			rs[i].state = stSpanDup
		}
		last[h] = int32(i)
	}
}

// matchExact pairs the records of one flow direction at A (ra) and at B (rb) by key, the
// k-th occurrence at A with the k-th at B. Capture duplicates take no part.
func matchExact(ra, rb []rec) {
	markSpanDups(ra)
	markSpanDups(rb)
	// B's records by key hash: head[h] is the first not yet matched, next[] chains the rest
	// in capture order.
	head := make(map[uint64]int32, len(rb))
	next := make([]int32, len(rb))
	for i := len(rb) - 1; i >= 0; i-- {
		next[i] = -1
		if rb[i].state == stSpanDup {
			continue
		}
		h := keyOf(&rb[i]).hash()
		if j, ok := head[h]; ok {
			next[i] = j
		}
		head[h] = int32(i)
	}
	for i := range ra {
		if ra[i].state == stSpanDup {
			continue
		}
		k := keyOf(&ra[i])
		h := k.hash()
		j, ok := head[h]
		if !ok {
			continue
		}
		// Skip (rare) hash collisions: the first record of the chain with the same key.
		prev := int32(-1)
		for j >= 0 && keyOf(&rb[j]) != k {
			prev, j = j, next[j]
		}
		if j < 0 {
			continue
		}
		switch {
		case prev >= 0:
			next[prev] = next[j]
		case next[j] >= 0:
			head[h] = next[j]
		default:
			delete(head, h)
		}
		ra[i].state, ra[i].peer = stMatched, j
		rb[j].state, rb[j].peer = stMatched, int32(i)
	}
}

// matchCoalesced matches, as byte ranges, TCP data one point saw as one segment and the
// other as several (TSO, GRO, LRO): every part is marked coalesced. window bounds how far
// apart (on A's clock) the parts may be.
func matchCoalesced(x, y []rec, window int64) {
	bySeq := map[uint32][]int32{}
	for i := range y {
		if y[i].state == stNone && y[i].plen > 0 {
			bySeq[y[i].seq] = append(bySeq[y[i].seq], int32(i))
		}
	}
	if len(bySeq) == 0 {
		return
	}
	var parts []int32
	for i := range x {
		r := &x[i]
		if r.state != stNone || r.plen == 0 {
			continue
		}
		parts = parts[:0]
		cur, end := r.seq, r.seq+r.plen
		for cur != end {
			found := int32(-1)
			for _, j := range bySeq[cur] {
				p := &y[j]
				if p.state == stNone && p.plen < r.plen && int32(end-(p.seq+p.plen)) >= 0 && abs64(p.at-r.at) <= window {
					found = j
					break
				}
			}
			if found < 0 {
				break
			}
			parts = append(parts, found)
			cur += y[found].plen
		}
		if cur != end || len(parts) < 2 {
			continue
		}
		r.state, r.peer = stCoalesced, parts[0]
		for _, j := range parts {
			y[j].state, y[j].peer = stCoalesced, int32(i)
		}
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
