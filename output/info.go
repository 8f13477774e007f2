package output

import (
	"strconv"
	"time"

	"github.com/pcapdex/pcapdex/capstats"
	"github.com/pcapdex/pcapdex/internal/textenc"
)

// AppendInfoTable appends pcapdex info's report of one capture: one "Label: value" line
// per fact, as capinfos prints them.
func AppendInfoTable(b []byte, s *capstats.File) []byte {
	line := func(label string) { b = AppendLabel(b, label, 26) }
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
		b = append(b, capstats.TSResolName(ifc.TSResol)...)
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
			b = textenc.AppendJSONString(b, ifc.Name)
		}
		if ifc.Description != "" {
			b = append(b, ", description "...)
			b = textenc.AppendJSONString(b, ifc.Description)
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
	b = appendInfoTS(b, s.First.TS, s.First.Has)
	line("Last packet time")
	b = appendInfoTS(b, s.Last.TS, s.Last.Has)
	line("Earliest packet time")
	b = appendInfoTS(b, s.MinTS, s.HaveTS)
	line("Latest packet time")
	b = appendInfoTS(b, s.MaxTS, s.HaveTS)
	d := s.Duration()
	line("Capture duration")
	b = textenc.AppendSeconds(b, d, 9)
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
	if drops, ok := s.IfDrops(); ok {
		count("Interface drops", drops, "")
	}
	count("Packet comments", s.PacketComments, "")
	for _, c := range s.Comments() {
		line("Comment")
		b = textenc.AppendJSONString(b, c)
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

func appendInfoTS(b []byte, ns int64, ok bool) []byte {
	if !ok {
		return append(b, "-\n"...)
	}
	b = textenc.AppendSeconds(b, ns, 9)
	b = append(b, " ("...)
	b = time.Unix(0, ns).UTC().AppendFormat(b, "2006-01-02 15:04:05.000000000 UTC")
	b = append(b, ')')
	return append(b, '\n')
}
