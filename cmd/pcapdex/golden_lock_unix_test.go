//go:build unix

package main

import (
	"os"
	"syscall"
	"testing"
)

// lockGoldenRun serialises golden runs of several checkouts on one machine: they share the
// fixed work folder (the index records the capture's path, so the folder cannot vary).
func lockGoldenRun(t *testing.T, path string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}
