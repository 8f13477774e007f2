package pcapng

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// zstdFrameWithWindow wraps payload in one zstd frame of raw blocks whose header declares
// a history window of 2^log bytes (no content size, so the window is what a decoder
// must be ready to hold).
func zstdFrameWithWindow(payload []byte, log int) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte(log-10) << 3}
	for len(payload) > 0 {
		n := min(len(payload), 100<<10)
		last := 0
		if n == len(payload) {
			last = 1
		}
		h := uint32(last) | uint32(n)<<3 // raw block
		b = append(b, byte(h), byte(h>>8), byte(h>>16))
		b = append(b, payload[:n]...)
		payload = payload[n:]
	}
	return b
}

// emptyRecordsPcap is a pcap header and n records of zero bytes.
func emptyRecordsPcap(n int) []byte {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b.Write(hdr)
	rec := make([]byte, 16)
	for i := range n {
		binary.LittleEndian.PutUint32(rec, uint32(1_700_000_000+i))
		b.Write(rec)
	}
	return b.Bytes()
}

// TestZstdWindowLimit is issue 19 row 17: a zstd frame that declares a 512 MiB window (zstd
// --long=29 on a stream) is refused under the default limit with an error that says how to
// raise it, and read when the limit allows.
func TestZstdWindowLimit(t *testing.T) {
	capBytes := emptyRecordsPcap(1000)
	z := zstdFrameWithWindow(capBytes, 29)
	_, err := NewReader(bytes.NewReader(z), Options{Name: "long.pcap.zst"})
	if !errors.Is(err, ErrWindowTooLarge) || !strings.Contains(err.Error(), "--max-window") || !strings.Contains(err.Error(), "long.pcap.zst") {
		t.Fatalf("default limit: err %v, want ErrWindowTooLarge naming the file and --max-window", err)
	}
	r, err := NewReader(bytes.NewReader(z), Options{Name: "long.pcap.zst", MaxWindow: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var p Packet
	n := 0
	for {
		if err := r.Next(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1000 || r.Compression() != CompressionZstd {
		t.Errorf("%d packets (%v), want 1000 (zstd)", n, r.Compression())
	}
	// A window within the limit is fine by default.
	if _, err := NewReader(bytes.NewReader(zstdFrameWithWindow(capBytes, 23)), Options{}); err != nil {
		t.Errorf("8 MiB window: %v", err)
	}
}

// TestBzip2AndXZ is issue 19 row 13: bzip2 captures are read (the standard library's
// reader; testdata/empty100.pcap.bz2 is `bzip2 -c` of a pcap of 100 empty records), xz
// captures are named as unsupported rather than "not a pcap".
func TestBzip2AndXZ(t *testing.T) {
	r, err := Open("testdata/empty100.pcap.bz2", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var p Packet
	n := 0
	for r.Next(&p) == nil {
		n++
	}
	if n != 100 || r.Compression() != CompressionBzip2 {
		t.Errorf("%d packets, compression %v; want 100, bzip2", n, r.Compression())
	}
	xz := []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0, 0, 0, 0, 0}
	_, err = NewReader(bytes.NewReader(xz), Options{Name: "x.pcap.xz"})
	if err == nil || !strings.Contains(err.Error(), "xz-compressed capture: not supported") {
		t.Errorf("xz: %v", err)
	}
}

// TestReadPacketAtManySections is issue 19 row 20: reading back every packet of a file of
// 100 k pcapng sections by offset is linear (it was quadratic in the sections: 200 k took
// 27.8 s where one pass takes 1.1 s).
func TestReadPacketAtManySections(t *testing.T) {
	const n = 100_000
	var one bytes.Buffer // one section: SHB, IDB, EPB
	w, err := NewPcapngWriter(&one, PcapngWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := w.AddInterface(1, 0, "", 9)
	w.WritePacket(id, 1_700_000_000_000_000_000, bytes.Repeat([]byte{0xab}, 60), 0, "")
	w.Flush()
	b := bytes.Repeat(one.Bytes(), n)
	r, err := NewBytesReader("many-sections.pcapng", b)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	var p Packet
	for r.Next(&p) == nil {
		offs = append(offs, p.Offset)
	}
	if len(offs) != n {
		t.Fatalf("%d packets, want %d", len(offs), n)
	}
	at, _ := NewBytesReader("many-sections.pcapng", b)
	start := time.Now()
	for i, off := range offs {
		if err := at.ReadPacketAt(off, &p); err != nil {
			t.Fatal(err)
		}
		if p.CapLen != 60 || p.Offset != off {
			t.Fatalf("packet %d: %d bytes at %d", i, p.CapLen, p.Offset)
		}
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("ReadPacketAt over %d sections took %v: not linear", n, el)
	}
}
