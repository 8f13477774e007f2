package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

func init() {
	register(&command{
		name:    "info",
		summary: "summarize captures like capinfos: format, link types, packets, time span, sizes, drops",
		usage:   "pcapdex info [--format table|json|jsonl] [--no-mmap] CAPTURE...",
		examples: `  pcapdex info trace.pcapng
  pcapdex info --format json trace.pcap.gz
  pcapdex info --format jsonl *.pcap > summary.jsonl
  cat trace.pcap | pcapdex info -`,
		run: runInfo,
	})
}

type infoOptions struct {
	format string
	input  inputFlags
}

func runInfo(args []string, stdout, stderr io.Writer) int {
	c := commands["info"]
	var o infoOptions
	fs := newFlags(c, stderr)
	fs.StringVar(&o.format, "format", "table", "output format: table, json (one object per file; an array for several files) or jsonl")
	addInputFlags(fs, &o.input)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	switch o.format {
	case "table", "json", "jsonl":
	default:
		fmt.Fprintf(stderr, "pcapdex info: unknown --format %q (table, json, jsonl)\n", o.format)
		return exitUsage
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "pcapdex info: no capture given (see 'pcapdex info --help')")
		return exitUsage
	}
	code := exitOK
	var out []byte
	if o.format == "json" && len(files) > 1 {
		out = append(out, '[')
	}
	for i, path := range files {
		s := infoFile(path, o.input.noMmap)
		for _, w := range s.warnings {
			fmt.Fprintf(stderr, "pcapdex info: warning: %s\n", w)
		}
		if s.errMsg != "" {
			fmt.Fprintf(stderr, "pcapdex info: %s\n", s.errMsg)
		}
		code = max(code, s.exitCode())
		switch o.format {
		case "table":
			if i > 0 {
				out = append(out, '\n')
			}
			out = s.appendTable(out)
		case "json":
			if len(files) > 1 && i > 0 {
				out = append(out, ',', '\n')
			}
			out = s.appendJSON(out)
			if len(files) == 1 {
				out = append(out, '\n')
			}
		case "jsonl":
			out = s.appendJSON(out)
			out = append(out, '\n')
		}
		if _, err := stdout.Write(out); err != nil {
			fmt.Fprintf(stderr, "pcapdex info: %v\n", err)
			return exitInput
		}
		out = out[:0]
	}
	if o.format == "json" && len(files) > 1 {
		stdout.Write([]byte("]\n"))
	}
	return code
}

// infoFile reads one capture start to end and returns its statistics. The packet loop lives
// here and only here: every per-packet consumer hangs off fileStats.observe.
func infoFile(path string, noMmap bool) *fileStats {
	s := &fileStats{file: path}
	r, err := openCapture(path, noMmap)
	if err != nil {
		s.openFailed = true
		s.errMsg = err.Error()
		return s
	}
	defer r.Close()
	s.begin(r)
	var p pcapng.Packet
	for {
		if err = r.Next(&p); err != nil {
			break
		}
		s.observe(&p)
	}
	if err != io.EOF {
		s.errMsg = err.Error()
	}
	s.finish(r)
	return s
}

// fileStats is everything info reports about one file. observe is called once per packet
// and must not allocate; add new per-packet counters as fields here, update them in observe
// and print them in appendJSON / appendTable.
type fileStats struct {
	file        string
	openFailed  bool
	errMsg      string
	format      string
	compression string
	byteOrders  string
	tsResol     string

	packets        uint64
	frameBytes     uint64 // sum of original lengths
	capturedBytes  uint64
	snapTruncated  uint64
	maxFrameLen    uint32
	noTS           uint64
	backward       uint64
	packetComments uint64

	first, last      pcapng.Packet // only TS/HasTS are kept
	hasFirst         bool
	prevTS           int64
	havePrev         bool
	minTS, maxTS     int64
	haveTS           bool
	truncated        bool
	warnings         []string
	ifaces           []pcapng.Interface
	sections         []pcapng.Section
	names            int
	counts           pcapng.BlockCounts
	pcapLinkField    uint32
	pcapMaj, pcapMin uint16

	// Decoder and flow counters, fed by the same pass (the manifest's protocol, VLAN,
	// fragment, conversation and TCP analysis columns).
	dec     fastparse.Packet
	decode  fastparse.Stats
	tracker *flowhash.Tracker
	flows   *flowhash.Result
}

func (s *fileStats) begin(r *pcapng.Reader) {
	s.format = r.Format().String()
	s.compression = r.Compression().String()
	s.tracker = flowhash.NewTracker(flowhash.Options{})
}

// observe counts one packet: the record-level counters, then decoding and flow tracking.
// (pcapdex index calls observeRecord alone: its pipeline decodes and tracks.)
func (s *fileStats) observe(p *pcapng.Packet) {
	s.observeRecord(p)
	fastparse.DecodeFCS(&s.dec, p.LinkType, p.Data, p.OrigLen, int(p.FCSLen))
	s.decode.Add(&s.dec)
	s.tracker.Add(&s.dec, p.Ordinal, p.TS)
}

// observeRecord updates the record-level counters of one packet (no decoding).
func (s *fileStats) observeRecord(p *pcapng.Packet) {
	s.packets++
	s.frameBytes += uint64(p.OrigLen)
	s.capturedBytes += uint64(p.CapLen)
	if p.CapLen < p.OrigLen {
		s.snapTruncated++
	}
	s.maxFrameLen = max(s.maxFrameLen, p.OrigLen)
	if len(p.Options) > 0 {
		s.packetComments += uint64(p.CommentCount())
	}
	if !s.hasFirst {
		s.first.TS, s.first.HasTS, s.hasFirst = p.TS, p.HasTS, true
	}
	s.last.TS, s.last.HasTS = p.TS, p.HasTS
	if !p.HasTS {
		s.noTS++
		return
	}
	if s.havePrev && p.TS < s.prevTS {
		s.backward++
	}
	s.prevTS, s.havePrev = p.TS, true
	if !s.haveTS {
		s.minTS, s.maxTS, s.haveTS = p.TS, p.TS, true
	} else {
		s.minTS = min(s.minTS, p.TS)
		s.maxTS = max(s.maxTS, p.TS)
	}
}

func (s *fileStats) finish(r *pcapng.Reader) {
	s.flows = s.tracker.Result()
	s.truncated = r.Truncated()
	s.warnings = r.Warnings()
	s.ifaces = r.Interfaces()
	s.sections = r.Sections()
	s.names = len(r.NameEntries())
	s.counts = r.BlockCounts()
	s.pcapLinkField = r.PcapLinkField()
	s.pcapMaj, s.pcapMin = r.PcapVersion()
	le, be := false, false
	for _, sec := range s.sections {
		if sec.BigEndian {
			be = true
		} else {
			le = true
		}
	}
	switch {
	case le && be:
		s.byteOrders = "mixed"
	case be:
		s.byteOrders = "big-endian"
	default:
		s.byteOrders = "little-endian"
	}
	res := ""
	seen := map[uint8]bool{}
	for _, ifc := range s.ifaces {
		if !seen[ifc.TSResol] {
			seen[ifc.TSResol] = true
			if res != "" {
				res += ","
			}
			res += tsResolName(ifc.TSResol)
		}
	}
	s.tsResol = res
}

// exitCode: exitInput when nothing could be read, exitPartial for a truncated tail or a
// format error after the file header, else exitOK.
func (s *fileStats) exitCode() int {
	switch {
	case s.openFailed:
		return exitInput
	case s.truncated || s.errMsg != "":
		return exitPartial
	}
	return exitOK
}

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

func (s *fileStats) linkTypes() []pcapng.LinkType {
	var lts []pcapng.LinkType
outer:
	for _, ifc := range s.ifaces {
		for _, l := range lts {
			if l == ifc.LinkType {
				continue outer
			}
		}
		lts = append(lts, ifc.LinkType)
	}
	return lts
}

func (s *fileStats) ifDrops() (uint64, bool) {
	var n uint64
	has := false
	for _, ifc := range s.ifaces {
		if ifc.HasIfDrop {
			n += ifc.IfDrop
			has = true
		}
	}
	return n, has
}

func (s *fileStats) comments() []string {
	var c []string
	for _, sec := range s.sections {
		c = append(c, sec.Comments...)
	}
	for _, ifc := range s.ifaces {
		c = append(c, ifc.Comments...)
	}
	return c
}

func (s *fileStats) durationNS() int64 {
	if !s.haveTS {
		return 0
	}
	d := s.maxTS - s.minTS
	if d < 0 { // overflow between clamped extremes
		return math.MaxInt64
	}
	return d
}

// appendJSON appends one flat JSON object, keys in a fixed order (manifest names first).
func (s *fileStats) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = infoKeyString(b, "file", s.file)
	if s.openFailed {
		b = infoKeyUint(b, "packets", 0)
		b = infoKeyString(b, "error", s.errMsg)
		return append(b, '}')
	}
	b = infoKeyString(b, "format", s.format)
	b = infoKeyString(b, "compression", s.compression)
	b = infoKey(b, "linktypes")
	b = append(b, '[')
	for i, l := range s.linkTypes() {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(l), 10)
	}
	b = append(b, ']')
	b = infoKeyUint(b, "packets", s.packets)
	b = infoKey(b, "first_ts")
	b = infoTS(b, s.first.TS, s.hasFirst && s.first.HasTS)
	b = infoKey(b, "last_ts")
	b = infoTS(b, s.last.TS, s.hasFirst && s.last.HasTS)
	b = infoKeyUint(b, "frame_bytes", s.frameBytes)
	b = infoKeyUint(b, "captured_bytes", s.capturedBytes)
	b = infoKeyUint(b, "snaplen_truncated_frames", s.snapTruncated)
	b = infoKeyUint(b, "max_frame_len", uint64(s.maxFrameLen))
	b = infoKeyUint(b, "ts_backward_steps", s.backward)
	b = infoKeyUint(b, "no_timestamp_packets", s.noTS)
	b = infoKeyBool(b, "truncated", s.truncated)
	b = infoKey(b, "warnings")
	b = append(b, '[')
	for i, w := range s.warnings {
		if i > 0 {
			b = append(b, ',')
		}
		b = infoJSONString(b, w)
	}
	b = append(b, ']')
	if s.errMsg != "" {
		b = infoKeyString(b, "error", s.errMsg)
	}
	b = append(b, ',')
	b = s.decode.AppendJSONFields(b)
	b = append(b, ',')
	b = s.flows.AppendInfoJSONFields(b)
	// Container details.
	b = infoKeyString(b, "byte_order", s.byteOrders)
	b = infoKeyString(b, "time_resolution", s.tsResol)
	if s.format == "pcap" {
		b = infoKeyString(b, "pcap_version", strconv.Itoa(int(s.pcapMaj))+"."+strconv.Itoa(int(s.pcapMin)))
		b = infoKeyUint(b, "pcap_linktype_field", uint64(s.pcapLinkField))
	}
	b = infoKeyUint(b, "snaplen", uint64(s.maxSnaplen()))
	b = infoKeyUint(b, "sections", uint64(len(s.sections)))
	b = infoKey(b, "earliest_ts")
	b = infoTS(b, s.minTS, s.haveTS)
	b = infoKey(b, "latest_ts")
	b = infoTS(b, s.maxTS, s.haveTS)
	d := s.durationNS()
	b = infoKey(b, "duration")
	b = infoTS(b, d, true)
	avg := 0.0
	if s.packets > 0 {
		avg = float64(s.frameBytes) / float64(s.packets)
	}
	b = infoKeyFloat(b, "avg_packet_size", avg, 2)
	rate := 0.0
	if d > 0 {
		rate = float64(s.frameBytes) / (float64(d) / 1e9)
	}
	b = infoKeyFloat(b, "byte_rate", rate, 2)
	b = infoKeyFloat(b, "bit_rate", rate*8, 2)
	if rate > 0 {
		b = infoKeyFloat(b, "packet_rate", float64(s.packets)/(float64(d)/1e9), 2)
	} else {
		b = infoKeyFloat(b, "packet_rate", 0, 2)
	}
	if drops, ok := s.ifDrops(); ok {
		b = infoKeyUint(b, "if_drops", drops)
	}
	b = infoKeyUint(b, "packet_comments", s.packetComments)
	b = infoKey(b, "comments")
	b = append(b, '[')
	for i, c := range s.comments() {
		if i > 0 {
			b = append(b, ',')
		}
		b = infoJSONString(b, c)
	}
	b = append(b, ']')
	if s.format == "pcapng" {
		c := s.counts
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
		b = infoKeyUint(b, "name_entries", uint64(s.names))
	}
	b = infoKey(b, "interfaces")
	b = append(b, '[')
	for i := range s.ifaces {
		if i > 0 {
			b = append(b, ',')
		}
		b = infoInterfaceJSON(b, &s.ifaces[i])
	}
	b = append(b, ']')
	return append(b, '}')
}

func (s *fileStats) maxSnaplen() uint32 {
	var m uint32
	for _, ifc := range s.ifaces {
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
func (s *fileStats) appendTable(b []byte) []byte {
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
	text("File name", s.file)
	if s.openFailed {
		text("Error", s.errMsg)
		return b
	}
	line("File format")
	b = append(b, s.format...)
	b = append(b, " ("...)
	b = append(b, s.byteOrders...)
	b = append(b, ")\n"...)
	text("Compression", s.compression)
	text("Time resolution", s.tsResol)
	if s.format == "pcapng" {
		count("Sections", uint64(len(s.sections)), "")
	}
	count("Interfaces", uint64(len(s.ifaces)), "")
	for i := range s.ifaces {
		ifc := &s.ifaces[i]
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
	count("Packets", s.packets, "")
	line("First packet time")
	b = appendTableTS(b, s.first.TS, s.hasFirst && s.first.HasTS)
	line("Last packet time")
	b = appendTableTS(b, s.last.TS, s.hasFirst && s.last.HasTS)
	line("Earliest packet time")
	b = appendTableTS(b, s.minTS, s.haveTS)
	line("Latest packet time")
	b = appendTableTS(b, s.maxTS, s.haveTS)
	d := s.durationNS()
	line("Capture duration")
	b = appendSeconds(b, d)
	b = append(b, " s\n"...)
	count("Data size (wire)", s.frameBytes, " bytes")
	count("Data size (captured)", s.capturedBytes, " bytes")
	count("Largest frame", uint64(s.maxFrameLen), " bytes")
	if s.packets > 0 {
		rate("Average packet size", float64(s.frameBytes)/float64(s.packets), " bytes")
	}
	if d > 0 {
		sec := float64(d) / 1e9
		rate("Data byte rate", float64(s.frameBytes)/sec, " bytes/s")
		rate("Data bit rate", float64(s.frameBytes)*8/sec, " bits/s")
		rate("Average packet rate", float64(s.packets)/sec, " packets/s")
	}
	count("Snaplen-truncated frames", s.snapTruncated, "")
	count("Packets without time", s.noTS, "")
	count("Timestamps going back", s.backward, "")
	if drops, ok := s.ifDrops(); ok {
		count("Interface drops", drops, "")
	}
	count("Packet comments", s.packetComments, "")
	for _, c := range s.comments() {
		line("Comment")
		b = infoJSONString(b, c)
		b = append(b, '\n')
	}
	text("Truncated", strconv.FormatBool(s.truncated))
	for _, w := range s.warnings {
		text("Warning", w)
	}
	if s.errMsg != "" {
		text("Error", s.errMsg)
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
