package flowhash_test

import (
	"fmt"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// Process runs the sharded pipeline over one capture: flows in order of their first
// packet, with Zeek's conn_state and Wireshark's TCP analysis counts.
func ExampleProcess() {
	r, err := pcapng.Open("../testdata/sample.pcapng", pcapng.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	res, err := flowhash.Process(r, flowhash.Options{Events: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := &res.Flows[0]
	fmt.Println(len(res.Flows), "flows;", res.TCPConversations, "TCP and", res.UDPConversations, "UDP conversations;", res.Totals)
	_, op := f.OrigEndpoint()
	_, rp := f.RespEndpoint()
	fmt.Printf("flow 1: %v:%d -> %v:%d %s %s\n", f.Key.Addr(f.Orig), op, f.Key.Addr(1-f.Orig), rp, f.ConnState, f.History())
	// Output:
	// 400 flows; 283 TCP and 100 UDP conversations; retrans=21 ooo=1 dupack=17 zerowin=2
	// flow 1: 10.20.0.2:1024 -> 192.0.2.63:443 SF ShADadtFf
}

// A Consumer sees every packet with its flow id and analysis, in capture order, in the
// same pass as any other consumer (the index builder, the capture statistics, ...).
func ExampleNewPipeline() {
	r, err := pcapng.Open("../testdata/sample.pcapng", pcapng.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	var retransmitted, fromOrig int
	count := flowhash.BatchFunc(func(b *flowhash.Batch) error {
		for i := range b.Info {
			in := &b.Info[i]
			if in.Events&(1<<flowhash.EvRetransmission) != 0 {
				retransmitted++
			}
			if in.IP && in.FromOrig {
				fromOrig++
			}
		}
		return nil
	})
	pl := flowhash.NewPipeline(flowhash.Options{Workers: 2, Events: true}, count)
	if err := pl.Run(r); err != nil {
		fmt.Println(err)
		return
	}
	res, _ := pl.Finish()
	fmt.Println(fromOrig, "packets from originators,", retransmitted, "retransmissions in", len(res.Flows), "flows")
	// Output:
	// 1692 packets from originators, 19 retransmissions in 400 flows
}
