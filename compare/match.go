package compare

import (
	"cmp"
	"slices"

	"github.com/pcapdex/pcapdex/fastparse"
)

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

// hrec is one record's key hash and index, for grouping equal keys by sorting (a sort of
// 12-byte entries is much cheaper than a hash map of a million keys).
type hrec struct {
	h uint64
	i int32
}

// groups returns rs's records sorted by key hash, then capture order.
func groups(rs []rec) []hrec {
	hs := make([]hrec, len(rs))
	for i := range rs {
		hs[i] = hrec{keyOf(&rs[i]).hash(), int32(i)}
	}
	if len(hs) < 1024 {
		slices.SortFunc(hs, func(x, y hrec) int {
			if x.h != y.h {
				return cmp.Compare(x.h, y.h)
			}
			return cmp.Compare(x.i, y.i)
		})
		return hs
	}
	return radixSort(hs)
}

// radixSort sorts hs by hash, LSD 8 bits at a time: stable, so equal hashes stay in
// capture order.
func radixSort(hs []hrec) []hrec {
	tmp := make([]hrec, len(hs))
	for shift := uint(0); shift < 64; shift += 8 {
		var count [257]int
		for i := range hs {
			count[int(byte(hs[i].h>>shift))+1]++
		}
		if count[int(byte(hs[0].h>>shift))+1] == len(hs) {
			continue // every hash has this digit
		}
		for b := 1; b < 257; b++ {
			count[b] += count[b-1]
		}
		for i := range hs {
			d := byte(hs[i].h >> shift)
			tmp[count[d]] = hs[i]
			count[d]++
		}
		hs, tmp = tmp, hs
	}
	return hs
}

// markSpanDups marks, in each group of equal keys, a record that follows the previous one
// within 1 ms: a capture duplicate.
func markSpanDups(rs []rec, hs []hrec) {
	for g := 0; g < len(hs); {
		e := g + 1
		for e < len(hs) && hs[e].h == hs[g].h {
			e++
		}
		for k := g + 1; k < e; k++ {
			r := &rs[hs[k].i]
			// the previous record of the group with the same key (collisions are rare)
			for q := k - 1; q >= g; q-- {
				p := &rs[hs[q].i]
				if keyOf(p) == keyOf(r) {
					if r.ts-p.ts <= spanDupWindow {
						r.state = stSpanDup
					}
					break
				}
			}
		}
		g = e
	}
}

// matchExact pairs the records of one flow direction at A (ra) and at B (rb) by key, the
// k-th occurrence at A with the k-th at B. Capture duplicates take no part. A record left
// over whose key matched at its own point is marked dupKey (a copy: duplicated between the
// points if it is downstream).
func matchExact(ra, rb []rec) {
	ha, hb := groups(ra), groups(rb)
	markSpanDups(ra, ha)
	markSpanDups(rb, hb)
	var ia, ib []int32
	for i, j := 0, 0; i < len(ha) && j < len(hb); {
		switch {
		case ha[i].h < hb[j].h:
			i++
			continue
		case ha[i].h > hb[j].h:
			j++
			continue
		}
		h := ha[i].h
		ia, ib = ia[:0], ib[:0]
		for ; i < len(ha) && ha[i].h == h; i++ {
			if ra[ha[i].i].state != stSpanDup {
				ia = append(ia, ha[i].i)
			}
		}
		for ; j < len(hb) && hb[j].h == h; j++ {
			if rb[hb[j].i].state != stSpanDup {
				ib = append(ib, hb[j].i)
			}
		}
		// k-th with k-th among equal keys (a group mixing keys is a hash collision).
		for _, x := range ia {
			k := keyOf(&ra[x])
			for _, y := range ib {
				if rb[y].state == stNone && keyOf(&rb[y]) == k {
					ra[x].state, ra[x].peer = stMatched, y
					rb[y].state, rb[y].peer = stMatched, x
					break
				}
			}
		}
		markLeftovers(ra, ia)
		markLeftovers(rb, ib)
	}
}

// markLeftovers flags the unmatched records of a group whose key matched another record.
func markLeftovers(rs []rec, idx []int32) {
	if len(idx) < 2 {
		return
	}
	for _, x := range idx {
		if rs[x].state != stNone {
			continue
		}
		k := keyOf(&rs[x])
		for _, y := range idx {
			if rs[y].state == stMatched && keyOf(&rs[y]) == k {
				rs[x].dupKey = true
				break
			}
		}
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
