package check

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// junitRule is one element's line of testdata/junit-rules.txt.
type junitRule struct {
	children, required, optional []string
}

func words(s string) []string {
	s = strings.TrimSpace(s)
	if s == "-" {
		return nil
	}
	return strings.Fields(s)
}

func loadJUnitRules(t testing.TB) map[string]junitRule {
	f, err := os.Open("testdata/junit-rules.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rules := map[string]junitRule{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		p := strings.Split(l, "|")
		if len(p) != 4 {
			t.Fatalf("junit-rules.txt: bad line %q", l)
		}
		rules[strings.TrimSpace(p[0])] = junitRule{words(p[1]), words(p[2]), words(p[3])}
	}
	return rules
}

// ValidateJUnit checks doc against the rules: known elements only, each where its parent
// allows it, every required attribute present, no undeclared attribute, character data
// only where allowed.
func validateJUnit(rules map[string]junitRule, doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			parent := "root"
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			if !slices.Contains(rules[parent].children, name) {
				return fmt.Errorf("<%s> is not allowed in <%s>", name, parent)
			}
			r, ok := rules[name]
			if !ok {
				return fmt.Errorf("unknown element <%s>", name)
			}
			var have []string
			for _, a := range tok.Attr {
				if !slices.Contains(r.required, a.Name.Local) && !slices.Contains(r.optional, a.Name.Local) {
					return fmt.Errorf("<%s> has undeclared attribute %q", name, a.Name.Local)
				}
				have = append(have, a.Name.Local)
			}
			for _, req := range r.required {
				if !slices.Contains(have, req) {
					return fmt.Errorf("<%s> lacks required attribute %q", name, req)
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && strings.TrimSpace(string(tok)) != "" && !slices.Contains(rules[stack[len(stack)-1]].children, "#text") {
				return fmt.Errorf("<%s> holds text %q", stack[len(stack)-1], string(tok))
			}
		}
	}
	return nil
}

// TestJUnitValidator shows the validator rejects what the schema rejects.
func TestJUnitValidator(t *testing.T) {
	rules := loadJUnitRules(t)
	good := `<?xml version="1.0"?><testsuites><testsuite tests="1"><testcase name="a"><failure message="m">x</failure></testcase></testsuite></testsuites>`
	if err := validateJUnit(rules, []byte(good)); err != nil {
		t.Errorf("valid document: %v", err)
	}
	for _, bad := range []string{
		`<testsuites><testcase name="a"/></testsuites>`,                           // testcase outside a testsuite
		`<testsuites><testsuite><testcase name="a"/></testsuite></testsuites>`,    // tests is required
		`<testsuites><testsuite tests="1"><testcase/></testsuite></testsuites>`,   // name is required
		`<testsuites><testsuite tests="1" colour="red"></testsuite></testsuites>`, // undeclared attribute
		`<testsuites><testsuite tests="1">text</testsuite></testsuites>`,          // text where none is allowed
		`<report/>`, // unknown root
		`<testsuites><testsuite tests="1"><testcase name="a"><bug/></testcase></testsuite></testsuites>`, // unknown element
	} {
		if validateJUnit(rules, []byte(bad)) == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestWriteJUnitValid writes a report with every kind of result and validates it.
func TestWriteJUnitValid(t *testing.T) {
	rep := &Report{Captures: []Capture{
		{File: "a.pcap", Status: StatusFail, Metrics: map[string]float64{"retransmissions": 3, "tcp_packets": 10},
			Gates: []GateResult{{Gate: "retransmissions/tcp_packets > 1%", Value: 0.3, Limit: 0.01, Tripped: true},
				{Gate: "retransmissions > baseline * 2", Skipped: "no baseline for this capture"}}},
		{File: "b & <c>.pcap", Status: StatusPass, Metrics: map[string]float64{}, Gates: []GateResult{{Gate: "flows > 0", Value: 0}}},
		{File: "bad.pcap", Status: StatusError, Error: "pcapng: block at offset 0x0: bad magic"},
	}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	if err := validateJUnit(loadJUnitRules(t), b.Bytes()); err != nil {
		t.Errorf("%v\n%s", err, b.String())
	}
}

// TestJUnitGoldenValid validates the JUnit XML that cmd/pcapdex's TestCheckDirectory pins
// (a directory of corpus captures, one of them damaged).
func TestJUnitGoldenValid(t *testing.T) {
	doc, err := os.ReadFile("../cmd/pcapdex/testdata/check/check.junit.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := validateJUnit(loadJUnitRules(t), doc); err != nil {
		t.Error(err)
	}
	for _, want := range []string{`failures="`, `<error message="pcapng: file archive/pcap-invalid-version-1.pcap: block at offset 0x0`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("golden lacks %q", want)
		}
	}
}
