package compare

import (
	"fmt"
	"io"
	"strings"

	"github.com/pcapdex/pcapdex/pcapng"
)

// ExtractMissing writes to w, as pcapng, every packet res lists as seen at one point only,
// read back by offset from a's or b's captures, each with a comment giving the point and
// the verdict. Timestamps are as captured (each point's own clock).
func ExtractMissing(res *Result, a, b Side, w io.Writer) (int, error) {
	ng, err := pcapng.NewPcapngWriter(w, pcapng.PcapngWriterOptions{UserAppl: "pcapdex compare"})
	if err != nil {
		return 0, err
	}
	type reader struct {
		files []string
		open  func(int) (*pcapng.Reader, error)
		rs    []*pcapng.Reader
	}
	mk := func(s Side) *reader {
		r := &reader{files: s.Store.Files(), open: s.Open}
		r.rs = make([]*pcapng.Reader, len(r.files))
		if r.open == nil {
			r.open = func(i int) (*pcapng.Reader, error) {
				return pcapng.Open(r.files[i], pcapng.Options{NoMmap: s.NoMmap})
			}
		}
		return r
	}
	sides := [2]*reader{mk(a), mk(b)}
	defer func() {
		for _, s := range sides {
			for _, r := range s.rs {
				if r != nil {
					r.Close()
				}
			}
		}
	}()
	ifaces := map[[3]uint32]int{}
	var pk pcapng.Packet
	n := 0
	for _, m := range res.Missing {
		si := 0
		if m.Point == "b" {
			si = 1
		}
		s := sides[si]
		if int(m.file) >= len(s.rs) {
			return n, fmt.Errorf("point %s frame %d: capture file %d of %d", m.Point, m.Frame, m.file, len(s.rs))
		}
		r := s.rs[m.file]
		if r == nil {
			if r, err = s.open(int(m.file)); err != nil {
				return n, err
			}
			s.rs[m.file] = r
		}
		if err := r.ReadPacketAt(m.off, &pk); err != nil {
			return n, fmt.Errorf("point %s frame %d: %w", m.Point, m.Frame, err)
		}
		k := [3]uint32{uint32(si), uint32(m.file), pk.Iface}
		id, ok := ifaces[k]
		if !ok {
			name := strings.ToUpper(m.Point) + ": " + s.files[m.file]
			if id, err = ng.AddInterface(pk.LinkType, 0, name, 9); err != nil {
				return n, err
			}
			ifaces[k] = id
		}
		if err := ng.WritePacketFlags(id, pk.TS, pk.Data, pk.OrigLen, pk.Flags, comment(&m)); err != nil {
			return n, err
		}
		n++
	}
	return n, ng.Flush()
}

func comment(m *Missing) string {
	var why string
	switch m.Verdict {
	case "lost_between":
		why = "lost in the network between A and B"
	case "capture_drop_a":
		why = "dropped by A's capture (it passed A)"
	case "capture_drop_b":
		why = "dropped by B's capture (it passed B)"
	case "duplicated_between":
		why = "an extra copy: duplicated between A and B"
	default:
		why = m.Verdict
	}
	return fmt.Sprintf("pcapdex compare: seen at %s only (frame %d there; flow %d at A, %d at B; %s): %s",
		strings.ToUpper(m.Point), m.Frame, m.FlowA, m.FlowB, strings.ReplaceAll(m.Direction, "_", " "), why)
}
