package query_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEProgram builds and runs the Go program README.md shows, so it stays true.
func TestREADMEProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program (skipped with -short)")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```go\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no Go program")
	}
	root, _ := filepath.Abs("..")
	dir := t.TempDir()
	gomod := "module readme\n\ngo 1.26\n\nrequire github.com/pcapdex/pcapdex v0.0.0\n\nreplace github.com/pcapdex/pcapdex => " + root + "\n"
	capture := filepath.Join(dir, "sample.pcapng")
	b, err := os.ReadFile("../testdata/sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "main.go": m[1], "sample.pcapng": b} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(gobin, "run", ".", capture, "10.20.0.4")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "3 10.20.0.4 -> 192.0.2.45 SF" {
		t.Errorf("README program printed %q", got)
	}
}
