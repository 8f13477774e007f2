package index

import (
	"encoding/binary"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
)

// postingsRows collects rows per key for one postings section, count then fill: a first
// pass over the rows interns each key once and counts its rows, a second stores the rows
// into one array cut per key (no slices growing per key), and bitmaps are built once at
// the end.
type postingsRows struct {
	idx     map[string]int32
	filling bool
	count   []uint32 // counting: rows per key; filling: next free place per key
	start   []uint32 // first place of each key in rows, then the end
	rows    []uint32
}

func newPostingsRows() *postingsRows { return &postingsRows{idx: map[string]int32{}} }

// fill runs fill twice, counting then filling.
func (m *postingsRows) fill(fill func(m *postingsRows)) {
	fill(m)
	m.start = make([]uint32, len(m.count)+1)
	for i, c := range m.count {
		m.start[i+1] = m.start[i] + c
	}
	copy(m.count, m.start)
	m.rows = make([]uint32, m.start[len(m.count)])
	m.filling = true
	fill(m)
}

func (m *postingsRows) add(key []byte, row uint32) {
	if m.filling {
		i := m.idx[string(key)]
		m.rows[m.count[i]] = row
		m.count[i]++
		return
	}
	i, ok := m.idx[string(key)]
	if !ok {
		i = int32(len(m.count))
		m.idx[string(key)] = i
		m.count = append(m.count, 0)
	}
	m.count[i]++
}

// encodedPostings is one postings section, ready to write.
type encodedPostings struct {
	name string
	data []byte
	err  error
}

func (m *postingsRows) encode(name string, width int) encodedPostings {
	keys := make([]string, 0, len(m.idx))
	for k := range m.idx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kb := make([][]byte, len(keys))
	ser := make([][]byte, len(keys))
	var area []byte                        // small bitmaps, serialized back to back
	single := make([]byte, 0, 4*len(keys)) // rows of keys with one row
	ends := make([]int, len(keys))
	for i, k := range keys {
		kb[i] = []byte(k)
		j := m.idx[k]
		rows := m.rows[m.start[j]:m.start[j+1]]
		if !slices.IsSorted(rows) {
			slices.Sort(rows)
		}
		rows = slices.Compact(rows)
		if len(rows) == 1 { // stored as the row itself
			n := len(single)
			single = AppendUint32(single, rows[0])
			ser[i] = single[n : n+4 : n+4]
			ends[i] = len(area)
			continue
		}
		var ok bool
		if area, ok = appendSmallBitmap(area, rows); !ok {
			bm := roaring.New()
			bm.AddMany(rows)
			bm.RunOptimize()
			b, err := bm.ToBytes()
			if err != nil {
				return encodedPostings{name: name, err: err}
			}
			ser[i] = b
		}
		ends[i] = len(area)
	}
	start := 0
	for i := range ser {
		if ser[i] == nil {
			ser[i] = area[start:ends[i]:ends[i]]
		}
		start = ends[i]
	}
	data, err := appendPostingsRaw(nil, name, width, kb, ser)
	return encodedPostings{name, data, err}
}

func addrKey(a *[16]byte, ipver uint8) []byte {
	if ipver == 4 {
		return a[:4]
	}
	return a[:]
}

// startPostings builds every postings section, each on a goroutine of its own (they are
// independent of each other and of the Writer), while the caller writes other tables; the
// function it returns waits for them and writes them in a fixed order.
func (b *Builder) startPostings(flows []flowhash.Flow, events []flowhash.Event, wide map[uint32]*roaring.Bitmap) (write func() error) {
	type job struct {
		name  string
		width int
		fill  func(m *postingsRows)
	}
	jobs := []job{
		{PostOrigAddr, 0, func(m *postingsRows) {
			for i := range flows {
				a, _ := flows[i].OrigEndpoint()
				m.add(addrKey(a, flows[i].Key.IPVersion), uint32(i))
			}
		}},
		{PostRespAddr, 0, func(m *postingsRows) {
			for i := range flows {
				a, _ := flows[i].RespEndpoint()
				m.add(addrKey(a, flows[i].Key.IPVersion), uint32(i))
			}
		}},
		{PostOrigPort, 2, func(m *postingsRows) {
			var k [2]byte
			for i := range flows {
				if f := &flows[i]; f.HasL4 && HasPortPostings(f.Key.Proto) {
					_, p := f.OrigEndpoint()
					binary.BigEndian.PutUint16(k[:], p)
					m.add(k[:], uint32(i))
				}
			}
		}},
		{PostRespPort, 2, func(m *postingsRows) {
			var k [2]byte
			for i := range flows {
				if f := &flows[i]; f.HasL4 && HasPortPostings(f.Key.Proto) {
					_, p := f.RespEndpoint()
					binary.BigEndian.PutUint16(k[:], p)
					m.add(k[:], uint32(i))
				}
			}
		}},
		{PostProto, 1, func(m *postingsRows) {
			for i := range flows {
				m.add([]byte{flows[i].Key.Proto}, uint32(i))
			}
		}},
		{PostVLAN, 2, func(m *postingsRows) {
			var k [2]byte
			for i := range flows {
				if v := b.ks.At(int(b.fl.At(i).key)).vlan; v != 0xffff {
					binary.BigEndian.PutUint16(k[:], v)
					m.add(k[:], uint32(i))
				}
			}
		}},
		{PostState, 0, func(m *postingsRows) {
			for i := range flows {
				m.add([]byte(flows[i].ConnState.String()), uint32(i))
			}
		}},
		{PostEvent, 1, func(m *postingsRows) {
			for i := range events {
				if id := events[i].FlowID; id >= 1 && id <= uint64(len(flows)) {
					m.add([]byte{uint8(events[i].Type)}, uint32(id-1))
				}
			}
		}},
	}
	out := make([]encodedPostings, len(jobs)+1)
	var wg sync.WaitGroup
	for j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := newPostingsRows()
			m.fill(jobs[j].fill)
			out[j] = m.encode(jobs[j].name, jobs[j].width)
		}()
	}
	// Flow -> packet blocks of wide flows (bitmaps already built).
	wg.Add(1)
	go func() {
		defer wg.Done()
		rows := make([]uint32, 0, len(wide))
		for r := range wide {
			rows = append(rows, r)
		}
		slices.Sort(rows)
		kb := make([][]byte, len(rows))
		bms := make([]*roaring.Bitmap, len(rows))
		for i, r := range rows {
			kb[i] = binary.BigEndian.AppendUint32(nil, r)
			bms[i] = wide[r]
			bms[i].RunOptimize()
		}
		data, err := appendPostings(nil, PostFlowBlocks, 4, kb, bms)
		out[len(jobs)] = encodedPostings{PostFlowBlocks, data, err}
	}()
	return func() error {
		wg.Wait()
		for _, p := range out {
			if p.err != nil {
				return b.w.fail(p.err)
			}
			if err := b.w.addPostings(p.name, p.data); err != nil {
				return err
			}
		}
		return nil
	}
}

// HasPortPostings reports whether flows of IP protocol proto (with a transport header) have
// their ports in the port postings: TCP, UDP and SCTP, the protocols tcpdump's port
// primitives apply to. ICMP flows carry type and code in the flow key's port fields; they are
// not indexed as ports. Everything that reads or shows flow ports (a port filter evaluated
// without the index, the port columns of a flow row, top by port) follows this, so a query
// answers the same from an index and from a capture.
func HasPortPostings(proto uint8) bool {
	switch proto {
	case fastparse.ProtoTCP, fastparse.ProtoUDP, fastparse.ProtoSCTP:
		return true
	}
	return false
}
