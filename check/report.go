package check

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapdex/pcapdex/output"
)

// WriteTable writes one row per capture and gate through output's table.
func WriteTable(w io.Writer, rep *Report) error {
	t := output.NewTable(w, output.Options{Format: output.FormatTable},
		output.Col{Name: "file", Kind: output.KindString}, output.Col{Name: "status", Kind: output.KindString},
		output.Col{Name: "gate", Kind: output.KindString}, output.Col{Name: "value", Kind: output.KindString},
		output.Col{Name: "limit", Kind: output.KindString}, output.Col{Name: "result", Kind: output.KindString})
	for _, c := range rep.Captures {
		if c.Status == StatusError {
			t.Str(c.File)
			t.Str(c.Status)
			t.Null()
			t.Null()
			t.Null()
			t.Str(c.Error)
			if err := t.EndRow(); err != nil {
				return err
			}
			continue
		}
		for _, g := range c.Gates {
			t.Str(c.File)
			t.Str(c.Status)
			t.Str(g.Gate)
			t.Str(formatValue(g.Value))
			t.Str(formatValue(g.Limit))
			switch {
			case g.Skipped != "":
				t.Str("skipped: " + g.Skipped)
			case g.Tripped:
				t.Str("TRIPPED")
			default:
				t.Str("ok")
			}
			if err := t.EndRow(); err != nil {
				return err
			}
		}
	}
	return t.Close()
}

// formatValue prints whole numbers (counts, ns, bytes) in full, rates with 6 digits.
func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e18 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// WriteJSON writes the report as one JSON object (the --baseline format).
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// JUnit XML, in the shape of the Jenkins junit-10 schema that the Jenkins, GitLab and
// GitHub test reporters read: one testsuite per capture, one testcase per gate (a tripped
// gate is a <failure>), and for a capture that could not be read one testcase "read"
// with an <error>.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string          `xml:"name,attr"`
		Tests    int             `xml:"tests,attr"`
		Failures int             `xml:"failures,attr"`
		Errors   int             `xml:"errors,attr"`
		Skipped  int             `xml:"skipped,attr"`
		Props    *junitProps     `xml:"properties,omitempty"`
		Cases    []junitTestCase `xml:"testcase"`
	}
	junitProps struct {
		Props []junitProp `xml:"property"`
	}
	junitProp struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitTestCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Failure   *junitMessage `xml:"failure,omitempty"`
		Error     *junitMessage `xml:"error,omitempty"`
		Skipped   *junitMessage `xml:"skipped,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes the report as JUnit XML.
func WriteJUnit(w io.Writer, rep *Report) error {
	out := junitSuites{Name: "pcapdex check"}
	for _, c := range rep.Captures {
		s := junitSuite{Name: c.File}
		class := "pcapdex.check." + filepath.Base(c.File)
		if c.Status == StatusError {
			s.Tests, s.Errors = 1, 1
			s.Cases = append(s.Cases, junitTestCase{Name: "read", Classname: class,
				Error: &junitMessage{Message: c.Error, Type: "input", Text: c.Error}})
		}
		if len(c.Metrics) > 0 {
			s.Props = &junitProps{}
			keys := make([]string, 0, len(c.Metrics))
			for k := range c.Metrics {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				s.Props.Props = append(s.Props.Props, junitProp{k, formatValue(c.Metrics[k])})
			}
		}
		for _, g := range c.Gates {
			tc := junitTestCase{Name: g.Gate, Classname: class}
			msg := fmt.Sprintf("%s: %s against %s", g.Gate, formatValue(g.Value), formatValue(g.Limit))
			switch {
			case g.Skipped != "":
				tc.Skipped = &junitMessage{Message: g.Skipped, Type: "baseline"}
				s.Skipped++
			case g.Tripped:
				tc.Failure = &junitMessage{Message: msg, Type: "gate", Text: strings.TrimSpace(msg + "\n" + strings.Join(c.Warnings, "\n"))}
				s.Failures++
			}
			s.Tests++
			s.Cases = append(s.Cases, tc)
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
