//go:build !race

package fastparse

const raceEnabled = false
