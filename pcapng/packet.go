package pcapng

// LinkType is a LINKTYPE_ number as registered with tcpdump.org (not a DLT_ value).
// In classic pcap the upper bits of the header's link-type field carry FCS information;
// LinkType holds only the low 16 bits. Values are part of every capture format and so
// part of pcapdex's durable formats too.
type LinkType uint16

// Link types pcapdex decodes or names. The numbers are LINKTYPE_ values.
const (
	LinkTypeNull            LinkType = 0   // BSD loopback, host-order 4-byte family
	LinkTypeEthernet        LinkType = 1   // IEEE 802.3 Ethernet
	LinkTypePPP             LinkType = 9   // PPP, RFC 1661 framing
	LinkTypePPPHDLC         LinkType = 50  // PPP in HDLC-like framing
	LinkTypePPPEther        LinkType = 51  // PPPoE
	LinkTypeRaw             LinkType = 101 // raw IPv4 or IPv6
	LinkTypeRaw12           LinkType = 12  // raw IP on some BSDs (DLT_RAW on OpenBSD)
	LinkTypeRaw14           LinkType = 14  // raw IP (DLT_RAW on some systems)
	LinkTypeLinuxSLL        LinkType = 113 // Linux cooked capture v1
	LinkTypeLoop            LinkType = 108 // OpenBSD loopback, network-order family
	LinkTypeIEEE80211       LinkType = 105 // 802.11 without radio header
	LinkTypeIPv4            LinkType = 228 // raw IPv4
	LinkTypeIPv6            LinkType = 229 // raw IPv6
	LinkTypeEthernetMPacket LinkType = 274 // 802.3br mPackets
	LinkTypeLinuxSLL2       LinkType = 276 // Linux cooked capture v2
)

// Packet is one packet record of a capture: a view, not a copy.
//
// Data points into the reader's mapping of the file (valid until the Reader is closed) or,
// on the plain-read path, into a buffer the reader reuses (valid until the next call to
// Next or until the Batch holding it is reused). Copy it to keep it longer.
type Packet struct {
	Data     []byte   // captured bytes, len(Data) == CapLen
	CapLen   uint32   // bytes captured
	OrigLen  uint32   // bytes on the wire (may exceed CapLen when the snaplen cut the packet)
	TS       int64    // nanoseconds since the Unix epoch, UTC; 0 with HasTS false for an SPB
	Iface    uint32   // interface number, counted over the whole file (section by section)
	LinkType LinkType // link type of the interface
	HasTS    bool     // false for records without a timestamp (pcapng simple packet block)
	Flags    uint32   // pcapng epb_flags (direction, reception type, FCS length), 0 if absent
	Offset   int64    // byte offset of the record (pcap record header or pcapng block) in the (decompressed) stream
	Ordinal  uint64   // 1-based frame number, as Wireshark numbers frames

	// FCSLen is the number of frame-check-sequence bytes at the end of Data: from the
	// epb_flags FCS bits, the interface's if_fcslen or the pcap header's FCS bits; -1 when
	// unknown (most captures hold no FCS).
	FCSLen int8

	// Options is the raw option area of the pcapng packet block (nil for pcap and SPB), in
	// the section's byte order; read it with Options/Comment rather than by hand. Same
	// lifetime as Data.
	Options []byte
	optsLE  bool
}
