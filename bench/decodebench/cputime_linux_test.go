//go:build linux

package decodebench

import (
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

// threadCPU returns the CPU time the calling OS thread has used (CLOCK_THREAD_CPUTIME_ID,
// exact to the nanosecond). On a shared, loaded machine it measures the work done, not the
// time spent waiting for a core.
func threadCPU() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return ts.Nano()
}

// cpuClock pins the benchmark goroutine to its thread and reports cpu-ns/packet at the end.
type cpuClock struct{ start int64 }

func startCPU(b *testing.B) *cpuClock {
	runtime.LockOSThread()
	b.ResetTimer()
	return &cpuClock{threadCPU()}
}

func (c *cpuClock) stop(b *testing.B) {
	used := threadCPU() - c.start
	runtime.UnlockOSThread()
	if used > 0 {
		b.ReportMetric(float64(used)/float64(b.N), "cpu-ns/packet")
	}
}
