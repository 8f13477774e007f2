package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/query"
)

// openStream opens a --no-index query of command name on args and returns its stream store.
func openStream(t *testing.T, name string, args ...string) (*queryCtx, *query.StreamStore) {
	t.Helper()
	q := queryFlags{format: "csv", timeFmt: "rfc3339", noIndex: true}
	var errb bytes.Buffer
	ctx, code := openQuery(name, &q, args, &errb)
	if ctx == nil {
		t.Fatalf("%s %v: exit %d: %s", name, args, code, errb.String())
	}
	st, ok := ctx.st.(*query.StreamStore)
	if !ok {
		ctx.close()
		t.Fatalf("%s %v --no-index: store is %T, want a stream store", name, args, ctx.st)
	}
	return ctx, st
}

// TestNoIndexKeepsWhatCommandReads: --no-index holds per-packet rows only for the commands
// that read packets, and events only for those that read events; the others hold memory in
// proportion to flows. Commands that keep packets still print what the index prints.
func TestNoIndexKeepsWhatCommandReads(t *testing.T) {
	p := sampleCopy(t)
	for _, c := range []struct {
		name         string
		rows, events bool
		rowBytes     int64 // per packet kept, rounded up to whole chunks of 65536
	}{
		{"flows", false, false, 0},
		{"top", false, false, 0},
		{"events", false, true, 0},
		{"concurrent", false, true, 0},
		{"timeline", true, false, 24},
		{"gaps", true, false, 24},
		{"sizes", true, false, 24},
		{"packets", true, false, 72},
		{"extract", true, true, 72},
	} {
		ctx, st := openStream(t, c.name, p, "pkts > 0") // a flow filter: a packet filter keeps every packet to read it back
		n := st.NumPackets()
		chunks := (n + 65535) / 65536
		if n == 0 || st.NumFlows() == 0 {
			t.Fatalf("%s: %d packets, %d flows read", c.name, n, st.NumFlows())
		}
		if got, want := st.RowBytes(), chunks*65536*c.rowBytes; got != want {
			t.Errorf("%s --no-index: %d bytes of packet rows for %d packets, want %d", c.name, got, n, want)
		}
		err := st.Packets(nil, ctx.sel.Since, ctx.sel.Until, query.NeedBasic, func(*query.PacketRow) error { return nil })
		if c.rows != (err == nil) || err != nil && !errors.Is(err, query.ErrNotKept) {
			t.Errorf("%s --no-index: Packets error %v, want rows kept %v", c.name, err, c.rows)
		}
		err = st.Events(nil, nil, func(e *flowhash.Event) error { return nil })
		if c.events != (err == nil) || err != nil && !errors.Is(err, query.ErrNotKept) {
			t.Errorf("%s --no-index: Events error %v, want events kept %v", c.name, err, c.events)
		}
		ctx.close()
	}

	// The commands that keep rows print the index's packets.
	for _, args := range [][]string{
		{"packets", p, "--format", "csv", "tcp"},
		{"timeline", p, "--bucket", "100ms", "--format", "csv", "tcp"},
		{"sizes", p, "--histogram", "--format", "csv", "udp"},
	} {
		out, errs, code := runCLI(t, args...)
		out2, errs2, code2 := runCLI(t, append(args, "--no-index")...)
		if code != exitOK || code2 != exitOK || out != out2 || strings.Count(out, "\n") < 2 {
			t.Errorf("%v: exit %d (%s), --no-index exit %d (%s); outputs equal %v:\n%.400s", args, code, errs, code2, errs2, out == out2, out)
		}
	}
}

// TestStdinKeepsNoRowsForFlows: a capture on stdin is streamed the same way: flows keeps no
// packet rows.
func TestStdinKeepsNoRowsForFlows(t *testing.T) {
	stdinSample(t)
	ctx, st := openStream(t, "flows", "-")
	defer ctx.close()
	if st.NumPackets() == 0 || st.NumFlows() == 0 || st.RowBytes() != 0 {
		t.Errorf("flows -: %d packets, %d flows, %d bytes of packet rows; want packets and flows read, no rows kept", st.NumPackets(), st.NumFlows(), st.RowBytes())
	}
}
