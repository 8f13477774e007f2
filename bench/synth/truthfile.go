package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// TruthVersion is the version of the ground-truth file format.
const TruthVersion = 1

// TruthWriter streams a ground-truth file: a JSON object whose "flows" array is written
// flow by flow as flows end, followed by "totals". Memory does not grow with the flow count.
//
//	{"version":1,"seed":1,"format":"pcapng","flows":[{...},...],"totals":{...}}
type TruthWriter struct {
	w   *bufio.Writer
	n   int
	err error
	enc []byte
}

// NewTruthWriter starts a ground-truth file on w; header describes the output.
func NewTruthWriter(w io.Writer, seed uint64, format string) *TruthWriter {
	t := &TruthWriter{w: bufio.NewWriterSize(w, 1<<16)}
	_, t.err = fmt.Fprintf(t.w, "{\"version\":%d,\"seed\":%d,\"format\":%q,\"flows\":[", TruthVersion, seed, format)
	return t
}

// Flow appends one flow record; use it as Config.OnFlow.
func (t *TruthWriter) Flow(ft *FlowTruth) error {
	if t.err != nil {
		return t.err
	}
	b, err := json.Marshal(ft)
	if err != nil {
		t.err = fmt.Errorf("truth: flow %d: %w", ft.ID, err)
		return t.err
	}
	if t.n > 0 {
		t.w.WriteByte(',')
	}
	t.w.WriteByte('\n')
	t.n++
	_, t.err = t.w.Write(b)
	return t.err
}

// Close writes the totals and flushes; it does not close the underlying writer.
func (t *TruthWriter) Close(tot Totals) error {
	if t.err != nil {
		return t.err
	}
	b, err := json.Marshal(tot)
	if err != nil {
		return fmt.Errorf("truth: totals: %w", err)
	}
	t.w.WriteString("\n],\n\"totals\":")
	t.w.Write(b)
	t.w.WriteString("}\n")
	return t.w.Flush()
}

// Truth is a ground-truth file read back whole (for tests and checkers; small files only).
type Truth struct {
	Version int         `json:"version"`
	Seed    uint64      `json:"seed"`
	Format  string      `json:"format"`
	Flows   []FlowTruth `json:"flows"`
	Totals  Totals      `json:"totals"`
}

// ReadTruthFile reads a ground-truth file.
func ReadTruthFile(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("truth %s: %w", path, err)
	}
	if t.Version != TruthVersion {
		return nil, fmt.Errorf("truth %s: version %d, want %d", path, t.Version, TruthVersion)
	}
	return &t, nil
}
