//go:build unix

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/index"
)

// Issue 19: no command destroys an input, outputs follow the umask, indexes keep the
// capture's privacy, and an index never answers for other bytes.

// TestNoCommandOverwritesItsInput is row 14 and the first part of row 3: every flag that
// names an output refuses a path that is an input (same name, hard link, symlink) with
// exit 2, and the input keeps its bytes.
func TestNoCommandOverwritesItsInput(t *testing.T) {
	cap := pcapCopy(t, "a.pcap")
	dir := filepath.Dir(cap)
	want := mustRead(t, cap)
	hard := filepath.Join(dir, "hard.pcap")
	if err := os.Link(cap, hard); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "sym.pcap")
	if err := os.Symlink(cap, sym); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{cap, hard, sym} {
		for _, args := range [][]string{
			{"index", "-o", out, cap},
			{"flows", "--index", out, cap},
			{"extract", "-w", out, cap, "port", "443"},
			{"extract", "-w", out, "--no-index", cap, "port", "443"},
		} {
			_, se, code := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(se, "overwrite an input") {
				t.Errorf("%q: exit %d, stderr %q; want 2 and a refusal", args, code, se)
			}
			if !bytes.Equal(mustRead(t, cap), want) {
				t.Fatalf("%q replaced the capture", args)
			}
		}
	}
	// The index being read is an input of extract too.
	if _, se, code := runCLI(t, "index", cap); code != exitOK {
		t.Fatalf("index: %d %s", code, se)
	}
	idx := mustRead(t, cap+".pcapdex")
	for _, args := range [][]string{
		{"extract", "-w", cap + ".pcapdex", cap, "port", "443"},
		{"extract", "-w", cap + ".pcapdex", cap + ".pcapdex", "port", "443"},
	} {
		if _, se, code := runCLI(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, stderr %q; want 2", args, code, se)
		}
	}
	if !bytes.Equal(mustRead(t, cap+".pcapdex"), idx) {
		t.Fatal("extract replaced the index it reads")
	}
	if n := leftovers(t, dir); n != "" {
		t.Errorf("left behind: %s", n)
	}
}

// leftovers names the temporary files in dir.
func leftovers(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") || strings.Contains(e.Name(), "extract-") {
			out = append(out, e.Name())
		}
	}
	return strings.Join(out, " ")
}

// TestExtractWritesThroughLinksAndSpecialFiles is the rest of row 14: a symlink keeps
// pointing where it did, a FIFO is written, not replaced.
func TestExtractWritesThroughLinksAndSpecialFiles(t *testing.T) {
	cap := pcapCopy(t, "a.pcap")
	dir := filepath.Dir(cap)
	target := filepath.Join(dir, "target.pcap")
	os.WriteFile(target, nil, 0o644)
	link := filepath.Join(dir, "link.pcap")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, se, code := runCLI(t, "extract", "-w", link, cap, "port", "443"); code != exitOK {
		t.Fatalf("extract -w link: %d %s", code, se)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st.Mode(), err)
	}
	if b := mustRead(t, target); len(b) < 24 {
		t.Fatalf("the link's target holds %d bytes", len(b))
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	if _, se, code := runCLI(t, "extract", "-w", fifo, cap, "port", "443"); code != exitOK {
		t.Fatalf("extract -w fifo: %d %s", code, se)
	}
	if b := <-got; !bytes.Equal(b, mustRead(t, target)) {
		t.Errorf("the FIFO carried %d bytes, the file %d", len(b), len(mustRead(t, target)))
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO became %v", st.Mode())
	}
}

// TestExtractFollowsUmaskAndKeepsTheHeader is row 3: the extract's mode is 0666 less the
// umask, and a microsecond capture gives a microsecond pcap with its snap length.
func TestExtractFollowsUmaskAndKeepsTheHeader(t *testing.T) {
	cap := pcapCopy(t, "a.pcap")
	dir := filepath.Dir(cap)
	for _, c := range []struct {
		umask int
		mode  os.FileMode
	}{{0o022, 0o644}, {0o077, 0o600}, {0o002, 0o664}} {
		old := syscall.Umask(c.umask)
		out := filepath.Join(dir, "x.pcap")
		_, se, code := runCLI(t, "extract", "-w", out, cap, "port", "443")
		syscall.Umask(old)
		if code != exitOK {
			t.Fatalf("extract: %d %s", code, se)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != c.mode {
			t.Errorf("umask %03o: mode %v, want %v", c.umask, st.Mode().Perm(), c.mode)
		}
		b := mustRead(t, out)
		if magic := binary.LittleEndian.Uint32(b); magic != 0xa1b2c3d4 {
			t.Errorf("magic %#x, want a1b2c3d4 (microseconds, as the input)", magic)
		}
		if snap := binary.LittleEndian.Uint32(b[16:]); snap != 65535 {
			t.Errorf("snaplen %d, want the input's 65535", snap)
		}
	}
}

// TestIndexKeepsTheCapturePrivate is row 15: a 0600 capture gets a 0600 index, whatever
// the umask.
func TestIndexKeepsTheCapturePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, c := range []struct{ capMode, want os.FileMode }{{0o600, 0o600}, {0o640, 0o640}, {0o644, 0o644}, {0o666, 0o644}} {
		cap := pcapCopy(t, "secret.pcap")
		os.Chmod(cap, c.capMode)
		if _, se, code := runCLI(t, "index", cap); code != exitOK {
			t.Fatalf("index: %d %s", code, se)
		}
		st, err := os.Stat(cap + ".pcapdex")
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != c.want {
			t.Errorf("capture %v: index %v, want %v", c.capMode, st.Mode().Perm(), c.want)
		}
		// A query that builds the index does the same.
		os.Remove(cap + ".pcapdex")
		if _, se, code := runCLI(t, "flows", cap); code != exitOK {
			t.Fatalf("flows: %d %s", code, se)
		}
		if st, _ := os.Stat(cap + ".pcapdex"); st.Mode().Perm() != c.want {
			t.Errorf("capture %v: index built by flows %v, want %v", c.capMode, st.Mode().Perm(), c.want)
		}
	}
}

// rewriteHost replaces address 192.0.2.3 by 192.0.2.99 in every packet of the capture at
// p, in place: the same size, and the modification time put back.
func rewriteHost(t *testing.T, p string) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	b := bytes.ReplaceAll(mustRead(t, p), []byte{192, 0, 2, 3}, []byte{192, 0, 2, 99})
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(b, 0)
	f.Close()
	os.Chtimes(p, st.ModTime(), st.ModTime())
}

// TestIndexNeverAnswersForOtherBytes is rows 7 and 16: after an in-place rewrite (size and
// mtime kept) a query through the capture rebuilds; through the index given by name it
// warns (exit 4) and extract refuses (exit 3); an index copied with its capture reads the
// copy, not the original.
func TestIndexNeverAnswersForOtherBytes(t *testing.T) {
	cap := pcapCopy(t, "a.pcap")
	idx := cap + ".pcapdex"
	// Flow words: answered from the index alone (a packet filter reads the capture back).
	host := []string{"--format", "csv", "--columns", "flow_id", "orig", "host", "192.0.2.3", "or", "resp", "host", "192.0.2.3"}
	before, se, code := runCLI(t, append([]string{"flows", cap}, host...)...)
	if code != exitOK || strings.Count(before, "\n") < 2 {
		t.Fatalf("flows: %d %q %s", code, before, se)
	}
	time.Sleep(30 * time.Millisecond) // past the file system's clock tick
	rewriteHost(t, cap)
	want, _, _ := runCLI(t, append([]string{"flows", "--no-index", cap}, host...)...)
	if want == before {
		t.Fatal("the rewrite changed no answer")
	}
	// The explicit index first (the sidecar still describes the old bytes).
	got, se, code := runCLI(t, append([]string{"flows", idx}, host...)...)
	if code != exitPartial || !strings.Contains(se, "no longer describes its capture") || got != before {
		t.Errorf("flows INDEX after a rewrite: exit %d, stderr %q; want 4 and a warning, the index's answer", code, se)
	}
	if _, se, code := runCLI(t, "flows", idx, "host", "192.0.2.3"); code != exitInput || !strings.Contains(se, "no longer matches the index") {
		t.Errorf("a packet filter through the index after a rewrite: exit %d, stderr %q; want 3", code, se)
	}
	out := filepath.Join(t.TempDir(), "x.pcap")
	if _, se, code := runCLI(t, "extract", "-w", out, idx, "host", "192.0.2.3"); code != exitInput {
		t.Errorf("extract INDEX after a rewrite: exit %d, stderr %q; want 3", code, se)
	}
	// Through the capture: rebuilt, the answer of the new bytes.
	got, se, code = runCLI(t, append([]string{"flows", cap}, host...)...)
	if code != exitOK || got != want || !strings.Contains(se, "contents changed") {
		t.Errorf("flows CAPTURE after a rewrite: exit %d, stdout %q (want %q), stderr %q", code, got, want, se)
	}
	// Copied together elsewhere and the original removed: the copy answers, extract reads it.
	dir := t.TempDir()
	for _, p := range []string{cap, idx} { // cp -p
		st, _ := os.Stat(p)
		q := filepath.Join(dir, filepath.Base(p))
		os.WriteFile(q, mustRead(t, p), 0o644)
		os.Chtimes(q, st.ModTime(), st.ModTime())
	}
	os.Remove(cap)
	os.Remove(idx)
	cidx := filepath.Join(dir, "a.pcap.pcapdex")
	_, se, code = runCLI(t, "extract", "-w", out, cidx, "port", "443")
	if code != exitOK {
		t.Errorf("extract of a copied index: exit %d, stderr %q", code, se)
	}
	// The copy gone too: the index still answers flows, with a warning.
	os.Remove(filepath.Join(dir, "a.pcap"))
	if _, se, code := runCLI(t, "flows", cidx); code != exitPartial || !strings.Contains(se, "no longer describes") {
		t.Errorf("flows of an index whose capture is gone: exit %d, stderr %q; want 4 and a warning", code, se)
	}
}

// TestWarningsAreFactsOfTheCapture is rows 1 and 2: a cut capture warns and exits 4 on
// every query, not only the one that built the index; packets of an undecoded link type
// are counted and warned about (exit 4, or 3 when nothing was decoded), every time.
func TestWarningsAreFactsOfTheCapture(t *testing.T) {
	whole := mustRead(t, "../../testdata/sample.pcap")
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	os.WriteFile(cut, whole[:100000], 0o644)
	dir := t.TempDir()
	mixed := filepath.Join(dir, "mixed.pcapng")
	writeLinkCapture(t, mixed, 4631, true)
	user := filepath.Join(dir, "user.pcapng")
	writeLinkCapture(t, user, 3, false)
	for _, c := range []struct {
		path string
		code int
		warn string
	}{
		{cut, exitPartial, "truncated: record at offset"},
		{mixed, exitPartial, "4,631 packets of link type 147 not decoded"},
		{user, exitInput, "3 packets of link type 147 not decoded"},
	} {
		for i, args := range [][]string{{"flows", c.path}, {"flows", c.path}, {"top", c.path}, {"index", c.path}, {"flows", c.path + ".pcapdex"}} {
			_, se, code := runCLI(t, args...)
			if code != c.code || !strings.Contains(se, c.warn) {
				t.Errorf("run %d %q: exit %d, stderr %q; want %d and %q", i+1, args, code, se, c.code, c.warn)
			}
		}
	}
}

// TestNoWritableFolderStreams is row 4: with no folder to put an index in (read-only
// capture folder, no HOME, no temp dir), a query reads the capture in one pass and says
// so in one line, instead of failing with "permission denied".
func TestNoWritableFolderStreams(t *testing.T) {
	cap := pcapCopy(t, "ro.pcap")
	q := queryFlags{format: "table", timeFmt: "rfc3339",
		locator: index.Locator{CacheDir: "/nonexistent/cache/pcapdex", Writable: func(string) bool { return false }}}
	var se bytes.Buffer
	ctx, code := openQuery("flows", &q, []string{cap}, &se)
	if ctx == nil {
		t.Fatalf("exit %d, stderr %q", code, se.String())
	}
	defer ctx.close()
	if ctx.ir != nil || ctx.st.NumFlows() == 0 {
		t.Errorf("answered from an index (%v) or without flows (%d)", ctx.ir != nil, ctx.st.NumFlows())
	}
	if n := strings.Count(se.String(), "\n"); n != 1 || !strings.Contains(se.String(), "reading the captures in one pass") {
		t.Errorf("stderr %q: want one line saying the capture is read in one pass", se.String())
	}
	if _, err := os.Stat(cap + ".pcapdex"); err == nil {
		t.Error("an index was written")
	}
}

// TestQueriesKeepGCOn is row 18: an index query never turns the collector off (with it off
// under a memory limit, a live heap above the limit collected continuously).
func TestQueriesKeepGCOn(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT set")
	}
	cap := pcapCopy(t, "a.pcap")
	q := queryFlags{format: "table", timeFmt: "rfc3339"}
	var se bytes.Buffer
	ctx, code := openQuery("flows", &q, []string{cap}, &se)
	if ctx == nil {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	gc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(-1)
	debug.SetGCPercent(gc)
	ctx.close()
	if gc < 0 {
		t.Errorf("GOGC %d during the query: the collector is off", gc)
	}
	if limit != math.MaxInt64 {
		t.Errorf("memory limit %d during the query: a live heap above it collects without end", limit)
	}
}

// TestCacheListClean is row 13's cache part: the set indexes piling up in the cache dir are
// listed with their state, and clean removes those whose captures are gone.
func TestCacheListClean(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	a := pcapCopy(t, "a.pcap")
	b := filepath.Join(filepath.Dir(a), "b.pcap")
	os.WriteFile(b, mustRead(t, a), 0o644)
	if _, se, code := runCLI(t, "flows", a, b); code != exitOK {
		t.Fatalf("flows over a set: %d %s", code, se)
	}
	out, _, code := runCLI(t, "cache", "list")
	if code != exitOK || !strings.Contains(out, "set-") || !strings.Contains(out, ", ok\n") || !strings.Contains(out, "capture "+b) {
		t.Fatalf("cache list: exit %d\n%s", code, out)
	}
	os.Remove(b)
	out, _, _ = runCLI(t, "cache", "list", "--format", "csv")
	if !strings.Contains(out, ",gone: "+b+",") {
		t.Errorf("after removing a capture, list says\n%s", out)
	}
	out, _, _ = runCLI(t, "cache", "clean", "--dry-run")
	if !strings.Contains(out, "would remove") {
		t.Errorf("clean --dry-run:\n%s", out)
	}
	out, _, code = runCLI(t, "cache", "clean")
	if code != exitOK || !strings.Contains(out, "removed ") || !strings.Contains(out, "1 indexes") {
		t.Errorf("clean: exit %d\n%s", code, out)
	}
	if out, _, _ := runCLI(t, "cache", "list"); strings.Contains(out, "set-") {
		t.Errorf("the set index survived clean:\n%s", out)
	}
	if _, _, code := runCLI(t, "cache", "purge"); code != exitUsage {
		t.Errorf("cache purge: exit %d, want 2", code)
	}
}

// TestInfoLikeEveryCommand is row 10: info writes csv (one row per file, the same counts
// as its JSON) and one JSON shape (an array) for one file or several.
func TestInfoLikeEveryCommand(t *testing.T) {
	a := pcapCopy(t, "a.pcap")
	for _, files := range [][]string{{a}, {a, a}} {
		out, se, code := runCLI(t, append([]string{"info", "--format", "json"}, files...)...)
		var arr []map[string]any
		if err := json.Unmarshal([]byte(out), &arr); err != nil || len(arr) != len(files) || code != exitOK {
			t.Fatalf("info --format json of %d files: %v, %d objects, exit %d %s", len(files), err, len(arr), code, se)
		}
	}
	out, se, code := runCLI(t, "info", "--format", "csv", a, a)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 3 {
		t.Fatalf("info --format csv: exit %d, %d lines %s", code, len(lines), se)
	}
	head := strings.Split(lines[0], ",")
	row := strings.Split(lines[1], ",")
	js, _, _ := runCLI(t, "info", "--format", "jsonl", a)
	var obj map[string]any
	json.Unmarshal([]byte(js), &obj)
	col := func(k string) string {
		for i, h := range head {
			if h == k && i < len(row) {
				return row[i]
			}
		}
		return "(missing)"
	}
	for _, k := range []string{"packets", "tcp", "udp", "ipv4", "vlan_frames", "tcp_conversations", "frame_bytes"} {
		if v, ok := obj[k]; ok && col(k) != fmt.Sprint(v) {
			t.Errorf("csv %s = %s, json %v", k, col(k), v)
		}
	}
	if col("packets") == "(missing)" || col("malformed_reasons.truncated_ip") == "(missing)" {
		t.Errorf("csv header lacks packets or nested malformed_reasons: %s", lines[0])
	}
}

// TestSinceAcceptsPrintedTimes is row 12's --since part: the forms pcapdex prints are
// accepted, and a bad time is explained in plain words (no Go layout string).
func TestSinceAcceptsPrintedTimes(t *testing.T) {
	cap := pcapCopy(t, "a.pcap") // packets from 2024-01-01 00:00:00 to 00:00:07.19 UTC
	want, _, _ := runCLI(t, "flows", cap, "--format", "csv", "--since", "2024-01-01T00:00:05Z")
	for _, s := range []string{"2024-01-01 00:00:05", "2024-01-01 00:00:05.000", "2024-01-01 00:00:05 UTC", "2024-01-01T00:00:05", "1704067205", "+5s"} {
		got, se, code := runCLI(t, "flows", cap, "--format", "csv", "--since", s)
		if code != exitOK || got != want {
			t.Errorf("--since %q: exit %d, %d bytes (want %d) %s", s, code, len(got), len(want), se)
		}
	}
	_, se, code := runCLI(t, "flows", cap, "--since", "yesterday noon")
	if code != exitUsage || strings.Contains(se, "2006-01-02") || !strings.Contains(se, "2024-01-01 12:00:00") {
		t.Errorf("bad --since: exit %d, stderr %q", code, se)
	}
	if _, se, code := runCLI(t, "concurrent", cap, "--at", "2024-01-01 00:00:01"); code != exitOK {
		t.Errorf("concurrent --at in the printed form: exit %d %s", code, se)
	}
}
