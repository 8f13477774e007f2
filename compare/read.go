package compare

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/pcapdex/pcapdex/query"
)

// Side is one capture point: the store its packets come from and the selection (filter,
// time window) to compare.
type Side struct {
	Store query.Store
	Sel   query.Selection
	// Open opens capture file i of Store.Files() (nil: pcapng.Open of its path).
	Open   func(i int) (*pcapng.Reader, error)
	NoMmap bool
	// Index, when the store reads one, gives the captures' interface statistics (the drops
	// the capture itself reported).
	Index *index.Reader
}

// rec is one packet of one side, as compare needs it. Records of one flow direction are
// kept in capture order.
type rec struct {
	ts     int64 // capture clock, Unix ns
	frame  int64
	off    int64
	digest uint64 // FNV-1a of the first 64 payload bytes (0 without payload)
	seq    uint32
	ack    uint32
	plen   uint32
	tsval  uint32
	file   uint16
	ipid   uint16
	flags  uint16
	mss    uint16
	ttl    uint8
	tos    uint8
	hasID  bool  // IPv4: the ID is part of the key
	dupKey bool  // not matched, but its key was: a copy of a matched packet
	state  uint8 // what matching decided (st*)
	verd   uint8 // verdict for a packet seen at one point only (v*)
	peer   int32 // index of the matched record in the other side's list, -1 if none
	at     int64 // time on A's clock (B records: corrected by the clock fit)
}

// Packet states after matching.
const (
	stNone      uint8 = iota // not matched (yet)
	stMatched                // seen at both points
	stSpanDup                // the same key within 1 ms at the same point: a capture duplicate
	stCoalesced              // TCP data matched as byte ranges (TSO/GRO)
	stNetDup                 // an extra copy downstream: duplicated between the points
)

// segLen is the sequence space a TCP record occupies (payload, plus SYN and FIN).
func (r *rec) segLen() uint32 {
	n := r.plen
	if r.flags&fastparse.TCPSyn != 0 {
		n++
	}
	if r.flags&fastparse.TCPFin != 0 {
		n++
	}
	return n
}

// endpoint is one address and port.
type endpoint struct {
	addr [16]byte
	port uint16
}

// flowSide is one flow as one point saw it.
type flowSide struct {
	id          uint32
	proto       uint8
	ipver       uint8
	orig, resp  endpoint
	first, last int64
	pk          [2][]rec // by direction: 0 orig->resp, 1 resp->orig
	paired      bool
	pieces      []uint32 // a merged flow: the ids of the flows it joins
}

// sideData is everything read from one point.
type sideData struct {
	files   []string
	flows   []*flowSide // by flow id - 1; nil where the selection had none
	packets int64
	nonIP   int64
	// ifDrops counts the drops the captures' interface statistics report (pcapng ISB
	// ifdrop + osdrop), summed over files and interfaces; -1 when no file says.
	ifDrops int64
}

// readSide reads the selected packets of s in capture order, each read back by offset and
// decoded, into per-flow records.
func readSide(s Side, name string) (*sideData, error) {
	d := &sideData{files: s.Store.Files(), ifDrops: -1}
	readers := make([]*pcapng.Reader, len(d.files))
	defer func() {
		for _, r := range readers {
			if r != nil {
				r.Close()
			}
		}
	}()
	open := s.Open
	if open == nil {
		open = func(i int) (*pcapng.Reader, error) {
			return pcapng.Open(d.files[i], pcapng.Options{NoMmap: s.NoMmap})
		}
	}
	sel := s.Sel
	// The flow table gives each flow's originator (so packets need not carry their
	// direction, which an index decodes from several columns) and its packet counts (so the
	// record lists never grow while reading).
	err := s.Store.Flows(sel.Rows, query.NeedFlowColumns("orig_pkts", "resp_pkts"), func(f *flowhash.Flow) error {
		fs := d.flow(uint32(f.ID))
		k := &f.Key
		a, b := endpoint{k.A, k.PortA}, endpoint{k.B, k.PortB}
		if f.Orig != flowhash.DirAB {
			a, b = b, a
		}
		fs.orig, fs.resp, fs.proto, fs.ipver = a, b, k.Proto, k.IPVersion
		fs.pk[0] = make([]rec, 0, f.OrigPkts)
		fs.pk[1] = make([]rec, 0, f.RespPkts)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var pk pcapng.Packet
	var fp fastparse.Packet
	seq := sel.Rows == nil // no filter: every packet is read, so read the files in order
	need := query.NeedRecord
	if _, ok := s.Store.(*query.StreamStore); ok {
		// A stream store leaves Flow zero without NeedTCP when there is no selection of
		// flows (unlike an index store, and unlike Need's doc); its rows are in memory anyway.
		need |= query.NeedTCP
	}
	err = s.Store.Packets(sel.Rows, sel.Since, sel.Until, need, func(p *query.PacketRow) error {
		if p.TS < sel.Since || p.TS > sel.Until {
			return nil
		}
		d.packets++
		if p.Flow == 0 {
			d.nonIP++
			return nil
		}
		fi := int(p.File)
		if fi >= len(readers) {
			return fmt.Errorf("%s: frame %d names capture file %d of %d", name, p.Frame, fi, len(readers))
		}
		r := readers[fi]
		if r == nil {
			var err error
			if r, err = open(fi); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			readers[fi] = r
		}
		if seq {
			// Every packet is wanted, in capture order: read on with Next (no second walk
			// over the blocks, and the reader's prefetching works ahead).
			for {
				if err := r.Next(&pk); err != nil {
					if err == io.EOF {
						return fmt.Errorf("%s: %s: no record at offset %d (frame %d): the capture changed since it was indexed", name, d.files[fi], p.Off, p.Frame)
					}
					return fmt.Errorf("%s: frame %d: %w", name, p.Frame, err)
				}
				if pk.Offset >= p.Off {
					break
				}
			}
			if pk.Offset != p.Off {
				return fmt.Errorf("%s: %s: no record at offset %d (frame %d), the next is at %d: the capture changed since it was indexed", name, d.files[fi], p.Off, p.Frame, pk.Offset)
			}
		} else if err := r.ReadPacketAt(p.Off, &pk); err != nil {
			return fmt.Errorf("%s: frame %d: %w", name, p.Frame, err)
		}
		if pk.TS != p.TS || pk.CapLen != p.CapLen {
			return fmt.Errorf("%s: %s: record at offset %d (frame %d) has time %d and %d bytes, the index says %d and %d: the capture changed since it was indexed",
				name, d.files[fi], p.Off, p.Frame, pk.TS, pk.CapLen, p.TS, p.CapLen)
		}
		fastparse.DecodeFCS(&fp, pk.LinkType, pk.Data, pk.OrigLen, max(int(pk.FCSLen), 0))
		if fp.IPVersion == 0 {
			d.nonIP++
			return nil
		}
		f := d.flow(p.Flow)
		if f.ipver == 0 {
			return fmt.Errorf("%s: frame %d names flow %d, which the flow table lacks", name, p.Frame, p.Flow)
		}
		dir := 1
		if fp.SrcIP == f.orig.addr && (fp.SrcPort == f.orig.port || !fp.HasL4) && (fp.DstIP != f.orig.addr || fp.DstPort != f.orig.port) {
			dir = 0
		}
		if len(f.pk[0]) == 0 && len(f.pk[1]) == 0 {
			f.first = p.TS
		}
		f.first = min(f.first, p.TS)
		f.last = max(f.last, p.TS)
		f.pk[dir] = append(f.pk[dir], makeRec(&fp, &pk, p))
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, f := range d.flows {
		if f != nil && len(f.pk[0])+len(f.pk[1]) == 0 {
			d.flows[i] = nil // in the selection's flows, but no packet in its time window
		}
	}
	if s.Index != nil {
		// The index keeps each capture's info summary, interface drops included.
		caps, err := s.Index.Captures()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, c := range caps {
			var info struct {
				IfDrops *int64 `json:"if_drops"`
			}
			if json.Unmarshal(c.Info, &info) == nil && info.IfDrops != nil {
				d.ifDrops = max(d.ifDrops, 0) + *info.IfDrops
			}
		}
		return d, nil
	}
	for _, r := range readers {
		if r == nil {
			continue
		}
		if seq {
			// Interface statistics (pcapng ISBs) usually follow the last packet: walk on.
			for r.Next(&pk) == nil {
			}
		}
		for _, ifc := range r.Interfaces() {
			if ifc.HasIfDrop {
				d.ifDrops = max(d.ifDrops, 0) + int64(ifc.IfDrop)
			}
		}
	}
	return d, nil
}

func (d *sideData) flow(id uint32) *flowSide {
	for int(id) > len(d.flows) {
		d.flows = append(d.flows, nil)
	}
	f := d.flows[id-1]
	if f == nil {
		f = &flowSide{id: id}
		d.flows[id-1] = f
	}
	return f
}

// makeRec builds the record of one decoded packet.
func makeRec(fp *fastparse.Packet, pk *pcapng.Packet, p *query.PacketRow) rec {
	r := rec{
		ts: p.TS, frame: p.Frame, off: p.Off, file: p.File,
		ipid: uint16(fp.IPID), hasID: fp.IPVersion == 4,
		ttl: fp.TTL, tos: fp.TOS, plen: fp.PayloadLen, peer: -1, at: p.TS,
	}
	if fp.Proto == fastparse.ProtoTCP {
		r.seq, r.ack, r.flags = fp.Seq, fp.Ack, fp.TCPFlags
		if fp.TCPOpts&fastparse.OptMSS != 0 {
			r.mss = fp.MSS
		}
		if fp.TCPOpts&fastparse.OptTimestamps != 0 {
			r.tsval = fp.TSVal
		}
	}
	if r.plen > 0 {
		end := min(int(fp.PayloadOff)+min(int(r.plen), 64), len(pk.Data))
		if start := int(fp.PayloadOff); start < end {
			r.digest = digest(pk.Data[start:end])
		}
	}
	return r
}

// digest is FNV-1a 64 (fixed, so both sides agree whatever the process).
func digest(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
