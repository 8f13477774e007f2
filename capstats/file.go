package capstats

import (
	"math"
	"strconv"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/textenc"
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
			res += TSResolName(ifc.TSResol)
		}
	}
	s.TSResol = res
}

// Partial reports a result read only in part: a truncated tail or an error after the
// file header. (OpenFailed is worse: nothing was read.)
func (s *File) Partial() bool { return !s.OpenFailed && (s.Truncated || s.Err != "") }

func TSResolName(r uint8) string {
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

func (s *File) LinkTypes() []pcapng.LinkType {
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

func (s *File) IfDrops() (uint64, bool) {
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

func (s *File) Comments() []string {
	var c []string
	for _, sec := range s.Sections {
		c = append(c, sec.Comments...)
	}
	for _, ifc := range s.Interfaces {
		c = append(c, ifc.Comments...)
	}
	return c
}

func (s *File) Duration() int64 {
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
	b = textenc.AppendKeyString(b, "file", s.Path)
	if s.OpenFailed {
		b = textenc.AppendKeyUint(b, "packets", 0)
		b = textenc.AppendKeyString(b, "error", s.Err)
		return append(b, '}')
	}
	b = textenc.AppendKeyString(b, "format", s.Format)
	b = textenc.AppendKeyString(b, "compression", s.Compression)
	b = textenc.AppendKey(b, "linktypes")
	b = append(b, '[')
	for i, l := range s.LinkTypes() {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(l), 10)
	}
	b = append(b, ']')
	b = textenc.AppendKeyUint(b, "packets", s.Packets)
	b = textenc.AppendKey(b, "first_ts")
	b = infoTS(b, s.First.TS, s.First.Has)
	b = textenc.AppendKey(b, "last_ts")
	b = infoTS(b, s.Last.TS, s.Last.Has)
	b = textenc.AppendKeyUint(b, "frame_bytes", s.FrameBytes)
	b = textenc.AppendKeyUint(b, "captured_bytes", s.CapturedBytes)
	b = textenc.AppendKeyUint(b, "snaplen_truncated_frames", s.SnapTruncated)
	b = textenc.AppendKeyUint(b, "max_frame_len", uint64(s.MaxFrameLen))
	b = textenc.AppendKeyUint(b, "ts_backward_steps", s.Backward)
	b = textenc.AppendKeyUint(b, "no_timestamp_packets", s.NoTS)
	b = textenc.AppendKeyBool(b, "truncated", s.Truncated)
	b = textenc.AppendKey(b, "warnings")
	b = append(b, '[')
	for i, w := range s.Warnings {
		if i > 0 {
			b = append(b, ',')
		}
		b = textenc.AppendJSONString(b, w)
	}
	b = append(b, ']')
	if s.Err != "" {
		b = textenc.AppendKeyString(b, "error", s.Err)
	}
	b = append(b, ',')
	b = s.Decode.AppendJSONFields(b)
	b = append(b, ',')
	b = s.Flows.AppendInfoJSONFields(b)
	// Container details.
	b = textenc.AppendKeyString(b, "byte_order", s.ByteOrders)
	b = textenc.AppendKeyString(b, "time_resolution", s.TSResol)
	if s.Format == "pcap" {
		b = textenc.AppendKeyString(b, "pcap_version", strconv.Itoa(int(s.PcapMajor))+"."+strconv.Itoa(int(s.PcapMinor)))
		b = textenc.AppendKeyUint(b, "pcap_linktype_field", uint64(s.PcapLinkField))
	}
	b = textenc.AppendKeyUint(b, "snaplen", uint64(s.MaxSnaplen()))
	b = textenc.AppendKeyUint(b, "sections", uint64(len(s.Sections)))
	b = textenc.AppendKey(b, "earliest_ts")
	b = infoTS(b, s.MinTS, s.HaveTS)
	b = textenc.AppendKey(b, "latest_ts")
	b = infoTS(b, s.MaxTS, s.HaveTS)
	d := s.Duration()
	b = textenc.AppendKey(b, "duration")
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
	if drops, ok := s.IfDrops(); ok {
		b = textenc.AppendKeyUint(b, "if_drops", drops)
	}
	b = textenc.AppendKeyUint(b, "packet_comments", s.PacketComments)
	b = textenc.AppendKey(b, "comments")
	b = append(b, '[')
	for i, c := range s.Comments() {
		if i > 0 {
			b = append(b, ',')
		}
		b = textenc.AppendJSONString(b, c)
	}
	b = append(b, ']')
	if s.Format == "pcapng" {
		c := s.Blocks
		b = textenc.AppendKeyUint(b, "blocks_shb", uint64(c.SHB))
		b = textenc.AppendKeyUint(b, "blocks_idb", uint64(c.IDB))
		b = textenc.AppendKeyUint(b, "blocks_epb", uint64(c.EPB))
		b = textenc.AppendKeyUint(b, "blocks_spb", uint64(c.SPB))
		b = textenc.AppendKeyUint(b, "blocks_opb", uint64(c.OPB))
		b = textenc.AppendKeyUint(b, "blocks_nrb", uint64(c.NRB))
		b = textenc.AppendKeyUint(b, "blocks_isb", uint64(c.ISB))
		b = textenc.AppendKeyUint(b, "blocks_dsb", uint64(c.DSB))
		b = textenc.AppendKeyUint(b, "blocks_custom", uint64(c.Custom))
		b = textenc.AppendKeyUint(b, "blocks_unknown", uint64(c.Unknown))
		b = textenc.AppendKeyUint(b, "name_entries", uint64(s.NameEntries))
	}
	b = textenc.AppendKey(b, "interfaces")
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

func (s *File) MaxSnaplen() uint32 {
	var m uint32
	for _, ifc := range s.Interfaces {
		m = max(m, ifc.SnapLen)
	}
	return m
}

func infoInterfaceJSON(b []byte, ifc *pcapng.Interface) []byte {
	b = append(b, '{')
	b = textenc.AppendKeyUint(b, "linktype", uint64(ifc.LinkType))
	b = textenc.AppendKeyUint(b, "snaplen", uint64(ifc.SnapLen))
	b = textenc.AppendKeyString(b, "name", ifc.Name)
	b = textenc.AppendKeyString(b, "description", ifc.Description)
	b = textenc.AppendKeyString(b, "tsresol", TSResolName(ifc.TSResol))
	b = textenc.AppendKey(b, "tsoffset")
	b = strconv.AppendInt(b, ifc.TSOffset, 10)
	b = textenc.AppendKey(b, "fcslen")
	b = strconv.AppendInt(b, int64(ifc.FCSLen), 10)
	b = textenc.AppendKeyUint(b, "section", uint64(ifc.Section))
	if ifc.HasIfRecv {
		b = textenc.AppendKeyUint(b, "if_recv", ifc.IfRecv)
	}
	if ifc.HasIfDrop {
		b = textenc.AppendKeyUint(b, "if_drop", ifc.IfDrop)
	}
	if ifc.HasOSDrop {
		b = textenc.AppendKeyUint(b, "os_drop", ifc.OSDrop)
	}
	return append(b, '}')
}

// infoKeyFloat appends the member k with v in fixed notation; NaN and infinities, which
// info reports as 0, never as null.
func infoKeyFloat(b []byte, k string, v float64, prec int) []byte {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		v = 0
	}
	return textenc.AppendKeyFloat(b, k, v, prec)
}

// infoTS appends ns as a JSON string of epoch seconds with 9 decimals, or "-" when !ok.
func infoTS(b []byte, ns int64, ok bool) []byte {
	if !ok {
		return append(b, '"', '-', '"')
	}
	b = append(b, '"')
	b = textenc.AppendSeconds(b, ns, 9)
	return append(b, '"')
}
