package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapdex/pcapdex/anon"
	"github.com/pcapdex/pcapdex/internal/safefile"
	"github.com/pcapdex/pcapdex/query"
)

func cmdExtract() *command {
	return &command{
		name:    "extract",
		summary: "write the matching packets, in capture order, to a pcap or pcapng file (read back by offset)",
		usage:   "pcapdex extract -w OUT.pcap|OUT.pcapng|- [--annotate] [flags] CAPTURE...|DIR|INDEX [FILTER]",
		examples: `  pcapdex extract -w slow.pcapng trace.pcap 'syn_rtt > 300ms'
  pcapdex extract -w - trace.pcap host 10.0.0.5 and port 443 | wireshark -k -i -
  pcapdex extract -w retrans.pcapng --annotate trace.pcap 'retransmissions > 0'`,
		run: runExtract,
	}
}

func runExtract(args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	var out, outFormat string
	var o query.ExtractOptions
	fs := newQueryFlags("extract", &q, stderr)
	fs.StringVarP(&out, "write", "w", "", "output file, or - for stdout (required)")
	fs.StringVar(&outFormat, "out-format", "", "pcap or pcapng (default: from the file name; pcapng for -)")
	fs.BoolVar(&o.Annotate, "annotate", false, "pcapng: add a comment to each packet saying why it matched (flow, filter, TCP analysis)")
	var anonKey, payload string
	fs.StringVar(&anonKey, "anonymize", "", "map every address with prefix-preserving Crypto-PAn under KEY (64 hex digits, or a passphrase): IP headers (checksums kept valid), Ethernet and ARP")
	fs.StringVar(&payload, "payload", "all", "transport payload bytes to keep per packet: all, none, or N")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	if rw, err := extractRewriter(anonKey, payload); err != nil {
		fmt.Fprintf(stderr, "pcapdex extract: %v\n", err)
		return exitUsage
	} else if rw != nil {
		o.Rewrite = rw.Rewrite
	}
	if out == "" {
		fmt.Fprintln(stderr, "pcapdex extract: -w OUT is required (a file name, or - for stdout)")
		return exitUsage
	}
	switch {
	case outFormat == "pcapng" || outFormat == "" && (out == "-" || strings.HasSuffix(strings.ToLower(out), ".pcapng")):
		o.Pcapng = true
	case outFormat == "pcap" || outFormat == "":
	default:
		fmt.Fprintf(stderr, "pcapdex extract: --out-format %q: want pcap or pcapng\n", outFormat)
		return exitUsage
	}
	if o.Annotate && !o.Pcapng {
		fmt.Fprintln(stderr, "pcapdex extract: --annotate needs pcapng output (pcap has no comments)")
		return exitUsage
	}
	o.NoMmap, o.MaxWindow = q.input.noMmap, int64(q.input.maxWindow)
	ctx, code := openQuery("extract", &q, fs.Args(), stderr)
	if ctx == nil {
		return code
	}
	defer ctx.close()
	if ctx.stale != "" {
		fmt.Fprintf(stderr, "pcapdex extract: the packets would be read from other bytes than were indexed: rebuild the index ('pcapdex index --force CAPTURE') or give the capture\n")
		return exitInput
	}
	o.Filter = ctx.filter
	var w io.Writer = stdout
	var f *safefile.File
	if out != "-" {
		// Never write over what this extract reads: the captures (as the index finds them),
		// the index, the inputs named.
		reads := append(slices.Clone(ctx.in.Captures), ctx.in.IndexPath)
		for i := range ctx.st.Files() {
			reads = append(reads, query.CapturePath(ctx.st, i))
		}
		if err := safefile.CheckNotInput(out, reads); err != nil {
			fmt.Fprintf(stderr, "pcapdex extract: -w %v: give another file\n", err)
			return exitUsage
		}
		// A regular file is written beside the target and renamed over it, so a failed
		// extract leaves no half file; a symlink, device or FIFO is written through.
		var err error
		if f, err = safefile.Create(out, 0o666); err != nil {
			fmt.Fprintf(stderr, "pcapdex extract: %v\n", err)
			return exitInput
		}
		defer f.Abort()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	st, err := query.Extract(ctx.st, ctx.sel, o, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && st.Packets == 0 {
		ctx.note(stderr, "nothing matched: wrote a capture without packets")
	}
	if f != nil && err == nil {
		err = f.Commit()
	}
	return ctx.finish(err, stderr)
}

// extractRewriter returns the packet rewriter of --anonymize and --payload (nil when
// packets are written as captured).
func extractRewriter(key, payload string) (*anon.Rewriter, error) {
	rw := &anon.Rewriter{Payload: -1}
	switch payload {
	case "all", "":
	case "none":
		rw.Payload = 0
	default:
		n, err := strconv.Atoi(payload)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--payload %q: want all, none or a byte count", payload)
		}
		rw.Payload = n
	}
	if key != "" {
		an, _, err := newAnonymizer(key)
		if err != nil {
			return nil, fmt.Errorf("--anonymize: %w", err)
		}
		rw.An = an
	}
	if rw.An == nil && rw.Payload < 0 {
		return nil, nil
	}
	return rw, nil
}
