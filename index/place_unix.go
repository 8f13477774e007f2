//go:build unix

package index

import (
	"os"
	"syscall"
)

// ownPrivateDir reports whether dir is a directory (not a link) of this user with no
// permissions for others.
func ownPrivateDir(dir string) bool {
	st, err := os.Lstat(dir)
	if err != nil || !st.IsDir() || st.Mode().Perm()&0o077 != 0 {
		return false
	}
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Getuid()
}
