package pcapng

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

// corpusDir and readManifest use the shared helper (internal/testcorpus).
func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

func readManifest(t testing.TB, _ string) []testcorpus.Row { return testcorpus.Manifest(t) }

// fileSummary is what the corpus test compares with the manifest.
type fileSummary struct {
	packets, frameBytes, snapTrunc, maxFrame, backward, noTS int
	first, last                                              string
	err                                                      error
	truncated                                                bool
	linktypes                                                []int
}

func fmtTS(p *Packet) string {
	if !p.HasTS {
		return "-"
	}
	ns := p.TS
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec, frac = sec-1, frac+1e9
	}
	return fmt.Sprintf("%d.%09d", sec, frac)
}

func summarize(t testing.TB, path string, opts Options) (fileSummary, error) {
	r, err := Open(path, opts)
	if err != nil {
		return fileSummary{}, err
	}
	defer r.Close()
	var s fileSummary
	var p Packet
	var prev int64
	havePrev := false
	for {
		err := r.Next(&p)
		if err != nil {
			if err != io.EOF {
				s.err = err
			}
			break
		}
		if s.packets == 0 {
			s.first = fmtTS(&p)
		}
		s.last = fmtTS(&p)
		s.packets++
		s.frameBytes += int(p.OrigLen)
		if p.CapLen < p.OrigLen {
			s.snapTrunc++
		}
		s.maxFrame = max(s.maxFrame, int(p.OrigLen))
		if !p.HasTS {
			s.noTS++
		} else {
			if havePrev && p.TS < prev {
				s.backward++
			}
			prev, havePrev = p.TS, true
		}
		if len(p.Data) != int(p.CapLen) {
			t.Errorf("%s: packet %d: len(Data) %d != CapLen %d", path, p.Ordinal, len(p.Data), p.CapLen)
		}
	}
	s.truncated = r.Truncated()
	seen := map[int]bool{}
	for _, ifc := range r.Interfaces() {
		if !seen[int(ifc.LinkType)] {
			seen[int(ifc.LinkType)] = true
			s.linktypes = append(s.linktypes, int(ifc.LinkType))
		}
	}
	if s.packets == 0 {
		s.first, s.last = "-", "-"
	}
	return s, nil
}

// corpusDifferences lists, per file, the manifest columns where the reader differs from
// tshark 4.0.17 on purpose, with the reason. Everything else must match exactly.
var corpusDifferences = map[string]map[string]string{
	"fuzz.pcap": {
		// Record 2 claims incl_len 0x53fe6000 (> 256 KiB): a FormatError here. tshark invents
		// a bogus frame 2 (1 byte captured, 1 MiB wire length, negative time).
		"packets": "1", "last_ts": "1508525002.992213000", "frame_bytes": "188", "max_frame_len": "188",
		"ts_backward_steps": "0", "snaplen_truncated_frames": "0",
	},
	"fuzz-2021-10-13.pcap": {
		// Record 1 claims 524501 captured bytes (> 256 KiB and past the end of the file): a
		// FormatError at the first record. tshark shows the cut record as one frame.
		"packets": "0", "first_ts": "-", "last_ts": "-", "frame_bytes": "0", "max_frame_len": "0",
		"snaplen_truncated_frames": "0",
	},
	"timestamp_invalid_micro.pcap": {
		// ts_usec >= 1e6 is carried into the seconds (1000000 us -> +1 s, 2^31 us -> +2147.483648 s),
		// so timestamps keep their order; tshark prints the raw field or wraps it.
		"last_ts": "1418147517.483648000", "ts_backward_steps": "0",
	},
	"pcapng-example.pcapng": {
		// The last EPB's timestamp (about 2^64 microseconds) does not fit int64 nanoseconds:
		// it is clamped to MaxInt64 ns with a warning. tshark prints it as unsigned seconds.
		"last_ts": "9223372036.854775807",
	},
}

func TestCorpusManifest(t *testing.T) {
	dir := corpusDir(t)
	for _, noMmap := range []bool{false, true} {
		for _, row := range readManifest(t, dir) {
			name := row["file"]
			t.Run(fmt.Sprintf("%s/nommap=%v", name, noMmap), func(t *testing.T) {
				s, err := summarize(t, filepath.Join(dir, name), Options{NoMmap: noMmap})
				if err != nil {
					s = fileSummary{first: "-", last: "-", err: err}
				}
				got := map[string]string{
					"packets":                  strconv.Itoa(s.packets),
					"first_ts":                 s.first,
					"last_ts":                  s.last,
					"frame_bytes":              strconv.Itoa(s.frameBytes),
					"snaplen_truncated_frames": strconv.Itoa(s.snapTrunc),
					"max_frame_len":            strconv.Itoa(s.maxFrame),
					"ts_backward_steps":        strconv.Itoa(s.backward),
					"no_timestamp_packets":     strconv.Itoa(s.noTS),
				}
				diffs := corpusDifferences[name]
				for col, v := range got {
					want := row[col]
					if d, ok := diffs[col]; ok {
						want = d
					}
					if v != want {
						t.Errorf("%s: got %s, want %s (manifest %s)", col, v, want, row[col])
					}
				}
				var fe *FormatError
				if s.err != nil && !errors.As(s.err, &fe) {
					t.Errorf("error is not a *FormatError: %v", s.err)
				}
				t.Logf("err=%v truncated=%v", s.err, s.truncated)
			})
		}
	}
}
