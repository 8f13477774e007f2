//go:build unix

package mmap

import (
	"os"

	"golang.org/x/sys/unix"
)

// Supported reports whether Map maps files on this platform.
const Supported = true

// Map maps the first size bytes of f read-only and shared. The bytes stay valid until Unmap,
// whatever happens to f; the file must not shrink while mapped (reading past its new end
// faults). An error (a zero size, a file system that refuses) means: use plain reads.
func Map(f *os.File, size int64) ([]byte, error) {
	if !mappable(size) {
		return nil, errSize
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return b, nil
}

// AdviseSequential tells the kernel that b will be read front to back (more read-ahead, and
// pages behind the reader may go first). It is a hint: failure is ignored.
func AdviseSequential(b []byte) { _ = unix.Madvise(b, unix.MADV_SEQUENTIAL) }

// Unmap releases a mapping returned by Map. b must not be used afterwards.
func Unmap(b []byte) error { return unix.Munmap(b) }
