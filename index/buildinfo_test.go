package index

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildFilesInfoJSON: a capture that stops early (a corrupt record after the first) is indexed as far as it was read and
// its info object records why as a JSON string, whatever bytes the error holds (here a
// file name with a control character, DEL, U+2028 and invalid UTF-8, which Go's
// strconv.Quote would write as \x.. escapes that JSON does not have).
func TestBuildFilesInfoJSON(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(dir, "a.pcap")
	if err := os.WriteFile(a, good, 0o644); err != nil {
		t.Fatal(err)
	}
	// The second record claims a captured length beyond the snaplen: the reader stops
	// there with an error naming the file.
	cut := bytes.Clone(good)
	caplen1 := binary.LittleEndian.Uint32(cut[24+8:])
	binary.LittleEndian.PutUint32(cut[24+16+int(caplen1)+8:], 0x7fffffff)
	bad := filepath.Join(dir, "b\x01\x7f\u2028\xff.pcap")
	if err := os.WriteFile(bad, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x.pcapdex")
	if _, err := BuildFiles(out, []string{a, bad}, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cf, err := r.Captures()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf) != 2 {
		t.Fatalf("%d captures, want 2", len(cf))
	}
	var info struct {
		Packets   int64
		Truncated bool
		Error     string
	}
	if !json.Valid(cf[1].Info) {
		t.Fatalf("info of the bad capture is not JSON: %s", cf[1].Info)
	}
	if err := json.Unmarshal(cf[1].Info, &info); err != nil {
		t.Fatal(err)
	}
	if info.Packets != 1 || !strings.Contains(info.Error, "b\x01\x7f\u2028\ufffd.pcap") {
		t.Errorf("info %s: packets %d, error %q", cf[1].Info, info.Packets, info.Error)
	}
	if !json.Valid(cf[0].Info) || !strings.Contains(string(cf[0].Info), `"truncated":false`) {
		t.Errorf("info of the good capture: %s", cf[0].Info)
	}
}
