// Package peers holds the baselines pcapdex is measured against in the same benchmark run:
// gopacket's pcapgo readers and DecodingLayerParser, kept in this module so gopacket never
// enters pcapdex's own go.mod.
package peers

import (
	_ "github.com/gopacket/gopacket/layers"
	_ "github.com/gopacket/gopacket/pcapgo"
	_ "github.com/pcapdex/pcapdex/pcapng"
)
