package follow

import (
	"errors"
	"fmt"

	"github.com/pcapdex/pcapdex/capstats"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/pcapng"
)

// errChanged: a file was replaced while the index was built from it.
var errChanged = errors.New("follow: a capture changed during the seal")

// buildIndex writes the index of the committed prefixes of ents to out, as
// index.BuildFiles does for whole files: one pipeline over the set, capture statistics per
// file, the same builder.
func buildIndex(out string, ents []*FileEntry, workers int, more []flowhash.Consumer) (*index.BuildStats, error) {
	fo := flowhash.Options{Workers: workers}
	stats := &capstats.Collector{PerFileFlows: len(ents) > 1, Flow: fo}
	w, err := index.Create(out)
	if err != nil {
		return nil, err
	}
	b, err := index.NewBuilder(w, index.BuildOptions{Flow: fo, Consumers: append([]flowhash.Consumer{stats}, more...)})
	if err != nil {
		w.Abort()
		return nil, err
	}
	for _, e := range ents {
		cf, err := index.Fingerprint(e.Path)
		if err != nil {
			w.Abort()
			return nil, errChanged
		}
		if err := b.BeginFile(cf); err != nil {
			w.Abort()
			return nil, err
		}
		t, err := pcapng.OpenTail(e.Path, pcapng.TailOptions{Limit: e.Committed})
		if err != nil {
			w.Abort()
			return nil, errChanged
		}
		t.SetClosed()
		ok, err := t.Ready()
		if err != nil || !ok {
			t.Close()
			w.Abort()
			if err == nil {
				err = fmt.Errorf("follow: %s: no capture header in the %d committed bytes", e.Path, e.Committed)
			}
			return nil, err
		}
		_, werr := b.ReadCapture(t.Reader())
		same, _, _, _ := sameFile(e)
		t.Close()
		if werr != nil {
			w.Abort()
			return nil, werr
		}
		if !same {
			w.Abort()
			return nil, errChanged
		}
		f := stats.Files()[len(stats.Files())-1]
		f.Path = e.Path
		b.EndFile(f.AppendJSON(nil))
	}
	return b.Finish()
}
