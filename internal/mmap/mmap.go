// Package mmap maps a file read-only into memory where the operating system can, and says so
// where it cannot, so callers keep one plain-read fallback for every platform. The unix twin
// uses mmap(2); the twin for other systems maps nothing and returns ErrUnsupported.
package mmap

import "errors"

// ErrUnsupported is returned by Map where this build has no memory mapping: the caller reads
// the file with plain reads instead.
var ErrUnsupported = errors.New("mmap: not supported on this platform")

// errSize is returned by Map for a size it cannot map: zero, negative, or past int.
var errSize = errors.New("mmap: size cannot be mapped")

// mappable reports whether size bytes can be mapped as one []byte.
func mappable(size int64) bool { return size > 0 && size == int64(int(size)) }
