//go:build race

package follow

// raceOn: the race detector slows the child followers of TestFollowKill9 down.
const raceOn = true
