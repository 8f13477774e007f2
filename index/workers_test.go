package index

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/capstats"
	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// buildWithAdd builds the index of paths through Builder.Add (flow tracking in this
// goroutine), the way callers with their own packet loop do.
func buildWithAdd(t *testing.T, out string, paths []string) {
	t.Helper()
	w, err := Create(out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(w, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		cf, err := Fingerprint(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.BeginFile(cf); err != nil {
			t.Fatal(err)
		}
		r, err := pcapng.Open(path, pcapng.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var p pcapng.Packet
		var d fastparse.Packet
		for {
			if err = r.Next(&p); err != nil {
				break
			}
			fcs := 0
			if ifs := r.Interfaces(); ifs[p.Iface].FCSLen > 0 && ifs[p.Iface].FCSLen < 128 {
				fcs = ifs[p.Iface].FCSLen
			}
			fastparse.DecodeFCS(&d, p.LinkType, p.Data, p.OrigLen, fcs)
			if err := b.Add(&p, &d); err != nil {
				t.Fatal(err)
			}
		}
		if !errors.Is(err, io.EOF) {
			t.Fatalf("%s: %v", path, err)
		}
		r.Close()
		// The per-capture info BuildFiles stores: the statistics of the file alone.
		b.EndFile(capstats.ReadFile(path, pcapng.Options{}, flowhash.Options{}).AppendJSON(nil))
	}
	if _, err := b.Finish(); err != nil {
		t.Fatal(err)
	}
}

// TestBuildSameBytesAnyWorkers: the index of a capture (and of a capture set) is the same,
// byte for byte, whatever the number of pipeline workers, mapped or read, and through
// Builder.Add.
func TestBuildSameBytesAnyWorkers(t *testing.T) {
	dir := corpusDir(t)
	names := []string{"206_example_b.pcap", "example.pcap", "many-protocols.pcap", "test202.pcapng", "802.1ad_QinQ.pcap", "1000-requests-one-dropped-response.pcap.gz", "retransmit-fast009.pcap"}
	var sets [][]string
	for _, n := range names {
		sets = append(sets, []string{filepath.Join(dir, n)})
	}
	sets = append(sets, []string{filepath.Join(dir, names[0]), filepath.Join(dir, names[1]), filepath.Join(dir, names[2]), filepath.Join(dir, names[0])})
	tmp := t.TempDir()
	for si, set := range sets {
		name := filepath.Base(set[0])
		if len(set) > 1 {
			name = "set"
		}
		var base []byte
		for _, w := range []int{1, 2, 3} {
			for _, noMmap := range []bool{false, true} {
				if noMmap && w != 2 {
					continue
				}
				out := filepath.Join(tmp, "x.pcapdex")
				if _, err := BuildFiles(out, set, BuildOptions{BlockRows: 1000, Flow: flowhash.Options{Workers: w}, NoMmap: noMmap}); err != nil {
					t.Fatalf("%s: workers=%d: %v", name, w, err)
				}
				got, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if base == nil {
					base = got
					continue
				}
				if !bytes.Equal(got, base) {
					t.Errorf("%s: workers=%d noMmap=%v: index differs from workers=1 (%d vs %d bytes)", name, w, noMmap, len(got), len(base))
				}
			}
		}
		if si == 0 || len(set) > 1 {
			// Builder.Add with the default block size against the pipeline's.
			out := filepath.Join(tmp, "add.pcapdex")
			buildWithAdd(t, out, set)
			ref := filepath.Join(tmp, "ref.pcapdex")
			if _, err := BuildFiles(ref, set, BuildOptions{}); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(out)
			b, _ := os.ReadFile(ref)
			if !bytes.Equal(a, b) {
				t.Errorf("%s: Builder.Add gives another index than ReadCapture (%d vs %d bytes)", name, len(a), len(b))
			}
		}
	}
}
