package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodeTable is issue 19 rows 8 and 9: every command on every kind of bad input
// exits as README documents (2 usage or filter, 3 unreadable, corrupt or unsupported, 4
// partial), in both read modes, and its message starts with "pcapdex COMMAND:"; a cut
// capture is named with the offset of the cut.
func TestExitCodeTable(t *testing.T) {
	dir := t.TempDir()
	good := pcapCopy(t, "good.pcap")
	sample := mustRead(t, good)
	put := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := put("empty.pcap", nil)
	text := put("text.pcap", []byte("hello, this is not a capture\n"))
	cut := put("cut.pcap", sample[:100000])
	user := filepath.Join(dir, "user.pcapng")
	writeLinkCapture(t, user, 3, false)
	emptyDir := filepath.Join(dir, "nocaptures")
	os.Mkdir(emptyDir, 0o755)
	os.WriteFile(filepath.Join(emptyDir, "notes.txt"), []byte("x"), 0o644)
	if _, se, code := runCLI(t, "index", good); code != exitOK {
		t.Fatal(se)
	}
	idx := mustRead(t, good+".pcapdex")
	bad := append([]byte(nil), idx...)
	binary.LittleEndian.PutUint32(bad[len(bad)-16:], 99) // footer version
	corrupt := put("corrupt.pcapdex", bad)
	missing := filepath.Join(dir, "missing.pcap")

	queries := []string{"flows", "packets", "timeline", "gaps", "top", "sizes", "events", "concurrent", "extract"}
	type input struct {
		name string
		args []string // after the command (and its -w for extract)
		code int
		has  string // in stderr
	}
	inputs := []input{
		{"missing", []string{missing}, exitInput, "missing.pcap"},
		{"dir without captures", []string{emptyDir}, exitInput, "no capture files"},
		{"empty", []string{empty}, exitInput, "empty.pcap"},
		{"text", []string{text}, exitInput, "not a pcap or pcapng capture"},
		{"cut", []string{cut}, exitPartial, "cut.pcap: truncated: record at offset 0x"},
		{"unsupported link type", []string{user}, exitInput, "3 packets of link type 147 not decoded"},
		{"corrupt index", []string{corrupt}, exitInput, "corrupt.pcapdex"},
		{"bad filter", []string{good, "port", "=="}, exitUsage, "filter"},
		{"bad flag value", []string{"--format", "nope", good}, exitUsage, "nope"},
	}
	for _, cmd := range queries {
		for _, in := range inputs {
			for _, mode := range []string{"index", "no-index"} {
				if mode == "no-index" && in.name == "corrupt index" {
					continue // --no-index reads an index's captures: the index is read first
				}
				args := []string{cmd}
				if cmd == "extract" {
					args = append(args, "-w", filepath.Join(t.TempDir(), "out.pcap"))
				}
				if mode == "no-index" {
					args = append(args, "--no-index")
				}
				args = append(args, in.args...)
				os.Remove(cut + ".pcapdex")
				os.Remove(user + ".pcapdex")
				for run := 1; run <= 2; run++ { // the same code when the index exists
					_, se, code := runCLI(t, args...)
					if code != in.code || !strings.HasPrefix(se, "pcapdex "+cmd+": ") || !strings.Contains(se, in.has) {
						t.Errorf("%s, %s, %s, run %d: exit %d, stderr %q; want %d, \"pcapdex %s: ...%s...\"",
							cmd, in.name, mode, run, code, se, in.code, cmd, in.has)
					}
				}
			}
		}
	}
	for _, c := range []struct {
		args []string
		code int
		has  string
	}{
		{[]string{"info", missing}, exitInput, "missing.pcap"},
		{[]string{"info", emptyDir}, exitInput, "nocaptures"},
		{[]string{"info", empty}, exitInput, "empty.pcap"},
		{[]string{"info", text}, exitInput, "not a pcap or pcapng capture"},
		{[]string{"info", cut}, exitPartial, "cut.pcap: truncated: record at offset 0x"},
		{[]string{"info", user}, exitInput, "3 packets of link type 147 not decoded"},
		{[]string{"info", "--format", "nope", good}, exitUsage, "nope"},
		{[]string{"index", missing}, exitInput, "missing.pcap"},
		{[]string{"index", emptyDir}, exitInput, "no capture files"},
		{[]string{"index", empty}, exitInput, "empty.pcap"},
		{[]string{"index", text}, exitInput, "not a pcap or pcapng capture"},
		{[]string{"index", cut}, exitPartial, "cut.pcap: truncated: record at offset 0x"},
		{[]string{"index", user}, exitInput, "3 packets of link type 147 not decoded"},
		{[]string{"index", "--workers", "-1", good}, exitUsage, "--workers"},
		{[]string{"timeline", "--bucket", "1ns", good}, exitUsage, "--bucket"},
		{[]string{"flows", "--since", "+5s", "--until", "+1s", good}, exitUsage, "after --until"},
	} {
		for run := 1; run <= 2; run++ {
			_, se, code := runCLI(t, c.args...)
			if code != c.code || !strings.HasPrefix(se, "pcapdex "+c.args[0]+": ") || !strings.Contains(se, c.has) {
				t.Errorf("%q run %d: exit %d, stderr %q; want %d and %q", c.args, run, code, se, c.code, c.has)
			}
		}
	}
}

// TestEmptyResultsSayWhy is row 8: an empty answer says why on stderr, exit 0 where
// nothing is a real answer.
func TestEmptyResultsSayWhy(t *testing.T) {
	good := pcapCopy(t, "good.pcap")
	out := filepath.Join(t.TempDir(), "x.pcap")
	for _, c := range []struct {
		args []string
		has  string
	}{
		{[]string{"packets", good, "--flow", "9999"}, "no flow 9999: the capture has"},
		{[]string{"flows", good, "--since", "+1000s"}, "the time range holds no packet"},
		{[]string{"flows", good, "port", "1"}, `no flow matches the filter "port 1"`},
		{[]string{"concurrent", good, "--at", "+1000s"}, "outside the capture"},
		{[]string{"extract", "-w", out, good, "port", "1"}, "nothing matched"},
	} {
		_, se, code := runCLI(t, c.args...)
		if code != exitOK || !strings.Contains(se, c.has) {
			t.Errorf("%q: exit %d, stderr %q; want 0 and %q", c.args, code, se, c.has)
		}
	}
}
