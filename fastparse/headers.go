package fastparse

import "encoding/binary"

// Header offsets and sizes. They are wire formats (RFC 791, 8200, 9293, 768, 792, 4443,
// IEEE 802.3/802.1Q), not pcapdex choices.
const (
	ethHdrLen  = 14 // destination, source, EtherType
	vlanTagLen = 4  // TCI, inner EtherType
	sllHdrLen  = 16 // Linux cooked v1
	sll2HdrLen = 20 // Linux cooked v2
	nullHdrLen = 4  // BSD loopback address family

	IPv4MinHdrLen = 20
	IPv6HdrLen    = 40
	TCPMinHdrLen  = 20
	UDPHdrLen     = 8
	ICMPHdrLen    = 8 // type, code, checksum and the 4-byte rest of header

	ipv4VerIHL    = 0
	ipv4TOS       = 1
	ipv4TotalLen  = 2
	ipv4ID        = 4
	ipv4FlagsFrag = 6
	ipv4TTL       = 8
	ipv4Proto     = 9
	ipv4Src       = 12
	ipv4Dst       = 16

	ipv6PayloadLen = 4
	ipv6NextHdr    = 6
	ipv6HopLimit   = 7
	ipv6Src        = 8
	ipv6Dst        = 24

	tcpSrcPort = 0
	tcpDstPort = 2
	tcpSeq     = 4
	tcpAck     = 8
	tcpDataOff = 12
	tcpFlags   = 12 // 16 bits: 4 data offset, 3 reserved, 9 flags
	tcpWindow  = 14
	tcpUrgent  = 18

	udpLength = 4
)

// EtherTypes and IP protocol numbers Decode acts on.
const (
	EtherTypeIPv4     = 0x0800
	EtherTypeIPv6     = 0x86dd
	EtherTypeARP      = 0x0806
	EtherTypeVLAN     = 0x8100 // 802.1Q C-tag
	EtherTypeQinQ     = 0x88a8 // 802.1ad S-tag
	EtherTypeQinQOld  = 0x9100 // pre-standard stacked tag
	EtherTypeMPLS     = 0x8847
	EtherTypeMPLSMC   = 0x8848
	EtherTypePPPoES   = 0x8864 // PPPoE session stage
	EtherTypeTEB      = 0x6558 // transparent Ethernet bridging (GRE, NVGRE)
	EtherTypePPP      = 0x880b // PPP in GRE (PPTP)
	etherTypeMinValue = 0x0600 // smaller values in the type field are 802.3 lengths

	ProtoHopByHop = 0
	ProtoICMP     = 1
	ProtoIPIP     = 4
	ProtoTCP      = 6
	ProtoUDP      = 17
	ProtoIPv6     = 41
	ProtoRouting  = 43
	ProtoFragment = 44
	ProtoGRE      = 47
	ProtoESP      = 50
	ProtoAH       = 51
	ProtoICMPv6   = 58
	ProtoNoNext   = 59
	ProtoDstOpts  = 60
	ProtoSCTP     = 132
	ProtoMobility = 135
	ProtoHIP      = 139
	ProtoShim6    = 140
)

// IPv4 is a view of an IPv4 header. Accessors do not check lengths: the caller has checked
// len >= IPv4MinHdrLen.
type IPv4 []byte

func (b IPv4) Version() uint8        { return b[ipv4VerIHL] >> 4 }
func (b IPv4) HeaderLen() int        { return int(b[ipv4VerIHL]&0x0f) * 4 }
func (b IPv4) TotalLen() uint16      { return binary.BigEndian.Uint16(b[ipv4TotalLen:]) }
func (b IPv4) ID() uint16            { return binary.BigEndian.Uint16(b[ipv4ID:]) }
func (b IPv4) FlagsFragment() uint16 { return binary.BigEndian.Uint16(b[ipv4FlagsFrag:]) }
func (b IPv4) TTL() uint8            { return b[ipv4TTL] }
func (b IPv4) TOS() uint8            { return b[ipv4TOS] }
func (b IPv4) Protocol() uint8       { return b[ipv4Proto] }

// IPv6 is a view of the IPv6 fixed header. The caller has checked len >= IPv6HdrLen.
type IPv6 []byte

func (b IPv6) Version() uint8      { return b[0] >> 4 }
func (b IPv6) PayloadLen() uint16  { return binary.BigEndian.Uint16(b[ipv6PayloadLen:]) }
func (b IPv6) NextHeader() uint8   { return b[ipv6NextHdr] }
func (b IPv6) HopLimit() uint8     { return b[ipv6HopLimit] }
func (b IPv6) TrafficClass() uint8 { return b[0]<<4 | b[1]>>4 }

// TCP is a view of a TCP header. The caller has checked len >= TCPMinHdrLen.
type TCP []byte

func (b TCP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[tcpSrcPort:]) }
func (b TCP) DstPort() uint16 { return binary.BigEndian.Uint16(b[tcpDstPort:]) }
func (b TCP) Seq() uint32     { return binary.BigEndian.Uint32(b[tcpSeq:]) }
func (b TCP) Ack() uint32     { return binary.BigEndian.Uint32(b[tcpAck:]) }
func (b TCP) DataOff() int    { return int(b[tcpDataOff]>>4) * 4 }
func (b TCP) Flags() uint16   { return binary.BigEndian.Uint16(b[tcpFlags:]) & 0x01ff }
func (b TCP) Window() uint16  { return binary.BigEndian.Uint16(b[tcpWindow:]) }
func (b TCP) Urgent() uint16  { return binary.BigEndian.Uint16(b[tcpUrgent:]) }

// UDP is a view of a UDP header. The caller has checked len >= UDPHdrLen.
type UDP []byte

func (b UDP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[0:]) }
func (b UDP) DstPort() uint16 { return binary.BigEndian.Uint16(b[2:]) }
func (b UDP) Length() uint16  { return binary.BigEndian.Uint16(b[udpLength:]) }

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
