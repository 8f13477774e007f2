//go:build !unix

package index

import "time"

// cpuTime is 0 where getrusage is absent: TestBuildReport's CPU columns then read 0.
func cpuTime() time.Duration { return 0 }
