package anon

import (
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// TestRewriteNoAllocs: once an address has been mapped, rewriting a packet allocates
// nothing (the caller's buffer is reused).
func TestRewriteNoAllocs(t *testing.T) {
	r, err := pcapng.Open("../testdata/sample.pcapng", pcapng.Options{NoMmap: true})
	if err != nil {
		t.Skip(err)
	}
	defer r.Close()
	var p pcapng.Packet
	if err := r.Next(&p); err != nil {
		t.Fatal(err)
	}
	a, _ := New(refKey)
	w := &Rewriter{An: a, Payload: 8}
	buf := w.Rewrite(nil, p.Data, p.LinkType, p.OrigLen)
	if len(buf) == 0 || len(buf) > len(p.Data) {
		t.Fatalf("rewrote %d bytes of %d", len(buf), len(p.Data))
	}
	if n := testing.AllocsPerRun(100, func() { buf = w.Rewrite(buf, p.Data, p.LinkType, p.OrigLen) }); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
}
