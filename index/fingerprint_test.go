package index

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStale(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "big.pcap")
	content := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16) // 3 MiB: head, middle, tail
	if err := os.WriteFile(capPath, content, 0o644); err != nil {
		t.Fatal(err)
	}
	base := time.Unix(1_700_000_000, 123456789)
	os.Chtimes(capPath, base, base)
	build := func() *Reader {
		t.Helper()
		cf, err := Fingerprint(capPath)
		if err != nil {
			t.Fatal(err)
		}
		ip := filepath.Join(dir, "big.pcap.pcapdex")
		if err := newSample(10).write(ip, 64, []CaptureFile{cf}); err != nil {
			t.Fatal(err)
		}
		r, err := Open(ip)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	check := func(r *Reader, paths []string, want bool, reasonHas string) {
		t.Helper()
		stale, reason, err := r.Stale(paths)
		if err != nil || stale != want || !strings.Contains(reason, reasonHas) {
			t.Errorf("Stale = %v %q %v, want %v containing %q", stale, reason, err, want, reasonHas)
		}
	}
	r := build()
	check(r, []string{capPath}, false, "")
	check(r, []string{capPath, capPath}, true, "covers 1 capture files")
	check(r, []string{filepath.Join(dir, "other.pcap")}, true, "index was built from")

	// Touch: same bytes, new mtime.
	later := base.Add(time.Second)
	os.Chtimes(capPath, later, later)
	check(r, []string{capPath}, true, "modified at")
	os.Chtimes(capPath, base, base)
	check(r, []string{capPath}, false, "")

	// Append: size changes.
	f, _ := os.OpenFile(capPath, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("more packets"))
	f.Close()
	os.Chtimes(capPath, base, base)
	check(r, []string{capPath}, true, "size")
	os.WriteFile(capPath, content, 0o644)
	os.Chtimes(capPath, base, base)
	check(r, []string{capPath}, false, "")

	// Replace with a file of the same size and the same mtime, differing in the last MiB.
	alt := bytes.Clone(content)
	alt[len(alt)-100] ^= 1
	os.WriteFile(capPath, alt, 0o644)
	os.Chtimes(capPath, base, base)
	check(r, []string{capPath}, true, "contents changed")
	// ... or in the first MiB.
	alt = bytes.Clone(content)
	alt[5] ^= 1
	os.WriteFile(capPath, alt, 0o644)
	os.Chtimes(capPath, base, base)
	check(r, []string{capPath}, true, "contents changed")

	// Removed.
	os.Remove(capPath)
	check(r, []string{capPath}, true, "no such file")
}

func TestFingerprintSmallFile(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("abc"), 0o644)
	os.WriteFile(b, []byte("abd"), 0o644)
	fa, err := Fingerprint(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := Fingerprint(b)
	if fa.Size != 3 || fa.Hash == fb.Hash || fa.Path != a {
		t.Errorf("fingerprints: %+v %+v", fa, fb)
	}
	if _, err := Fingerprint(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file fingerprinted")
	}
}
