package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPerFile runs query commands once per capture of a directory: each file's rows are
// its own single-capture answer with a file column in front, the same for any --jobs, and
// a damaged file is reported and left out (exit 4).
func TestPerFile(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := checkDir(t, "example.pcap", "gnutella.pcap", "pcap-invalid-version-1.pcap", "one_http_stream_rst.pcap")
	for _, cmd := range [][]string{
		{"flows", "--format", "csv", "--columns", "flow_id,orig_h,resp_h,resp_p,conn_state,history", "tcp"},
		{"top", "--format", "csv", "--by", "src"},
		{"events", "--format", "csv", "--type", "retransmission,rst"},
		{"timeline", "--format", "csv", "--bucket", "1m"},
	} {
		name := cmd[0]
		args := append([]string{name, "--per-file", dir}, cmd[1:]...)
		out1, se, code := runCLI(t, append(args, "--jobs", "1")...)
		if code != exitPartial || !strings.Contains(se, "pcap-invalid-version-1.pcap") {
			t.Errorf("%s: exit %d, want %d with the damaged file named\n%s", name, code, exitPartial, se)
		}
		out2, _, _ := runCLI(t, append(args, "--jobs", "3")...)
		if out1 != out2 {
			t.Errorf("%s: --jobs 3 differs from --jobs 1", name)
		}
		var want strings.Builder
		header := ""
		for _, f := range []string{"example.pcap", "gnutella.pcap", "one_http_stream_rst.pcap"} {
			path := filepath.Join(dir, f)
			single, se, code := runCLI(t, append([]string{name, path}, cmd[1:]...)...)
			if code != 0 {
				t.Fatalf("%s %s: exit %d\n%s", name, f, code, se)
			}
			lines := strings.Split(strings.TrimRight(single, "\n"), "\n")
			header = "file," + lines[0]
			for _, l := range lines[1:] {
				want.WriteString(path + "," + l + "\n")
			}
		}
		if got := out1; got != header+"\n"+want.String() {
			t.Errorf("%s --per-file:\n%s\nwant\n%s\n%s", name, got, header, want.String())
		}
	}
}
