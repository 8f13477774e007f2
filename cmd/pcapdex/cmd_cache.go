package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/index"
)

func cmdCache() *command {
	return &command{
		name:    "cache",
		summary: "list or clean the indexes kept in the user cache (and the temp dir) for read-only folders and capture sets",
		usage:   "pcapdex cache list [--format table|csv] | pcapdex cache clean [--all] [--dry-run]",
		examples: `  pcapdex cache list              # each cached index: size, age, state, captures
  pcapdex cache clean             # remove the indexes whose captures changed or are gone
  pcapdex cache clean --all       # remove every cached index`,
		run: runCache,
	}
}

// cachedIndex is one index file in a cache folder and what became of its captures.
type cachedIndex struct {
	path     string
	size     int64
	modTime  time.Time
	captures []string
	state    string // "ok", "stale: WHY", "gone: WHY", "unreadable: WHY"
}

func runCache(args []string, stdout, stderr io.Writer) int {
	c := lookup("cache")
	var format string
	var all, dry bool
	fs := newFlags(c, stderr)
	fs.StringVar(&format, "format", "table", "list: table or csv")
	fs.BoolVar(&all, "all", false, "clean: remove every cached index, not only stale ones")
	fs.BoolVar(&dry, "dry-run", false, "clean: say what would be removed, remove nothing")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 || fs.Arg(0) != "list" && fs.Arg(0) != "clean" {
		fmt.Fprintln(stderr, "pcapdex cache: want 'list' or 'clean' (see 'pcapdex cache --help')")
		return exitUsage
	}
	if format != "table" && format != "csv" {
		fmt.Fprintf(stderr, "pcapdex cache: --format %q: want table or csv\n", format)
		return exitUsage
	}
	var l index.Locator
	entries := scanCache(l.Dirs())
	if fs.Arg(0) == "list" {
		if format == "csv" {
			fmt.Fprintln(stdout, "path,bytes,modified,state,captures")
			for _, e := range entries {
				fmt.Fprintf(stdout, "%s,%d,%s,%s,%s\n", csvField(e.path), e.size, e.modTime.UTC().Format(time.RFC3339),
					csvField(e.state), csvField(strings.Join(e.captures, " ")))
			}
			return exitOK
		}
		var total int64
		for _, e := range entries {
			fmt.Fprintf(stdout, "%s\n  %s, written %s, %s\n", e.path, byteSize(e.size), e.modTime.UTC().Format("2006-01-02 15:04:05"), e.state)
			for _, p := range e.captures {
				fmt.Fprintf(stdout, "  capture %s\n", p)
			}
			total += e.size
		}
		fmt.Fprintf(stdout, "%d cached indexes, %s, in %s\n", len(entries), byteSize(total), strings.Join(l.Dirs(), " and "))
		return exitOK
	}
	var n int
	var freed int64
	code := exitOK
	for _, e := range entries {
		if !all && e.state == "ok" {
			continue
		}
		verb := "removed"
		if dry {
			verb = "would remove"
		} else if err := os.Remove(e.path); err != nil {
			fmt.Fprintf(stderr, "pcapdex cache: %v\n", err)
			code = exitInput
			continue
		}
		fmt.Fprintf(stdout, "%s %s (%s, %s)\n", verb, e.path, byteSize(e.size), e.state)
		n++
		freed += e.size
	}
	fmt.Fprintf(stdout, "%d indexes, %s\n", n, byteSize(freed))
	return code
}

// scanCache lists the index files in dirs, newest first, with the state of their captures.
func scanCache(dirs []string) []cachedIndex {
	var out []cachedIndex
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, de := range ents {
			if !de.Type().IsRegular() || !strings.HasSuffix(de.Name(), index.Suffix) {
				continue
			}
			p := filepath.Join(dir, de.Name())
			fi, err := de.Info()
			if err != nil {
				continue
			}
			out = append(out, inspectCached(p, fi))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].modTime.After(out[j].modTime) })
	return out
}

func inspectCached(p string, fi os.FileInfo) cachedIndex {
	e := cachedIndex{path: p, size: fi.Size(), modTime: fi.ModTime()}
	r, err := index.Open(p)
	if err != nil {
		e.state = "unreadable: " + err.Error()
		return e
	}
	defer r.Close()
	cs, err := r.Captures()
	if err != nil {
		e.state = "unreadable: " + err.Error()
		return e
	}
	for _, c := range cs {
		e.captures = append(e.captures, c.Path)
		if _, err := os.Stat(c.Path); err != nil && e.state == "" {
			e.state = "gone: " + c.Path
		}
	}
	if e.state != "" {
		return e
	}
	if stale, why, err := r.Stale(e.captures); err != nil {
		e.state = "unreadable: " + err.Error()
	} else if stale {
		e.state = "stale: " + why
	} else {
		e.state = "ok"
	}
	return e
}

// byteSize writes n in binary units: 1.5 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	d, e := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		d *= unit
		e++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(d), "KMGTPE"[e])
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
