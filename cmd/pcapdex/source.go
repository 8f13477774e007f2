package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
	"github.com/spf13/pflag"
)

// Query commands take INPUT... [FILTER...]: the leading arguments that name existing files,
// directories or globs are the input (a capture, a set of captures, or an index file), the
// rest, joined by spaces, is the filter. Given captures, the command answers from their
// index, building it first (progress on stderr) when it is missing or stale, exactly as
// `pcapdex index` would: the sidecar CAPTURE.pcapdex for one capture, and for a set an
// index in the user cache directory named by a hash of the set's paths (or --index PATH).
// --no-index reads the captures in one pass instead, holding in memory what the command
// reads: the flows always, per-packet rows only for the commands that print or count
// packets (query.StreamKeepFor).

// queryFlags are the flags every query command shares.
type queryFlags struct {
	format    string
	timeFmt   string
	since     string
	until     string
	noIndex   bool
	indexPath string
	input     inputFlags
	locator   index.Locator // where indexes go (tests simulate read-only folders)
	// track, when set, are flow tracking options other than the index's defaults: the
	// command then reads the captures in one pass (as with --no-index).
	track *flowhash.Options
	// workers is --workers of flows and events: the pipeline's workers when the captures
	// are read in one pass (0: GOMAXPROCS).
	workers int
	// perFile runs the command once per capture, jobs at once (perfile.go).
	perFile bool
	jobs    int
	// display says the filter is a Wireshark display filter (-Y).
	display bool
}

func addQueryFlags(fs *pflag.FlagSet, q *queryFlags) {
	fs.StringVar(&q.format, "format", "table", "output format: table, csv, jsonl or json")
	fs.StringVar(&q.timeFmt, "time", "rfc3339", "timestamps as rfc3339 (UTC), epoch seconds, or relative to the capture start")
	fs.StringVar(&q.since, "since", "", "only packets (and flows active) at or after TIME: RFC 3339, epoch seconds, or +DURATION from the capture start")
	fs.StringVar(&q.until, "until", "", "only packets (and flows active) at or before TIME (same forms as --since)")
	fs.BoolVar(&q.noIndex, "no-index", false, "read the captures in one pass instead of using (or building) an index")
	fs.StringVar(&q.indexPath, "index", "", "index file to use or build for the captures (default: CAPTURE.pcapdex, or the user cache for a set)")
	fs.BoolVarP(&q.display, "display-filter", "Y", false, "the filter is a Wireshark display filter (ip.addr == X && tcp.port == 443); detected without -Y when it names a dotted field")
	addInputFlags(fs, &q.input)
}

// newQueryFlags returns the FlagSet of query command name, the shared flags bound to q.
func newQueryFlags(name string, q *queryFlags, stderr io.Writer) *pflag.FlagSet {
	fs := newFlags(lookup(name), stderr)
	addQueryFlags(fs, q)
	if name != "extract" {
		fs.BoolVar(&q.perFile, "per-file", false, "answer for each capture on its own (its own index), a \"file\" column first, instead of one capture set")
		fs.IntVar(&q.jobs, "jobs", 1, "with --per-file: captures answered at once")
	}
	return fs
}

// runQuery opens the query of fs's command on fs's arguments, runs write on it and returns
// the command's exit code.
func runQuery(fs *pflag.FlagSet, q *queryFlags, stderr io.Writer, write func(*queryCtx) error) int {
	if q.perFile {
		return runPerFile(fs, q, stderr, write)
	}
	ctx, code := openQuery(fs.Name(), q, fs.Args(), stderr)
	if ctx == nil {
		return code
	}
	defer ctx.close()
	return ctx.finish(write(ctx), stderr)
}

// queryCtx is an opened query: the store, the selection and the output options.
type queryCtx struct {
	name   string
	st     query.Store
	sel    query.Selection
	out    output.Options
	filter string
	code   int // exitPartial when the captures were read only in part
	// stale says why an index given as the input no longer describes its captures (changed
	// or gone): answers come from the index, commands that read capture bytes refuse.
	stale string
	ir    *index.Reader
	in    *query.Input

	restoreGC func() // undoes openQuery's GC settings (for in-process callers such as tests)
}

func (c *queryCtx) close() {
	if c.in != nil {
		c.in.Close()
	}
	if c.restoreGC != nil {
		c.restoreGC()
	}
}

// finish reports err (if any) and returns the command's exit code: exitUsage for a
// usageError, exitInput for any other error.
func (c *queryCtx) finish(err error, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintf(stderr, "pcapdex %s: %v\n", c.name, err)
		if errors.As(err, new(usageError)) {
			return exitUsage
		}
		return exitInput
	}
	return c.code
}

// usageError is an error of the command line found once the input is open (a flag value
// the capture makes impossible): exit 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// note says on stderr why an answer is empty (or what else the user should know); the
// exit code stays.
func (c *queryCtx) note(stderr io.Writer, format string, a ...any) {
	fmt.Fprintf(stderr, "pcapdex %s: note: "+format+"\n", append([]any{c.name}, a...)...)
}

// splitInputs returns the leading arguments that name inputs (existing paths, "-", or
// globs that match), globs expanded, and the filter words after them. Once an input is given,
// an argument that reads as a filter word (filter.IsWord: "tcp", "80", "10.0.0.1") starts the
// filter even when a file of that name exists.
func splitInputs(args []string) (inputs, words []string, err error) {
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if len(inputs) > 0 && filter.IsWord(a) {
			break
		}
		if a == "-" {
			inputs = append(inputs, a)
			continue
		}
		if _, err := os.Stat(a); err == nil {
			inputs = append(inputs, a)
			continue
		}
		if strings.ContainsAny(a, "*?[") {
			m, gerr := filepath.Glob(a)
			if gerr == nil && len(m) > 0 {
				inputs = append(inputs, m...)
				continue
			}
		}
		break
	}
	if len(inputs) == 0 {
		if len(args) == 0 {
			return nil, nil, errors.New("no capture or index given")
		}
		return nil, nil, fmt.Errorf("%s: no such capture, directory or index", args[0])
	}
	return inputs, args[i:], nil
}

// joinFilter joins the filter's arguments with spaces, as tcpdump does, and with "and" where
// one argument ends a primitive and the next starts another: tcp 'syn_rtt > 300ms' is
// "tcp and syn_rtt > 300ms".
func joinFilter(words []string) string {
	text := strings.Join(words, " ")
	for range words {
		_, err := filter.Parse(text)
		var fe *filter.Error
		if err == nil || !errors.As(err, &fe) || !strings.HasPrefix(fe.Msg, `expected "and"`) {
			return text
		}
		// Is the fault at the start of an argument?
		pos, at := 0, -1
		for i, w := range words {
			if i > 0 {
				pos++
			}
			if pos == fe.Pos && i > 0 {
				at = i
				break
			}
			pos += len(w)
		}
		if at < 0 {
			return text
		}
		words = append(words[:at:at], append([]string{"and"}, words[at:]...)...)
		text = strings.Join(words, " ")
	}
	return text
}

// openQuery resolves args into a store and a selection. On failure it has reported the
// problem and returns nil and the exit code.
func openQuery(name string, q *queryFlags, args []string, stderr io.Writer) (*queryCtx, int) {
	c := &queryCtx{name: name}
	fail := func(code int, format string, a ...any) (*queryCtx, int) {
		fmt.Fprintf(stderr, "pcapdex %s: "+format+"\n", append([]any{name}, a...)...)
		if c.restoreGC != nil {
			c.restoreGC()
		}
		return nil, code
	}
	var err error
	if c.out.Format, err = output.ParseFormat(q.format); err != nil {
		return fail(exitUsage, "--format: %v", err)
	}
	if c.out.Time, err = output.ParseTimeFormat(q.timeFmt); err != nil {
		return fail(exitUsage, "--time: %v", err)
	}
	var since, until *filter.TimeSpec
	for _, x := range []struct {
		s   string
		dst **filter.TimeSpec
		nm  string
	}{{q.since, &since, "--since"}, {q.until, &until, "--until"}} {
		if x.s == "" {
			continue
		}
		ts, err := parseTimeFlag(x.s)
		if err != nil {
			return fail(exitUsage, "%s: %v", x.nm, err)
		}
		*x.dst = &ts
	}
	inputs, words, err := splitInputs(args)
	if err != nil {
		code := exitInput // a capture that is not there is an input that cannot be read
		if len(args) == 0 {
			code = exitUsage
		}
		return fail(code, "%v (see 'pcapdex %s --help')", err, name)
	}
	c.filter = joinFilter(words)
	compile := query.CompileFilter
	if q.display {
		c.filter = strings.Join(words, " ")
		compile = query.CompileDisplayFilter
	}
	plan, err := compile(c.filter)
	if err != nil {
		return fail(exitUsage, "%v", err) // "filter: ..." with a caret line
	}
	if name == "extract" && slices.Contains(inputs, "-") {
		return fail(exitUsage, "extract reads the matching packets back from the capture by offset: give a file, not stdin")
	}
	if plan.PacketLevel() && slices.Contains(inputs, "-") && name != "extract" {
		// Packets are checked by reading them back by offset, which a pipe cannot do.
		if n, perr := filter.Parse(c.filter); perr == nil {
			if fp, ferr := query.CompileFlows(n); ferr == nil {
				fmt.Fprintf(stderr, "pcapdex %s: warning: stdin cannot be re-read: the filter selects flows by their key (src/dst as originator/responder), not packet by packet\n", name)
				plan = fp
			}
		}
	}
	keep := keepFor(name)
	if plan.PacketLevel() {
		keep = query.StreamKeepAll // the packets are read back by offset and checked one by one
	}
	opt := query.OpenOptions{NoIndex: q.noIndex, Keep: keep, IndexPath: q.indexPath,
		NoMmap: q.input.noMmap, MaxWindow: int64(q.input.maxWindow), Workers: q.workers, Flow: q.track, Locator: q.locator}
	if !q.noIndex {
		// An index query is short and its garbage is a few block buffers: collect less often
		// (GOGC 400) unless the user set GOGC or GOMEMLIMIT. The collector stays on: with it
		// off under a memory limit, a live heap above the limit (5 M flows sorted) made the
		// query collect without end (304 s against 28 s).
		if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
			gc := debug.SetGCPercent(queryGCPercent)
			c.restoreGC = func() { debug.SetGCPercent(gc) }
		}
	}
	in, err := query.Open(inputs, opt)
	if err != nil {
		if errors.Is(err, query.ErrNeedCaptures) {
			return fail(exitUsage, "%v", err)
		}
		if errors.Is(err, index.ErrOutputIsInput) {
			return fail(exitUsage, "--index %v: give another file", err)
		}
		return fail(exitInput, "%v", err)
	}
	c.in, c.st, c.ir = in, in.Store, in.Index
	for _, w := range in.SetWarnings {
		fmt.Fprintf(stderr, "pcapdex %s: warning: %s\n", name, w)
	}
	if in.Streamed != "" && (q.track != nil || !slices.Contains(inputs, "-")) {
		fmt.Fprintf(stderr, "pcapdex %s: %s\n", name, in.Streamed)
	}
	if in.Rebuilt != "" {
		fmt.Fprintf(stderr, "pcapdex %s: rebuilding %s: %s\n", name, in.IndexPath, in.Rebuilt)
	}
	if in.Partial {
		c.code = exitPartial
	}
	if in.Built != nil {
		// The build report goes to stderr, never stdout.
		c.code = max(c.code, reportBuild(name, in.Built, stderr))
		reportBuilt(stderr, in.IndexPath, in.Built, 0)
	} else if in.Index != nil {
		// Built earlier: the index keeps what the build found, said again every time.
		notes, err := notesFromIndex(in.Index)
		if err != nil {
			c.close()
			return fail(exitInput, "%v", err)
		}
		c.code = max(c.code, reportNotes(name, notes, stderr))
	} else {
		for _, w := range in.Warnings {
			fmt.Fprintf(stderr, "pcapdex %s: warning: %s\n", name, w)
		}
		if in.Partial {
			c.code = exitPartial
		}
		if ss, ok := in.Store.(*query.StreamStore); ok && ss.Read > 0 && ss.Undecoded == ss.Read {
			c.code = exitInput // not one packet decoded
		}
	}
	if len(inputs) == 1 && in.Index != nil && in.IndexPath == inputs[0] && in.Built == nil && len(in.Captures) == 0 {
		// An index given by name: check the captures it reads (beside it first), when at hand.
		paths := make([]string, len(in.Store.Files()))
		for i := range paths {
			paths[i] = query.CapturePath(in.Store, i)
		}
		if stale, why, err := in.Index.Stale(paths); err != nil {
			c.close()
			return fail(exitInput, "%v", err)
		} else if stale {
			c.stale = why
			fmt.Fprintf(stderr, "pcapdex %s: warning: %s no longer describes its capture (%s): answers come from the index\n", name, inputs[0], why)
			c.code = exitPartial
		}
	}
	first := in.Start()
	c.out.Start = first
	lo, hi := int64(query.NoSince), int64(query.NoUntil)
	if since != nil {
		lo = since.Resolve(first)
	}
	if until != nil {
		hi = until.Resolve(first)
	}
	if lo > hi {
		c.close()
		return fail(exitUsage, "--since %s is after --until %s: the time range is empty", q.since, q.until)
	}
	if last := c.lastTS(); (since != nil || until != nil) && c.st.NumPackets() > 0 && (lo > last || hi < first) {
		c.note(stderr, "the time range holds no packet: the capture runs from %s to %s",
			output.AppendRFC3339(nil, first, 9), output.AppendRFC3339(nil, last, 9))
	}
	if c.stale != "" && plan.PacketLevel() {
		c.close()
		return fail(exitInput, "the filter checks packets by reading them back from the capture, which no longer matches the index (%s): rebuild the index, or use flow words (orig host, resp port)", c.stale)
	}
	sel := in.Select
	switch name {
	case "flows", "top", "events", "concurrent":
		sel = in.SelectFlows // flow commands: one matching packet decides a flow
	}
	if c.sel, err = sel(plan, lo, hi); err != nil {
		c.close()
		return fail(exitInput, "%v", err)
	}
	if c.sel.Rows != nil && c.sel.Rows.IsEmpty() {
		c.note(stderr, "no flow matches the filter %q", c.filter)
	}
	return c, exitOK
}

// printedTime matches the times pcapdex prints in tables and info: 2024-01-01 12:00:00[.frac]
// [UTC], and RFC 3339 without a zone.
var printedTime = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(?: ?UTC| ?Z)?$`)

// parseTimeFlag parses the value of --since, --until or --at: the forms pcapdex prints
// (2024-01-01 12:00:00.5, UTC), RFC 3339, epoch seconds, or +DURATION from the capture
// start. Its error says the forms in plain words.
func parseTimeFlag(s string) (filter.TimeSpec, error) {
	v := strings.TrimSpace(s)
	if m := printedTime.FindStringSubmatch(v); m != nil {
		v = m[1] + "T" + m[2] + "Z"
	}
	ts, err := filter.ParseTime(v)
	if err != nil {
		return ts, fmt.Errorf("time %q: want a UTC date and time as pcapdex prints it (2024-01-01 12:00:00 or 2024-01-01 12:00:00.250), RFC 3339 with a zone (2024-01-01T12:00:00+02:00), epoch seconds (1704110400.5) or +DURATION from the capture's start (+30s, +1m30s)", s)
	}
	return ts, nil
}

// lastTS is the time of the input's last packet.
func (c *queryCtx) lastTS() int64 {
	_, last := c.st.Span()
	return last
}

// queryGCPercent is the GOGC of index queries.
const queryGCPercent = 400

// keepFor says what the in-memory store of --no-index keeps for command name: only what the
// command reads, so flows, top, events and concurrent hold memory in proportion to flows
// (and events), not to packets.
func keepFor(name string) query.StreamKeep {
	switch name {
	case "flows", "top":
		return query.KeepFlows
	case "events", "concurrent":
		return query.KeepEvents
	case "timeline", "gaps", "sizes":
		return query.KeepPacketTimes
	case "packets":
		return query.KeepPackets
	}
	return query.StreamKeepAll
}
