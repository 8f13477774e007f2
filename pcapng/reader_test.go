package pcapng

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// paths lists the ways a test opens the same bytes: mapped file, plain reads of the file,
// and NewReader over an io.Reader that returns a few bytes at a time (to exercise refills).
var paths = []string{"mmap", "read", "trickle"}

type trickle struct {
	b []byte
	n int
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), t.n, len(t.b))
	copy(p, t.b[:n])
	t.b = t.b[n:]
	return n, nil
}

func openBytes(t *testing.T, how string, data []byte) (*Reader, error) {
	t.Helper()
	switch how {
	case "trickle":
		return NewReader(&trickle{b: data, n: 7}, Options{Name: "x.pcapng"})
	}
	path := filepath.Join(t.TempDir(), "x.pcapng")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{NoMmap: how == "read"})
	if err == nil && r.Mapped() != (how == "mmap" && len(data) > 0) {
		t.Fatalf("%s: Mapped() = %v", how, r.Mapped())
	}
	return r, err
}

// collect reads every packet (copying data) and returns them with the final error.
func collect(r *Reader) ([]Packet, []string, error) {
	var out []Packet
	var comments []string
	var p Packet
	for {
		err := r.Next(&p)
		if err != nil {
			return out, comments, err
		}
		q := p
		q.Data = append([]byte(nil), p.Data...)
		comments = append(comments, string(p.Comment()))
		q.Options = nil
		out = append(out, q)
	}
}

func TestPcapVariants(t *testing.T) {
	data := []byte{0xde, 0xad, 0xbe, 0xef, 1}
	for _, tc := range []struct {
		name  string
		be    bool
		magic uint32
		frac  uint32
		want  int64
	}{
		{"usec-le", false, 0xa1b2c3d4, 123456, 1_600_000_000_123_456_000},
		{"usec-be", true, 0xa1b2c3d4, 123456, 1_600_000_000_123_456_000},
		{"nsec-le", false, 0xa1b23c4d, 123456789, 1_600_000_000_123_456_789},
		{"nsec-be", true, 0xa1b23c4d, 123456789, 1_600_000_000_123_456_789},
	} {
		e := enc{be: tc.be}
		file := cat(e.pcapHeader(tc.magic, 2, 4, 65535, 0x30000001),
			e.pcapRecord(1_600_000_000, tc.frac, data, 60),
			e.pcapRecord(4_000_000_000, 0, nil, 0)) // after 2038: must not wrap
		for _, how := range paths {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				r, err := openBytes(t, how, file)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				pk, _, err := collect(r)
				if err != io.EOF || r.Truncated() {
					t.Fatalf("err %v truncated %v", err, r.Truncated())
				}
				if len(pk) != 2 {
					t.Fatalf("%d packets", len(pk))
				}
				p := pk[0]
				if !bytes.Equal(p.Data, data) || p.CapLen != 5 || p.OrigLen != 60 || p.TS != tc.want ||
					p.LinkType != LinkTypeEthernet || !p.HasTS || p.Offset != 24 || p.Ordinal != 1 || p.FCSLen != 2 || p.Iface != 0 {
					t.Fatalf("packet 1: %+v", p)
				}
				if pk[1].TS != 4_000_000_000*1e9 || pk[1].Offset != 24+16+5 || pk[1].Ordinal != 2 {
					t.Fatalf("packet 2: %+v", pk[1])
				}
				ifc := r.Interfaces()[0]
				if ifc.SnapLen != 65535 || ifc.FCSLen != 2 || ifc.BigEndian != tc.be || r.Format() != FormatPcap {
					t.Fatalf("interface %+v", ifc)
				}
				if r.PcapLinkField() != 0x30000001 {
					t.Fatalf("link field %#x", r.PcapLinkField())
				}
			})
		}
	}
}

func TestPcapErrors(t *testing.T) {
	e := enc{}
	hdr := e.pcapHeader(0xa1b2c3d4, 2, 4, 65535, 1)
	rec := e.pcapRecord(1, 2, []byte{1, 2, 3, 4}, 4)
	for _, tc := range []errCase{
		{name: "empty", file: nil, openErr: "too short"},
		{name: "short header", file: hdr[:20], openErr: "a pcap header needs 24"},
		{name: "not a capture", file: []byte("hello world, this is text"), openErr: "not a pcap or pcapng capture"},
		{name: "version 1", file: e.pcapHeader(0xa1b2c3d4, 1, 4, 65535, 1), openErr: "version 1.4 unsupported"},
		{name: "header only", file: hdr},
		{name: "cut record header", file: cat(hdr, rec, rec[:9]), packets: 1, truncated: true},
		{name: "cut record data", file: cat(hdr, rec, rec[:18]), packets: 1, truncated: true},
		{name: "huge caplen", file: cat(hdr, rec, e.pcapRecord(1, 2, nil, 0)[:8], e.u32(nil, 300000), e.u32(nil, 300000)),
			packets: 1, nextErr: "x.pcapng: block at offset 0x2c (record): captured length 300000 > maximum 262144"},
	} {
		for _, how := range paths {
			t.Run(tc.name+"/"+how, func(t *testing.T) { tc.check(t, how) })
		}
	}
}

// errCase is a malformed file and how reading it must end.
type errCase struct {
	name      string
	file      []byte
	packets   int    // packets read before the error
	openErr   string // substring of the Open error (then a *FormatError)
	nextErr   string // substring of the *FormatError ending Next ("" = io.EOF)
	truncated bool   // the reader reports truncation, with a warning
}

// check reads tc.file through path how and asserts how the reading ends; the error is sticky.
func (tc errCase) check(t *testing.T, how string) {
	t.Helper()
	r, err := openBytes(t, how, tc.file)
	if tc.openErr != "" {
		var fe *FormatError
		if err == nil || !strings.Contains(err.Error(), tc.openErr) || !errors.As(err, &fe) {
			t.Fatalf("Open error %v, want FormatError containing %q", err, tc.openErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pk, _, err := collect(r)
	if len(pk) != tc.packets {
		t.Errorf("%d packets, want %d", len(pk), tc.packets)
	}
	var fe *FormatError
	if tc.nextErr == "" && err != io.EOF || tc.nextErr != "" && (err == nil || !strings.Contains(err.Error(), tc.nextErr) || !errors.As(err, &fe)) {
		t.Errorf("error %v, want %q", err, tc.nextErr)
	}
	if r.Truncated() != tc.truncated || (tc.truncated && len(r.Warnings()) == 0) {
		t.Errorf("truncated %v warnings %q", r.Truncated(), r.Warnings())
	}
	if err2 := r.Next(&Packet{}); err2 != err {
		t.Errorf("error not sticky: %v then %v", err, err2)
	}
}

// ngFile builds a pcapng file exercising every block type in byte order be.
func ngFile(be bool) []byte {
	e := enc{be: be}
	tsoff := e.u64(nil, 100) // if_tsoffset +100 s
	return cat(
		e.shb(e.opts(e.opt(optComment, []byte("section comment")), e.opt(optSHBUserAppl, []byte("test")))),
		e.idb(LinkTypeEthernet, 64, e.opts(
			e.opt(optIfName, []byte("eth0")), e.opt(optIfDesc, []byte("first")),
			e.opt(optIfTSResol, []byte{9}), e.opt(optIfTSOffset, tsoff), e.opt(optIfFCSLen, []byte{4}),
			e.opt(optComment, []byte("idb comment")))),
		e.idb(LinkTypeRaw, 0, e.opts(e.opt(optIfTSResol, []byte{0x80 | 10}))), // 2^-10 s
		e.epb(0, 1_600_000_000_000_000_001, []byte{1, 2, 3}, 3, e.opts(
			e.opt(optEPBFlags, e.u32(nil, 1|3<<5)), e.opt(optComment, []byte("pkt comment")))),
		e.spb(100, make([]byte, 72)), // caplen = min(100, snaplen 64, room 72) = 64
		e.block(blockNRB, cat(e.u16(nil, 1), e.u16(nil, 12), []byte{10, 0, 0, 1}, []byte("a.b\x00c.d\x00"),
			e.u16(nil, 2), e.u16(nil, 20), make([]byte, 15), []byte{1}, []byte("v6\x00\x00"),
			e.u16(nil, 0), e.u16(nil, 0))),
		e.isb(1, 0, e.opts(e.opt(optISBIfRecv, e.u64(nil, 1000)), e.opt(optISBIfDrop, e.u64(nil, 7)))),
		e.block(blockDSB, []byte("secrets!")),
		e.block(blockCustom, []byte("custom..")),
		e.block(0x1234, nil),
		e.opb(1, 1024*1_700_000_000+512, []byte{9, 9, 9, 9, 9}, 1500, nil), // 1.7e9 + 0.5 s
	)
}

func TestPcapngBlocks(t *testing.T) {
	for _, be := range []bool{false, true} {
		for _, how := range paths {
			name := "le/" + how
			if be {
				name = "be/" + how
			}
			t.Run(name, func(t *testing.T) {
				r, err := openBytes(t, how, ngFile(be))
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				pk, comments, err := collect(r)
				if err != io.EOF || r.Truncated() {
					t.Fatalf("err %v truncated %v", err, r.Truncated())
				}
				if len(pk) != 3 {
					t.Fatalf("%d packets: %+v", len(pk), pk)
				}
				epb, spb, opb := pk[0], pk[1], pk[2]
				if epb.TS != 1_600_000_100_000_000_001 || epb.Flags != 1|3<<5 || epb.FCSLen != 3 || epb.Iface != 0 ||
					epb.LinkType != LinkTypeEthernet || !bytes.Equal(epb.Data, []byte{1, 2, 3}) || comments[0] != "pkt comment" ||
					epb.Ordinal != 1 || epb.Offset != blockOffsets(ngFile(be), be)[3] {
					t.Errorf("EPB %+v comment %q", epb, comments[0])
				}
				if spb.HasTS || spb.TS != 0 || spb.CapLen != 64 || spb.OrigLen != 100 || len(spb.Data) != 64 || spb.Iface != 0 || spb.FCSLen != 4 {
					t.Errorf("SPB %+v", spb)
				}
				if opb.TS != 1_700_000_000_500_000_000 || opb.Iface != 1 || opb.LinkType != LinkTypeRaw || opb.CapLen != 5 || opb.OrigLen != 1500 || opb.Ordinal != 3 ||
					opb.Offset != blockOffsets(ngFile(be), be)[10] || spb.Offset != blockOffsets(ngFile(be), be)[4] {
					t.Errorf("OPB %+v", opb)
				}
				ifs := r.Interfaces()
				if len(ifs) != 2 || ifs[0].Name != "eth0" || ifs[0].Description != "first" || ifs[0].TSResol != 9 ||
					ifs[0].TSOffset != 100 || ifs[0].FCSLen != 4 || ifs[0].SnapLen != 64 || len(ifs[0].Comments) != 1 ||
					ifs[1].TSResol != 0x8a || !ifs[1].HasIfDrop || ifs[1].IfDrop != 7 || ifs[1].IfRecv != 1000 || ifs[1].BigEndian != be {
					t.Errorf("interfaces %+v", ifs)
				}
				s := r.Sections()
				if len(s) != 1 || s[0].Comments[0] != "section comment" || s[0].UserAppl != "test" || s[0].Length != -1 || s[0].BigEndian != be {
					t.Errorf("sections %+v", s)
				}
				n := r.NameEntries()
				if len(n) != 2 || n[0].Addr.String() != "10.0.0.1" || len(n[0].Names) != 2 || n[0].Names[1] != "c.d" ||
					n[1].Addr.String() != "::1" || n[1].Names[0] != "v6" {
					t.Errorf("names %+v", n)
				}
				c := r.BlockCounts()
				if c != (BlockCounts{SHB: 1, IDB: 2, EPB: 1, SPB: 1, OPB: 1, NRB: 1, ISB: 1, DSB: 1, Custom: 1, Unknown: 1}) {
					t.Errorf("counts %+v", c)
				}
			})
		}
	}
}

// TestPcapngSections: sections of different byte order; interface numbers restart per
// section in the file and are numbered over the whole file in Packet.Iface.
func TestPcapngSections(t *testing.T) {
	le, be := enc{}, enc{be: true}
	file := cat(
		le.shb(nil), le.idb(LinkTypeEthernet, 0, nil), le.idb(LinkTypeNull, 0, nil),
		le.epb(1, 5, []byte{1}, 1, nil),
		be.shb(nil), be.idb(LinkTypeRaw, 0, nil),
		be.epb(0, 6, []byte{2}, 1, nil),
		le.shb(nil), le.idb(LinkTypeLinuxSLL, 0, e9()),
		le.epb(0, 7, []byte{3}, 1, nil),
	)
	for _, how := range paths {
		t.Run(how, func(t *testing.T) {
			r, err := openBytes(t, how, file)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			pk, _, err := collect(r)
			if err != io.EOF || len(pk) != 3 {
				t.Fatalf("%d packets, err %v", len(pk), err)
			}
			want := []struct {
				iface uint32
				lt    LinkType
				ts    int64
			}{{1, LinkTypeNull, 5000}, {2, LinkTypeRaw, 6000}, {3, LinkTypeLinuxSLL, 7}}
			for i, w := range want {
				if pk[i].Iface != w.iface || pk[i].LinkType != w.lt || pk[i].TS != w.ts || pk[i].Data[0] != byte(i+1) {
					t.Errorf("packet %d: %+v", i+1, pk[i])
				}
			}
			if len(r.Sections()) != 3 || !r.Sections()[1].BigEndian || r.Sections()[2].FirstIface != 3 {
				t.Errorf("sections %+v", r.Sections())
			}
		})
	}
}

func e9() []byte { e := enc{}; return e.opts(e.opt(optIfTSResol, []byte{9})) }

func TestPcapngErrors(t *testing.T) {
	for _, be := range []bool{false, true} {
		e := enc{be: be}
		shb := e.shb(nil)
		idb := e.idb(LinkTypeEthernet, 0, nil)
		epb := e.epb(0, 1, []byte{1, 2, 3, 4}, 4, nil)
		badTrail := append([]byte(nil), epb...)
		copy(badTrail[len(badTrail)-4:], e.u32(nil, 99))
		short := e.u32(nil, blockEPB)
		short = e.u32(short, 12)
		short = e.u32(short, 12)
		bigCap := append([]byte(nil), epb...)
		copy(bigCap[20:], e.u32(nil, 400))
		shbV2 := append([]byte(nil), shb...)
		copy(shbV2[12:], e.u16(nil, 2))
		for _, tc := range []errCase{
			{name: "shb version 2", file: shbV2, openErr: "(SHB): version 2.0 unsupported"},
			{name: "shb cut", file: shb[:20], openErr: "SHB"},
			{name: "shb bad magic", file: cat(shb[:8], []byte{1, 2, 3, 4}, shb[12:]), openErr: "byte-order magic"},
			{name: "shb option too long", file: e.shb(cat(e.u16(nil, 1), e.u16(nil, 200), []byte("abcd"))), openErr: "option length runs past"},
			{name: "trailing length", file: cat(shb, idb, epb, badTrail), packets: 1,
				nextErr: "block at offset 0x54 (EPB): trailing length 99 != total length 36"},
			{name: "total length < minimum", file: cat(shb, idb, short), nextErr: "block at offset 0x30 (EPB): total length 12 < minimum 32"},
			{name: "caplen past block", file: cat(shb, idb, bigCap), nextErr: "captured length 400 runs past total length 36"},
			{name: "undefined interface", file: cat(shb, epb), nextErr: "interface 0 not defined"},
			{name: "spb before idb", file: cat(shb, e.spb(4, []byte{1, 2, 3, 4})), nextErr: "before any IDB"},
			{name: "unaligned length", file: cat(shb, idb, e.u32(e.u32(nil, 99), 13)), nextErr: "total length 13 invalid"},
			{name: "cut block", file: cat(shb, idb, epb, epb[:30]), packets: 1, truncated: true},
			{name: "cut block header", file: cat(shb, idb, epb, epb[:6]), packets: 1, truncated: true},
			{name: "cut skipped block", file: cat(shb, idb, epb, e.block(0x99, make([]byte, 64))[:40]), packets: 1, truncated: true},
			{name: "big skipped block", file: cat(shb, idb, e.block(blockCustom, make([]byte, 3<<19)), epb), packets: 1},
			{name: "cut second shb", file: cat(shb, idb, epb, shb[:16]), packets: 1, truncated: true},
		} {
			for _, how := range paths {
				order := "le/"
				if be {
					order = "be/"
				}
				t.Run(order+tc.name+"/"+how, func(t *testing.T) { tc.check(t, how) })
			}
		}
	}
}

func TestFormatErrorText(t *testing.T) {
	e := &FormatError{File: "x.pcapng", Offset: 0x1f40, Block: "EPB", Msg: "total length 12 < minimum 32"}
	if got, want := e.Error(), "pcapng: file x.pcapng: block at offset 0x1f40 (EPB): total length 12 < minimum 32"; got != want {
		t.Fatalf("%q != %q", got, want)
	}
}

// blockOffsets walks a well-formed pcapng file of one byte order and returns block offsets.
func blockOffsets(b []byte, be bool) []int64 {
	var offs []int64
	for off := 0; off+8 <= len(b); {
		offs = append(offs, int64(off))
		off += int(u32(b[off+4:], !be))
	}
	return offs
}

// TestPcapngMetaProblems: problems in statistics and name blocks are warnings, problems in
// interface descriptions (which every later packet depends on) are format errors.
func TestPcapngMetaProblems(t *testing.T) {
	e := enc{}
	shb, idb := e.shb(nil), e.idb(LinkTypeEthernet, 0, nil)
	epb := e.epb(0, 1, []byte{1}, 1, nil)
	for _, tc := range []struct {
		name    string
		file    []byte
		packets int
		warn    string
		err     string
	}{
		{"isb for undefined interface", cat(shb, idb, e.isb(5, 0, nil), epb), 1, "(ISB): interface 5 not defined", ""},
		{"nrb record past block", cat(shb, idb, e.block(blockNRB, cat(e.u16(nil, 1), e.u16(nil, 40), []byte{1, 2, 3, 4})), epb), 1, "(NRB): record length 40 runs past", ""},
		{"epb options malformed", cat(shb, idb, e.epb(0, 1, []byte{1}, 1, cat(e.u16(nil, 1), e.u16(nil, 99)))), 1, "malformed options", ""},
		{"if_tsresol length", cat(shb, e.idb(LinkTypeEthernet, 0, e.opts(e.opt(optIfTSResol, []byte{6, 6}))), epb), 0, "", "(IDB): if_tsresol length 2 != 1"},
		{"idb option past block", cat(shb, e.idb(LinkTypeEthernet, 0, cat(e.u16(nil, 2), e.u16(nil, 50))), epb), 0, "", "(IDB): option length runs past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newMemReader("x", tc.file)
			if err != nil {
				t.Fatal(err)
			}
			pk, _, err := collect(r)
			if len(pk) != tc.packets {
				t.Errorf("%d packets, want %d", len(pk), tc.packets)
			}
			if tc.err == "" && err != io.EOF || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(r.Warnings(), "\n"), tc.warn) {
				t.Errorf("warnings %q lack %q", r.Warnings(), tc.warn)
			}
		})
	}
}

// TestPrefault: a mapped file with the prefault goroutine reads the same packets as the
// plain-read path, and Close stops the goroutine (before unmapping) also mid-file.
func TestPrefault(t *testing.T) {
	oldMin, oldLead := prefaultMinSize, prefaultLead
	prefaultMinSize, prefaultLead = 1<<20, 64<<10 // a short lead: the goroutine waits for the reader
	defer func() { prefaultMinSize, prefaultLead = oldMin, oldLead }()
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS >= 2")
	}
	const n = 3000 // 3 MB
	path := writeNumbered(t, "big.pcap", n)
	for _, stopAt := range []int{n, 10, 1500} {
		r, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r.prefault == nil {
			t.Fatal("no prefault goroutine for a mapped file above the threshold")
		}
		var p Packet
		i := 0
		for ; i < stopAt && r.Next(&p) == nil; i++ {
			if p.Data[0] != byte(i) || p.Data[1] != byte(i>>8) || len(p.Data) != 1000 {
				t.Fatalf("packet %d: %x", i, p.Data[:2])
			}
		}
		if i != stopAt {
			t.Fatalf("read %d packets, want %d", i, stopAt)
		}
		pf := r.prefault
		r.Close()
		select {
		case <-pf.done:
		default:
			t.Fatal("Close returned with the prefault goroutine running")
		}
	}
}

// TestPrefaultTruncated: a file truncated under the mapping makes the prefault goroutine
// fault past the new end; it stops instead of crashing the process.
func TestPrefaultTruncated(t *testing.T) {
	oldMin, oldLead := prefaultMinSize, prefaultLead
	prefaultMinSize, prefaultLead = 1<<20, 4096 // wait one page ahead of the cursor
	defer func() { prefaultMinSize, prefaultLead = oldMin, oldLead }()
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS >= 2")
	}
	path := writeNumbered(t, "cut.pcap", 2000)
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pf := r.prefault
	if pf == nil {
		t.Fatal("no prefault goroutine")
	}
	if err := os.Truncate(path, 8192); err != nil {
		t.Fatal(err)
	}
	pf.cursor.Store(1 << 40) // let it run to the (old) end
	select {
	case <-pf.done:
	case <-time.After(10 * time.Second):
		t.Fatal("prefault goroutine still running 10 s after the cursor was released")
	}
}

// writeNumbered writes a pcap of n 1000-byte packets, packet i starting with i (2 bytes,
// little-endian), 1 ms apart, and returns its path.
func writeNumbered(t *testing.T, name string, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewPcapWriter(f, LinkTypeEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1000)
	for i := range n {
		data[0], data[1] = byte(i), byte(i>>8)
		if err := w.WritePacket(int64(i)*1e6, data, uint32(len(data))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}
