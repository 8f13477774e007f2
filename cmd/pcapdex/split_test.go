package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestJoinFilter(t *testing.T) {
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"tcp", "syn_rtt > 300ms"}, "tcp and syn_rtt > 300ms"},
		{[]string{"tcp", "port", "80"}, "tcp port 80"},
		{[]string{"host 10.0.0.1", "port 80", "bytes > 1MB"}, "host 10.0.0.1 and port 80 and bytes > 1MB"},
		{[]string{"tcp", "or", "udp"}, "tcp or udp"},
		{[]string{"tcp[13]", "&", "2", "!=", "0"}, "tcp[13] & 2 != 0"},
		{[]string{"port", "x"}, "port x"}, // a real error stays as typed
	} {
		if got := joinFilter(tc.words); got != tc.want {
			t.Errorf("joinFilter(%q) = %q, want %q", tc.words, got, tc.want)
		}
	}
}

// A filter word naming an existing file is the filter once a capture was given.
func TestSplitInputsFilterWordIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, f := range []string{"a.pcap", "b.pcap", "tcp", "80"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, words, err := splitInputs([]string{"a.pcap", "b.pcap", "tcp", "port", "80"})
	if err != nil || !reflect.DeepEqual(in, []string{"a.pcap", "b.pcap"}) || !reflect.DeepEqual(words, []string{"tcp", "port", "80"}) {
		t.Fatalf("splitInputs = %q %q %v", in, words, err)
	}
	// The first argument is always an input.
	in, words, err = splitInputs([]string{"tcp", "udp"})
	if err != nil || !reflect.DeepEqual(in, []string{"tcp"}) || !reflect.DeepEqual(words, []string{"udp"}) {
		t.Fatalf("splitInputs = %q %q %v", in, words, err)
	}
}

// packets -e writes tshark-named columns with a header, for the filter's packets.
func TestPacketsFields(t *testing.T) {
	p := sampleCopy(t)
	out, errs, code := runCLI(t, "packets", p, "-e", "frame.number", "-e", "ip.src", "-e", "tcp.stream", "--format", "csv", "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "frame.number,ip.src,tcp.stream" || len(lines) < 2 || !strings.HasPrefix(lines[1], "1,10.20.0.2,0") {
		t.Fatalf("output:\n%s", out)
	}
	if _, errs, code := runCLI(t, "packets", p, "-e", "http.host"); code != exitInput || !strings.Contains(errs, `unknown field "http.host"`) {
		t.Errorf("unknown field: exit %d, %q", code, errs)
	}
}

// --stream N selects the packets of Wireshark's tcp.stream N, beside a filter too.
func TestPacketsStream(t *testing.T) {
	p := sampleCopy(t)
	out, errs, code := runCLI(t, "packets", p, "--stream", "0", "-e", "tcp.stream", "-e", "ip.src", "host", "10.20.0.2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 {
		t.Fatalf("output:\n%s", out)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "0\t") {
			t.Fatalf("row %q not in stream 0", l)
		}
	}
}
