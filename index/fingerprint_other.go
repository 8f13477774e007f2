//go:build !linux

package index

import "os"

// statIDs is unknown here: every check of a capture hashes the whole file.
func statIDs(os.FileInfo) (ctime int64, dev, ino uint64) { return 0, 0, 0 }
