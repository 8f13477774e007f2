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

// TestStaleMiddleRewrite is issue 19 rows 7 and 16: a capture rewritten in place outside
// its first and last MiB, size and mtime kept, is stale; the same bytes copied elsewhere
// with the index are not.
func TestStaleMiddleRewrite(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "big.pcap")
	content := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16)
	if err := os.WriteFile(capPath, content, 0o644); err != nil {
		t.Fatal(err)
	}
	base := time.Unix(1_700_000_000, 0)
	os.Chtimes(capPath, base, base)
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
	defer r.Close()
	if stale, why, err := r.Stale([]string{capPath}); stale || err != nil {
		t.Fatalf("fresh index stale: %s %v", why, err)
	}
	// A copy of capture and index elsewhere: same bytes, other inode: hashed, not stale.
	other := t.TempDir()
	cp := filepath.Join(other, "big.pcap")
	os.WriteFile(cp, content, 0o644)
	os.Chtimes(cp, base, base)
	if stale, why, err := r.Stale([]string{cp}); stale || err != nil {
		t.Errorf("copy stale: %s %v", why, err)
	}
	// Rewrite one byte in the middle, in place, and put the mtime back.
	f, err := os.OpenFile(capPath, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{'X'}, 3<<20/2)
	f.Close()
	os.Chtimes(capPath, base, base)
	stale, why, err := r.Stale([]string{capPath})
	if !stale || err != nil || !strings.Contains(why, "contents changed") {
		t.Errorf("middle rewrite: stale %v %q %v, want stale, contents changed", stale, why, err)
	}
}

// TestStaleWithoutSums: an index written before whole-file sums existed is stale, so it
// is rebuilt once rather than trusted.
func TestStaleWithoutSums(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "x.pcap")
	os.WriteFile(capPath, []byte("bytes"), 0o644)
	cf, err := Fingerprint(capPath)
	if err != nil {
		t.Fatal(err)
	}
	cf.Sum = [32]byte{}
	ip := filepath.Join(dir, "x.pcap.pcapdex")
	if err := newSample(10).write(ip, 64, []CaptureFile{cf}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ip)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if stale, why, _ := r.Stale([]string{capPath}); !stale || !strings.Contains(why, "predates") {
		t.Errorf("stale %v %q", stale, why)
	}
}
