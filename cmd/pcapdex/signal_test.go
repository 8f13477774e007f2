//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run the command in a child process (PCAPDEX_TEST_MAIN=1), to send it
// signals.
func TestMain(m *testing.M) {
	if os.Getenv("PCAPDEX_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestSignalLeavesNoTempFiles is issue 19 row 5: an index build killed by SIGINT, SIGTERM
// or SIGKILL while it writes leaves nothing in the folder. The stall is deterministic: the
// child reads the capture from a pipe the test keeps open.
func TestSignalLeavesNoTempFiles(t *testing.T) {
	capBytes := mustRead(t, "../../testdata/sample.pcap")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "x.pcapdex")
			cmd := exec.Command(os.Args[0], "index", "-o", out, "-")
			cmd.Env = append(os.Environ(), "PCAPDEX_TEST_MAIN=1")
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			stdin.Write(capBytes[:len(capBytes)/2]) // half a capture, and the pipe stays open
			// Wait until the child has its output open in dir.
			deadline := time.Now().Add(20 * time.Second)
			for !writesInto(cmd.Process.Pid, dir) {
				if time.Now().After(deadline) {
					t.Fatal("the child never opened its output")
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			cmd.Wait()
			stdin.Close()
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				t.Errorf("left behind after %v: %s", sig, e.Name())
			}
		})
	}
}

// writesInto reports whether process pid has a file in dir open.
func writesInto(pid int, dir string) bool {
	fds := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(fds)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && strings.HasPrefix(l, dir+"/") {
			return true
		}
	}
	return false
}
