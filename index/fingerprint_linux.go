//go:build linux

package index

import (
	"os"
	"syscall"
)

// statIDs returns the inode change time (ns), device and inode number of st.
func statIDs(st os.FileInfo) (ctime int64, dev, ino uint64) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return int64(s.Ctim.Sec)*1e9 + int64(s.Ctim.Nsec), uint64(s.Dev), uint64(s.Ino)
}
