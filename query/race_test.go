//go:build race

package query

// raceEnabled: the race detector makes allocation counts meaningless (sync.Pool, used by
// the zstd decoders, drops items at random under -race).
const raceEnabled = true
