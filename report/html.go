package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html"
	"io"
)

// The vendored chart library (see assets/README.md) and the report's own script and style.
var (
	//go:embed assets/uPlot.iife.min.js
	uplotJS string
	//go:embed assets/uPlot.min.css
	uplotCSS string
	//go:embed assets/report.js
	reportJS string
	//go:embed assets/report.css
	reportCSS string
)

// UPlotVersion is the version of the vendored uPlot.
const UPlotVersion = "1.6.32"

// Write writes the HTML report of data (Gather's JSON) to w: one self-contained file, the
// data inline in a JSON script element, the chart library, script and style inline and
// allowed by hash in a Content-Security-Policy that allows nothing else (no network, no
// other script, no eval).
func Write(w io.Writer, title string, data []byte) error {
	script := uplotJS + "\n" + reportJS
	style := uplotCSS + "\n" + reportCSS
	var b bytes.Buffer
	b.Grow(len(script) + len(style) + len(data) + 2048)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src '`)
	b.WriteString(hash(script))
	b.WriteString(`'; style-src '`)
	b.WriteString(hash(style))
	b.WriteString(`'; base-uri 'none'; form-action 'none'">` + "\n")
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	b.WriteString(`<meta name="generator" content="pcapdex, uPlot ` + UPlotVersion + `">` + "\n")
	b.WriteString("<title>")
	b.WriteString(html.EscapeString(title))
	b.WriteString("</title>\n<style>")
	b.WriteString(style)
	b.WriteString("</style>\n</head>\n<body>\n<header><h1>")
	b.WriteString(html.EscapeString(title))
	b.WriteString(`</h1><nav><a href="#summary">summary</a><a href="#io">I/O</a><a href="#activity">activity</a>` +
		`<a href="#sizes">sizes</a><a href="#top">top</a><a href="#host">host</a><a href="#problems">problems</a>` +
		`<a href="#flows">flows</a><a href="#events">events</a></nav>` +
		`<button id="tz" type="button">time: UTC</button><button id="theme" type="button">theme</button></header>` + "\n")
	b.WriteString(`<main id="report"></main>` + "\n")
	b.WriteString(`<script type="application/json" id="report-data">`)
	b.Write(ScriptSafe(data))
	b.WriteString("</script>\n<script>")
	b.WriteString(script)
	b.WriteString("</script>\n</body>\n</html>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// hash returns the CSP source of s: sha256-BASE64.
func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

// ScriptSafe returns JSON text (as textenc writes it) safe inside an HTML script element:
// each '<' becomes \u003c, so no "</script" or "<!--" can end or change the element. In
// JSON a '<' can only stand inside a string, where the escape means the same character.
func ScriptSafe(js []byte) []byte {
	return bytes.ReplaceAll(js, []byte("<"), []byte(`\u003c`))
}
