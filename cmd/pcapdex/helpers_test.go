package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// pcapCopy copies testdata/sample.pcap (microsecond pcap, snaplen 65535) into a temporary
// directory and returns its path.
func pcapCopy(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/sample.pcap")
	if err != nil {
		t.Skipf("testdata/sample.pcap: %v", err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeLinkCapture writes a pcapng capture with n packets of link type 147 (USER0, which
// pcapdex does not decode) and, when withEther, one Ethernet/UDP packet.
func writeLinkCapture(t *testing.T, p string, n int, withEther bool) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapng.NewPcapngWriter(&buf, pcapng.PcapngWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	user, _ := w.AddInterface(147, 0, "", 9)
	eth, _ := w.AddInterface(1, 0, "", 9)
	ts := int64(1_700_000_000_000_000_000)
	for i := range n {
		w.WritePacket(user, ts+int64(i)*1000, []byte("opaque radio frame"), 18, "")
	}
	if withEther {
		w.WritePacket(eth, ts+int64(n)*1000, udpFrame(), 0, "")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// udpFrame is an Ethernet/IPv4/UDP frame from 10.0.0.1:1000 to 10.0.0.2:2000 with 4
// payload bytes.
func udpFrame() []byte {
	b := []byte{
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, // Ethernet
		0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4
		0x03, 0xe8, 0x07, 0xd0, 0, 12, 0, 0, // UDP
		'd', 'a', 't', 'a',
	}
	return b
}
