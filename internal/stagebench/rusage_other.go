//go:build !unix

package stagebench

import "time"

// Without getrusage, CPU time and peak RSS are reported as 0 (unknown).

type rusage struct{}

func newRusage() *rusage                 { return new(rusage) }
func (r *rusage) start()                 {}
func (r *rusage) elapsed() time.Duration { return 0 }
func maxRSS() uint64                     { return 0 }
func resetPeakRSS() bool                 { return false }
func peakRSS() uint64                    { return 0 }
