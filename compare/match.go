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

// spanDupWindow: the same key twice within it at one point is a capture (SPAN) duplicate.
const spanDupWindow = 1_000_000 // 1 ms

// markSpanDups marks the records whose key was seen at the same point at most 1 ms before.
func markSpanDups(rs []rec) {
	last := make(map[key]int64, len(rs))
	for i := range rs {
		k := keyOf(&rs[i])
		if t, ok := last[k]; ok && rs[i].ts-t <= spanDupWindow {
			rs[i].state = stSpanDup
		}
		last[k] = rs[i].ts
	}
}

// matchExact pairs the records of one flow direction at A (ra) and at B (rb) by key, the
// k-th occurrence at A with the k-th at B. Capture duplicates take no part.
func matchExact(ra, rb []rec) {
	markSpanDups(ra)
	markSpanDups(rb)
	type queue struct {
		idx  []int32
		next int
	}
	byKey := make(map[key]*queue, len(rb))
	for i := range rb {
		if rb[i].state == stSpanDup {
			continue
		}
		k := keyOf(&rb[i])
		q := byKey[k]
		if q == nil {
			q = &queue{}
			byKey[k] = q
		}
		q.idx = append(q.idx, int32(i))
	}
	for i := range ra {
		if ra[i].state == stSpanDup {
			continue
		}
		q := byKey[keyOf(&ra[i])]
		if q == nil || q.next >= len(q.idx) {
			continue
		}
		j := q.idx[q.next]
		q.next++
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
