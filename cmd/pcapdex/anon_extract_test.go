package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/anon"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/pcapng"
)

// readPackets decodes every packet of a capture.
func readPackets(t *testing.T, path string) ([][]byte, []fastparse.Packet, []uint32) {
	t.Helper()
	r, err := pcapng.Open(path, pcapng.Options{NoMmap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var data [][]byte
	var pkts []fastparse.Packet
	var orig []uint32
	for {
		var p pcapng.Packet
		if err := r.Next(&p); err != nil {
			break
		}
		b := append([]byte(nil), p.Data...)
		var fp fastparse.Packet
		fastparse.Decode(&fp, p.LinkType, b, p.OrigLen)
		data, pkts, orig = append(data, b), append(pkts, fp), append(orig, p.OrigLen)
	}
	return data, pkts, orig
}

func csum(b []byte, s uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// checksumStatus says as tshark does whether the packet's IPv4 header and TCP or UDP
// checksums are right (1) or wrong (0); "" when not checked.
func checksumStatus(b []byte, p *fastparse.Packet) (ip, tcp, udp string) {
	st := func(ok bool) string {
		if ok {
			return "1"
		}
		return "0"
	}
	if p.IPVersion != 4 {
		return
	}
	off := int(p.IPOff)
	ip = st(csum(b[off:off+int(p.IPHdrLen)], 0) == 0xffff)
	if !p.HasL4 || int(p.IPLen) > len(b)-off {
		return
	}
	seg := b[p.L4Off : off+int(p.IPLen)]
	pseudo := csum(b[off+12:off+20], uint32(p.Proto)+uint32(len(seg)))
	ok := csum(seg, uint32(pseudo)) == 0xffff
	switch p.Proto {
	case fastparse.ProtoTCP:
		tcp = st(ok)
	case fastparse.ProtoUDP:
		if binary.BigEndian.Uint16(seg[6:]) != 0 {
			udp = st(ok)
		}
	}
	return
}

// TestAnonymizedExtractTshark: extract --anonymize writes what tshark (golden, from
// testdata/anon/make-golden.sh) reads as the anonymized addresses with valid checksums
// wherever the capture had them; every address is the Crypto-PAn mapping of the real one,
// prefixes shared by two real addresses stay shared, and --payload cuts each packet after
// its transport header.
func TestAnonymizedExtractTshark(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(testcorpus.Dir(t), "example.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(dir, "example.pcap")
	os.WriteFile(capture, b, 0o644)
	const key, filter = "pcapdex test key", "udp or port 44147"
	plain, anonymized, cut := filepath.Join(dir, "plain.pcap"), filepath.Join(dir, "anon.pcap"), filepath.Join(dir, "cut.pcap")
	for _, args := range [][]string{
		{"extract", "-w", plain, capture, filter},
		{"extract", "-w", anonymized, "--anonymize", key, capture, filter},
		{"extract", "-w", cut, "--anonymize", key, "--payload", "none", capture, filter},
	} {
		if _, se, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%q: exit %d\n%s", args, code, se)
		}
	}
	pd, pp, _ := readPackets(t, plain)
	ad, ap, _ := readPackets(t, anonymized)
	cd, cp, _ := readPackets(t, cut)
	var got strings.Builder
	for i := range ap {
		p := &ap[i]
		d := ad[i]
		ipc, tcpc, udpc := checksumStatus(d, p)
		src, dst := "", ""
		if p.IPVersion != 0 {
			src, dst = p.SrcAddr().String(), p.DstAddr().String()
		}
		fmt.Fprintf(&got, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, len(d), net.HardwareAddr(d[6:12]), net.HardwareAddr(d[0:6]), src, dst, ipc, tcpc, udpc)
	}
	want, err := os.ReadFile("testdata/anon/example-anon.tshark.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		g, w := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("line %d differs from tshark's reading:\npcapdex %q\ntshark  %q", i+1, g[i], w[i])
			}
		}
		t.Fatalf("%d lines, tshark %d", len(g), len(w))
	}
	k, _ := anon.ParseKey(key)
	an, _ := anon.New(k)
	for i := range pp {
		if ap[i].SrcAddr() != an.Addr(pp[i].SrcAddr()) || ap[i].DstAddr() != an.Addr(pp[i].DstAddr()) {
			t.Fatalf("frame %d: %s -> %s, want %s", i+1, pp[i].SrcAddr(), ap[i].SrcAddr(), an.Addr(pp[i].SrcAddr()))
		}
		// Prefixes: the real source and destination share as many leading bits as their
		// anonymized forms.
		if a, b := pp[i].SrcAddr(), pp[i].DstAddr(); a.IsValid() && prefixBits(a.AsSlice(), b.AsSlice()) != prefixBits(ap[i].SrcAddr().AsSlice(), ap[i].DstAddr().AsSlice()) {
			t.Fatalf("frame %d: %s and %s share a prefix their anonymized forms do not", i+1, a, b)
		}
		if ap[i].SrcAddr() == pp[i].SrcAddr() && pp[i].IPVersion != 0 {
			t.Fatalf("frame %d: address %s kept", i+1, pp[i].SrcAddr())
		}
		if len(pd[i]) != len(ad[i]) || pp[i].PayloadOff != ap[i].PayloadOff {
			t.Fatalf("frame %d: length or layout changed", i+1)
		}
		if len(cd[i]) != int(cp[i].PayloadOff) || cp[i].SrcAddr() != ap[i].SrcAddr() {
			t.Fatalf("frame %d: --payload none kept %d bytes, payload at %d", i+1, len(cd[i]), cp[i].PayloadOff)
		}
	}
}

// prefixBits returns the number of leading bits a and b share.
func prefixBits(a, b []byte) int {
	n := 0
	for i := range min(len(a), len(b)) {
		x := a[i] ^ b[i]
		for bit := 7; bit >= 0; bit-- {
			if x>>bit&1 != 0 {
				return n
			}
			n++
		}
	}
	return n
}
