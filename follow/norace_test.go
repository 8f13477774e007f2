//go:build !race

package follow

const raceOn = false
