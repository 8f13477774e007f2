// Package testcorpus finds the shared corpus of real captures (../shared/corpus beside the
// repository root, or $PCAPDEX_CORPUS) and reads its MANIFEST.tsv, for tests of every package.
// Tests skip, saying why, when the corpus is absent.
package testcorpus

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Find returns the corpus directory: $PCAPDEX_CORPUS, else ../shared/corpus next to the
// directory holding the main module's go.mod, searched upwards from the working directory.
func Find() (string, error) {
	if d := os.Getenv("PCAPDEX_CORPUS"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isMainModule(filepath.Join(dir, "go.mod")) {
			c := filepath.Join(dir, "..", "shared", "corpus")
			if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err != nil {
				return "", fmt.Errorf("corpus not found at %s (set PCAPDEX_CORPUS): %v", c, err)
			}
			return c, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("corpus not found: no pcapdex go.mod above the working directory")
		}
		dir = parent
	}
}

// isMainModule reports whether path is the go.mod of module github.com/pcapdex/pcapdex (not
// a nested module such as bench/).
func isMainModule(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(first) == "module github.com/pcapdex/pcapdex"
}

// Dir returns the corpus directory or skips the test with the reason.
func Dir(t testing.TB) string {
	t.Helper()
	d, err := Find()
	if err != nil {
		t.Skip(err)
	}
	return d
}

// Row is one MANIFEST.tsv row by column name.
type Row map[string]string

// Manifest returns every row of the corpus manifest, in file order, skipping the test when
// the corpus is absent.
func Manifest(t testing.TB) []Row {
	t.Helper()
	dir := Dir(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var head []string
	var rows []Row
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if head == nil {
			head = cols
			continue
		}
		row := Row{}
		for i, h := range head {
			if i < len(cols) {
				row[h] = cols[i]
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("MANIFEST.tsv has no rows")
	}
	return rows
}

// Path returns the path of a corpus file by name.
func Path(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Dir(t), name)
}
