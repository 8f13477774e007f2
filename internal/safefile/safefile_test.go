//go:build unix

package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func write(t *testing.T, path, data string, perm os.FileMode) {
	t.Helper()
	f, err := Create(path, perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestReplaceRegularFollowsUmask(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	p := filepath.Join(dir, "out")
	write(t, p, "one", 0o666)
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v under umask 077, want 0600", st.Mode().Perm())
	}
	syscall.Umask(0o022)
	write(t, p, "two", 0o666)
	st, _ = os.Stat(p)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v under umask 022, want 0644", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("content %q", b)
	}
	if n := names(t, dir); len(n) != 1 {
		t.Errorf("folder holds %v, want only out", n)
	}
}

func TestNothingLeftWhileWritingOrAfterAbort(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("partial")
	if n := names(t, dir); len(n) != 0 && f.anon {
		t.Errorf("an unnamed temporary file shows as %v", n)
	}
	f.Abort()
	if n := names(t, dir); len(n) != 0 {
		t.Errorf("after Abort the folder holds %v", n)
	}
}

func TestSymlinkWrittenThrough(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("old content"), 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	write(t, link, "new", 0o644)
	lst, err := os.Lstat(link)
	if err != nil || lst.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", lst.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q, want new", b)
	}
}

func TestFIFOWrittenThrough(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	write(t, fifo, "streamed", 0o644)
	if s := <-got; s != "streamed" {
		t.Errorf("read %q from the FIFO", s)
	}
	st, _ := os.Lstat(fifo)
	if st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("FIFO replaced by %v", st.Mode())
	}
}

func TestDevNullWrittenThrough(t *testing.T) {
	f, err := Create(os.DevNull, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if !f.WritesThrough() {
		t.Fatal("/dev/null would be replaced")
	}
	f.WriteString("x")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(os.DevNull)
	if st.Mode()&os.ModeDevice == 0 {
		t.Fatalf("/dev/null is now %v", st.Mode())
	}
}

func TestCheckNotInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.pcap")
	os.WriteFile(in, []byte("capture"), 0o644)
	hard := filepath.Join(dir, "hard.pcap")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "sym.pcap")
	os.Symlink(in, sym)
	other := filepath.Join(dir, "other.pcap")
	os.WriteFile(other, []byte("capture"), 0o644)
	for _, out := range []string{in, filepath.Join(dir, ".", "x", "..", "a.pcap"), hard, sym} {
		if err := CheckNotInput(out, []string{"-", in}); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err %v, want ErrInput", out, err)
		}
	}
	// The link is the input and the target is the output: refused too.
	if err := CheckNotInput(in, []string{sym}); !errors.Is(err, ErrInput) {
		t.Errorf("target of an input link: err %v", err)
	}
	for _, out := range []string{other, filepath.Join(dir, "new.pcap"), "-"} {
		if err := CheckNotInput(out, []string{in}); err != nil {
			t.Errorf("%s: %v", out, err)
		}
	}
	if b, _ := os.ReadFile(in); string(b) != "capture" {
		t.Fatal("input changed")
	}
}
