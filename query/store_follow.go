package query

import (
	"fmt"

	"github.com/pcapdex/pcapdex/follow"
	"github.com/pcapdex/pcapdex/index"
)

// followIndex returns the index a follow directory's manifest names: the sealed index of
// the committed records of every capture of the set still on disk (see package follow),
// and the captures it covers.
func followIndex(dir string) (string, []string, error) {
	var m *follow.Manifest
	var err error
	// A seal replaces the index and then removes the old one: read the manifest again if
	// its index went away between the two reads.
	for range 5 {
		if m, err = follow.ReadManifest(dir); err != nil {
			return "", nil, err
		}
		if m.Index == "" || index.IsIndexFile(m.IndexPath(dir)) {
			break
		}
	}
	if m.Index == "" {
		return "", nil, fmt.Errorf("%s: the follower has not indexed any packet yet", dir)
	}
	var caps []string
	for _, e := range m.Files {
		if e.Indexed {
			caps = append(caps, e.Path)
		}
	}
	return m.IndexPath(dir), caps, nil
}
