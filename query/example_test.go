package query_test

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/pcapdex/pcapdex/query"
)

func ExampleTable() {
	for _, f := range []query.Format{query.FormatTable, query.FormatCSV, query.FormatJSONL} {
		t := query.NewTable(os.Stdout, query.Options{Format: f},
			query.Col{Name: "src", Kind: query.KindAddr},
			query.Col{Name: "bytes", Kind: query.KindBytes},
			query.Col{Name: "syn_rtt", Kind: query.KindDuration})
		t.Addr(netip.MustParseAddr("10.0.0.5"))
		t.Size(1_234_567)
		t.Duration(350e6)
		t.EndRow()
		t.Addr(netip.MustParseAddr("2001:db8::1"))
		t.Size(512)
		t.Null()
		t.EndRow()
		if err := t.Close(); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// src            bytes  syn_rtt
	// 10.0.0.5     1.23 MB   350 ms
	// 2001:db8::1    512 B        -
	// src,bytes,syn_rtt
	// 10.0.0.5,1234567,350000000
	// 2001:db8::1,512,
	// {"src":"10.0.0.5","bytes":1234567,"syn_rtt":350000000}
	// {"src":"2001:db8::1","bytes":512,"syn_rtt":null}
}
