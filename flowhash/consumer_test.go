package flowhash

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/pcapng"
)

// recorder is a Consumer that logs what the pipeline calls.
type recorder struct {
	log      []string
	packets  uint64
	readErrs []error
	result   *Result
	failEnd  error
}

func (r *recorder) BeginFile(*pcapng.Reader) error { r.log = append(r.log, "begin"); return nil }
func (r *recorder) Batch(b *Batch) error {
	r.packets += uint64(len(b.Packets))
	return nil
}
func (r *recorder) EndFile(e *FileEnd) error {
	r.log = append(r.log, "end")
	r.readErrs = append(r.readErrs, e.ReadErr)
	return r.failEnd
}
func (r *recorder) Finish(res *Result) error { r.result = res; return nil }

// TestConsumers: every consumer of one pipeline sees every packet of every capture,
// between BeginFile and EndFile; EndFile gets the reader's error of a cut capture; Finish
// hands the result to Finishers; a consumer's error comes back as a *ConsumerError.
func TestConsumers(t *testing.T) {
	dir := t.TempDir()
	whole := writeUDPCapture(t, dir, 5000)
	b, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(cut, b[:len(b)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		a, c := &recorder{}, &recorder{}
		pl := NewPipeline(Options{Workers: workers}, a, c)
		for _, p := range []string{whole, cut} {
			r, err := pcapng.Open(p, pcapng.Options{NoMmap: true})
			if err != nil {
				t.Fatal(err)
			}
			pl.Run(r)
			r.Close()
		}
		res, err := pl.Finish()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []*recorder{a, c} {
			if x.packets != 9999 || res.Packets != 9999 {
				t.Errorf("workers=%d: consumer saw %d packets, pipeline %d; want 9999", workers, x.packets, res.Packets)
			}
			if len(x.log) != 4 || x.log[0] != "begin" || x.log[1] != "end" || x.log[2] != "begin" || x.log[3] != "end" {
				t.Errorf("workers=%d: calls %v", workers, x.log)
			}
			if x.result != res {
				t.Errorf("workers=%d: Finish did not hand the result over", workers)
			}
		}
		// A cut tail is not an error (a warning on the reader): both runs end cleanly.
		if a.readErrs[0] != nil || a.readErrs[1] != nil {
			t.Errorf("workers=%d: read errors %v", workers, a.readErrs)
		}
	}
	// A record length beyond the snaplen part-way: the packets before it are delivered and
	// EndFile gets the reader's error.
	bad := append([]byte(nil), b...)
	off := 24 + 100*(16+46) + 8 // caplen of record 101
	bad[off], bad[off+1], bad[off+2], bad[off+3] = 0xff, 0xff, 0xff, 0x7f
	badPath := filepath.Join(dir, "bad.pcap")
	if err := os.WriteFile(badPath, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	pl := NewPipeline(Options{Workers: 2}, rec)
	r, err := pcapng.Open(badPath, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runErr := pl.Run(r)
	r.Close()
	if rec.packets != 100 || runErr == nil || len(rec.readErrs) != 1 || rec.readErrs[0] != runErr {
		t.Errorf("bad record: %d packets, Run %v, EndFile saw %v; want 100 packets and the read error", rec.packets, runErr, rec.readErrs)
	}

	boom := errors.New("boom")
	pl = NewPipeline(Options{Workers: 2}, &recorder{failEnd: boom})
	r, err = pcapng.Open(whole, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = pl.Run(r)
	var ce *ConsumerError
	if !errors.As(err, &ce) || !errors.Is(err, boom) {
		t.Errorf("EndFile error: Run returned %v, want a *ConsumerError wrapping boom", err)
	}
}
