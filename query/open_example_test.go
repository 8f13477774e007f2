package query_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/query"
)

// Open answers from a capture's index (built on first use), a capture set or an index
// file; Select applies a filter and a time window; the Store yields the selected flows.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "pcapdex-example")
	defer os.RemoveAll(dir)
	in, err := query.Open([]string{"../testdata/sample.pcapng"},
		query.OpenOptions{IndexPath: filepath.Join(dir, "sample.pcapdex")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer in.Close()
	plan, err := query.CompileFilter("net 10.20.0.0/16 and syn_rtt > 400ms")
	if err != nil {
		fmt.Println(err)
		return
	}
	sel, _ := in.SelectFlows(plan, query.NoSince, query.NoUntil)
	rows, _ := sel.FlowRows(in.Store)
	in.Store.Flows(rows, query.FlowAll, func(f *flowhash.Flow) error {
		_, port := f.RespEndpoint()
		fmt.Println(f.ID, f.Key.Addr(f.Orig), "->", f.Key.Addr(1-f.Orig), port, f.ConnState, f.TCP.SynRTT/1e6, "ms")
		return nil
	})
	fmt.Println("built:", in.Built != nil, "packets:", in.Built.Packets)
	// Output:
	// 56 10.20.0.57 -> 203.0.113.31 445 SF 509 ms
	// 173 10.20.0.174 -> 192.0.2.48 993 S1 560 ms
	// 185 10.20.0.186 -> 203.0.113.33 9000 SF 404 ms
	// 296 10.20.1.47 -> 192.0.2.62 80 S1 479 ms
	// built: true packets: 3153
}
