package flowhash

import (
	"testing"

	"github.com/pcapdex/pcapdex/internal/inlinetest"
)

// TestInlining pins the helpers the per-packet path calls (key, hash, shard, slot lookup,
// flow and TCP state access, sequence compares, history and events) as inlinable, and the
// slab accessors of internal/slab as inlined into this package.
func TestInlining(t *testing.T) {
	inlinetest.Check(t, []string{
		// decode workers: key and shard of each packet
		"KeyOf", "keyHasPorts", "icmpPorts", "endpointLess", "hashWord", "le64", "Shard",
		"(*Batch).Key",
		// shards: slot lookup and state access
		"compactKey", "(*flowKey).v6", "(*Table).keyEqual", "slotHome", "slotTag",
		"(*Table).flow", "(*Table).tcpAt", "(*Table).coldIf",
		"(*flowState).hasL4", "(*flowState).keySeenL4",
		// TCP analysis
		"gtSeq", "ltSeq", "leSeq", "(*tcpState).addHist", "(*history).set", "(*Table).emit",
		"flagEvent",
	}, []string{
		"slab.(*Pool).At", "slab.(*List).Add",
	})
}
