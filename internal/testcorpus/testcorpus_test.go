package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

func TestManifest(t *testing.T) {
	rows := Manifest(t)
	if len(rows) < 30 {
		t.Fatalf("manifest has %d rows, want the whole corpus", len(rows))
	}
	for _, r := range rows {
		if r["file"] == "" || r["packets"] == "" {
			t.Fatalf("row without file or packets: %v", r)
		}
		if _, err := os.Stat(Path(t, r["file"])); err != nil {
			t.Errorf("manifest names %s, not in the corpus: %v", r["file"], err)
		}
	}
	if rows[0]["file"] != "tcpdump-empty.pcap" || rows[0]["packets"] != "0" {
		t.Errorf("first row %v, want tcpdump-empty.pcap with 0 packets", rows[0])
	}
}

func TestFindHonoursEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PCAPDEX_CORPUS", dir)
	got, err := Find()
	if err != nil || got != dir {
		t.Fatalf("Find() = %q, %v; want %q", got, err, dir)
	}
	if isMainModule(filepath.Join(dir, "go.mod")) {
		t.Fatal("an empty dir has no main go.mod")
	}
}
