//go:build unix

package follow

import (
	"os"
	"syscall"
)

// devIno returns the device and inode of a file (0, 0 where the system does not say).
func devIno(st os.FileInfo) (dev, ino uint64) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Dev), uint64(s.Ino)
	}
	return 0, 0
}
