package report

import (
	"os"
	"testing"

	"github.com/pcapdex/pcapdex/query"
)

// writeReport writes the report of capture (its index built beside it) to path and returns
// its data.
func writeReport(t testing.TB, capture, path string, o Options) []byte {
	t.Helper()
	in, err := query.Open([]string{capture}, query.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	sel, err := in.Select(nil, query.NoSince, query.NoUntil)
	if err != nil {
		t.Fatal(err)
	}
	o.Files = in.Store.Files()
	data, err := Gather(in.Store, sel, o)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, "pcapdex report", data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return data
}
