package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDecimateKeepsColumnExtremes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ n, cols int }{{100_000, 2000}, {50_000, 700}, {4001, 2000}, {10, 2000}, {3, 1}} {
		x, y := make([]float64, tc.n), make([]float64, tc.n)
		t0 := 0.0
		for i := range x {
			t0 += r.ExpFloat64() // uneven spacing, as packets
			x[i] = t0
			y[i] = math.Sin(t0/50)*100 + r.NormFloat64()*10
			if r.IntN(5000) == 0 {
				y[i] += 1e4 // a spike
			}
			if r.IntN(5000) == 0 {
				y[i] -= 1e4 // a dip
			}
		}
		dx, dy := Decimate(x, y, tc.cols)
		if tc.n <= 2*tc.cols {
			if !slices.Equal(dx, x) || !slices.Equal(dy, y) {
				t.Errorf("n=%d cols=%d: a short series changed", tc.n, tc.cols)
			}
			continue
		}
		if len(dx) > 2*tc.cols {
			t.Errorf("n=%d cols=%d: %d points, want at most %d", tc.n, tc.cols, len(dx), 2*tc.cols)
		}
		if !slices.IsSorted(dx) {
			t.Errorf("n=%d: reduced x not ascending", tc.n)
		}
		// Every column's minimum and maximum (and so every spike and dip, every local
		// extreme a chart of that width can show) is among the kept points.
		kept := map[[2]float64]bool{}
		for i := range dx {
			kept[[2]float64{dx[i], dy[i]}] = true
		}
		width := (x[tc.n-1] - x[0]) / float64(tc.cols)
		lo, hi := map[int]int{}, map[int]int{}
		for i := range x {
			c := min(int((x[i]-x[0])/width), tc.cols-1)
			if j, ok := lo[c]; !ok || y[i] < y[j] {
				lo[c] = i
			}
			if j, ok := hi[c]; !ok || y[i] > y[j] {
				hi[c] = i
			}
		}
		for c := range lo {
			for _, i := range []int{lo[c], hi[c]} {
				if !kept[[2]float64{x[i], y[i]}] {
					t.Fatalf("n=%d cols=%d: column %d's extreme (%g, %g) was dropped", tc.n, tc.cols, c, x[i], y[i])
				}
			}
		}
		// The global extremes in particular.
		if slices.Max(dy) != slices.Max(y) || slices.Min(dy) != slices.Min(y) {
			t.Errorf("n=%d: global extremes lost", tc.n)
		}
	}
}

func TestDecimateNaNAndFlat(t *testing.T) {
	x := make([]float64, 1000)
	y := make([]float64, 1000)
	for i := range x {
		x[i], y[i] = float64(i), 5
	}
	y[500] = math.NaN()
	dx, dy := Decimate(x, y, 10)
	if len(dx) != 10 || slices.ContainsFunc(dy, math.IsNaN) {
		t.Errorf("flat series with a NaN: %d points %v", len(dx), dy)
	}
	same := make([]float64, 100) // all x equal
	dx, _ = Decimate(same, make([]float64, 100), 5)
	if len(dx) != 1 {
		t.Errorf("equal x: %d points, want 1", len(dx))
	}
}

var (
	scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	styleRE  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	cspRE    = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
)

// checkOffline checks that html is one self-contained page: no http:/https: anywhere
// (src, href, url(, scripts), no external resource attributes, and a CSP allowing only
// the inline script and style by their hashes.
func checkOffline(t *testing.T, html []byte) {
	t.Helper()
	low := bytes.ToLower(html)
	for _, bad := range []string{"http:", "https:", "src=", "<link", "<iframe", "<img", "url(", "//cdn", "import(", "fetch(", "xmlhttprequest", "websocket"} {
		if i := bytes.Index(low, []byte(bad)); i >= 0 {
			t.Errorf("report contains %q at byte %d: %q", bad, i, html[max(0, i-40):min(len(html), i+40)])
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllSubmatch(html, -1) {
		if !bytes.HasPrefix(m[1], []byte("#")) {
			t.Errorf("href %q is not a fragment", m[1])
		}
	}
	csp := cspRE.FindSubmatch(html)
	if csp == nil {
		t.Fatal("no Content-Security-Policy meta element")
	}
	policy := string(csp[1])
	if !strings.HasPrefix(policy, "default-src 'none';") || strings.Contains(policy, "unsafe") {
		t.Errorf("CSP %q: want default-src 'none' and nothing unsafe", policy)
	}
	hashOf := func(b []byte) string {
		h := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	}
	scripts := scriptRE.FindAllSubmatch(html, -1)
	styles := styleRE.FindAllSubmatch(html, -1)
	if len(scripts) != 1 || len(styles) != 1 {
		t.Fatalf("%d executable scripts and %d styles, want 1 and 1", len(scripts), len(styles))
	}
	if !strings.Contains(policy, "script-src "+hashOf(scripts[0][1])+";") || !strings.Contains(policy, "style-src "+hashOf(styles[0][1])+";") {
		t.Errorf("CSP %q does not allow the page's script and style by hash", policy)
	}
	if n := bytes.Count(html, []byte("<script")); n != 2 { // the data and the code
		t.Errorf("%d script elements, want 2", n)
	}
}

func TestOfflineAndCSP(t *testing.T) {
	dir := t.TempDir()
	capture := filepath.Join(dir, "g.pcap")
	synth{Flows: 30, Segments: 20, BigFlow: 200, Start: 1709336400e9, Step: 60e9, Client: [4]byte{10, 0, 0, 1}, LossEvery: 7}.write(t, capture)
	out := filepath.Join(dir, "r.html")
	// Strings from the user (the command line, a filter) cannot break out of the page.
	writeReport(t, capture, out, Options{Command: `pcapdex report </script><script>alert(1)</script> "http://x" <!--`, Filter: "a\u2028b"})
	html, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkOffline(t, bytes.ReplaceAll(html, []byte(`http://x`), []byte("x"))) // the command's text is data, escaped
	if bytes.Contains(html, []byte("</script><script>alert")) {
		t.Error("the command line's </script> reached the page unescaped")
	}
	if !bytes.Contains(html, []byte(`\u003c/script>\u003cscript>alert(1)\u003c/script>`)) {
		t.Error("the command line is not in the data, escaped")
	}
}

// TestSizeBudget: the report of a large synthetic capture (41 days, 10,000 connections,
// a 100,000-segment flow, more events than are drawn) stays under 5 MB: every series is
// bounded by pixels or counts, not by packets.
func TestSizeBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("large capture skipped in -short mode")
	}
	dir := t.TempDir()
	capture := filepath.Join(dir, "big.pcap")
	s := largeSynth
	t0 := time.Now()
	n := s.write(t, capture)
	fi, _ := os.Stat(capture)
	t.Logf("generated %d packets, %d bytes in %v", n, fi.Size(), time.Since(t0).Round(time.Millisecond))
	out := filepath.Join(dir, "big.html")
	t0 = time.Now()
	data := writeReport(t, capture, out, Options{Host: s.clientAddr(), HostPlan: mustPlan(t, "tcp and host 10.0.0.1"), Flows: []uint64{1, 2}})
	t.Logf("report (index build included) in %v", time.Since(t0).Round(time.Millisecond))
	html, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	const budget = 5 << 20
	t.Logf("report %d bytes (data %d)", len(html), len(data))
	if len(html) > budget {
		t.Errorf("report of %d bytes exceeds the budget of %d", len(html), budget)
	}
	checkOffline(t, html)
	for _, want := range []string{`"truncated":true`, `"total":`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("data lacks %s", want)
		}
	}
	// No series holds more than about 4,000 points.
	for _, m := range regexp.MustCompile(`"[xy]":\[([^\]]*)\]`).FindAllSubmatch(data, -1) {
		if n := bytes.Count(m[1], []byte(",")) + 1; n > 4000 {
			t.Errorf("a series of %d points", n)
		}
	}
}
