package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pcapdex/pcapdex/follow"
)

func cmdFollow() *command {
	return &command{
		name:    "follow",
		summary: "index captures while they are written (tcpdump -w/-C/-G, dumpcap rings), surviving rotation and restarts",
		usage:   "pcapdex follow [--index DIR] [--rules FILE] [--once] [--settle D] [--poll D] PATH|DIR|GLOB...",
		examples: `  tcpdump -i eth0 -w /var/cap/cap.pcap -C 100 -W 10 &
  pcapdex follow /var/cap/                   # index in /var/cap/.pcapdex-follow, status every 5 s
  pcapdex flows /var/cap/.pcapdex-follow     # every query answers from the follow directory
  pcapdex follow --rules alerts.toml /var/cap/ > alerts.jsonl
  pcapdex follow --once --rules gate.toml 'cap_*.pcapng'   # exit 1 if an alert is firing`,
		run: runFollow,
	}
}

type followOptions struct {
	index       string
	rules       string
	once        bool
	settle      time.Duration
	poll        time.Duration
	sealEvery   time.Duration
	statusEvery time.Duration
	workers     int
}

func runFollow(args []string, stdout, stderr io.Writer) int {
	c := lookup("follow")
	var o followOptions
	fl := newFlags(c, stderr)
	fl.StringVar(&o.index, "index", "", "the follow directory (default: .pcapdex-follow in the captures' folder)")
	fl.StringVar(&o.rules, "rules", "", "alert rules (TOML, see the README): alerts as JSON Lines on stdout, a readable line on stderr")
	fl.BoolVar(&o.once, "once", false, "index what the files hold now, seal, print the status and exit")
	fl.DurationVar(&o.settle, "settle", 10*time.Second, "a file that has not grown for this long is closed (its cut last record is a truncated tail)")
	fl.DurationVar(&o.poll, "poll", time.Second, "longest time between scans (file-system notifications wake the follower sooner)")
	fl.DurationVar(&o.sealEvery, "seal-every", 2*time.Second, "shortest time between two index seals")
	fl.DurationVar(&o.statusEvery, "status-every", 5*time.Second, "how often the status line is printed on stderr")
	fl.IntVar(&o.workers, "workers", 0, "decode and flow-tracking workers when sealing (0: GOMAXPROCS)")
	if code, done := parseFlags(fl, args, stderr); done {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pcapdex follow: "+format+"\n", a...)
		return code
	}
	if fl.NArg() == 0 {
		return fail(exitUsage, "no capture, folder or glob given (see 'pcapdex follow --help')")
	}
	var rules []*follow.Rule
	if o.rules != "" {
		var err error
		if rules, err = follow.ReadRules(o.rules); err != nil {
			return fail(exitUsage, "--rules: %v", err)
		}
	}
	if o.workers < 0 {
		return fail(exitUsage, "--workers must be 0 (GOMAXPROCS) or more")
	}
	inputs := fl.Args()
	dir := o.index
	if dir == "" {
		dir = filepath.Join(followBase(inputs[0]), ".pcapdex-follow")
	}
	onAlert := func(a follow.Alert) error {
		if _, err := stdout.Write(append(a.AppendJSON(nil), '\n')); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "alert: %s\n", a.String())
		return nil
	}
	f, err := follow.Open(follow.Options{Inputs: inputs, Dir: dir, Settle: o.settle, SealEvery: o.sealEvery, Workers: o.workers,
		Rules: rules, OnAlert: onAlert})
	if err != nil {
		return fail(exitInput, "%v", err)
	}
	defer f.Close()
	fmt.Fprintf(stderr, "pcapdex follow: indexing into %s (query it with: pcapdex flows %s)\n", f.Dir(), f.Dir())
	var last follow.Stats
	lastAt := time.Now()
	status := func(s follow.Stats) {
		now := time.Now()
		rate := float64(s.Packets-min(s.Packets, last.Packets)) / now.Sub(lastAt).Seconds()
		last, lastAt = s, now
		fmt.Fprintf(stderr, "follow: %d packets (%.0f/s) in %d files (%d gone), %d bytes not yet read, index generation %d holds %d packets (seal took %v), index lag %v\n",
			s.Packets, rate, s.Files, s.Gone, s.Pending, s.Generation, s.Indexed, s.SealDuration.Round(time.Millisecond), s.Lag.Round(100*time.Millisecond))
	}
	if o.once {
		if _, err := f.Step(); err != nil {
			return fail(exitInput, "%v", err)
		}
		if err := f.Seal(); err != nil {
			return fail(exitInput, "%v", err)
		}
		status(f.Stats())
		if f.Firing() > 0 {
			return exitGate
		}
		return exitOK
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := f.Run(ctx, follow.RunOptions{Poll: o.poll, StatusEvery: o.statusEvery, Status: status}); err != nil {
		return fail(exitInput, "%v", err)
	}
	status(f.Stats())
	return exitOK
}

// followBase is the folder of an input: itself for a folder, else the folder of the file
// or of the glob's first part without wildcards.
func followBase(in string) string {
	if st, err := os.Stat(in); err == nil && st.IsDir() {
		return in
	}
	d := filepath.Dir(in)
	for strings.ContainsAny(d, "*?[") {
		d = filepath.Dir(d)
	}
	return d
}
