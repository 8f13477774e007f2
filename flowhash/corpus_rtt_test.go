package flowhash

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
)

// TestCorpusRTTAgainstAckRTT compares each TCP flow's mean data->ACK RTT with the mean of
// tshark's tcp.analysis.ack_rtt over the same stream (testdata/golden/FILE.ackrtt, made by
// gen-golden.sh). They are different estimators on purpose: tshark times every ACK against
// the last segment it covers, from a list of every unacknowledged segment; pcapdex keeps no
// such list (per-flow memory is bounded) and samples only ACKs that cover exactly the newest
// data segment the other way (tcp.go). So the test does not ask for equality: it counts the
// streams whose means agree within 10% and within a factor of 4/3, and fails if the counts
// fall below what the estimator reaches today (62 and 121 of 226 streams; the one-timed-
// segment estimator it replaced reached 31 and 74 of 224, and fails this test), so a change
// that makes RTTs worse shows.
func TestCorpusRTTAgainstAckRTT(t *testing.T) {
	dir := corpusDir(t)
	var streams, close10, close33 int
	for _, m := range readManifest(t, dir) {
		name := m["file"]
		golden := filepath.Join("testdata", "golden", name+".ackrtt")
		f, err := os.Open(golden)
		if err != nil {
			continue
		}
		want := map[uint64][2]float64{} // first frame -> samples, mean ns
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var first uint64
			var n, mean float64
			if _, err := fmt.Sscan(sc.Text(), &first, &n, &mean); err != nil {
				t.Fatalf("%s: %q: %v", golden, sc.Text(), err)
			}
			want[first] = [2]float64{n, mean}
		}
		f.Close()
		if len(want) == 0 {
			continue
		}
		res := runFile(t, filepath.Join(dir, name), Options{})
		for i := range res.Flows {
			fl := &res.Flows[i]
			w, ok := want[fl.FirstFrame]
			if !ok || fl.Key.Proto != fastparse.ProtoTCP || fl.TCP.RTTSamples == 0 {
				continue
			}
			streams++
			r := float64(fl.TCP.RTTAvg) / w[1]
			if r >= 0.9 && r <= 1.1 {
				close10++
			}
			if r >= 0.75 && r <= 4.0/3 {
				close33++
			} else if w[0] >= 50 {
				t.Logf("%s flow %d (frame %d): mean RTT %.3f ms, tshark's mean ack_rtt %.3f ms over %.0f ACKs",
					name, fl.ID, fl.FirstFrame, float64(fl.TCP.RTTAvg)/1e6, w[1]/1e6, w[0])
			}
		}
	}
	t.Logf("%d TCP streams with RTT samples on both sides: %d within 10%% of tshark's mean ack_rtt, %d within a factor of 4/3",
		streams, close10, close33)
	if streams < 200 || close10 < 58 || close33 < 115 {
		t.Errorf("RTT means agree with tshark on %d (10%%) and %d (4/3) of %d streams; want at least 58 and 115 of 200 or more",
			close10, close33, streams)
	}
}
