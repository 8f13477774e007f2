//go:build !unix

package index

import "os"

func mmapFile(f *os.File, size int64) ([]byte, error) { return nil, nil }

func munmap(b []byte) error { return nil }
