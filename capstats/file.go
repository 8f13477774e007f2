package capstats

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// File is everything `pcapdex info` reports about one capture file, filled by one pass: the
// record-level counters by the Collector (observe, called per packet, must not allocate),
// the decoder and flow counters from the pipeline. Add a per-packet counter as a field here,
// update it in observe and print it in AppendJSON and AppendTable.
type File struct {
	Path       string // as given
	OpenFailed bool   // the file could not be opened or is not a capture: Err says why
	Err        string // the error that ended reading early, if any ("" when the file ended cleanly)

	Format      string // "pcap" or "pcapng"
	Compression string // "none", "gzip", "zstd", "lz4"
	ByteOrders  string // "little-endian", "big-endian" or "mixed" (pcapng sections)
	TSResol     string // the interfaces' timestamp resolutions, comma-separated

	Packets        uint64
	FrameBytes     uint64 // sum of original lengths
	CapturedBytes  uint64
	SnapTruncated  uint64 // packets captured shorter than on the wire
	MaxFrameLen    uint32
	NoTS           uint64 // packets without a timestamp
	Backward       uint64 // timestamps earlier than the one before
	PacketComments uint64

	First, Last  Stamp // the first and last packets' times, in file order
	MinTS, MaxTS int64 // the earliest and latest times (Unix ns), when HaveTS
	HaveTS       bool

	Truncated            bool     // the file ends inside a record
	Warnings             []string // the reader's warnings
	Interfaces           []pcapng.Interface
	Sections             []pcapng.Section
	NameEntries          int
	Blocks               pcapng.BlockCounts
	PcapLinkField        uint32
	PcapMajor, PcapMinor uint16

	// Decoder and flow counters, fed by the same pass (the manifest's protocol, VLAN,
	// fragment, conversation and TCP analysis columns).
	Decode fastparse.Stats
	Flows  *flowhash.Result // file-level flow facts (Flows and Events nil)

	prevTS   int64
	havePrev bool
	tracker  *flowhash.Tracker // a file of a larger set: its own flows
}

// Stamp is one packet's time as a capture gives it.
type Stamp struct {
	TS  int64 // Unix ns
	Has bool  // false: no packet, or the packet had no timestamp
}

func (s *File) begin(r *pcapng.Reader) {
	s.Format = r.Format().String()
	s.Compression = r.Compression().String()
}

// observe updates the record-level counters of one packet (decoding and flow tracking
// are the pipeline's).
func (s *File) observe(p *pcapng.Packet) {
	s.Packets++
	s.FrameBytes += uint64(p.OrigLen)
	s.CapturedBytes += uint64(p.CapLen)
	if p.CapLen < p.OrigLen {
		s.SnapTruncated++
	}
	s.MaxFrameLen = max(s.MaxFrameLen, p.OrigLen)
	if len(p.Options) > 0 {
		s.PacketComments += uint64(p.CommentCount())
	}
	if s.Packets == 1 {
		s.First = Stamp{p.TS, p.HasTS}
	}
	s.Last = Stamp{p.TS, p.HasTS}
	if !p.HasTS {
		s.NoTS++
		return
	}
	if s.havePrev && p.TS < s.prevTS {
		s.Backward++
	}
	s.prevTS, s.havePrev = p.TS, true
	if !s.HaveTS {
		s.MinTS, s.MaxTS, s.HaveTS = p.TS, p.TS, true
	} else {
		s.MinTS = min(s.MinTS, p.TS)
		s.MaxTS = max(s.MaxTS, p.TS)
	}
}

func (s *File) finish(r *pcapng.Reader) {
	s.Truncated = r.Truncated()
	s.Warnings = r.Warnings()
	s.Interfaces = r.Interfaces()
	s.Sections = r.Sections()
	s.NameEntries = len(r.NameEntries())
	s.Blocks = r.BlockCounts()
	s.PcapLinkField = r.PcapLinkField()
	s.PcapMajor, s.PcapMinor = r.PcapVersion()
	le, be := false, false
	for _, sec := range s.Sections {
		if sec.BigEndian {
			be = true
		} else {
			le = true
		}
	}
	switch {
	case le && be:
		s.ByteOrders = "mixed"
	case be:
		s.ByteOrders = "big-endian"
	default:
		s.ByteOrders = "little-endian"
	}
	res := ""
	seen := map[uint8]bool{}
	for _, ifc := range s.Interfaces {
		if !seen[ifc.TSResol] {
			seen[ifc.TSResol] = true
			if res != "" {
				res += ","
			}
			res += tsResolName(ifc.TSResol)
		}
	}
	s.TSResol = res
}

// Partial reports a result read only in part: a truncated tail or an error after the
// file header. (OpenFailed is worse: nothing was read.)
func (s *File) Partial() bool { return !s.OpenFailed && (s.Truncated || s.Err != "") }

func tsResolName(r uint8) string {
	n := int(r & 0x7f)
	if r&0x80 != 0 {
		return "2^-" + strconv.Itoa(n)
	}
	switch n {
	case 0:
		return "s"
	case 3:
		return "ms"
	case 6:
		return "us"
	case 9:
		return "ns"
	}
	return "10^-" + strconv.Itoa(n)
}

func (s *File) linkTypes() []pcapng.LinkType {
	var lts []pcapng.LinkType
outer:
	for _, ifc := range s.Interfaces {
		for _, l := range lts {
			if l == ifc.LinkType {
				continue outer
			}
		}
		lts = append(lts, ifc.LinkType)
	}
	return lts
}

func (s *File) ifDrops() (uint64, bool) {
	var n uint64
	has := false
	for _, ifc := range s.Interfaces {
		if ifc.HasIfDrop {
			n += ifc.IfDrop
			has = true
		}
	}
	return n, has
}

func (s *File) comments() []string {
	var c []string
	for _, sec := range s.Sections {
		c = append(c, sec.Comments...)
	}
	for _, ifc := range s.Interfaces {
		c = append(c, ifc.Comments...)
	}
	return c
}

func (s *File) durationNS() int64 {
	if !s.HaveTS {
		return 0
	}
	d := s.MaxTS - s.MinTS
	if d < 0 { // overflow between clamped extremes
		return math.MaxInt64
	}
	return d
}

// appendJSON appends one flat JSON object, keys in a fixed order (manifest names first).
func (s *File) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = infoKeyString(b, "file", s.Path)
	if s.OpenFailed {
		b = infoKeyUint(b, "packets", 0)
		b = infoKeyString(b, "error", s.Err)
		return append(b, '}')
	}
	b = infoKeyString(b, "format", s.Format)
	b = infoKeyString(b, "compression", s.Compression)
	b = infoKey(b, "linktypes")
	b = append(b, '[')
	for i, l := range s.linkTypes() {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(l), 10)
	}
	b = append(b, ']')
	b = infoKeyUint(b, "packets", s.Packets)
	b = infoKey(b, "first_ts")
	b = infoTS(b, s.First.TS, s.First.Has)
	b = infoKey(b, "last_ts")
	b = infoTS(b, s.Last.TS, s.Last.Has)
	b = infoKeyUint(b, "frame_bytes", s.FrameBytes)
	b = infoKeyUint(b, "captured_bytes", s.CapturedBytes)
	b = infoKeyUint(b, "snaplen_truncated_frames", s.SnapTruncated)
	b = infoKeyUint(b, "max_frame_len", uint64(s.MaxFrameLen))
	b = infoKeyUint(b, "ts_backward_steps", s.Backward)
	b = infoKeyUint(b, "no_timestamp_packets", s.NoTS)
	b = infoKeyBool(b, "truncated", s.Truncated)
	b = infoKey(b, "warnings")
	b = append(b, '[')
	for i, w := range s.Warnings {
		if i > 0 {
			b = append(b, ',')
		}
		b = infoJSONString(b, w)
	}
	b = append(b, ']')
	if s.Err != "" {
		b = infoKeyString(b, "error", s.Err)
	}
	b = append(b, ',')
	b = s.Decode.AppendJSONFields(b)
	b = append(b, ',')
	b = s.Flows.AppendInfoJSONFields(b)
	// Container details.
	b = infoKeyString(b, "byte_order", s.ByteOrders)
	b = infoKeyString(b, "time_resolution", s.TSResol)
	if s.Format == "pcap" {
		b = infoKeyString(b, "pcap_version", strconv.Itoa(int(s.PcapMajor))+"."+strconv.Itoa(int(s.PcapMinor)))
		b = infoKeyUint(b, "pcap_linktype_field", uint64(s.PcapLinkField))
	}
	b = infoKeyUint(b, "snaplen", uint64(s.maxSnaplen()))
	b = infoKeyUint(b, "sections", uint64(len(s.Sections)))
	b = infoKey(b, "earliest_ts")
	b = infoTS(b, s.MinTS, s.HaveTS)
	b = infoKey(b, "latest_ts")
	b = infoTS(b, s.MaxTS, s.HaveTS)
	d := s.durationNS()
	b = infoKey(b, "duration")
	b = infoTS(b, d, true)
	avg := 0.0
	if s.Packets > 0 {
		avg = float64(s.FrameBytes) / float64(s.Packets)
	}
	b = infoKeyFloat(b, "avg_packet_size", avg, 2)
	rate := 0.0
	if d > 0 {
		rate = float64(s.FrameBytes) / (float64(d) / 1e9)
	}
	b = infoKeyFloat(b, "byte_rate", rate, 2)
	b = infoKeyFloat(b, "bit_rate", rate*8, 2)
	if rate > 0 {
		b = infoKeyFloat(b, "packet_rate", float64(s.Packets)/(float64(d)/1e9), 2)
	} else {
		b = infoKeyFloat(b, "packet_rate", 0, 2)
	}
	if drops, ok := s.ifDrops(); ok {
		b = infoKeyUint(b, "if_drops", drops)
	}
	b = infoKeyUint(b, "packet_comments", s.PacketComments)
	b = infoKey(b, "comments")
	b = append(b, '[')
	for i, c := range s.comments() {
		if i > 0 {
			b = append(b, ',')
		}
		b = infoJSONString(b, c)
	}
	b = append(b, ']')
	if s.Format == "pcapng" {
		c := s.Blocks
		b = infoKeyUint(b, "blocks_shb", uint64(c.SHB))
		b = infoKeyUint(b, "blocks_idb", uint64(c.IDB))
		b = infoKeyUint(b, "blocks_epb", uint64(c.EPB))
		b = infoKeyUint(b, "blocks_spb", uint64(c.SPB))
		b = infoKeyUint(b, "blocks_opb", uint64(c.OPB))
		b = infoKeyUint(b, "blocks_nrb", uint64(c.NRB))
		b = infoKeyUint(b, "blocks_isb", uint64(c.ISB))
		b = infoKeyUint(b, "blocks_dsb", uint64(c.DSB))
		b = infoKeyUint(b, "blocks_custom", uint64(c.Custom))
		b = infoKeyUint(b, "blocks_unknown", uint64(c.Unknown))
		b = infoKeyUint(b, "name_entries", uint64(s.NameEntries))
	}
	b = infoKey(b, "interfaces")
	b = append(b, '[')
	for i := range s.Interfaces {
		if i > 0 {
			b = append(b, ',')
		}
		b = infoInterfaceJSON(b, &s.Interfaces[i])
	}
	b = append(b, ']')
	return append(b, '}')
}

func (s *File) maxSnaplen() uint32 {
	var m uint32
	for _, ifc := range s.Interfaces {
		m = max(m, ifc.SnapLen)
	}
	return m
}

func infoInterfaceJSON(b []byte, ifc *pcapng.Interface) []byte {
	b = append(b, '{')
	b = infoKeyUint(b, "linktype", uint64(ifc.LinkType))
	b = infoKeyUint(b, "snaplen", uint64(ifc.SnapLen))
	b = infoKeyString(b, "name", ifc.Name)
	b = infoKeyString(b, "description", ifc.Description)
	b = infoKeyString(b, "tsresol", tsResolName(ifc.TSResol))
	b = infoKey(b, "tsoffset")
	b = strconv.AppendInt(b, ifc.TSOffset, 10)
	b = infoKey(b, "fcslen")
	b = strconv.AppendInt(b, int64(ifc.FCSLen), 10)
	b = infoKeyUint(b, "section", uint64(ifc.Section))
	if ifc.HasIfRecv {
		b = infoKeyUint(b, "if_recv", ifc.IfRecv)
	}
	if ifc.HasIfDrop {
		b = infoKeyUint(b, "if_drop", ifc.IfDrop)
	}
	if ifc.HasOSDrop {
		b = infoKeyUint(b, "os_drop", ifc.OSDrop)
	}
	return append(b, '}')
}

// JSON helpers, append-style. infoKey writes the comma unless the object just opened.

func infoKey(b []byte, k string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func infoKeyString(b []byte, k, v string) []byte { return infoJSONString(infoKey(b, k), v) }

func infoKeyUint(b []byte, k string, v uint64) []byte {
	return strconv.AppendUint(infoKey(b, k), v, 10)
}

func infoKeyBool(b []byte, k string, v bool) []byte {
	return strconv.AppendBool(infoKey(b, k), v)
}

func infoKeyFloat(b []byte, k string, v float64, prec int) []byte {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		v = 0
	}
	return strconv.AppendFloat(infoKey(b, k), v, 'f', prec, 64)
}

// infoTS appends ns as a JSON string of epoch seconds with 9 decimals, or "-" when !ok.
func infoTS(b []byte, ns int64, ok bool) []byte {
	if !ok {
		return append(b, '"', '-', '"')
	}
	b = append(b, '"')
	b = appendSeconds(b, ns)
	return append(b, '"')
}

// appendSeconds formats ns as seconds with exactly 9 decimals ("-1.500000000" for -1.5 s).
func appendSeconds(b []byte, ns int64) []byte {
	u := uint64(ns)
	if ns < 0 {
		b = append(b, '-')
		u = uint64(-(ns + 1)) + 1
	}
	b = strconv.AppendUint(b, u/1e9, 10)
	frac := u % 1e9
	var d [10]byte
	d[0] = '.'
	for i := 9; i >= 1; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}

const hexDigits = "0123456789abcdef"

// infoJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func infoJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendTable appends a capinfos-like report: one "Label: value" line per fact.
func (s *File) AppendTable(b []byte) []byte {
	line := func(label string) {
		b = append(b, label...)
		b = append(b, ':')
		for i := len(label) + 1; i < 26; i++ {
			b = append(b, ' ')
		}
	}
	// count, rate and text write a whole line: the label, the value, its unit.
	count := func(label string, v uint64, unit string) {
		line(label)
		b = strconv.AppendUint(b, v, 10)
		b = append(b, unit...)
		b = append(b, '\n')
	}
	rate := func(label string, v float64, unit string) {
		line(label)
		b = strconv.AppendFloat(b, v, 'f', 2, 64)
		b = append(b, unit...)
		b = append(b, '\n')
	}
	text := func(label, v string) {
		line(label)
		b = append(b, v...)
		b = append(b, '\n')
	}
	text("File name", s.Path)
	if s.OpenFailed {
		text("Error", s.Err)
		return b
	}
	line("File format")
	b = append(b, s.Format...)
	b = append(b, " ("...)
	b = append(b, s.ByteOrders...)
	b = append(b, ")\n"...)
	text("Compression", s.Compression)
	text("Time resolution", s.TSResol)
	if s.Format == "pcapng" {
		count("Sections", uint64(len(s.Sections)), "")
	}
	count("Interfaces", uint64(len(s.Interfaces)), "")
	for i := range s.Interfaces {
		ifc := &s.Interfaces[i]
		b = append(b, "  #"...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ": linktype "...)
		b = strconv.AppendUint(b, uint64(ifc.LinkType), 10)
		b = append(b, ", snaplen "...)
		b = strconv.AppendUint(b, uint64(ifc.SnapLen), 10)
		b = append(b, ", tsresol "...)
		b = append(b, tsResolName(ifc.TSResol)...)
		if ifc.TSOffset != 0 {
			b = append(b, ", tsoffset "...)
			b = strconv.AppendInt(b, ifc.TSOffset, 10)
		}
		if ifc.FCSLen >= 0 {
			b = append(b, ", fcslen "...)
			b = strconv.AppendInt(b, int64(ifc.FCSLen), 10)
		}
		if ifc.Name != "" {
			b = append(b, ", name "...)
			b = infoJSONString(b, ifc.Name)
		}
		if ifc.Description != "" {
			b = append(b, ", description "...)
			b = infoJSONString(b, ifc.Description)
		}
		if ifc.HasIfDrop {
			b = append(b, ", dropped "...)
			b = strconv.AppendUint(b, ifc.IfDrop, 10)
		}
		if ifc.HasIfRecv {
			b = append(b, ", received "...)
			b = strconv.AppendUint(b, ifc.IfRecv, 10)
		}
		b = append(b, '\n')
	}
	count("Packets", s.Packets, "")
	line("First packet time")
	b = appendTableTS(b, s.First.TS, s.First.Has)
	line("Last packet time")
	b = appendTableTS(b, s.Last.TS, s.Last.Has)
	line("Earliest packet time")
	b = appendTableTS(b, s.MinTS, s.HaveTS)
	line("Latest packet time")
	b = appendTableTS(b, s.MaxTS, s.HaveTS)
	d := s.durationNS()
	line("Capture duration")
	b = appendSeconds(b, d)
	b = append(b, " s\n"...)
	count("Data size (wire)", s.FrameBytes, " bytes")
	count("Data size (captured)", s.CapturedBytes, " bytes")
	count("Largest frame", uint64(s.MaxFrameLen), " bytes")
	if s.Packets > 0 {
		rate("Average packet size", float64(s.FrameBytes)/float64(s.Packets), " bytes")
	}
	if d > 0 {
		sec := float64(d) / 1e9
		rate("Data byte rate", float64(s.FrameBytes)/sec, " bytes/s")
		rate("Data bit rate", float64(s.FrameBytes)*8/sec, " bits/s")
		rate("Average packet rate", float64(s.Packets)/sec, " packets/s")
	}
	count("Snaplen-truncated frames", s.SnapTruncated, "")
	count("Packets without time", s.NoTS, "")
	count("Timestamps going back", s.Backward, "")
	if drops, ok := s.ifDrops(); ok {
		count("Interface drops", drops, "")
	}
	count("Packet comments", s.PacketComments, "")
	for _, c := range s.comments() {
		line("Comment")
		b = infoJSONString(b, c)
		b = append(b, '\n')
	}
	text("Truncated", strconv.FormatBool(s.Truncated))
	for _, w := range s.Warnings {
		text("Warning", w)
	}
	if s.Err != "" {
		text("Error", s.Err)
	}
	return b
}

func appendTableTS(b []byte, ns int64, ok bool) []byte {
	if !ok {
		return append(b, "-\n"...)
	}
	b = appendSeconds(b, ns)
	b = append(b, " ("...)
	b = time.Unix(0, ns).UTC().AppendFormat(b, "2006-01-02 15:04:05.000000000 UTC")
	b = append(b, ')')
	return append(b, '\n')
}
