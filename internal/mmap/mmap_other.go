//go:build !unix

package mmap

import "os"

// Supported reports whether Map maps files on this platform.
const Supported = false

// Map returns ErrUnsupported: this platform's build has no memory mapping, and the caller
// reads the file with plain reads.
func Map(f *os.File, size int64) ([]byte, error) {
	if !mappable(size) {
		return nil, errSize
	}
	return nil, ErrUnsupported
}

// AdviseSequential does nothing: nothing is mapped on this platform.
func AdviseSequential(b []byte) {}

// Unmap does nothing: Map never returns a mapping on this platform.
func Unmap(b []byte) error { return nil }
