//go:build race

package fastparse

const raceEnabled = true
