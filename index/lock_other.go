//go:build !unix

package index

import (
	"errors"
	"os"
)

// tryLock is unsupported here: builds run without a lock.
func tryLock(*os.File) (bool, error) { return false, errors.ErrUnsupported }
