package mmap

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestMap(t *testing.T) {
	want := bytes.Repeat([]byte("pcapdex "), 3000) // more than a page
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := Map(f, int64(len(want)))
	if !Supported {
		if !errors.Is(err, ErrUnsupported) || b != nil {
			t.Fatalf("Map on a platform without mmap: %v, %d bytes; want ErrUnsupported", err, len(b))
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	AdviseSequential(b)
	if !bytes.Equal(b, want) {
		t.Fatalf("mapped bytes differ from the file (%d bytes, want %d)", len(b), len(want))
	}
	if err := Unmap(b); err != nil {
		t.Fatal(err)
	}
}

func TestMapRefusesSizes(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int64{0, -1} {
		if b, err := Map(f, size); err == nil || b != nil {
			t.Errorf("Map(size %d) = %d bytes, %v; want an error", size, len(b), err)
		}
	}
}

func TestMapClosedFile(t *testing.T) {
	if !Supported {
		t.Skip("no mmap on this platform")
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if b, err := Map(f, 1); err == nil || b != nil {
		t.Fatalf("Map of a closed file = %d bytes, %v; want an error", len(b), err)
	}
}
