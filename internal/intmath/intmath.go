// Package intmath holds integer helpers that several rooms share.
package intmath

// FloorDiv returns a/b rounded toward negative infinity (Go's / rounds toward zero), so a
// timestamp before an epoch or a base falls into the bucket that holds it: FloorDiv(-1, 10)
// is -1, not 0. b must not be 0.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
