package safefile

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// createAnon opens an unnamed file in dir (O_TMPFILE), when the kernel, the file system and
// /proc (needed to link it in at Commit) allow.
func createAnon(dir string, perm os.FileMode) (*os.File, bool) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return nil, false
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		return nil, false
	}
	return os.NewFile(uintptr(fd), dir), true
}

// linkAnon gives the unnamed file f the name path.
func linkAnon(f *os.File, path string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}
