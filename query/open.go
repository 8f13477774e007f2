package query

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/follow"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/pcapng"
)

// OpenOptions say how Open reads its inputs. The zero value answers from the index,
// building it beside the capture (or in the user cache) when it is missing or stale.
type OpenOptions struct {
	// NoIndex reads the captures in one pass instead of using (or building) an index;
	// Keep says what that in-memory store holds (the flows always).
	NoIndex bool
	Keep    StreamKeep
	// IndexPath is the index file to use or build for the captures (default: the
	// Locator's choice: CAPTURE.pcapdex, or the user cache for a set).
	IndexPath string
	Locator   index.Locator
	// NoMmap reads captures with plain reads instead of mapping them.
	NoMmap bool
	// MaxWindow is the largest decompression window a compressed capture may ask for when
	// an index is built (pcapng.Options.MaxWindow; 0: the default).
	MaxWindow int64
	// Workers are the pipeline's decode and flow-tracking goroutines (0: GOMAXPROCS) when
	// captures are read; the answers are the same for any number.
	Workers int
	// Flow, if not nil, are flow tracking options other than the index's defaults: the
	// captures are then read in one pass (an index holds the defaults' answers).
	Flow *flowhash.Options
	// Progress, if not nil, is called while Open builds an index.
	Progress func(index.Progress)
}

// ErrNeedCaptures is returned by Open for non-default flow options on an index input: an
// index holds the answers of the default options only.
var ErrNeedCaptures = errors.New("non-default flow options need captures, not an index")

// Input is an opened capture, capture set or index: a Store to query, and what opening it
// did and found. Close it when done.
type Input struct {
	Store Store
	// Index is the index answering (nil when the captures were streamed) and IndexPath
	// its file.
	Index     *index.Reader
	IndexPath string
	// Captures are the capture paths (empty for an index input read as such).
	Captures []string
	// Built is the build Open ran (nil when the index was up to date or not used);
	// Rebuilt says why an existing index was rebuilt ("" for a new one).
	Built   *index.BuildResult
	Rebuilt string
	// Streamed says why the captures were read in one pass although NoIndex was not set
	// ("" when an index answers or NoIndex was set).
	Streamed string
	// Warnings are problems met while reading (a capture that ended early), one line each.
	Warnings []string
	// Partial is set when some capture was read only in part, or a capture of a set could
	// not be read at all (SetWarnings names it): the answers cover what was read.
	Partial bool
	// SetWarnings are what opening a set found: files left out (not captures, or
	// unreadable), the order the set is read in when it differs from the order given, and
	// files that overlap in time. Unlike Warnings, they are known whether or not an index
	// was built.
	SetWarnings []string
}

// Open opens inputs: one index file, one follow directory (package follow: its current
// index), or captures (files, directories of captures, "-" for stdin; globs are the
// caller's to expand). Captures are answered from their index, built first when missing or
// stale (index.Reader.Stale: size, mtime, and a SHA-256 of the whole capture when its
// change time or identity differ from the build's), or streamed with NoIndex, from stdin,
// or with non-default Flow options.
func Open(inputs []string, opt OpenOptions) (*Input, error) {
	if len(inputs) == 0 {
		return nil, errors.New("no capture or index given")
	}
	in := &Input{}
	var err error
	idx := ""
	if len(inputs) == 1 && follow.IsDir(inputs[0]) {
		// A follow directory: its current index, or its captures with NoIndex.
		fidx, caps, err := followIndex(inputs[0])
		if err != nil {
			return nil, err
		}
		inputs = []string{fidx}
		if opt.NoIndex {
			inputs = caps
		}
	}
	if len(inputs) == 1 && inputs[0] != "-" && index.IsIndexFile(inputs[0]) {
		idx = inputs[0]
		if opt.Flow != nil {
			return nil, ErrNeedCaptures
		}
		if opt.NoIndex {
			r, err := index.Open(idx)
			if err != nil {
				return nil, err
			}
			cf, err := r.Captures()
			r.Close()
			if err != nil {
				return nil, err
			}
			for _, f := range cf {
				in.Captures = append(in.Captures, f.Path)
			}
		}
	} else {
		set, err := index.ExpandSet(inputs, pcapng.Options{NoMmap: opt.NoMmap})
		if err != nil {
			return nil, err
		}
		in.Captures = set.Paths
		in.SetWarnings = append(append(in.SetWarnings, set.Skipped...), set.Notes...)
		in.Partial = set.Unreadable > 0
	}
	noIndex := opt.NoIndex
	switch {
	case noIndex:
	case slices.Contains(in.Captures, "-"):
		noIndex, in.Streamed = true, "a pipe cannot be indexed and then re-read by offset"
	case opt.Flow != nil:
		noIndex, in.Streamed = true, "non-default flow options: reading the captures instead of the index"
	}
	stream := func() (*Input, error) {
		fo := flowhash.Options{Workers: opt.Workers}
		if opt.Flow != nil {
			fo = *opt.Flow
		}
		s, err := NewStreamStoreOptions(in.Captures, opt.NoMmap, fo, opt.Keep)
		if err != nil {
			return nil, err
		}
		in.Store, in.Warnings, in.Partial = s, s.Warnings, in.Partial || len(s.Warnings) > 0
		return in, nil
	}
	if noIndex {
		return stream()
	}
	if idx == "" {
		switch {
		case opt.IndexPath != "":
			idx = opt.IndexPath
		case len(in.Captures) == 1:
			idx, err = opt.Locator.PathFor(in.Captures[0])
		default:
			idx, err = opt.Locator.SetPath(in.Captures)
		}
		if errors.Is(err, index.ErrNoPlace) {
			// Never a failure for want of a folder: read the captures instead.
			in.Streamed = err.Error() + ": reading the captures in one pass"
			return stream()
		}
		if err != nil {
			return nil, err
		}
		if ok, why := index.UpToDate(idx, in.Captures); !ok {
			in.Rebuilt = why
			res, err := index.BuildFiles(idx, in.Captures, index.BuildOptions{
				Flow: flowhash.Options{Workers: opt.Workers}, NoMmap: opt.NoMmap, MaxWindow: opt.MaxWindow, Progress: opt.Progress})
			switch {
			case errors.Is(err, index.ErrBuiltByOther): // another process built it: open it
				in.Rebuilt = ""
			case err != nil:
				return nil, err
			default:
				in.Built = res
				in.Partial = in.Partial || res.Partial()
				in.Warnings = append(in.Warnings, res.Warnings...)
			}
		}
	}
	in.IndexPath = idx
	r, err := index.Open(idx)
	if err != nil {
		return nil, err
	}
	s, err := NewIndexStore(r)
	if err != nil {
		r.Close()
		return nil, err
	}
	in.Index, in.Store = r, s
	if cf, err := r.Captures(); err == nil && len(cf) > 1 {
		in.SetWarnings = append(in.SetWarnings, index.Overlaps(cf)...)
	}
	return in, nil
}

// Close releases the store and the index.
func (in *Input) Close() error {
	var err error
	if in.Store != nil {
		err = in.Store.Close()
	}
	if in.Index != nil {
		err = errors.Join(err, in.Index.Close())
	}
	return err
}

// Start returns the time of the input's first packet (Unix ns): where relative times
// count from.
func (in *Input) Start() int64 {
	first, _ := in.Store.Span()
	return first
}

// Select evaluates plan (nil: every flow) and the time window [since, until] (Unix ns,
// inclusive; math.MinInt64 and math.MaxInt64 leave a side open) over the input.
func (in *Input) Select(plan *Plan, since, until int64) (Selection, error) {
	return Select(in.Store, plan, since, until)
}

// SelectFlows is Select for a caller that reads only flows (see the function SelectFlows).
func (in *Input) SelectFlows(plan *Plan, since, until int64) (Selection, error) {
	return SelectFlows(in.Store, plan, since, until)
}

// CompileFilter parses and compiles a filter ("" matches every flow). Its errors are
// *filter.Error (the filter with a caret under the fault) or a compile error: usage errors.
func CompileFilter(text string) (*Plan, error) {
	n, err := filter.Parse(text)
	if err != nil {
		return nil, err
	}
	p, err := Compile(n)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	return p, nil
}

// CompileDisplayFilter parses a Wireshark display filter ("ip.addr == 10.0.0.1 && tcp.port ==
// 443"; see filter.DisplayFields) and compiles it. CompileFilter reads one too when the text
// names a dotted Wireshark field; this form also takes bare protocol names ("icmp") in
// Wireshark's meaning.
func CompileDisplayFilter(text string) (*Plan, error) {
	n, err := filter.ParseDisplay(text)
	if err != nil {
		return nil, err
	}
	p, err := Compile(n)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	return p, nil
}

// Open bounds for Select.
const (
	NoSince = math.MinInt64
	NoUntil = math.MaxInt64
)
