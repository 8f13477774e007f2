package pcapng

// Batch is a group of packets handed out together, to be passed to another goroutine and
// recycled (for example through a sync.Pool or a channel of free batches).
//
// Lifetime of Packets[i].Data: on the mapped path it points into the file mapping and stays
// valid until the Reader is closed, whatever happens to the batch. On the plain-read path it
// points into the batch's own buffer and stays valid until the batch is passed to ReadBatch
// again. Either way a batch may outlive later ReadBatch calls on other batches.
type Batch struct {
	Packets []Packet // filled by ReadBatch, up to cap(Packets)
	buf     []byte   // plain-read path: packet data copied here, reused
}

// NewBatch returns a batch that holds up to n packets.
func NewBatch(n int) *Batch {
	return &Batch{Packets: make([]Packet, 0, n)}
}

// ReadBatch fills b.Packets with up to cap(b.Packets) packets (resetting it first). It returns
// nil when at least one packet was read; the error that ended the capture (io.EOF, a
// *FormatError) comes with the next call, with len(b.Packets) == 0. After the first few
// batches nothing is allocated: the batch's buffer only grows.
func (r *Reader) ReadBatch(b *Batch) error {
	b.Packets = b.Packets[:0]
	if cap(b.Packets) == 0 {
		b.Packets = make([]Packet, 0, 256)
	}
	copyData := r.src != nil
	if copyData {
		b.buf = b.buf[:0]
		if cap(b.buf) == 0 {
			b.buf = make([]byte, 0, cap(b.Packets)*1024)
		}
	}
	n := 0
	for n < cap(b.Packets) {
		b.Packets = b.Packets[:n+1]
		p := &b.Packets[n]
		if err := r.Next(p); err != nil {
			b.Packets = b.Packets[:n]
			if n > 0 {
				return nil
			}
			return err
		}
		if copyData {
			if len(b.buf)+len(p.Data)+len(p.Options) > cap(b.buf) {
				// Grow: packets already in the batch keep pointing at the old buffer, which
				// stays alive through them; later batches reuse the larger one.
				nb := make([]byte, 0, 2*cap(b.buf)+len(p.Data)+len(p.Options))
				b.buf = nb
			}
			start := len(b.buf)
			b.buf = append(b.buf, p.Data...)
			p.Data = b.buf[start:len(b.buf):len(b.buf)]
			if len(p.Options) > 0 {
				start = len(b.buf)
				b.buf = append(b.buf, p.Options...)
				p.Options = b.buf[start:len(b.buf):len(b.buf)]
			}
		}
		n++
	}
	return nil
}
