package compare

import (
	"bufio"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/pcapng"
)

// derive writes B: capture src with the frames in del deleted, every time shifted by shift
// and stretched by stretchPPM around the earliest packet, every IP TTL decremented (the
// checksum is left as it was: compare reads no checksum). This is what editcap -D/-t/-S and
// tcprewrite --ttl would do; the expected answer is del itself.
func derive(t *testing.T, src, dst string, del map[int64]bool, shift int64, stretchPPM float64) {
	t.Helper()
	r, err := pcapng.Open(src, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := pcapng.NewPcapngWriter(bw, pcapng.PcapngWriterOptions{UserAppl: "compare corpus test"})
	if err != nil {
		t.Fatal(err)
	}
	ifaces := map[uint32]int{}
	var pk pcapng.Packet
	var fp fastparse.Packet
	t0 := earliest(t, src)
	buf := make([]byte, 0, 1<<16)
	for {
		err := r.Next(&pk)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if del[int64(pk.Ordinal)] {
			continue
		}
		id, ok := ifaces[pk.Iface]
		if !ok {
			if id, err = w.AddInterface(pk.LinkType, 0, "b", 9); err != nil {
				t.Fatal(err)
			}
			ifaces[pk.Iface] = id
		}
		buf = append(buf[:0], pk.Data...)
		fastparse.Decode(&fp, pk.LinkType, buf, pk.OrigLen)
		if fp.IPVersion == 4 || fp.IPVersion == 6 {
			ttlOff := int(fp.IPOff) + 8
			if fp.IPVersion == 6 {
				ttlOff = int(fp.IPOff) + 7
			}
			if ttlOff < len(buf) && buf[ttlOff] > 0 {
				buf[ttlOff]--
			}
		}
		ts := t0 + shift + int64(math.Round(float64(pk.TS-t0)*(1+stretchPPM*1e-6)))
		if err := w.WritePacket(id, ts, buf, pk.OrigLen, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// earliest returns the earliest packet time of src.
func earliest(t *testing.T, src string) int64 {
	r, err := pcapng.Open(src, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pk pcapng.Packet
	t0 := int64(math.MaxInt64)
	for r.Next(&pk) == nil {
		t0 = min(t0, pk.TS)
	}
	return t0
}

// chooseDeleted picks frames of src to delete: every 397th IP packet of a TCP or UDP flow,
// and a burst of three.
func chooseDeleted(t *testing.T, src string) map[int64]bool {
	r, err := pcapng.Open(src, pcapng.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	del := map[int64]bool{}
	var pk pcapng.Packet
	var fp fastparse.Packet
	burst := 0
	for {
		err := r.Next(&pk)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fastparse.Decode(&fp, pk.LinkType, pk.Data, pk.OrigLen)
		if !fp.IsTCP() && !fp.IsUDP() {
			continue
		}
		n := int64(pk.Ordinal)
		switch {
		case n%397 == 0:
			del[n] = true
		case n >= 2000 && burst < 3:
			del[n] = true
			burst++
		}
	}
	return del
}

func TestCorpusDerived(t *testing.T) {
	src := testcorpus.Path(t, "example.pcap")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("corpus capture %s absent: %v", src, err)
	}
	del := chooseDeleted(t, src)
	const shift, stretch = -2_500_000_000, 30.0
	dst := filepath.Join(t.TempDir(), "b.pcapng")
	derive(t, src, dst, del, shift, stretch)
	res, err := Compare(openSide(t, src), openSide(t, dst), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", res.Verdict)
	var got []int64
	for _, m := range res.Missing {
		if m.Point != "a" {
			t.Errorf("frame %d of B reported seen at B only (%s)", m.Frame, m.Verdict)
			continue
		}
		got = append(got, m.Frame)
	}
	var want []int64
	for f := range del {
		want = append(want, f)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("seen at A only: %v\nwant (deleted): %v", got, want)
	}
	if len(res.UnpairedA)+len(res.UnpairedB)+len(res.Ambiguous) != 0 {
		t.Errorf("unpaired A %v, B %v, ambiguous %v", res.UnpairedA, res.UnpairedB, res.Ambiguous)
	}
	if len(res.Clock.Segments) != 1 {
		t.Fatalf("clock segments %+v", res.Clock.Segments)
	}
	s := res.Clock.Segments[0]
	wantOff := float64(shift) + stretch*1e-6*float64(s.StartNs-earliest(t, src))
	if math.Abs(float64(s.OffsetNs)-wantOff) > 10_000 || math.Abs(s.SkewPPM-stretch) > 1 {
		t.Errorf("clock: offset %d ns skew %.4f ppm, want %.0f and %.1f", s.OffsetNs, s.SkewPPM, wantOff, stretch)
	}
	t.Logf("clock: offset %d ns (truth %.0f), skew %.5f ppm (truth %.1f), %d frames deleted and found", s.OffsetNs, wantOff, s.SkewPPM, stretch, len(want))
	// Every matched packet had its TTL decremented at B (changes read upstream to downstream).
	for _, f := range res.Flows {
		for _, d := range f.Directions {
			var n int64
			for _, c := range d.TTL {
				if d.Path == "a_to_b" && c.To != c.From-1 || d.Path == "b_to_a" && c.To != c.From+1 {
					t.Errorf("flow %d: TTL change %+v", f.FlowA, c)
				}
				n += c.Count
			}
			if n != d.Both {
				t.Errorf("flow %d %s: %d TTL changes for %d matched packets", f.FlowA, d.Direction, n, d.Both)
			}
		}
	}
}

// TestCorpusSelf compares a corpus capture with itself: nothing is lost.
func TestCorpusSelf(t *testing.T) {
	src := testcorpus.Path(t, "example.pcap")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("corpus capture %s absent: %v", src, err)
	}
	res, err := Compare(openSide(t, src), openSide(t, src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Missing) != 0 || res.Totals.Lost != 0 || res.Totals.CaptureA+res.Totals.CaptureB != 0 {
		t.Errorf("A against itself: %d missing, %d lost, capture drops %d/%d", len(res.Missing), res.Totals.Lost, res.Totals.CaptureA, res.Totals.CaptureB)
	}
	if len(res.UnpairedA)+len(res.UnpairedB) != 0 || res.Clock.Segments[0].OffsetNs != 0 || res.Clock.Segments[0].SkewPPM != 0 {
		t.Errorf("unpaired %v %v, clock %+v", res.UnpairedA, res.UnpairedB, res.Clock.Segments)
	}
	t.Logf("%s", res.Verdict)
}
