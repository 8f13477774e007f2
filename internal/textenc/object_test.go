package textenc

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// TestJSONObject writes an object shaped like pcapdex info's (nested objects and arrays,
// members appended by another package's append-style function) and reads it back.
func TestJSONObject(t *testing.T) {
	b := append([]byte(nil), '{')
	b = AppendKeyString(b, "file", "a \"b\"\x7f\u2028\xff.pcap")
	b = AppendKeyUint(b, "packets", 42)
	b = AppendKeyInt(b, "tsoffset", -3)
	b = AppendKeyBool(b, "truncated", true)
	b = AppendKeyFloat(b, "bit_rate", 1234.5678, 2)
	b = AppendKeyFloat(b, "packet_rate", math.Inf(1), 2)
	b = append(AppendKey(b, "linktypes"), '[')
	for _, l := range []uint64{1, 113} {
		b = strconv.AppendUint(AppendElem(b), l, 10)
	}
	b = append(b, ']')
	b = AppendKeyStrings(b, "warnings", nil)
	b = AppendKeyStrings(b, "comments", []string{"one", "two\n"})
	b = append(AppendElem(b), `"raw_a":1,"raw_b":2`...) // members from another writer
	b = append(AppendKey(b, "interfaces"), '[')
	for _, name := range []string{"eth0", "wlan0"} {
		b = append(AppendElem(b), '{')
		b = AppendKeyString(b, "name", name)
		b = append(AppendKey(b, "ts"), '"')
		b = append(AppendSeconds(b, -1_500_000_000, 9), '"')
		b = append(b, '}')
	}
	b = append(b, ']', '}')
	want := `{"file":"a \"b\"\u007f\u2028\ufffd.pcap","packets":42,"tsoffset":-3,"truncated":true,` +
		`"bit_rate":1234.57,"packet_rate":null,"linktypes":[1,113],"warnings":[],"comments":["one","two\n"],` +
		`"raw_a":1,"raw_b":2,"interfaces":[{"name":"eth0","ts":"-1.500000000"},{"name":"wlan0","ts":"-1.500000000"}]}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	var v struct {
		File       string
		Packets    int
		Comments   []string
		Interfaces []struct{ Name, TS string }
	}
	if !json.Valid(b) {
		t.Fatal("not valid JSON")
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.File != "a \"b\"\x7f\u2028\ufffd.pcap" || v.Packets != 42 || v.Comments[1] != "two\n" || v.Interfaces[1].Name != "wlan0" {
		t.Errorf("decoded %+v", v)
	}
}
