package pcapng

import (
	"testing"

	"github.com/pcapdex/pcapdex/internal/inlinetest"
)

// TestInlining pins the helpers Next and ReadBatch call per packet (cursor, byte order,
// padding) and the option accessors a consumer calls per packet as inlinable.
//
// peek is not listed: its call to the noinline peekSlow alone costs more than the budget
// leaves, so it is one call per record today although its comment hopes otherwise.
func TestInlining(t *testing.T) {
	inlinetest.Check(t, []string{
		"(*Reader).avail", "(*Reader).offset", "(*Reader).nextPcapng", "u16", "u32", "pad4",
		"(*Reader).Offset", "(*Packet).OptionReader", "NewOptionReader",
		"(*OptionReader).Code", "(*OptionReader).Value",
	}, nil)
}
