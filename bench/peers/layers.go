package peers

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Layers is gopacket's fastest decoding path, the one every baseline here uses: Ethernet,
// Dot1Q, IPv4, IPv6, TCP and UDP layers allocated once, behind one DecodingLayerParser that
// ignores unsupported layers. After Parser.DecodeLayers(data, &l.Decoded), Decoded lists the
// layers filled for that packet; they stay valid until the next call.
type Layers struct {
	Eth     layers.Ethernet
	Dot1Q   layers.Dot1Q
	IP4     layers.IPv4
	IP6     layers.IPv6
	TCP     layers.TCP
	UDP     layers.UDP
	Parser  *gopacket.DecodingLayerParser
	Decoded []gopacket.LayerType
}

// NewLayers returns a Layers ready to decode packets that start at Ethernet.
func NewLayers() *Layers {
	l := &Layers{Decoded: make([]gopacket.LayerType, 0, 16)}
	l.Parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &l.Eth, &l.Dot1Q, &l.IP4, &l.IP6, &l.TCP, &l.UDP)
	l.Parser.IgnoreUnsupported = true
	return l
}
