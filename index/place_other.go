//go:build !unix

package index

import "os"

// ownPrivateDir reports whether dir is a directory, not a link.
func ownPrivateDir(dir string) bool {
	st, err := os.Lstat(dir)
	return err == nil && st.IsDir()
}
