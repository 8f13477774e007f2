package capstats

import (
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/pcapng"
)

func TestInfoJSONString(t *testing.T) {
	got := string(infoJSONString(nil, "a\"b\\c\n\x01\xff€"))
	if want := `"a\"b\\c\n\u0001\ufffd€"`; got != want {
		t.Fatalf("%s != %s", got, want)
	}
	if got := string(appendSeconds(nil, -1_500_000_000)); got != "-1.500000000" {
		t.Fatalf("negative seconds: %s", got)
	}
}

// TestObserveNoAllocs: the per-packet counters allocate nothing.
func TestObserveNoAllocs(t *testing.T) {
	dir := testcorpus.Dir(t)
	r, err := pcapng.Open(filepath.Join(dir, "pcapng-example.pcapng"), pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := &File{}
	s.begin(r)
	var p pcapng.Packet
	n := testing.AllocsPerRun(100, func() {
		if err := r.Next(&p); err != nil {
			t.Fatal(err)
		}
		s.observe(&p)
	})
	if n != 0 || s.PacketComments == 0 {
		t.Fatalf("observe: %v allocations per packet (%d comments seen)", n, s.PacketComments)
	}
}

// TestCollectorSetOfFiles: in a set, each file's File counts its own packets and flows,
// and the index-less ReadFile of each file gives the same facts.
func TestCollectorSetOfFiles(t *testing.T) {
	dir := testcorpus.Dir(t)
	names := []string{"example.pcap", "206_example_b.pcap"}
	c := &Collector{PerFileFlows: true}
	pl := flowhash.NewPipeline(flowhash.Options{Workers: 2, DecodeStats: true}, c)
	for _, n := range names {
		r, err := pcapng.Open(filepath.Join(dir, n), pcapng.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := pl.Run(r); err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	if len(c.Files()) != len(names) {
		t.Fatalf("%d files, want %d", len(c.Files()), len(names))
	}
	for i, n := range names {
		got := c.Files()[i]
		got.Path = n
		want := ReadFile(filepath.Join(dir, n), pcapng.Options{}, flowhash.Options{})
		want.Path = n
		if g, w := string(got.AppendJSON(nil)), string(want.AppendJSON(nil)); g != w {
			t.Errorf("%s: in a set:\n%s\nalone:\n%s", n, g, w)
		}
		if got.Packets == 0 || got.Flows == nil || got.Flows.TCPConversations == 0 {
			t.Errorf("%s: %d packets, flows %+v", n, got.Packets, got.Flows)
		}
	}
}
