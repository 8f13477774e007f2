//go:build !linux

package safefile

import (
	"errors"
	"os"
)

func createAnon(dir string, perm os.FileMode) (*os.File, bool) { return nil, false }

func linkAnon(f *os.File, path string) error { return errors.ErrUnsupported }
