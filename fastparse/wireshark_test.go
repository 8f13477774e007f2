package fastparse

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// wiresharkLayers computes, from one line of tshark fields output, the Layers and outer tag
// count the corpus oracle (pcap-oracle.py) would derive for that packet: the same rules,
// applied to the same fields.
func wiresharkLayers(line string) (Layers, int) {
	f := strings.Split(line, "\t")
	for len(f) < 6 {
		f = append(f, "")
	}
	toks := strings.Split(f[0], ":")
	ts := map[string]bool{}
	for _, tk := range toks {
		ts[tk] = true
	}
	has := func(field, v string) bool {
		for _, x := range strings.Split(field, ",") {
			if x == v {
				return true
			}
		}
		return false
	}
	var l Layers
	set := func(b Layers, ok bool) {
		if ok {
			l |= b
		}
	}
	set(LayerIPv4, ts["ip"])
	set(LayerIPv6, ts["ipv6"])
	set(LayerTCP, ts["tcp"])
	set(LayerUDP, ts["udp"])
	set(LayerICMP, ts["icmp"] || ts["icmpv6"])
	ext := map[string]bool{"ipv6.hopopts": true, "ipv6.routing": true, "ipv6.fraghdr": true, "ipv6.dstopts": true, "ipv6.shim6": true, "ipv6.mipv6": true, "ah": true}
	for i, tk := range toks {
		if tk == "ip" || tk == "ipv6" {
			set(LayerOuterIPv4, tk == "ip")
			set(LayerOuterIPv6, tk == "ipv6")
			j := i + 1
			for j < len(toks) && ext[toks[j]] {
				j++
			}
			if j < len(toks) {
				set(LayerOuterTCP, toks[j] == "tcp")
				set(LayerOuterUDP, toks[j] == "udp")
				set(LayerOuterICMP, toks[j] == "icmp" || toks[j] == "icmpv6")
			}
			break
		}
	}
	set(LayerSYN, has(f[1], "1") || has(f[1], "True"))
	set(LayerRST, has(f[2], "1") || has(f[2], "True"))
	frag := has(f[3], "1")
	for _, x := range strings.Split(f[4], ",") {
		frag = frag || (x != "" && x != "0")
	}
	set(LayerIPv4Frag, frag)
	set(LayerIPv6Frag, f[5] != "" || ts["ipv6.fraghdr"])
	set(LayerIPv6Ext, ts["ipv6.hopopts"] || ts["ipv6.routing"] || ts["ipv6.fraghdr"] || ts["ipv6.dstopts"] || ts["ipv6.shim6"] || ts["ipv6.mipv6"])
	tags := 0
	for _, tk := range toks[1:] {
		if tk == "vlan" || tk == "ieee8021ad" {
			tags++
		} else if tk != "ethertype" {
			break
		}
	}
	return l, tags
}

type tsharkPacket struct {
	link    pcapng.LinkType
	data    []byte
	origLen uint32
}

// runTshark writes the packets to one pcapng file (an interface per link type) and returns
// tshark's field lines, one per packet, with the oracle's options (IP reassembly off).
func runTshark(t *testing.T, pkts []tsharkPacket) []string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapng.NewPcapngWriter(&buf, pcapng.PcapngWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ifaces := map[pcapng.LinkType]int{}
	for i, p := range pkts {
		id, ok := ifaces[p.link]
		if !ok {
			if id, err = w.AddInterface(p.link, 0, fmt.Sprint("link", p.link), 6); err != nil {
				t.Fatal(err)
			}
			ifaces[p.link] = id
		}
		if err := w.WritePacket(id, int64(i+1)*1e9, p.data, p.origLen, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "packets.pcapng")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
		"-e", "frame.protocols", "-e", "tcp.flags.syn", "-e", "tcp.flags.reset",
		"-e", "ip.flags.mf", "-e", "ip.frag_offset", "-e", "ipv6.fraghdr")
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+t.TempDir(), "TZ=UTC", "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(pkts) {
		t.Fatalf("tshark printed %d lines for %d packets", len(lines), len(pkts))
	}
	return lines
}

// wiresharkDisagrees lists table cases where Decode knowingly differs from tshark 4.0.
var wiresharkDisagrees = map[string]string{
	"gre nested 9 deep stops at 8": "Decode follows at most 8 encapsulations (maxTunnelDepth); Wireshark has no such limit",
	// The oracle script counts tags only right after the first protocol token, so it sees
	// none inside an mPacket ("fpp:eth:ethertype:vlan:..."). The README's definition, tags
	// directly in the outer link-layer header, includes them, and so does VLANCount.
	"mpacket preemptable": "tags inside the mPacket's Ethernet frame count as outer tags",
}

// TestWiresharkAgrees runs every table-test packet through tshark 4.0 (when installed) and
// checks that Decode's Layers and outer tag count are what the corpus oracle would count.
func TestWiresharkAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark")
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	var cases []decodeCase
	var pkts []tsharkPacket
	for _, c := range allCases() {
		if len(c.data) == 0 {
			continue // a pcapng record tshark would show needs at least one byte
		}
		o := c.origLen
		if o == 0 {
			o = len(c.data)
		}
		cases = append(cases, c)
		pkts = append(pkts, tsharkPacket{c.link, c.data, uint32(o)})
	}
	lines := runTshark(t, pkts)
	for i, c := range cases {
		var p Packet
		Decode(&p, c.link, c.data, pkts[i].origLen)
		want, tags := wiresharkLayers(lines[i])
		if why, ok := wiresharkDisagrees[c.name]; ok {
			t.Logf("%s: known difference (%s): tshark %q", c.name, why, lines[i])
			continue
		}
		if p.Layers != want || int(p.VLANCount) != tags {
			t.Errorf("%s: Layers %#x tags %d; tshark %q gives Layers %#x tags %d", c.name, p.Layers, p.VLANCount, lines[i], want, tags)
		}
	}
}
