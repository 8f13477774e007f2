//go:build race

package index

// raceEnabled: the race detector makes allocation counts meaningless.
const raceEnabled = true
