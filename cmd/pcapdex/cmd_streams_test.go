package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStreamsCLI: the same files and manifest from the index and from --no-index, Follow
// on the terminal, and the usage errors.
func TestStreamsCLI(t *testing.T) {
	in := sampleCopy(t)
	var manifests [2]string
	for i, extra := range [][]string{nil, {"--no-index"}} {
		dir := filepath.Join(t.TempDir(), "out")
		args := append([]string{"streams", "-o", dir}, extra...)
		_, se, code := runCLI(t, append(args, in, "tcp")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, se)
		}
		b, err := os.ReadFile(filepath.Join(dir, "manifest.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		manifests[i] = string(b)
		ents, _ := os.ReadDir(dir)
		files := 0
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("temporary file left: %s", e.Name())
			}
			files++
		}
		if files < 3 || strings.Count(manifests[i], "\n") < 2 {
			t.Fatalf("%d files, manifest:\n%s", files, manifests[i])
		}
		// A second run refuses to write over the files.
		if _, se, code := runCLI(t, append(args, in, "tcp")...); code != exitInput || !strings.Contains(se, "exists") {
			t.Errorf("second run: exit %d, %s", code, se)
		}
	}
	if manifests[0] != manifests[1] {
		t.Errorf("manifest from the index differs from --no-index:\n%s\n%s", manifests[0], manifests[1])
	}
	so, se, code := runCLI(t, "streams", "--flow", "1", "--print", "ascii", in)
	if code != 0 || !strings.Contains(so, "Follow: tcp,ascii\nFilter: tcp.stream eq 0\nNode 0: ") {
		t.Errorf("follow: exit %d, %s\n%s", code, se, so)
	}
	for _, bad := range [][]string{
		{"streams", in}, // neither -o nor --flow
		{"streams", "-o", t.TempDir(), "--flow", "1", in},     // both
		{"streams", "-o", t.TempDir(), "--holes", "fill", in}, // bad mode
		{"streams", "--flow", "1", "--print", "utf8", in},     // bad print mode
		{"streams", "-o", t.TempDir(), "-"},                   // stdin
	} {
		if _, _, code := runCLI(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, exitUsage)
		}
	}
}
