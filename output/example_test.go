package output_test

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

func ExampleTable() {
	for _, f := range []output.Format{output.FormatTable, output.FormatCSV, output.FormatJSONL} {
		t := output.NewTable(os.Stdout, output.Options{Format: f},
			output.Col{Name: "src", Kind: output.KindAddr},
			output.Col{Name: "bytes", Kind: output.KindBytes},
			output.Col{Name: "syn_rtt", Kind: output.KindDuration})
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

// Rows computed by query (here made by hand: the top hosts) written as CSV and as JSON.
func ExampleWriteTop() {
	rows := []query.TopRow{
		{Addr: netip.MustParseAddr("10.0.0.5"), Flows: 3, Packets: 120, Bytes: 150_000, Share: 0.75},
		{Addr: netip.MustParseAddr("192.0.2.7"), Flows: 1, Packets: 40, Bytes: 50_000, Share: 0.25},
	}
	for _, f := range []output.Format{output.FormatCSV, output.FormatJSON} {
		if err := output.WriteTop(os.Stdout, output.Options{Format: f}, query.TopHost, rows); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// addr,flows,packets,bytes,share
	// 10.0.0.5,3,120,150000,0.75
	// 192.0.2.7,1,40,50000,0.25
	// [
	// {"addr":"10.0.0.5","flows":3,"packets":120,"bytes":150000,"share":0.75},
	// {"addr":"192.0.2.7","flows":1,"packets":40,"bytes":50000,"share":0.25}
	// ]
}
