package query

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pcapdex/pcapdex/index"
)

// The benchmarks on a big capture run on the index of a capture of at least 1 GB:
// PCAPDEX_BIG names the capture (default /tmp/pcapdex-big/big.pcap); its index is built
// once, to PCAPDEX_BIG_INDEX (default /tmp/pcapdex-query-bench/big.pcap.pcapdex), never
// into the repository. PCAPDEX_BIG_HOST is the one-host filter's address.

var bigOnce sync.Once

// bigIndexPath is where the big capture's index is, or is built.
func bigIndexPath() string {
	if p := os.Getenv("PCAPDEX_BIG_INDEX"); p != "" {
		return p
	}
	return "/tmp/pcapdex-query-bench/big.pcap.pcapdex"
}

func bigIndex(b *testing.B) (string, string) {
	capture := os.Getenv("PCAPDEX_BIG")
	if capture == "" {
		capture = "/tmp/pcapdex-big/big.pcap"
	}
	out := bigIndexPath()
	host := os.Getenv("PCAPDEX_BIG_HOST")
	if host == "" {
		host = "10.1.0.10"
	}
	st, err := os.Stat(capture)
	if err != nil || st.Size() < 1e9 {
		b.Skipf("no capture of at least 1 GB at %s (set PCAPDEX_BIG)", capture)
	}
	bigOnce.Do(func() {
		if r, err := index.Open(out); err == nil {
			stale, _, err := r.Stale([]string{capture})
			r.Close()
			if err == nil && !stale {
				return
			}
		}
		os.MkdirAll(filepath.Dir(out), 0o755)
		if _, err := index.BuildFiles(out, []string{capture}, index.BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	})
	return out, host
}
