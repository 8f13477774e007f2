//go:build unix

package index

import (
	"os"

	"golang.org/x/sys/unix"
)

// mmapFile maps size bytes of f read-only. It returns nil, nil when mapping is not possible
// (empty file, or a file system that refuses): the caller falls back to plain reads.
func mmapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, nil
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil
	}
	return b, nil
}

func munmap(b []byte) error { return unix.Munmap(b) }
