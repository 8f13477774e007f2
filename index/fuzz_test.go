package index

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the reader, both as a mapped image and through plain
// reads: Open, Verify and reading every section, table chunk, key and bitmap must return
// data or an error, never panic, hang or allocate beyond the bounds the format sets.
func FuzzOpen(f *testing.F) {
	for _, shape := range []struct{ rows, block int }{{0, 64}, {3, 2}, {200, 64}} {
		path, _ := writeSample(f, shape.rows, shape.block)
		good, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(good)
		f.Add(good[:len(good)/2])
		f.Add(good[:len(good)-1])
		for _, off := range []int{20, len(good) / 3, len(good) - 40} {
			b := bytes.Clone(good)
			b[off] ^= 0x41
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mapped := range []bool{true, false} {
			var img []byte
			if mapped {
				img = data
			}
			r, err := openReaderAt("fuzz.pcapdex", bytes.NewReader(data), img, int64(len(data)))
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
					t.Fatalf("Open: error of unexpected class: %v", err)
				}
				continue
			}
			verr := r.Verify()
			aerr := readAll(r)
			if verr == nil && aerr != nil {
				t.Fatalf("Verify passed but reading failed: %v", aerr)
			}
			for _, err := range []error{verr, aerr} {
				if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotFound) {
					t.Fatalf("error of unexpected class: %v", err)
				}
			}
			r.Close()
		}
	})
}
