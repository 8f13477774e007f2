package flowhash

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Result is what a run over one capture produced.
type Result struct {
	Flows  []Flow  // ordered by ID: the order of each flow's first packet in the capture
	Events []Event // ordered by frame (Options.Events)
	Totals Totals

	Packets          uint64 // packets read
	IPPackets        uint64 // packets with an IP header (given to the flow tables)
	TCPConversations int    // distinct address+port pairs of TCP packets, as tshark -z conv,tcp
	UDPConversations int    // same for UDP, as tshark -z conv,udp
	DecodeStatus     [fastparse.NumStatus]uint64
}

// batchSize is the number of packets the reader hands to a decode worker at once.
const batchSize = 2048

type batch struct {
	seq     uint64
	n       int
	pkts    [batchSize]pcapng.Packet
	fcs     [batchSize]int8
	segs    [batchSize]segment
	frames  [batchSize]uint64 // Ordinal and TS copied next to segs for the shards
	times   [batchSize]int64
	keys    [batchSize]Key
	hashes  [batchSize]uint64
	dirs    [batchSize]Dir
	byShard [][]int32 // packet indexes per shard, in capture order
	buf     []byte    // copies of packet data on the plain-read path
	pending atomic.Int32
}

// Process reads every packet of r, decodes it, and tracks flows and TCP analysis in
// opt.Workers shards. The result is the same for any number of workers. It returns the
// reader's error (other than io.EOF) together with what was read before it.
func Process(r *pcapng.Reader, opt Options) (*Result, error) {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	opt.defaults()
	if opt.Workers == 1 {
		return processSerial(r, opt)
	}
	return processParallel(r, opt)
}

// fcsLen returns the FCS length to strip from packets of interface i (0 when unknown).
func fcsLen(r *pcapng.Reader, i uint32) int8 {
	ifs := r.Interfaces()
	if int(i) < len(ifs) && ifs[i].FCSLen > 0 && ifs[i].FCSLen < 128 {
		return int8(ifs[i].FCSLen)
	}
	return 0
}

func processSerial(r *pcapng.Reader, opt Options) (*Result, error) {
	t := NewTable(opt)
	res := &Result{}
	var p pcapng.Packet
	var d fastparse.Packet
	var err error
	for {
		if err = r.Next(&p); err != nil {
			break
		}
		res.Packets++
		st := fastparse.DecodeFCS(&d, p.LinkType, p.Data, p.OrigLen, int(fcsLen(r, p.Iface)))
		res.DecodeStatus[st]++
		k, dir, ok := KeyOf(&d)
		if !ok {
			continue
		}
		res.IPPackets++
		t.Add(&k, dir, &d, p.Ordinal, p.TS)
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	res.merge([]*Table{t})
	return res, err
}

func processParallel(r *pcapng.Reader, opt Options) (*Result, error) {
	n := opt.Workers
	nb := 2*n + 2
	free := make(chan *batch, nb)
	for i := 0; i < nb; i++ {
		b := &batch{byShard: make([][]int32, n)}
		for s := range b.byShard {
			b.byShard[s] = make([]int32, 0, batchSize)
		}
		free <- b
	}
	// Batch seq goes to decoder seq%n, and every shard takes batch seq from decoder seq%n's
	// channel: capture order is kept without a reordering stage.
	toDecode := make([]chan *batch, n)
	shardIn := make([][]chan *batch, n) // [shard][decoder]
	tables := make([]*Table, n)
	for i := range n {
		toDecode[i] = make(chan *batch, 2)
		shardIn[i] = make([]chan *batch, n)
		for w := range n {
			shardIn[i][w] = make(chan *batch, 2)
		}
		tables[i] = NewTable(opt)
	}
	res := &Result{}
	var readErr error

	// Reader: fills batches in capture order.
	go func() {
		defer func() {
			for _, c := range toDecode {
				close(c)
			}
		}()
		var seq uint64
		mapped := r.Mapped()
		for {
			b := <-free
			b.seq, b.n, b.buf = seq, 0, b.buf[:0]
			dst := toDecode[seq%uint64(n)]
			seq++
			for b.n < batchSize {
				p := &b.pkts[b.n]
				if err := r.Next(p); err != nil {
					if !errors.Is(err, io.EOF) {
						readErr = err
					}
					dst <- b
					return
				}
				if !mapped {
					// Plain-read data is only valid until the next Next: copy it. The batch
					// buffer grows to its working size once and is then reused.
					start := len(b.buf)
					b.buf = append(b.buf, p.Data...)
					p.Data = b.buf[start:len(b.buf):len(b.buf)]
				}
				b.fcs[b.n] = fcsLen(r, p.Iface)
				b.n++
			}
			dst <- b
		}
	}()

	// Decode workers: decode, key, hash and split by shard.
	status := make([][fastparse.NumStatus]uint64, n)
	for w := range n {
		go func() {
			defer func() {
				for s := range n {
					close(shardIn[s][w])
				}
			}()
			st := &status[w]
			var dec fastparse.Packet
			for b := range toDecode[w] {
				for s := range b.byShard {
					b.byShard[s] = b.byShard[s][:0]
				}
				for i := 0; i < b.n; i++ {
					p := &b.pkts[i]
					st[fastparse.DecodeFCS(&dec, p.LinkType, p.Data, p.OrigLen, int(b.fcs[i]))]++
					k, d, ok := KeyOf(&dec)
					if !ok {
						continue
					}
					b.segs[i].set(&dec)
					b.frames[i], b.times[i] = p.Ordinal, p.TS
					h := k.Hash()
					b.keys[i], b.dirs[i], b.hashes[i] = k, d, h
					s := Shard(h, n)
					b.byShard[s] = append(b.byShard[s], int32(i))
				}
				b.pending.Store(int32(n))
				for s := range n {
					shardIn[s][w] <- b
				}
			}
		}()
	}

	// Shards: each owns its table; packets of one flow arrive in capture order.
	var swg sync.WaitGroup
	counts := make([][2]uint64, n)
	for s := range n {
		swg.Add(1)
		go func() {
			defer swg.Done()
			t := tables[s]
			var pk, ip uint64
			for seq := 0; ; seq++ {
				b, ok := <-shardIn[s][seq%n]
				if !ok {
					break
				}
				if s == 0 {
					pk += uint64(b.n)
				}
				for _, i := range b.byShard[s] {
					ip++
					t.add(&b.keys[i], b.hashes[i], b.dirs[i], &b.segs[i], b.frames[i], b.times[i])
				}
				if b.pending.Add(-1) == 0 {
					free <- b
				}
			}
			// Drain: a decoder whose channel closed first may still hold later batches only
			// if the reader produced them, which it did not (batch seq missing means the
			// capture ended before it).
			counts[s] = [2]uint64{pk, ip}
		}()
	}
	swg.Wait()
	for w := range n {
		for i, c := range status[w] {
			res.DecodeStatus[i] += c
		}
	}
	for _, c := range counts {
		res.Packets += c[0]
		res.IPPackets += c[1]
	}
	res.merge(tables)
	return res, readErr
}

// merge finishes the shard tables and builds the ordered, id-numbered result.
func (res *Result) merge(tables []*Table) {
	ne := 0
	for _, t := range tables {
		ne += len(t.events)
		res.Totals.add(&t.totals)
	}
	// Flow ids: the order of each flow's first frame (unique: a frame belongs to one flow).
	// Sort small (first frame, shard, index) entries, then write each record once, in that
	// order: finished flows are copied, live ones filled straight from their state.
	type ref struct {
		first uint64
		part  int32
		ix    int32 // index in done, or ^flow index for a live flow
	}
	n := 0
	for _, t := range tables {
		n += len(t.done) + t.nlive
	}
	refs := make([]ref, 0, n)
	for pi, t := range tables {
		for i := range t.done {
			refs = append(refs, ref{t.done[i].FirstFrame, int32(pi), int32(i)})
		}
		for _, sl := range t.slots {
			if sl != 0 {
				idx := int32(uint32(sl)) - 1
				refs = append(refs, ref{t.flow(idx).firstFrame, int32(pi), ^idx})
			}
		}
	}
	slices.SortFunc(refs, func(a, b ref) int { return cmpU64(a.first, b.first) })
	res.Flows = make([]Flow, len(refs))
	for i, r := range refs {
		t := tables[r.part]
		if r.ix >= 0 {
			res.Flows[i] = t.done[r.ix]
		} else {
			t.fill(&res.Flows[i], ^r.ix)
		}
	}
	res.Events = make([]Event, 0, ne)
	for _, t := range tables {
		res.Events = append(res.Events, t.events...)
		t.done, t.events, t.slots, t.nlive = nil, nil, nil, 0
	}
	for i := range res.Flows {
		f := &res.Flows[i]
		f.ID = uint64(i + 1)
		// Conversations as tshark counts them: address+port pairs, however many flows
		// (tcp.stream, UDP timeouts) one pair had.
		if f.newConv {
			switch f.Key.Proto {
			case ProtoTCP:
				res.TCPConversations++
			case ProtoUDP:
				res.UDPConversations++
			}
		}
	}
	// Events of one frame come from one shard in a fixed order; a stable sort by frame keeps
	// it, so the stream is the same for any number of workers.
	slices.SortStableFunc(res.Events, func(a, b Event) int { return cmpU64(a.Frame, b.Frame) })
	for i := range res.Events {
		e := &res.Events[i]
		j, ok := slices.BinarySearchFunc(res.Flows, e.flowFirst, func(f Flow, first uint64) int { return cmpU64(f.FirstFrame, first) })
		if ok {
			e.FlowID = res.Flows[j].ID
		}
	}
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// String summarises totals (for test failure messages).
func (t Totals) String() string {
	return fmt.Sprintf("retrans=%d ooo=%d dupack=%d zerowin=%d", t.Retransmissions, t.OutOfOrder, t.DupAcks, t.ZeroWindows)
}
