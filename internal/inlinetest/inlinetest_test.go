package inlinetest

import "testing"

func TestVerdicts(t *testing.T) {
	out := []byte(`# github.com/pcapdex/pcapdex/flowhash
flowhash/key.go:39:6: can inline keyHasPorts
flowhash/table.go:89:15: inlining call to slab.(*Pool[go.shape.[2][16]uint8]).At
flowhash/table.go:90:9: inlining call to slab.(*List[go.shape.struct { Frame uint64; TS int64 }]).Add
fastparse/headers.go:88:6: can inline IPv4.Version
./x.go:1:2: leaking param: b
`)
	can, calls := Verdicts(out)
	for _, name := range []string{"keyHasPorts", "IPv4.Version"} {
		if !can[name] {
			t.Errorf("can inline %s not found in %v", name, can)
		}
	}
	for _, name := range []string{"slab.(*Pool).At", "slab.(*List).Add"} {
		if !calls[name] {
			t.Errorf("inlined call %s not found in %v", name, calls)
		}
	}
	if len(can) != 2 || len(calls) != 2 {
		t.Errorf("got %d can-inline and %d inlined verdicts, want 2 and 2", len(can), len(calls))
	}
}
