package textenc

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// TestJSONRule pins the escaping of every special case, and that encoding/json accepts
// the result and decodes it back to the intended string.
func TestJSONRule(t *testing.T) {
	for _, tc := range []struct{ in, want, back string }{
		{"", `""`, ""},
		{"plain", `"plain"`, "plain"},
		{`a"b\c`, `"a\"b\\c"`, `a"b\c`},
		{"\n\r\t", `"\n\r\t"`, "\n\r\t"},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`, "\x00\x01\x1f"},
		{"del\x7f", `"del\u007f"`, "del\x7f"},
		{"ls\u2028ps\u2029", `"ls\u2028ps\u2029"`, "ls\u2028ps\u2029"},
		{"bad\xff\xfeend", `"bad\ufffd\ufffdend"`, "bad\ufffd\ufffdend"},
		{"\xe2\x80", `"\ufffd\ufffd"`, "\ufffd\ufffd"}, // a truncated U+2028
		{"ünï €", `"ünï €"`, "ünï €"},
		{"</script>", `"</script>"`, "</script>"},
	} {
		got := AppendJSONString(nil, tc.in)
		if string(got) != tc.want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if b := AppendJSONString(nil, []byte(tc.in)); !bytes.Equal(b, got) {
			t.Errorf("%q: string and []byte encodings differ: %s, %s", tc.in, got, b)
		}
		if !json.Valid(got) {
			t.Errorf("%q: encoding/json rejects %s", tc.in, got)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != tc.back {
			t.Errorf("%s decodes to %q (%v), want %q", got, back, err, tc.back)
		}
	}
}

func TestCSVField(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain", "plain"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"x\ny", "\"x\ny\""},
		{"\xff", "\ufffd"},
	} {
		if got := string(AppendCSVField(nil, tc.in)); got != tc.want {
			t.Errorf("AppendCSVField(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzEncoders checks that any bytes come out as valid JSON and CSV that decode back to
// the input (with invalid UTF-8 replaced).
func FuzzEncoders(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", "\"q\"", "x\ny\r\n", "\xff\xfe", "\u2028", "\x00\x1f\x7f", "ünï"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		valid := validEach(s)
		j := AppendJSONString(nil, []byte(s))
		var back string
		if !json.Valid(j) {
			t.Fatalf("JSON %q of %q is not valid", j, s)
		}
		if err := json.Unmarshal(j, &back); err != nil {
			t.Fatalf("JSON %q of %q: %v", j, s, err)
		}
		if back != valid {
			t.Fatalf("JSON of %q decodes to %q, want %q", s, back, valid)
		}
		if js := AppendJSONString(nil, s); !bytes.Equal(js, j) {
			t.Fatalf("string and []byte encodings differ")
		}
		c := AppendCSVField(nil, s)
		r := csv.NewReader(bytes.NewReader(append(c, '\n')))
		rec, err := r.Read()
		want := strings.ReplaceAll(valid, "\r\n", "\n") // encoding/csv folds CRLF in quoted fields
		if err != nil || len(rec) != 1 || rec[0] != want {
			t.Fatalf("CSV %q of %q reads back as %q, %v", c, s, rec, err)
		}
	})
}

// validEach replaces each byte of invalid UTF-8 in s by U+FFFD, as the encoders do.
func validEach(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
