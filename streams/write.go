package streams

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/textenc"
	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/pcapdex/pcapdex/query"
)

// HoleMode says what a stream file gets where the capture missed bytes.
type HoleMode uint8

const (
	HolesZero HoleMode = iota // zero bytes, one per missing byte, up to the last captured byte: file offsets are stream offsets (as tcpflow)
	HolesSkip                 // nothing: the bytes around the hole are joined
	HolesStop                 // the file ends at the first hole
)

// ParseHoleMode parses zero, skip or stop.
func ParseHoleMode(s string) (HoleMode, error) {
	switch s {
	case "zero":
		return HolesZero, nil
	case "skip":
		return HolesSkip, nil
	case "stop":
		return HolesStop, nil
	}
	return 0, fmt.Errorf("%q: want zero, skip or stop", s)
}

// Options configure Write.
type Options struct {
	Dir        string   // output directory (must exist)
	Holes      HoleMode // what a file gets for a hole
	UDP        bool     // also write the payloads of UDP flows
	UDPFraming bool     // prefix each UDP datagram with its length (2 bytes, big-endian)
	Window     int64    // out-of-order window per direction (0: DefaultWindow)
	History    int64    // bytes kept to compare retransmissions with (0: DefaultHistory)
	Force      bool     // replace existing files (never the inputs)
	MaxOpen    int      // stream files open at once (0: 64); others are reopened to append
	// Protect are paths never written over whatever Force says (the captures are added).
	Protect []string
}

// Summary counts what Write did.
type Summary struct {
	Flows     int64 // flows in the manifest
	Files     int64 // stream files written
	FileBytes int64 // bytes in them
	Bytes     int64 // stream bytes captured (holes not counted)
	Holes     int64
	HoleBytes int64
	Conflicts int64
}

const outBufSize = 64 << 10

// maxListedHoles bounds the holes the manifest lists per direction (the counts are exact).
const maxListedHoles = 1000

type holeRec struct {
	off, n int64
	reason HoleReason
}

// outFile is one direction's stream file.
type outFile struct {
	name     string // final name in Dir ("" until the first byte)
	tmp      string // temporary path while writing
	f        *os.File
	buf      []byte
	size     int64 // bytes in the file, buffered ones included
	stopped  bool
	zeros    int64 // hole bytes to write before the next data (HolesZero)
	holes    []holeRec
	first    int64 // time of the first and last data bytes
	last     int64
	hasData  bool
	dgrams   int64 // UDP datagrams
	udpBytes int64
	udpTrunc int64 // UDP payload bytes the capture cut
}

type flowState struct {
	info *flowInfo
	half [2]Half // by flowhash.Dir
	out  [2]outFile
}

type writer struct {
	o       Options
	flows   map[uint32]*flowInfo
	states  map[uint32]*flowState
	names   map[string]int
	open    []*outFile // files open, oldest first
	bufs    [][]byte   // pooled output buffers
	halves  [][]byte   // pooled reassembly buffers
	protect []os.FileInfo
	man     io.Writer
	line    []byte
	name    []byte
	zero    []byte
	hdr     [2]byte
	nodec   fastparse.Packet // for holes declared at a flow's end
	sum     Summary
}

// Write writes, for every TCP flow of sel (and UDP flow with o.UDP), one file per direction
// into o.Dir with the direction's bytes in sequence order, named as tcpflow names them
// (AppendFileName; a name used again gets tcpflow's "cN" suffix), and one JSON line per
// flow to manifest, in the order the flows end (their last packet). Files are written
// under temporary names and renamed when their flow ends; an existing file is an error
// unless o.Force, and an input capture is never written over. Only the packets of the
// selected flows are read, by offset.
func Write(in Input, sel query.Selection, o Options, manifest io.Writer) (Summary, error) {
	w := &writer{o: o, states: map[uint32]*flowState{}, names: map[string]int{}, man: manifest,
		zero: make([]byte, 32<<10)}
	if w.o.MaxOpen <= 0 {
		w.o.MaxOpen = 64
	}
	for _, p := range append(slices.Clone(o.Protect), in.Store.Files()...) {
		if fi, err := os.Stat(capturePath(in.Store, p)); err == nil {
			w.protect = append(w.protect, fi)
		}
	}
	flows, rows, err := selectFlows(in.Store, sel.Rows, func(f *flowhash.Flow) bool {
		return f.HasL4 && (f.Key.Proto == fastparse.ProtoTCP || o.UDP && f.Key.Proto == fastparse.ProtoUDP)
	})
	if err != nil {
		return w.sum, err
	}
	w.flows = flows
	wk := newWalker(in)
	defer wk.close()
	err = wk.run(rows, sel.Since, sel.Until, w.packet)
	if err == nil {
		// Flows whose packets the time window cut: finish them in id order.
		ids := make([]uint32, 0, len(w.states))
		for id := range w.states {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if err = w.finish(w.states[id]); err != nil {
				break
			}
		}
	}
	if err != nil {
		for _, fs := range w.states {
			for d := range fs.out {
				if of := &fs.out[d]; of.tmp != "" {
					if of.f != nil {
						of.f.Close()
					}
					os.Remove(of.tmp)
				}
			}
		}
	}
	return w.sum, err
}

func (w *writer) packet(p *query.PacketRow, pkt *pcapng.Packet, dec *fastparse.Packet) error {
	fs := w.states[p.Flow]
	if fs == nil {
		info := w.flows[p.Flow]
		if info == nil || info.done {
			return nil // not selected, or more packets than the flow record counts
		}
		fs = &flowState{info: info}
		for d := range fs.half {
			if n := len(w.halves); n > 0 {
				fs.half[d].buf, w.halves = w.halves[n-1], w.halves[:n-1]
			}
			fs.half[d].Init(w.o.Window, w.o.History)
		}
		w.states[p.Flow] = fs
	}
	info := fs.info
	if info.left > 0 {
		info.left--
	}
	f := &info.f
	switch {
	case f.Key.Proto == fastparse.ProtoTCP && dec.IsTCP():
		d := dirOf(f, dec)
		data, wire := payload(dec, pkt.Data)
		if dec.TCPFlags&fastparse.TCPAck != 0 {
			if err := w.chunks(fs, d^1, fs.half[d^1].Ack(dec.Ack, p.Frame, p.TS), dec); err != nil {
				return err
			}
		}
		seg := Segment{Seq: dec.Seq, SYN: dec.TCPFlags&fastparse.TCPSyn != 0, Len: wire, Data: data, Frame: p.Frame, TS: p.TS}
		if err := w.chunks(fs, d, fs.half[d].Push(&seg), dec); err != nil {
			return err
		}
	case f.Key.Proto == fastparse.ProtoUDP && dec.IsUDP():
		d := dirOf(f, dec)
		data, wire := payload(dec, pkt.Data)
		if err := w.datagram(fs, d, data, wire, p.TS, dec); err != nil {
			return err
		}
	}
	if info.left == 0 {
		return w.finish(fs)
	}
	return nil
}

// chunks writes what direction d's reassembler delivered.
func (w *writer) chunks(fs *flowState, d flowhash.Dir, cs []Chunk, dec *fastparse.Packet) error {
	of := &fs.out[d]
	for i := range cs {
		c := &cs[i]
		if c.Data == nil {
			if len(of.holes) < maxListedHoles {
				of.holes = append(of.holes, holeRec{c.Off, c.Hole, c.Reason})
			}
			if of.stopped {
				continue
			}
			switch w.o.Holes {
			case HolesStop:
				of.stopped = true
			case HolesZero:
				of.zeros += c.Hole // written before the next data byte, as tcpflow's seek
			}
			continue
		}
		if !of.hasData {
			of.hasData, of.first = true, c.TS
		}
		of.last = max(of.last, c.TS)
		if of.stopped {
			continue
		}
		for of.zeros > 0 {
			k := min(of.zeros, int64(len(w.zero)))
			if err := w.write(fs, d, w.zero[:k], dec); err != nil {
				return err
			}
			of.zeros -= k
		}
		if err := w.write(fs, d, c.Data, dec); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) datagram(fs *flowState, d flowhash.Dir, data []byte, wire uint32, ts int64, dec *fastparse.Packet) error {
	of := &fs.out[d]
	if !of.hasData {
		of.hasData, of.first = true, ts
	}
	of.last = max(of.last, ts)
	of.dgrams++
	of.udpBytes += int64(len(data))
	of.udpTrunc += int64(wire) - int64(len(data))
	if w.o.UDPFraming {
		n := len(data)
		w.hdr = [2]byte{byte(n >> 8), byte(n)}
		if err := w.write(fs, d, w.hdr[:], dec); err != nil {
			return err
		}
	}
	return w.write(fs, d, data, dec)
}

// write appends b to direction d's file, naming it first if needed.
func (w *writer) write(fs *flowState, d flowhash.Dir, b []byte, dec *fastparse.Packet) error {
	of := &fs.out[d]
	if of.name == "" {
		if err := w.nameFile(fs, d, dec); err != nil {
			return err
		}
	}
	of.size += int64(len(b))
	if of.buf == nil {
		if n := len(w.bufs); n > 0 {
			of.buf, w.bufs = w.bufs[n-1][:0], w.bufs[:n-1]
		} else {
			of.buf = make([]byte, 0, outBufSize)
		}
	}
	if len(of.buf)+len(b) > cap(of.buf) {
		if err := w.flush(of); err != nil {
			return err
		}
		if len(b) >= cap(of.buf) {
			return w.writeFile(of, b)
		}
	}
	of.buf = append(of.buf, b...)
	return nil
}

func (w *writer) flush(of *outFile) error {
	if len(of.buf) == 0 {
		return nil
	}
	err := w.writeFile(of, of.buf)
	of.buf = of.buf[:0]
	return err
}

func (w *writer) writeFile(of *outFile, b []byte) error {
	if of.f == nil {
		var err error
		if of.tmp == "" {
			of.f, err = os.CreateTemp(w.o.Dir, ".pcapdex-stream-*")
			if err == nil {
				of.tmp = of.f.Name()
			}
		} else {
			of.f, err = os.OpenFile(of.tmp, os.O_WRONLY|os.O_APPEND, 0)
		}
		if err != nil {
			return err
		}
		w.open = append(w.open, of)
		if len(w.open) > w.o.MaxOpen {
			old := w.open[0]
			w.open = slices.Delete(w.open, 0, 1)
			if err := old.f.Close(); err != nil {
				return err
			}
			old.f = nil
		}
	}
	_, err := of.f.Write(b)
	return err
}

// endpoint returns the sender of direction d of f.
func endpoint(f *flowLite, d flowhash.Dir) (netip.Addr, uint16) {
	a, p := &f.Key.A, f.Key.PortA
	if d == flowhash.DirBA {
		a, p = &f.Key.B, f.Key.PortB
	}
	if f.Key.IPVersion == 4 {
		return netip.AddrFrom4([4]byte(a[:4])), p
	}
	return netip.AddrFrom16(*a), p
}

func (w *writer) nameFile(fs *flowState, d flowhash.Dir, dec *fastparse.Packet) error {
	f := &fs.info.f
	sa, sp := endpoint(f, d)
	da, dp := endpoint(f, d^1)
	vlan := -1
	if dec.VLANCount > 0 {
		vlan = int(dec.VLANs[0])
	}
	w.name = AppendFileName(w.name[:0], sa, sp, da, dp, vlan, 0)
	if f.Key.Proto == fastparse.ProtoUDP {
		w.name = append(w.name, ".udp"...)
	}
	n := w.names[string(w.name)]
	w.names[string(w.name)] = n + 1
	if n > 0 {
		w.name = AppendFileName(w.name[:0], sa, sp, da, dp, vlan, n)
		if f.Key.Proto == fastparse.ProtoUDP {
			w.name = append(w.name, ".udp"...)
		}
	}
	name := string(w.name)
	if err := w.mayWrite(filepath.Join(w.o.Dir, name)); err != nil {
		return err
	}
	fs.out[d].name = name
	return nil
}

// mayWrite reports why path must not be written, if it must not.
func (w *writer) mayWrite(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, p := range w.protect {
		if os.SameFile(fi, p) {
			return fmt.Errorf("%s is an input: not writing over it", path)
		}
	}
	if !w.o.Force {
		return fmt.Errorf("%s exists (--force replaces it)", path)
	}
	return nil
}

// finish ends a flow: flushes what waits, renames its files, writes its manifest line and
// returns its buffers to the pools.
func (w *writer) finish(fs *flowState) error {
	id := uint32(fs.info.f.ID)
	if fs.info.f.Key.Proto == fastparse.ProtoTCP {
		for d := range fs.half {
			h := &fs.half[d]
			if err := w.chunks(fs, flowhash.Dir(d), h.End(0, fs.info.f.LastTS), &w.nodec); err != nil {
				return err
			}
		}
	}
	for d := range fs.out {
		of := &fs.out[d]
		if err := w.flush(of); err != nil {
			return err
		}
		if of.f != nil {
			if err := of.f.Close(); err != nil {
				return err
			}
			of.f = nil
			if i := slices.Index(w.open, of); i >= 0 {
				w.open = slices.Delete(w.open, i, i+1)
			}
		}
		if of.buf != nil {
			w.bufs = append(w.bufs, of.buf)
			of.buf = nil
		}
		if of.name != "" {
			final := filepath.Join(w.o.Dir, of.name)
			if of.tmp == "" { // named, nothing written: an empty file
				f, err := os.CreateTemp(w.o.Dir, ".pcapdex-stream-*")
				if err != nil {
					return err
				}
				of.tmp = f.Name()
				f.Close()
			}
			if err := w.mayWrite(final); err != nil {
				return err
			}
			if err := os.Rename(of.tmp, final); err != nil {
				return err
			}
			of.tmp = ""
			w.sum.Files++
			w.sum.FileBytes += of.size
		}
	}
	w.sum.Flows++
	w.line = w.appendManifest(w.line[:0], fs)
	if _, err := w.man.Write(w.line); err != nil {
		return err
	}
	for d := range fs.half {
		h := &fs.half[d]
		w.sum.Bytes += h.Bytes + fs.out[d].udpBytes
		w.sum.Holes += h.Holes
		w.sum.HoleBytes += h.HoleBytes
		w.sum.Conflicts += h.Conflicts
		if b := h.Release(); b != nil {
			w.halves = append(w.halves, b)
		}
	}
	delete(w.states, id)
	fs.info.done = true
	return nil
}

// appendManifest appends flow fs's manifest line: the flow, then per direction (orig, resp)
// its file, byte counts, times (Unix ns) and holes.
func (w *writer) appendManifest(b []byte, fs *flowState) []byte {
	f := &fs.info.f
	b = append(b, `{"flow":`...)
	b = strconv.AppendUint(b, f.ID, 10)
	b = append(b, `,"community_id":"`...)
	b = f.AppendCommunityID(b)
	b = append(b, `","proto":"`...)
	if f.Key.Proto == fastparse.ProtoTCP {
		b = append(b, "tcp"...)
	} else {
		b = append(b, "udp"...)
	}
	b = append(b, '"')
	for i, d := range [2]flowhash.Dir{f.Orig, f.Orig ^ 1} {
		a, p := endpoint(f, d)
		if i == 0 {
			b = append(b, `,"orig_h":"`...)
		} else {
			b = append(b, `,"resp_h":"`...)
		}
		b = a.AppendTo(b)
		if i == 0 {
			b = append(b, `","orig_p":`...)
		} else {
			b = append(b, `","resp_p":`...)
		}
		b = strconv.AppendUint(b, uint64(p), 10)
	}
	for i, d := range [2]flowhash.Dir{f.Orig, f.Orig ^ 1} {
		if i == 0 {
			b = append(b, `,"orig":`...)
		} else {
			b = append(b, `,"resp":`...)
		}
		b = w.appendDir(b, fs, d)
	}
	return append(b, "}\n"...)
}

func (w *writer) appendDir(b []byte, fs *flowState, d flowhash.Dir) []byte {
	of, h := &fs.out[d], &fs.half[d]
	b = append(b, `{"file":`...)
	if of.name == "" {
		b = append(b, "null"...)
	} else {
		b = textenc.AppendJSONString(b, of.name)
	}
	num := func(key string, v int64) {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		b = strconv.AppendInt(b, v, 10)
	}
	if fs.info.f.Key.Proto == fastparse.ProtoUDP {
		num("bytes", of.udpBytes)
		num("file_bytes", of.size)
		num("datagrams", of.dgrams)
		num("truncated_bytes", of.udpTrunc)
	} else {
		num("bytes", h.Bytes)
		num("file_bytes", of.size)
		num("segments", h.Segments)
	}
	if of.hasData {
		num("first_ts", of.first)
		num("last_ts", of.last)
	} else {
		b = append(b, `,"first_ts":null,"last_ts":null`...)
	}
	if fs.info.f.Key.Proto == fastparse.ProtoTCP {
		num("hole_bytes", h.HoleBytes)
		b = append(b, `,"holes":[`...)
		for i, x := range of.holes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendInt(b, x.off, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, x.n, 10)
			b = append(b, ',', '"')
			b = append(b, x.reason.String()...)
			b = append(b, '"', ']')
		}
		b = append(b, ']')
		num("holes_unlisted", h.Holes-int64(len(of.holes)))
		num("conflicts", h.Conflicts)
		num("conflict_bytes", h.ConflictBytes)
		num("overlap_bytes", h.OverlapBytes)
		num("unchecked_bytes", h.Unchecked)
		num("keepalives", h.KeepAlives)
		num("window_overflows", h.Overflows)
		num("out_of_window_bytes", h.OutOfWindow)
		num("before_start_bytes", h.BeforeStart)
	}
	return append(b, '}')
}
