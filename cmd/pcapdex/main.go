// Command pcapdex answers questions about packet captures: read, decode, track flows, index
// once, and query the index in milliseconds. Run `pcapdex help` for the list of commands.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes, documented in `pcapdex help`. They are part of the CLI contract.
const (
	exitOK      = 0 // success
	exitGate    = 1 // a gate (threshold check) tripped
	exitUsage   = 2 // bad usage or filter syntax
	exitInput   = 3 // input unreadable, corrupt or unsupported
	exitPartial = 4 // partial result: truncated tail, skipped or malformed records
)

// version is set at build time with -ldflags "-X main.version=..."; without it the
// version comes from the build info (versionString).
var version = "dev"

// versionString is the version to print: -X main.version when set, else the module version
// (go install ...@v1.2.3) and the VCS revision, time and a "+dirty" mark the go command
// stamps into binaries built from a checkout.
func versionString() string {
	if version != "dev" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " (" + rev + dirty
		if at != "" {
			v += ", " + at
		}
		v += ")"
	}
	return v + " " + bi.GoVersion
}

// command is one subcommand. Each command lives in its own cmd_NAME.go file, whose
// cmdNAME function describes it; commandList names them all, in the order help shows.
type command struct {
	name     string
	summary  string // one line for `pcapdex help`
	usage    string // the synopsis, e.g. "pcapdex info [flags] CAPTURE..."
	examples string // shown by `pcapdex NAME --help`
	// run parses its own flags from args (see newFlags) and returns an exit code.
	run func(args []string, stdout, stderr io.Writer) int
}

// commandList returns every command, in the order `pcapdex help` lists them.
func commandList() []*command {
	return []*command{cmdInfo(), cmdIndex(), cmdFlows(), cmdPackets(), cmdTimeline(), cmdGaps(), cmdTop(), cmdSizes(), cmdEvents(), cmdConcurrent(), cmdExtract(), cmdReport(), cmdPlot(), cmdExport(), cmdCheck(), cmdStreams(), cmdCompare(), cmdFollow(), cmdCache(), cmdBench()}
}

// lookup returns the command named name, or nil.
func lookup(name string) *command {
	for _, c := range commandList() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func main() {
	// PCAPDEX_CPUPROFILE=FILE writes a CPU profile of the run (go tool pprof FILE), for
	// finding where a slow command spends its time on a user's capture.
	if path := os.Getenv("PCAPDEX_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "pcapdex: PCAPDEX_CPUPROFILE: %v\n", err)
			os.Exit(exitUsage)
		}
		code := run(os.Args[1:], os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				return c.run([]string{"--help"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "pcapdex: unknown command %q\n", args[1])
			return exitUsage
		}
		printHelp(stdout)
		return exitOK
	case "version", "--version":
		fmt.Fprintf(stdout, "pcapdex %s\n", versionString())
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "pcapdex: unknown command %q (see 'pcapdex help')\n", name)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `pcapdex: fast, exact answers about packet captures (pcap, pcapng; .gz .zst .lz4 .bz2).

Usage: pcapdex COMMAND [flags] [ARGS]

Commands:
`)
	for _, c := range commandList() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help       show this help, or 'pcapdex help COMMAND'
  version    print the version

Exit codes:
  0  ok
  1  a gate tripped (a threshold check failed)
  2  usage or filter error
  3  input unreadable, corrupt or unsupported
  4  partial result (truncated tail, skipped or malformed records)

Run 'pcapdex COMMAND --help' for a command's flags and examples.
`)
}

// newFlags returns a FlagSet for c that prints c's usage and examples on --help.
func newFlags(c *command, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\n%s\n\nFlags:\n%s", c.usage, c.summary, fs.FlagUsages())
		if c.examples != "" {
			fmt.Fprintf(stderr, "\nExamples:\n%s\n", strings.TrimRight(c.examples, "\n"))
		}
	}
	return fs
}

// parseFlags parses args into fs. It returns (exit code, done): done is true when the caller
// must return the code at once (--help printed, or a usage error reported).
func parseFlags(fs *pflag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	err := fs.Parse(args)
	if err == nil {
		return exitOK, false
	}
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK, true
	}
	fmt.Fprintf(stderr, "pcapdex %s: %v\n", fs.Name(), err)
	return exitUsage, true
}
