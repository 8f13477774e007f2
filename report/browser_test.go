package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

// findBrowser returns the chromium to drive, or skips: .ci/run installs Debian's chromium,
// so only a machine where none can be installed skips.
func findBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PCAPDEX_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: the browser test needs a headless chromium (.ci/run installs Debian's with apt-get; set PCAPDEX_CHROMIUM to another)")
	return ""
}

// TestBrowser loads the report of a corpus capture and of a generated one in headless
// chromium: no console warning or error (a CSP violation is one), every chart drawn, the
// hover legend showing a value, toggles rebuilding the charts; a screenshot per section
// goes to the test's temp dir (or $PCAPDEX_SCREENSHOTS).
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := findBrowser(t)
	corpus, err := testcorpus.Find()
	if err != nil {
		t.Skipf("corpus: %v", err)
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(corpus, "example.pcap"))
	if err != nil {
		t.Skipf("corpus capture: %v", err)
	}
	cases := []struct{ name, capture string }{
		{"corpus-example", filepath.Join(dir, "example.pcap")},
		{"generated", filepath.Join(dir, "generated.pcap")},
	}
	if os.Getenv("PCAPDEX_BROWSER_LARGE") != "" { // the size budget's capture: slow to draw on a shared CI machine
		cases = append(cases, struct{ name, capture string }{"large", filepath.Join(dir, "large.pcap")})
	}
	if err := os.WriteFile(cases[0].capture, src, 0o644); err != nil {
		t.Fatal(err)
	}
	browserSynth.write(t, cases[1].capture)
	if len(cases) > 2 {
		largeSynth.write(t, cases[2].capture)
	}
	if p := os.Getenv("PCAPDEX_REPORT_HTML"); p != "" { // a report made elsewhere (of a 2 GB capture, say)
		cases = append(cases, struct{ name, capture string }{"external", p})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The profile lives outside t.TempDir: chromium's helper processes may still write to it
	// for a moment after the browser is killed, and TempDir's cleanup would then fail.
	profile, err := os.MkdirTemp("", "pcapdex-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		time.Sleep(200 * time.Millisecond)
		os.RemoveAll(profile)
	}()
	b, err := startBrowser(ctx, exe, profile)
	if err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	defer b.close()
	var mu sync.Mutex
	var problems []string
	go func() {
		for m := range b.events {
			var p struct {
				Type string `json:"type"`
				Args []struct {
					Value       any    `json:"value"`
					Description string `json:"description"`
				} `json:"args"`
				Entry struct {
					Level, Text, URL string
				} `json:"entry"`
				ExceptionDetails struct {
					Text      string `json:"text"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			json.Unmarshal(m.Params, &p)
			var msg string
			switch m.Method {
			case "Runtime.consoleAPICalled":
				if p.Type == "warning" || p.Type == "error" || p.Type == "assert" {
					msg = fmt.Sprintf("console.%s: %v", p.Type, p.Args)
				}
			case "Log.entryAdded":
				if p.Entry.Level == "warning" || p.Entry.Level == "error" {
					msg = fmt.Sprintf("log %s: %s %s", p.Entry.Level, p.Entry.Text, p.Entry.URL)
				}
			case "Runtime.exceptionThrown":
				msg = "exception: " + p.ExceptionDetails.Text + " " + p.ExceptionDetails.Exception.Description
			}
			if msg != "" {
				mu.Lock()
				problems = append(problems, msg)
				mu.Unlock()
			}
		}
	}()
	for _, m := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		if err := b.call(m, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PCAPDEX_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(dir, "screenshots")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			html := filepath.Join(dir, c.name+".html")
			if strings.HasSuffix(c.capture, ".html") {
				html = c.capture
			} else {
				writeTestReport(t, c.name, c.capture, html)
			}
			mu.Lock()
			problems = nil
			mu.Unlock()
			start := time.Now()
			if err := b.call("Page.navigate", map[string]any{"url": "file://" + html}, nil); err != nil {
				t.Fatal(err)
			}
			n := waitCharts(t, b, "")
			var ms struct{ First, Build string }
			b.eval(`({first: document.documentElement.getAttribute("data-first-ms"), build: document.documentElement.getAttribute("data-build-ms")})`, &ms)
			t.Logf("%s: first chart on screen %s ms after navigation start, all %d charts drawn in %s ms (%v for the test to see them)",
				c.name, ms.First, n, ms.Build, time.Since(start).Round(time.Millisecond))
			// The first screen must come at once; the rest is drawn in slices after it. (A
			// loose bound: CI machines are shared and chromium renders without a GPU.)
			var first int
			fmt.Sscan(ms.First, &first)
			if first > 10000 {
				t.Errorf("first chart after %d ms", first)
			}
			checkDrawn(t, b, n)
			checkHover(t, b)
			out := filepath.Join(shots, c.name)
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			screenshots(t, b, out, "", "summary", "io", "activity", "sizes", "top", "host", "problems", "flows", "events")
			t.Logf("screenshots took %v", time.Since(t0))
			// Dark theme and local time rebuild every chart.
			if err := b.eval(`document.documentElement.removeAttribute("data-charts"); document.getElementById("theme").click(); document.getElementById("tz").click(); true`, nil); err != nil {
				t.Fatal(err)
			}
			if m := waitCharts(t, b, ""); m != n {
				t.Errorf("after the toggles %d charts, before %d", m, n)
			}
			checkDrawn(t, b, n)
			screenshots(t, b, out, "-dark-local", "io")
			time.Sleep(200 * time.Millisecond) // late console messages
			mu.Lock()
			defer mu.Unlock()
			for _, p := range problems {
				t.Errorf("%s: %s", c.name, p)
			}
			t.Logf("screenshots in %s", out)
		})
	}
}

func writeTestReport(t *testing.T, name, capture, html string) {
	t.Helper()
	o := Options{Command: "pcapdex report " + filepath.Base(capture) + " -o " + filepath.Base(html)}
	if name != "corpus-example" {
		o.Host, o.HostPlan = browserSynth.clientAddr(), mustPlan(t, "tcp and host "+browserSynth.clientAddr().String())
		o.Command += " --host " + o.Host.String()
	}
	writeReport(t, capture, html, o)
}

// largeSynth is the size budget's capture: 41 days, 10,000 connections, a long flow.
var largeSynth = synth{Flows: 10000, Segments: 20, BigFlow: 100_000, Start: 1709251200e9, Step: 360e9,
	Client: [4]byte{10, 0, 0, 1}, LossEvery: 8, Payload: 100}

// browserSynth is the generated capture of the browser test: three UTC days, a long flow,
// losses, zero windows and resets.
var browserSynth = synth{Flows: 300, Segments: 40, BigFlow: 20000, Start: 1709336400e9 - 600e9, Step: 600e9,
	Client: [4]byte{10, 0, 0, 1}, LossEvery: 25}

func waitCharts(t *testing.T, b *browser, _ string) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var s *string
		if err := b.eval(`document.documentElement.getAttribute("data-charts")`, &s); err == nil && s != nil {
			var n int
			fmt.Sscan(*s, &n)
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the page never set data-charts")
	return 0
}

// checkDrawn checks that each of the n chart holders has a canvas with painted pixels.
func checkDrawn(t *testing.T, b *browser, n int) {
	t.Helper()
	var r struct {
		Holders int      `json:"holders"`
		Drawn   int      `json:"drawn"`
		Blank   []string `json:"blank"`
	}
	js := `(() => { const hs = [...document.querySelectorAll("[data-chart]")]; const blank = [];
	  let drawn = 0;
	  for (const h of hs) { const c = h.querySelector("canvas"); let ok = false;
	    if (c && c.width > 0 && c.height > 0) { const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	      for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) { ok = true; break; } } }
	    if (ok) drawn++; else blank.push(h.getAttribute("data-chart")); }
	  return {holders: hs.length, drawn: drawn, blank: blank}; })()`
	if err := b.eval(js, &r); err != nil {
		t.Fatal(err)
	}
	if r.Holders != n || r.Drawn != n || n == 0 {
		t.Errorf("data-charts %d, chart holders %d, drawn %d; blank: %v", n, r.Holders, r.Drawn, r.Blank)
	}
}

// checkHover moves the mouse over the I/O graph and expects its legend to show a value.
func checkHover(t *testing.T, b *browser) {
	t.Helper()
	var rect struct{ X, Y, W, H float64 }
	js := `(() => { const o = document.querySelector('[data-chart="I/O graph"] .u-over'); o.scrollIntoView({block: "center"});
	  const r = o.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; })()`
	if err := b.eval(js, &rect); err != nil {
		t.Fatal(err)
	}
	for _, f := range []float64{0.5, 0.3, 0.7} {
		ev := map[string]any{"type": "mouseMoved", "x": rect.X + rect.W*f, "y": rect.Y + rect.H/2}
		if err := b.call("Input.dispatchMouseEvent", ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	var vals []string
	if err := b.eval(`[...document.querySelectorAll('[data-chart="I/O graph"] .u-legend .u-value')].map(e => e.textContent)`, &vals); err != nil {
		t.Fatal(err)
	}
	if len(vals) < 2 || vals[0] == "--" || vals[0] == "" || vals[1] == "--" || !strings.Contains(vals[1], "pkt/s") {
		t.Errorf("hovering the I/O graph shows %q, want a time and a packets/s value", vals)
	} else {
		t.Logf("hover on the I/O graph: %q", vals)
	}
}

// screenshots captures the whole page once (the viewport stretched to the page's height)
// and writes the box of each section id to dir/ID+suffix.png.
func screenshots(t *testing.T, b *browser, dir, suffix string, ids ...string) {
	t.Helper()
	var height float64
	if err := b.eval(`window.scrollTo(0, 0); document.documentElement.scrollHeight`, &height); err != nil {
		t.Fatal(err)
	}
	height = min(height, 30000)
	if err := b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": int(height), "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	defer b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	time.Sleep(100 * time.Millisecond)
	var shot struct{ Data string }
	if err := b.call("Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	page, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("page screenshot: %v", err)
	}
	for _, id := range ids {
		var r struct{ X, Y, W, H float64 }
		js := `(() => { const e = document.getElementById(` + fmt.Sprintf("%q", id) + `); if (!e) return null; const r = e.getBoundingClientRect();
		  return {x: r.x + window.scrollX, y: r.y + window.scrollY, w: r.width, h: r.height}; })()`
		if err := b.eval(js, &r); err != nil {
			t.Fatal(err)
		}
		box := image.Rect(int(r.X), int(r.Y), int(r.X+r.W), int(r.Y+r.H)).Intersect(page.Bounds())
		if box.Empty() {
			t.Errorf("section %s: no box on the page (%v)", id, r)
			continue
		}
		sub := page.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(box)
		var out bytes.Buffer
		if err := png.Encode(&out, sub); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id+suffix+".png"), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
