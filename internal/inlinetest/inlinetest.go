// Package inlinetest pins the inlining of hot accessors, the way net/netip pins its own: it
// builds the package under test with the compiler's optimisation report (-gcflags=-m) and
// checks the verdicts by name. A change that pushes an accessor over the inlining budget then
// fails a test instead of quietly adding a call per packet.
package inlinetest

import (
	"bytes"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// Check builds the package in the test's working directory with -gcflags=-m and fails t for
// every name in canInline the compiler does not call inlinable ("IPv4.Version",
// "(*Reader).avail", "u32") and every callee in inlined it never inlines into a caller of
// this package ("slab.(*Pool).At": type arguments are dropped before comparing). It skips
// with -short (it runs the compiler) and with a compiler other than gc.
func Check(t *testing.T, canInline, inlined []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the package with the compiler's optimisation report")
	}
	if runtime.Compiler != "gc" {
		t.Skip("needs the gc compiler")
	}
	out, err := exec.Command(runtime.GOROOT()+"/bin/go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	can, calls := Verdicts(out)
	for _, name := range canInline {
		if !can[name] {
			t.Errorf("%s is not inlinable", name)
		}
	}
	for _, name := range inlined {
		if !calls[name] {
			t.Errorf("no call to %s is inlined", name)
		}
	}
}

var (
	canRE  = regexp.MustCompile(`: can inline (.+)$`)
	callRE = regexp.MustCompile(`: inlining call to (.+)$`)
)

// Verdicts reads the output of go build -gcflags=-m: the functions the compiler can inline
// and the callees it inlined somewhere, each with type arguments removed.
func Verdicts(out []byte) (canInline, inlined map[string]bool) {
	canInline, inlined = map[string]bool{}, map[string]bool{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if m := canRE.FindSubmatch(line); m != nil {
			canInline[dropTypeArgs(string(m[1]))] = true
		}
		if m := callRE.FindSubmatch(line); m != nil {
			inlined[dropTypeArgs(string(m[1]))] = true
		}
	}
	return canInline, inlined
}

// dropTypeArgs removes bracketed type arguments: "slab.(*Pool[go.shape.[2][16]uint8]).At"
// becomes "slab.(*Pool).At".
func dropTypeArgs(s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}
