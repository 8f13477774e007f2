package synth

import (
	"os/exec"
	"testing"
)

// TestTruthMatchesTshark generates captures and checks that tshark (Wireshark 4.0's
// dissectors and tcp.analysis) sees exactly the ground truth: per flow packets, payload
// and IP bytes per direction, every counted event, the initial RTT, and the file totals.
func TestTruthMatchesTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: tshark runs skipped")
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed: the live check is skipped (TestGoldenTshark still compares the committed captures)")
	}
	for _, tc := range []struct {
		name   string
		cfg    Config
		format string
	}{
		{"packets", Config{Seed: 7, Packets: 30000, PFastRetrans: 0.1, PRTO: 0.05, POutOfOrder: 0.1, PZeroWindow: 0.05}, FormatPcapng},
		{"flows", Config{Seed: 8, Flows: 400}, FormatPcap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, tr := writeCapture(t, t.TempDir(), tc.cfg, tc.format)
			e := tr.Totals.Events
			t.Logf("%d packets, %d flows, events %+v", tr.Totals.Packets, tr.Totals.Flows, e)
			if e.Retransmissions == 0 || e.FastRetransmissions == 0 || e.OutOfOrder == 0 || e.DupAcks == 0 ||
				e.ZeroWindows == 0 || e.ZeroWindowProbes == 0 || e.WindowUpdates == 0 || e.LostSegments == 0 {
				t.Errorf("capture lacks some event kinds: %+v", e)
			}
			diffLines(t, tc.name, truthSummary(tr), tsharkSummary(t, path))
		})
	}
}

var execLookPath = exec.LookPath
