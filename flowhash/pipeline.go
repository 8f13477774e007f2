package flowhash

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/internal/slab"
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
	EventsDropped    uint64          // events not kept: their flow had Options.MaxFlowEvents already
	Decode           fastparse.Stats // decoder counts of every packet read (Options.DecodeStats; always from a Tracker)
}

// batchSize is the number of packets the reader hands to a decode worker at once.
const batchSize = 2048

// Batch is a run of consecutive packets of one capture with what decoding and flow tracking
// found about each, handed to a Pipeline's consumer in capture order. Packets and Info are
// parallel. The batch, its Info and its Packets (plain-read path: their Data too) are reused
// after the consumer returns: copy what must outlive the call. On the mapped path
// Packets[i].Data stays valid until the reader is closed.
type Batch struct {
	Packets []pcapng.Packet
	Info    []PacketInfo
	Frame   uint64 // frame number of Packets[0]: 1-based, counted over every Run of the Pipeline

	seq     uint64
	pb      *pcapng.Batch
	times   [batchSize]int64
	keys    [batchSize]Key
	hashes  [batchSize]uint64
	info    [batchSize]PacketInfo
	byShard [][]int32 // packet indexes per shard, in capture order
	pending atomic.Int32
}

// PacketInfo is what the pipeline knows about one packet: a few decoded fields (zero when
// the packet has no flow key) and, for packets with IP (IP true), their flow.
type PacketInfo struct {
	Segment                   // decoded fields flow tracking reads (as in fastparse.Packet)
	Status   fastparse.Status // decode status
	Proto    uint8            // IP protocol of the innermost IP header
	VLAN     uint16           // outermost VLAN id, 0xffff without a tag
	IP       bool             // the packet has a flow key: the fields below are set
	Dir      Dir              // direction relative to the flow key
	FromOrig bool             // sent by the flow's originator
	// Flow is the flow id (Flow.ID: 1, 2, ... in order of each flow's first packet); Key
	// numbers flow keys the same way (1, 2, ... in order of each key's first packet; a new
	// flow on a key seen before keeps the key's number).
	Flow, Key    uint32
	Events       uint32   // bit 1<<EventType for each TCP event of this packet
	Analysis     Analysis // Wireshark tcp.analysis flags
	ScaledWindow uint32   // see PacketResult
}

// Key returns the flow key of packet i (meaningful when Info[i].IP).
func (b *Batch) Key(i int) *Key { return &b.keys[i] }

func newBatch(n int) *Batch {
	b := &Batch{pb: pcapng.NewBatch(batchSize), byShard: make([][]int32, n)}
	for s := range b.byShard {
		b.byShard[s] = make([]int32, 0, batchSize)
	}
	return b
}

// Pipeline runs read -> decode -> flow shards -> consumer (see the package doc) over one or more
// captures (a capture set: flows continue from one Run to the next). Create it with
// NewPipeline, call Run per capture, then Result once.
type Pipeline struct {
	opt       Options
	consumers []Consumer
	tables    []*Table
	free      []*Batch // batches kept between runs

	frames    uint64 // packets read by all runs
	ipPackets uint64
	decode    fastparse.Stats // all runs
	last      fastparse.Stats // the last run

	// Shard-local flow and key serials -> ids, assigned in capture order by the collector.
	flowIDs, keyIDs [][]uint32
	nflows, nkeys   uint32

	// waitFreeHook, set by tests, runs in worker w just before it waits for a free batch.
	waitFreeHook func(w int, free <-chan *Batch)
}

// NewPipeline returns a pipeline with opt.Workers workers and shards (default
// GOMAXPROCS) feeding consumers (see Consumer): each batch goes to each of them, in the
// order given, in capture order, on the goroutine that calls Run; an error from one stops
// the run and is returned by Run.
func NewPipeline(opt Options, consumers ...Consumer) *Pipeline {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	opt.defaults()
	n := opt.Workers
	pl := &Pipeline{opt: opt, consumers: consumers, tables: make([]*Table, n),
		flowIDs: make([][]uint32, n), keyIDs: make([][]uint32, n)}
	for i := range pl.tables {
		pl.tables[i] = NewTable(opt)
	}
	return pl
}

// Process reads every packet of r, decodes it, and tracks flows and TCP analysis in
// opt.Workers shards. The result is the same for any number of workers. It returns the
// reader's error (other than io.EOF) together with what was read before it.
func Process(r *pcapng.Reader, opt Options) (*Result, error) {
	pl := NewPipeline(opt)
	err := pl.Run(r)
	return pl.Result(), err
}

// Run reads r to its end through the pipeline and its consumers (one capture of the set). It
// returns a consumer's error as a *ConsumerError, else the reader's error other than
// io.EOF; what was read before a reader error is tracked and delivered, and EndFile sees
// that error.
func (pl *Pipeline) Run(r *pcapng.Reader) error {
	pl.last = fastparse.Stats{}
	for _, c := range pl.consumers {
		if err := c.BeginFile(r); err != nil {
			return &ConsumerError{err}
		}
	}
	var err error
	if len(pl.tables) == 1 {
		err = pl.runSerial(r)
	} else {
		err = pl.runParallel(r)
	}
	var cerr *ConsumerError
	if errors.As(err, &cerr) {
		return err
	}
	end := &FileEnd{Reader: r, ReadErr: err, Decode: pl.last, Pipeline: pl}
	for _, c := range pl.consumers {
		if e := c.EndFile(end); e != nil {
			return &ConsumerError{e}
		}
	}
	return err
}

// ConsumerError is a consumer's error as Run returns it, telling it from the reader's.
type ConsumerError struct{ Err error }

func (e *ConsumerError) Error() string { return e.Err.Error() }
func (e *ConsumerError) Unwrap() error { return e.Err }

// consume hands b to every consumer.
func (pl *Pipeline) consume(b *Batch) error {
	for _, c := range pl.consumers {
		if err := c.Batch(b); err != nil {
			return &ConsumerError{err}
		}
	}
	return nil
}

// Finish finishes the shard tables (Result), hands the result to every consumer that is a
// Finisher, and returns it. The Pipeline must not be used afterwards.
func (pl *Pipeline) Finish() (*Result, error) {
	consumers := pl.consumers
	res := pl.Result()
	for _, c := range consumers {
		if f, ok := c.(Finisher); ok {
			if err := f.Finish(res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// RunStats returns the decoder counts of the last Run's packets (only ByStatus without
// Options.DecodeStats).
func (pl *Pipeline) RunStats() fastparse.Stats { return pl.last }

func (pl *Pipeline) getBatch() *Batch {
	if n := len(pl.free); n > 0 {
		b := pl.free[n-1]
		pl.free = pl.free[:n-1]
		return b
	}
	return newBatch(len(pl.tables))
}

// read fills b with the next packets of r; the error is io.EOF or the reader's error.
func (pl *Pipeline) read(r *pcapng.Reader, b *Batch, frames *uint64) error {
	if err := r.ReadBatch(b.pb); err != nil {
		return err
	}
	b.Packets = b.pb.Packets
	b.Info = b.info[:len(b.Packets)]
	b.Frame = *frames + 1
	*frames += uint64(len(b.Packets))
	return nil
}

// decodeBatch decodes every packet of b, fills Info, keys and hashes, and splits the IP
// packets by shard (n shards). It returns the number of IP packets.
func decodeBatch(b *Batch, n int, full bool, st *fastparse.Stats, dec *fastparse.Packet) uint64 {
	for s := range b.byShard {
		b.byShard[s] = b.byShard[s][:0]
	}
	var ip uint64
	for i := range b.Packets {
		p := &b.Packets[i]
		// The packet's own FCS length (epb_flags, else the interface's if_fcslen or the pcap
		// header's FCS bits), as pcapdex info decodes it.
		status := fastparse.DecodeFCS(dec, p.LinkType, p.Data, p.OrigLen, int(p.FCSLen))
		if full {
			st.Add(dec)
		} else if status < fastparse.NumStatus {
			st.ByStatus[status]++
		}
		b.times[i] = p.TS
		in := &b.info[i]
		vlan := uint16(0xffff)
		if dec.VLANCount > 0 {
			vlan = dec.VLANs[0]
		}
		k := &b.keys[i]
		d, ok := keyInto(k, dec)
		if !ok {
			*in = PacketInfo{Status: dec.Status, VLAN: vlan}
			continue
		}
		ip++
		// Field by field: the fields track sets later (flow ids, analysis) need no zeroing
		// first.
		in.Segment.set(dec)
		in.Status, in.Proto, in.VLAN, in.IP, in.Dir = dec.Status, dec.Proto, vlan, true, d
		h := k.Hash()
		b.hashes[i] = h
		s := 0
		if n > 1 {
			s = Shard(h, n)
		}
		b.byShard[s] = append(b.byShard[s], int32(i))
	}
	return ip
}

// track runs shard s's packets of b through its table, writing shard-local serials into
// Info (the collector turns them into ids).
func track(t *Table, b *Batch, s int) {
	frame0 := b.Frame
	for _, i := range b.byShard[s] {
		in := &b.info[i]
		r := t.add(&b.keys[i], b.hashes[i], in.Dir, &in.Segment, frame0+uint64(i), b.times[i])
		in.FromOrig, in.Flow, in.Key = r.FromOrig, r.Serial, r.KeySerial
		in.Events, in.Analysis, in.ScaledWindow = r.Events, r.Analysis, r.ScaledWindow
	}
}

// collect turns shard-local serials into flow and key ids. Batches come in capture order,
// and a shard numbers its flows (keys) in the order of their first packet, so the first time
// a serial shows up it is the shard's next one: ids follow first packets, as Flow.ID does.
func (pl *Pipeline) collect(b *Batch) {
	n := len(pl.tables)
	for i := range b.Info {
		in := &b.Info[i]
		if !in.IP {
			continue
		}
		s := 0
		if n > 1 {
			s = Shard(b.hashes[i], n)
		}
		if ids := pl.flowIDs[s]; int(in.Flow) < len(ids) {
			in.Flow = ids[in.Flow]
		} else {
			pl.nflows++
			pl.flowIDs[s] = append(ids, pl.nflows)
			in.Flow = pl.nflows
		}
		if ids := pl.keyIDs[s]; int(in.Key) < len(ids) {
			in.Key = ids[in.Key]
		} else {
			pl.nkeys++
			pl.keyIDs[s] = append(ids, pl.nkeys)
			in.Key = pl.nkeys
		}
	}
}

func (pl *Pipeline) runSerial(r *pcapng.Reader) error {
	b := pl.getBatch()
	defer func() { pl.free = append(pl.free, b) }()
	t := pl.tables[0]
	var dec fastparse.Packet
	var st fastparse.Stats
	defer func() { pl.last = st; pl.decode.Merge(&st) }()
	for {
		if err := pl.read(r, b, &pl.frames); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		pl.ipPackets += decodeBatch(b, 1, pl.opt.DecodeStats, &st, &dec)
		track(t, b, 0)
		pl.collect(b)
		if err := pl.consume(b); err != nil {
			return err
		}
	}
}

// runParallel runs n workers, each owning shard w. A worker reads a batch (taking turns on
// the reader, which numbers batches in capture order), decodes it on the same core that just
// brought its bytes into cache, and publishes it to every shard's slot ring; between reads it
// tracks, in batch order, its shard's packets of every published batch. It reads only when
// the next batch its shard needs has not been read yet, so no worker waits on a batch nobody
// will publish. The shard that finishes a batch last hands it to the collector (this
// goroutine), which restores batch order with a ring and returns batches to the free pool;
// at most nb batches exist, so slot seq%nb is free again when batch seq is read.
func (pl *Pipeline) runParallel(r *pcapng.Reader) error {
	n := len(pl.tables)
	nb := 3*n + 2
	free := make(chan *batch, nb)
	for range nb {
		free <- pl.getBatch()
	}
	ready := make([][]chan *batch, n) // [shard][seq%nb]
	for s := range n {
		ready[s] = make([]chan *batch, nb)
		for i := range nb {
			ready[s][i] = make(chan *batch, 1)
		}
	}
	done := make(chan *batch, nb)
	var (
		stop    atomic.Bool
		readMu  sync.Mutex // the reader, frames, readErr, eof
		nread   atomic.Uint64
		eof     atomic.Bool // no batch after nread will be read
		readErr error
		frames  = pl.frames
	)
	stats := make([]fastparse.Stats, n)
	ips := make([]uint64, n)

	// readOne reads, decodes and publishes the next batch; false when the capture is done.
	readOne := func(w int, b *batch, dec *fastparse.Packet) bool {
		readMu.Lock()
		if eof.Load() || stop.Load() {
			eof.Store(true)
			readMu.Unlock()
			free <- b
			return false
		}
		if err := pl.read(r, b, &frames); err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			eof.Store(true)
			readMu.Unlock()
			free <- b
			return false
		}
		b.seq = nread.Load()
		nread.Store(b.seq + 1)
		readMu.Unlock()
		ips[w] += decodeBatch(b, n, pl.opt.DecodeStats, &stats[w], dec)
		b.pending.Store(int32(n))
		for s := range n {
			ready[s][b.seq%uint64(nb)] <- b
		}
		return true
	}

	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := pl.tables[w]
			var dec fastparse.Packet
			for next := uint64(0); ; {
				slot := ready[w][next%uint64(nb)]
				var b *batch
				select {
				case b = <-slot:
				default:
					switch {
					case eof.Load():
						// Every batch is read (eof is stored after the last count).
						if next >= nread.Load() {
							return
						}
						b = <-slot
					case next >= nread.Load():
						// Nobody has read it: read (this or a later batch) instead of waiting.
						// Wait for a free batch and for this slot at once: while this worker
						// waits, the other workers may read this batch and every later one,
						// and then no batch comes free until this shard tracks them.
						if pl.waitFreeHook != nil {
							pl.waitFreeHook(w, free)
						}
						select {
						case fb := <-free:
							readOne(w, fb, &dec)
							continue
						case b = <-slot:
						}
					default:
						b = <-slot // read by a worker that is decoding it
					}
				}
				track(t, b, w)
				next++
				if b.pending.Add(-1) == 0 {
					done <- b
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	// Collector (this goroutine): batches in sequence order to the consumer.
	var cerr error
	ring := make([]*batch, nb)
	var next uint64
	for b := range done {
		ring[b.seq%uint64(nb)] = b
		for {
			c := ring[next%uint64(nb)]
			if c == nil || c.seq != next {
				break
			}
			ring[next%uint64(nb)] = nil
			next++
			if cerr == nil {
				pl.collect(c)
				if cerr = pl.consume(c); cerr != nil {
					stop.Store(true)
				}
			}
			free <- c
		}
	}
	pl.frames = frames
	for w := range n {
		pl.last.Merge(&stats[w])
		pl.ipPackets += ips[w]
	}
	pl.decode.Merge(&pl.last)
	close(free)
	for b := range free {
		pl.free = append(pl.free, b)
	}
	if cerr != nil {
		return cerr
	}
	return readErr
}

// Summary returns what every Run so far found, without finishing: packet and decoder
// counts, analysis totals and tshark conversation counts, as Result has them (Flows and
// Events nil). It walks the flow tables: call it per capture, not per batch.
func (pl *Pipeline) Summary() *Result {
	res := &Result{Packets: pl.frames, IPPackets: pl.ipPackets, Decode: pl.decode}
	res.DecodeStatus = pl.decode.ByStatus
	count := func(proto uint8) {
		switch proto {
		case fastparse.ProtoTCP:
			res.TCPConversations++
		case fastparse.ProtoUDP:
			res.UDPConversations++
		}
	}
	for _, t := range pl.tables {
		res.Totals.add(&t.totals)
		for i := range t.done.Len() {
			if f := t.done.At(i); f.newConv {
				count(f.Key.Proto)
			}
		}
		for _, sl := range t.slots {
			if sl != 0 {
				if f := t.flow(int32(uint32(sl)) - 1); f.hasL4() && !f.keySeenL4() {
					count(f.key.proto)
				}
			}
		}
	}
	return res
}

// batch is the pipeline's unit of work (the exported name is Batch).
type batch = Batch

// Result finishes the shard tables and returns the ordered, id-numbered result of every
// Run. The Pipeline must not be used afterwards.
func (pl *Pipeline) Result() *Result {
	res := &Result{Packets: pl.frames, IPPackets: pl.ipPackets, Decode: pl.decode}
	res.DecodeStatus = pl.decode.ByStatus
	res.merge(pl.tables, pl.flowIDs)
	pl.tables = nil
	return res
}

// merge finishes the shard tables and builds the ordered, id-numbered result.
// ids, if not nil, maps each table's flow serials to flow ids (the collector's): records
// are then placed by id instead of sorted by first frame (same order, no sort), provided
// every flow has one.
func (res *Result) merge(tables []*Table, ids [][]uint32) {
	ne := 0
	for _, t := range tables {
		ne += t.events.Len()
		res.Totals.add(&t.totals)
		res.EventsDropped += t.evDrop
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
		n += t.done.Len() + t.nlive
	}
	refs := make([]ref, 0, n)
	placed := ids != nil
	if placed {
		// Each flow at its id's row; any flow without an id (a run stopped by its
		// consumer) sends us back to sorting.
		refs = refs[:n]
		seen := 0
		for pi, t := range tables {
			m := ids[pi]
			put := func(serial uint32, r ref) {
				if int(serial) < len(m) {
					if id := int(m[serial]); id >= 1 && id <= n && refs[id-1].part == 0 && refs[id-1].ix == 0 {
						refs[id-1] = r
						seen++
						return
					}
				}
				placed = false
			}
			for i := range t.done.Len() {
				put(t.done.At(i).serial, ref{0, int32(pi) + 1, int32(i)})
			}
			for _, sl := range t.slots {
				if sl != 0 {
					idx := int32(uint32(sl)) - 1
					put(t.flow(idx).serial, ref{0, int32(pi) + 1, ^idx})
				}
			}
		}
		if placed && seen == n {
			for i := range refs {
				refs[i].part-- // stored +1 above, so that a zero ref means "empty"
			}
		} else {
			placed = false
			refs = refs[:0]
		}
	}
	if !placed {
		for pi, t := range tables {
			for i := range t.done.Len() {
				refs = append(refs, ref{t.done.At(i).FirstFrame, int32(pi), int32(i)})
			}
			for _, sl := range t.slots {
				if sl != 0 {
					idx := int32(uint32(sl)) - 1
					refs = append(refs, ref{t.flow(idx).firstFrame, int32(pi), ^idx})
				}
			}
		}
		slices.SortFunc(refs, func(a, b ref) int { return cmp.Compare(a.first, b.first) })
	}
	res.Flows = make([]Flow, len(refs))
	// Records are written in parallel ranges (tables are only read): this is the serial
	// tail of every run.
	fill := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r := refs[i]
			t := tables[r.part]
			if r.ix >= 0 {
				res.Flows[i] = *t.done.At(int(r.ix))
			} else {
				t.fill(&res.Flows[i], ^r.ix)
			}
		}
	}
	if nw := runtime.GOMAXPROCS(0); nw > 1 && len(refs) >= 1<<15 {
		var wg sync.WaitGroup
		per := (len(refs) + nw - 1) / nw
		for lo := 0; lo < len(refs); lo += per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fill(lo, min(lo+per, len(refs)))
			}()
		}
		wg.Wait()
	} else {
		fill(0, len(refs))
	}
	// Events name their flow by its serial in their table: serial -> id per table (the
	// collector's map when records were placed by it).
	if !placed {
		ids = make([][]uint32, len(tables))
		for pi, t := range tables {
			ids[pi] = make([]uint32, t.nserial)
		}
		for i, r := range refs {
			ids[r.part][res.Flows[i].serial] = uint32(i + 1)
		}
	}
	res.Events = make([]Event, 0, ne)
	for pi, t := range tables {
		start := len(res.Events)
		res.Events = t.events.AppendTo(res.Events)
		for i := start; i < len(res.Events); i++ {
			e := &res.Events[i]
			if e.serial < uint32(len(ids[pi])) {
				e.FlowID = uint64(ids[pi][e.serial])
			}
			e.serial = 0 // table-specific: cleared so results compare equal for any workers
		}
		t.done, t.events, t.slots, t.nlive, t.evCount = slab.List[Flow]{}, slab.List[Event]{}, nil, 0, nil
	}
	for i := range res.Flows {
		f := &res.Flows[i]
		f.ID = uint64(i + 1)
		f.serial = 0
		// Conversations as tshark counts them: address+port pairs, however many flows
		// (tcp.stream, UDP timeouts) one pair had.
		if f.newConv {
			switch f.Key.Proto {
			case fastparse.ProtoTCP:
				res.TCPConversations++
			case fastparse.ProtoUDP:
				res.UDPConversations++
			}
		}
	}
	// Events of one frame come from one shard in a fixed order; a stable sort by frame keeps
	// it, so the stream is the same for any number of workers. With one table fed in
	// frame order they are sorted already.
	if len(tables) > 1 || !slices.IsSortedFunc(res.Events, func(a, b Event) int { return cmp.Compare(a.Frame, b.Frame) }) {
		slices.SortStableFunc(res.Events, func(a, b Event) int { return cmp.Compare(a.Frame, b.Frame) })
	}
}

// String summarises totals (for test failure messages).
func (t Totals) String() string {
	return fmt.Sprintf("retrans=%d ooo=%d dupack=%d zerowin=%d", t.Retransmissions, t.OutOfOrder, t.DupAcks, t.ZeroWindows)
}
