//go:build unix

package stagebench

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// rusage measures the CPU time (user + system) of the whole process between start and
// elapsed: every goroutine of the stage counts, and so does the runtime (GC workers). The
// structs are allocated by newRusage, before measure's first MemStats read.
type rusage struct{ a, b syscall.Rusage }

func newRusage() *rusage { return new(rusage) }

func (r *rusage) start() { syscall.Getrusage(syscall.RUSAGE_SELF, &r.a) }

func (r *rusage) elapsed() time.Duration {
	if syscall.Getrusage(syscall.RUSAGE_SELF, &r.b) != nil {
		return 0
	}
	return cpuOf(&r.b) - cpuOf(&r.a)
}

func cpuOf(u *syscall.Rusage) time.Duration {
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// maxRSS is the process's peak resident set size so far (getrusage ru_maxrss), in bytes.
func maxRSS() uint64 {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil || u.Maxrss < 0 {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(u.Maxrss) // bytes there, kilobytes elsewhere
	}
	return uint64(u.Maxrss) * 1024
}

// resetPeakRSS resets the kernel's peak-RSS mark of this process to its current RSS (Linux
// /proc/self/clear_refs "5"), so peakRSS then reports the peak of what runs in between. It
// reports false where that is not possible.
func resetPeakRSS() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	_, err = f.Write([]byte("5"))
	f.Close()
	return err == nil
}

// peakRSS reads VmHWM from /proc/self/status, in bytes; 0 when unavailable.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("\nVmHWM:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	f := bytes.Fields(line) // "123456" "kB"
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0
	}
	n, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil {
		return 0
	}
	return n * 1024
}
