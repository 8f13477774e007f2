//go:build !linux

package decodebench

import "testing"

type cpuClock struct{}

func startCPU(b *testing.B) *cpuClock { b.ResetTimer(); return &cpuClock{} }
func (c *cpuClock) stop(*testing.B)   {}

func threadCPU() int64 { return 0 }
