// Package modroot finds the directory of the main pcapdex module from a test of the bench
// module: the committed samples (testdata/) and cmd/pcapdex live there.
package modroot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Find walks up from the working directory to the directory whose go.mod declares module
// github.com/pcapdex/pcapdex (the bench module's own go.mod does not).
func Find() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if strings.TrimSpace(first) == "module github.com/pcapdex/pcapdex" {
				return d, nil
			}
		}
		if d == filepath.Dir(d) {
			return "", errors.New("no go.mod of module github.com/pcapdex/pcapdex above " + wd)
		}
	}
}

// Dir is Find for tests: it stops the test when no main module is found.
func Dir(t testing.TB) string {
	t.Helper()
	d, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
