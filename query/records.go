package query

import (
	"fmt"

	"github.com/pcapdex/pcapdex/pcapng"
)

// records reads back the capture records that packet rows name (by file and offset),
// opening each capture of the set on first use, and checks each record against its row
// (time, captured and original length): a capture changed since it was indexed is an
// error naming the record, never other bytes. Extract, packet filters and packets -e read
// through it.
type records struct {
	files   []string
	readers []*pcapng.Reader
	open    func(i int) (*pcapng.Reader, error)
}

// newRecords returns a records over st's captures; open, if not nil, opens capture i.
func newRecords(st Store, open func(i int) (*pcapng.Reader, error)) *records {
	files := st.Files()
	rs := &records{files: files, readers: make([]*pcapng.Reader, len(files)), open: open}
	if rs.open == nil {
		rs.open = func(i int) (*pcapng.Reader, error) {
			return pcapng.Open(capturePath(st, files[i]), pcapng.Options{})
		}
	}
	return rs
}

// read reads p's record into pkt (its Data valid until the next read) and returns the
// reader of its capture.
func (rs *records) read(p *PacketRow, pkt *pcapng.Packet) (*pcapng.Reader, error) {
	fi := int(p.File)
	if fi >= len(rs.files) {
		return nil, fmt.Errorf("frame %d names capture file %d of %d", p.Frame, fi, len(rs.files))
	}
	r := rs.readers[fi]
	if r == nil {
		var err error
		if r, err = rs.open(fi); err != nil {
			return nil, err
		}
		rs.readers[fi] = r
	}
	if err := r.ReadPacketAt(p.Off, pkt); err != nil {
		return nil, fmt.Errorf("frame %d: %w", p.Frame, err)
	}
	if pkt.TS != p.TS || pkt.CapLen != p.CapLen || p.OrigLen != 0 && pkt.OrigLen != p.OrigLen {
		return nil, fmt.Errorf("%s: record at offset %d (frame %d) has time %d and %d of %d bytes, the index says %d and %d of %d: the capture changed since it was indexed",
			r.Name(), p.Off, p.Frame, pkt.TS, pkt.CapLen, pkt.OrigLen, p.TS, p.CapLen, p.OrigLen)
	}
	return r, nil
}

// close closes the captures opened.
func (rs *records) close() {
	for _, r := range rs.readers {
		if r != nil {
			r.Close()
		}
	}
}
