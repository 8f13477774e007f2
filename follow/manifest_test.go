package follow

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManifestRoundTripAndCorruption(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{Generation: 3, Index: "index-3.pcapdex", AlertTS: 7, AlertSeq: 2,
		Files: []FileEntry{{Path: "/c/a.pcap", Dev: 1, Ino: 2, Head: "ab", HeadLen: 64, Committed: 100, Packets: 3, Closed: true, Indexed: true}}}
	if err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	if !IsDir(dir) {
		t.Fatal("IsDir false after WriteManifest")
	}
	got, err := ReadManifest(dir)
	if err != nil || got.Generation != 3 || got.Files[0] != m.Files[0] || got.AlertSeq != 2 {
		t.Fatalf("%v %+v", err, got)
	}
	path := filepath.Join(dir, ManifestName)
	b, _ := os.ReadFile(path)
	for name, bad := range map[string][]byte{
		"flipped body byte": append(append([]byte(nil), b[:len(b)-5]...), append([]byte{b[len(b)-5] ^ 1}, b[len(b)-4:]...)...),
		"other version":     []byte(strings.Replace(string(b), "pcapdex-follow 1 ", "pcapdex-follow 2 ", 1)),
		"no header":         []byte("{}"),
		"index path":        nil,
	} {
		if bad == nil {
			m2 := *m
			m2.Index = "../elsewhere"
			bad, _ = AppendManifest(nil, &m2)
		}
		os.WriteFile(path, bad, 0o644)
		if _, err := ReadManifest(dir); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want ErrCorrupt naming the file", name, err)
		}
	}
	os.WriteFile(path, []byte("just a file called manifest\n"), 0o644)
	if IsDir(dir) {
		t.Error("a directory with some other manifest file is taken for a follow directory")
	}
}
