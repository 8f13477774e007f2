package index

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocatorReadOnlyFolderUsesCache: a capture in a folder where no index can be created
// gets its index in the cache directory, and the build writes it there, not beside it.
func TestLocatorReadOnlyFolderUsesCache(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(corpusDir(t), "VlanPackets.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	capPath := filepath.Join(dir, "VlanPackets.pcap")
	if err := os.WriteFile(capPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), "cache")
	l := Locator{CacheDir: cache, Writable: func(d string) bool { return d != dir }}
	want, err := l.CachePath(capPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(want, cache+string(filepath.Separator)) || !strings.HasSuffix(want, "-VlanPackets.pcap"+Suffix) {
		t.Fatalf("cache path %s: want CACHE/HASH-VlanPackets.pcap.pcapdex under %s", want, cache)
	}
	p, err := l.PathFor(capPath)
	if err != nil || p != want {
		t.Fatalf("PathFor = %s, %v; want %s", p, err, want)
	}
	if _, err := BuildFiles(p, []string{capPath}, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if ok, why := UpToDate(want, []string{capPath}); !ok {
		t.Errorf("index in the cache is not up to date: %s", why)
	}
	if _, err := os.Stat(capPath + Suffix); err == nil {
		t.Error("sidecar written into the read-only folder")
	}
	// A writable folder gets the sidecar.
	if p, _ := (Locator{CacheDir: cache}).PathFor(capPath); p != capPath+Suffix {
		t.Errorf("writable folder: PathFor = %s, want the sidecar", p)
	}
}

// TestCacheDirIsPrivate: the cache holds indexes of every capture queried from read-only
// folders (addresses, ports, paths): its folder is created 0700.
func TestCacheDirIsPrivate(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache", "pcapdex")
	l := Locator{CacheDir: cache, Writable: func(dir string) bool { return dir == cache }}
	if _, err := l.PathFor(filepath.Join(t.TempDir(), "x.pcap")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(cache)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("cache dir mode %v, want 0700", st.Mode().Perm())
	}
	// A cache dir an older pcapdex made 0755 is made private when next used.
	os.Chmod(cache, 0o755)
	if _, err := l.PathFor(filepath.Join(t.TempDir(), "y.pcap")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(cache); st.Mode().Perm() != 0o700 {
		t.Errorf("old cache dir mode %v, want 0700", st.Mode().Perm())
	}
}

// TestPlacementAlwaysWorks is issue 19 row 4: a read-only capture folder and no usable
// cache (no HOME) put the index in a private folder of the temp dir; when that fails too,
// PathFor says ErrNoPlace (callers stream) rather than a path that cannot be written.
func TestPlacementAlwaysWorks(t *testing.T) {
	capPath := filepath.Join(t.TempDir(), "x.pcap")
	tmp := os.TempDir()
	onlyTemp := func(dir string) bool { return strings.HasPrefix(dir, filepath.Join(tmp, "pcapdex-")) }
	l := Locator{CacheDir: "/nonexistent/cache/pcapdex", Writable: onlyTemp}
	p, err := l.PathFor(capPath)
	if err != nil || !strings.HasPrefix(p, filepath.Join(tmp, "pcapdex-")) {
		t.Fatalf("PathFor = %q, %v; want the temp dir", p, err)
	}
	if st, err := os.Stat(filepath.Dir(p)); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("temp folder: %v %v", st.Mode(), err)
	}
	if p, err := l.SetPath([]string{capPath, capPath + "2"}); err != nil || !strings.HasPrefix(p, filepath.Join(tmp, "pcapdex-")) {
		t.Errorf("SetPath = %q, %v; want the temp dir", p, err)
	}
	none := Locator{CacheDir: "/nonexistent/cache/pcapdex", Writable: func(string) bool { return false }}
	if p, err := none.PathFor(capPath); !errors.Is(err, ErrNoPlace) {
		t.Errorf("no writable folder: PathFor = %q, %v; want ErrNoPlace", p, err)
	}
}

// TestDamagedHeaderIsStillAnIndex is issue 19 row 19's corner: an index whose header is
// damaged is reported as a corrupt index, not as a capture that is "not a pcap".
func TestDamagedHeaderIsStillAnIndex(t *testing.T) {
	p, _ := writeSample(t, 100, 64)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[1] ^= 0xff // header magic
	os.WriteFile(p, b, 0o644)
	if !IsIndexFile(p) {
		t.Fatal("a damaged header hides the index")
	}
	_, err = Open(p)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "header magic") {
		t.Errorf("Open: %v, want a corrupt-index error about the header", err)
	}
	text := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(text, []byte("just some text, long enough to have a header and a footer ......"), 0o644)
	if IsIndexFile(text) {
		t.Error("a text file taken for an index")
	}
}
