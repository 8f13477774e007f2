package query

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/pcapng"
)

// FieldNames are the packet fields PacketFields writes, named as tshark -e names them.
func FieldNames() []string {
	var out []string
	for n, k := range filter.DisplayFields {
		if k != filter.DProto || strings.HasPrefix(n, "tcp.analysis.") {
			out = append(out, n)
		}
	}
	out = append(out, "tcp.flags.str")
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// hexFields print as tshark prints them: 0x and four hex digits.
var hexFields = map[string]bool{"eth.type": true, "ip.id": true, "tcp.flags": true}

// PacketFields calls fn with the text of each named field (see FieldNames) of every selected
// packet in capture order, as tshark -T fields -e NAME... writes them: numbers in decimal
// (eth.type, ip.id and tcp.flags as 0x%04x), epoch times with 9 decimals, the occurrences of
// a field that appears several times (ip.src of a tunnelled packet) joined by ",", "" when
// the packet has none, and "1" for a tcp.analysis flag that is set. Each packet is read back
// from its capture. vals and their bytes are reused between calls.
func PacketFields(st Store, sel Selection, names []string, fn func(frame int64, vals [][]byte) error) error {
	known := map[string]bool{}
	for _, n := range FieldNames() {
		known[n] = true
	}
	for _, n := range names {
		if !known[n] {
			return fmt.Errorf("unknown field %q (pcapdex knows %s)", n, strings.Join(FieldNames(), " "))
		}
	}
	if frameOnly(names) {
		return frameFields(st, sel, names, fn)
	}
	tcp, udp, err := streamNumbers(st)
	if err != nil {
		return err
	}
	c := &dispCtx{tcpStream: tcp, udpStream: udp}
	recs := newRecords(st, nil)
	defer recs.close()
	vals := make([][]byte, len(names))
	var pkt pcapng.Packet
	var v pktView
	return st.Packets(sel.packetRows(), sel.Since, sel.Until, NeedTCP|NeedRecord, func(p *PacketRow) error {
		if !sel.keep(p) {
			return nil
		}
		if _, err := recs.read(p, &pkt); err != nil {
			return err
		}
		v = pktView{data: pkt.Data, wire: pkt.OrigLen, link: linkKindOf(pkt.LinkType), flowRow: int32(p.Flow) - 1}
		c.row, c.lt, c.decoded = p, pkt.LinkType, false
		for i, n := range names {
			vals[i] = c.appendField(vals[i][:0], n, &v)
		}
		return fn(p.Frame, vals)
	})
}

// appendField appends the text of field name of the packet.
func (c *dispCtx) appendField(dst []byte, name string, v *pktView) []byte {
	if name == "tcp.flags.str" {
		if !c.extract("tcp.flags", v, &c.fv) || c.fv.nv == 0 {
			return dst
		}
		const marks = "RRRNCEUAPRSF"
		f := c.fv.nums[0]
		for i := 0; i < 12; i++ {
			if i >= 3 && f&(1<<(11-i)) != 0 {
				dst = append(dst, marks[i])
			} else {
				dst = append(dst, "\u00b7"...)
			}
		}
		return dst
	}
	got := c.extract(name, v, &c.fv)
	if filter.DisplayFields[name] == filter.DProto {
		if got {
			dst = append(dst, '1')
			if name == "tcp.analysis.duplicate_ack" {
				dst = append(dst, ",1"...) // tshark's tree holds this flag twice
			}
		}
		return dst
	}
	if !got {
		return dst
	}
	fv := &c.fv
	n := 0
	sep := func() {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
	}
	for i := 0; i < fv.nv; i++ {
		sep()
		x := fv.nums[i]
		switch {
		case filter.DisplayFields[name] == filter.DTime:
			dst = strconv.AppendUint(dst, x/1e9, 10)
			dst = append(dst, '.')
			s := strconv.FormatUint(x%1e9+1e9, 10)
			dst = append(dst, s[1:]...)
		case hexFields[name]:
			dst = append(dst, "0x"...)
			s := strconv.FormatUint(x+0x10000, 16)
			if x > 0xffff {
				s = "1" + strconv.FormatUint(x, 16)
			}
			dst = append(dst, s[1:]...)
		default:
			dst = strconv.AppendUint(dst, x, 10)
		}
	}
	for i := 0; i < fv.na; i++ {
		sep()
		a := fv.addrs[i][:fv.addrLen[i]]
		if len(a) == 4 {
			dst = netipAddr4(a).AppendTo(dst)
		} else {
			dst = netipAddr16(a).AppendTo(dst)
		}
	}
	for i := 0; i < fv.nm; i++ {
		sep()
		const hx = "0123456789abcdef"
		for j, b := range fv.macs[i] {
			if j > 0 {
				dst = append(dst, ':')
			}
			dst = append(dst, hx[b>>4], hx[b&15])
		}
	}
	return dst
}

// frameOnly reports whether every field comes from the index's packet table (no packet
// needs reading back).
func frameOnly(names []string) bool {
	for _, n := range names {
		switch n {
		case "frame.number", "frame.len", "frame.cap_len", "frame.time_epoch":
		default:
			return false
		}
	}
	return true
}

// frameFields is PacketFields for frame.* fields, straight from the packet table.
func frameFields(st Store, sel Selection, names []string, fn func(frame int64, vals [][]byte) error) error {
	vals := make([][]byte, len(names))
	return st.Packets(sel.packetRows(), sel.Since, sel.Until, NeedBasic, func(p *PacketRow) error {
		if !sel.keep(p) {
			return nil
		}
		for i, n := range names {
			d := vals[i][:0]
			switch n {
			case "frame.number":
				d = strconv.AppendInt(d, p.Frame, 10)
			case "frame.len":
				d = strconv.AppendUint(d, uint64(p.OrigLen), 10)
			case "frame.cap_len":
				d = strconv.AppendUint(d, uint64(p.CapLen), 10)
			case "frame.time_epoch":
				d = strconv.AppendInt(d, p.TS/1e9, 10)
				d = append(d, '.')
				f := p.TS % 1e9
				for div := int64(1e8); div > 0; div /= 10 {
					d = append(d, byte('0'+f/div%10))
				}
			}
			vals[i] = d
		}
		return fn(p.Frame, vals)
	})
}
