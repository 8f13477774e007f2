package pcapng

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// TestErrNotCapture checks what errors.go promises: the FormatError for input that is not a
// capture wraps ErrNotCapture, through Open, NewReader and the compressed path, and a
// FormatError about a real capture does not.
func TestErrNotCapture(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("hello, not a capture"))
	zw.Close()
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"text", []byte("hello, not a capture")},
		{"short", []byte{0xd4, 0xc3}},
		{"empty", nil},
		{"gzip of text", gz.Bytes()},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, noMmap := range []bool{false, true} {
				_, err := Open(path, Options{NoMmap: noMmap})
				checkNotCapture(t, fmt.Sprintf("Open(nommap=%v)", noMmap), err)
			}
			_, err := NewReader(bytes.NewReader(c.data), Options{Name: "in"})
			checkNotCapture(t, "NewReader", err)
		})
	}

	// A broken pcapng block is a FormatError too, but not ErrNotCapture.
	e := enc{}
	bad := e.shb(nil)
	bad = append(bad, e.block(blockIDB, []byte{1})...)
	bad[len(bad)-1] = 0xff // trailing length disagrees
	_, err := NewReader(bytes.NewReader(bad), Options{Name: "bad"})
	if r, err2 := NewBytesReader("bad", bad); err == nil && err2 == nil {
		var p Packet
		err = r.Next(&p)
	}
	var fe *FormatError
	if !errors.As(err, &fe) || errors.Is(err, ErrNotCapture) {
		t.Fatalf("broken IDB: %v; want a FormatError that is not ErrNotCapture", err)
	}
}

func checkNotCapture(t *testing.T, how string, err error) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrNotCapture) {
		t.Errorf("%s: %v; want a *FormatError wrapping ErrNotCapture", how, err)
		return
	}
	if wrapped := fmt.Errorf("open: %w", err); !errors.Is(wrapped, ErrNotCapture) {
		t.Errorf("%s: wrapped once more, errors.Is(ErrNotCapture) is false", how)
	}
}

// TestFormatErrorWrapsGzipCause: a damaged gzip header keeps its cause reachable.
func TestFormatErrorWrapsGzipCause(t *testing.T) {
	data := []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0} // compression method 0x99 is not deflate
	_, err := NewReader(bytes.NewReader(data), Options{Name: "in.gz"})
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, gzip.ErrHeader) || fe.Block != "gzip header" {
		t.Fatalf("%v; want a gzip-header FormatError wrapping gzip.ErrHeader", err)
	}
}
