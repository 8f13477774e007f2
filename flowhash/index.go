package flowhash

// The live-flow index of a Table: open addressing with linear probing over the fixed flow
// hash, instead of a Go map. Each slot packs the hash's high 32 bits (a tag that avoids most
// key comparisons) and the flow's index + 1 (0 = empty). The key itself lives in flowState,
// next to the state the packet needs anyway, so a lookup touches the slot array and the flow.
// The load factor stays at or below 1/2; deletion shifts later entries back (no tombstones).

const minSlots = 1024

func slotTag(h uint64) uint64 { return h >> 32 << 32 }

// slotHome is the first slot a flow with hash h probes: its high 32 bits, which the slot
// keeps as the tag, so the table grows and deletes without the keys. (Shard picks the shard
// from the topmost bits; the home uses the low bits of the high word, so a shard's flows
// still spread over its whole table.)
func slotHome(h uint64) uint64 { return h >> 32 }

// lookup returns the flow index for k (hash h) and true, or the slot where it would be
// inserted and false.
func (t *Table) lookup(k *Key, h uint64) (idx int32, slot uint64, ok bool) {
	tag := slotTag(h)
	ck := compactKey(k)
	i := slotHome(h) & t.mask
	for {
		s := t.slots[i]
		if s == 0 {
			return -1, i, false
		}
		if s&^0xffffffff == tag {
			fi := int32(uint32(s)) - 1
			if t.keyEqual(&t.flow(fi).key, &ck, k) {
				return fi, i, true
			}
		}
		i = (i + 1) & t.mask
	}
}

// insert records flow idx (hash h) in the empty slot found by lookup.
func (t *Table) insert(slot uint64, h uint64, idx int32) {
	t.slots[slot] = slotTag(h) | uint64(uint32(idx)+1)
	t.nlive++
	if uint64(t.nlive)*2 > uint64(len(t.slots)) {
		t.grow()
	}
}

func (t *Table) grow() {
	old := t.slots
	n := len(old) * 2
	if n < minSlots {
		n = minSlots
	}
	t.slots = make([]uint64, n)
	t.mask = uint64(n - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := slotHome(s) & t.mask
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}

// remove deletes the entry in slot i, shifting back entries of the same probe run.
func (t *Table) remove(i uint64) {
	t.slots[i] = 0
	t.nlive--
	j := i
	for {
		j = (j + 1) & t.mask
		s := t.slots[j]
		if s == 0 {
			return
		}
		home := slotHome(s) & t.mask
		// Move s back to i if its home is not in the (cyclic) range (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = s
			t.slots[j] = 0
			i = j
		}
	}
}
