package modroot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	root := Dir(t)
	// This package sits at bench/internal/modroot below the main module.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Dir(filepath.Dir(filepath.Dir(wd))); root != want {
		t.Fatalf("Find = %s, want %s", root, want)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "pcapdex")); err != nil {
		t.Fatalf("main module root %s has no cmd/pcapdex: %v", root, err)
	}
}

func TestFindOutside(t *testing.T) {
	t.Chdir(t.TempDir())
	if d, err := Find(); err == nil {
		t.Fatalf("Find from a temporary directory = %s, want an error", d)
	}
}
