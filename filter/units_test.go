package filter

import (
	"testing"
)

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		err  string
	}{
		{"0", 0, ""},
		{"1500", 1500, ""},
		{"1B", 1, ""},
		{"1KB", 1000, ""},
		{"1kb", 1000, ""},
		{"1MB", 1_000_000, ""},
		{"1GB", 1_000_000_000, ""},
		{"2TB", 2_000_000_000_000, ""},
		{"1KiB", 1024, ""},
		{"1kib", 1024, ""},
		{"1MiB", 1 << 20, ""},
		{"1GiB", 1 << 30, ""},
		{"1TiB", 1 << 40, ""},
		{"1.5KB", 1500, ""},
		{"1.5KiB", 1536, ""},
		{"0.0005KB", 1, ""}, // 0.5 B rounds to nearest
		{"0.0004KB", 0, ""},
		{".5MB", 500_000, ""},
		{"1.000000000000000000001GB", 1_000_000_000, ""},
		{"18446744073709551615", 18446744073709551615, ""},
		{"18446744073709551616", 0, "value too large"},
		{"16777216TiB", 0, "value too large"},
		{"1.5", 0, "a fraction needs a unit"},
		{"1.5B", 2, ""},
		{"1.4B", 1, ""},
		{"", 0, "not a number"},
		{"MB", 0, "not a number"},
		{"1.MB", 0, "not a number"},
		{"1..5MB", 0, "not a number"},
		{"1XB", 0, `unknown size unit "XB" (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`},
		{"-1", 0, `unknown size unit "-1" (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`},
	}
	for _, tc := range cases {
		got, err := ParseSize(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseSize(%q) = %d, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		err  string
	}{
		{"0", 0, ""},
		{"1ns", 1, ""},
		{"1us", 1000, ""},
		{"1µs", 1000, ""},
		{"300ms", 300_000_000, ""},
		{"1.5s", 1_500_000_000, ""},
		{"5s", 5_000_000_000, ""},
		{"2m", 120_000_000_000, ""},
		{"1h", 3_600_000_000_000, ""},
		{"0.1ns", 0, ""},
		{"0.5ns", 1, ""},
		{"1.0000000001s", 1_000_000_000, ""},
		{"5", 0, "a duration needs a unit (ns, us, ms, s, m, h)"},
		{"0.4", 0, "a duration needs a unit (ns, us, ms, s, m, h)"},
		{"5S", 0, `unknown duration unit "S" (use ns, us, ms, s, m, h)`},
		{"5d", 0, `unknown duration unit "d" (use ns, us, ms, s, m, h)`},
		{"99999999999h", 0, "value too large"},
	}
	for _, tc := range cases {
		got, err := ParseDuration(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseDuration(%q) = %d, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for ns, want := range map[uint64]string{0: "0", 1: "1ns", 1500: "1500ns", 2000: "2us", 300e6: "300ms", 1500e6: "1500ms", 90e9: "90s", 120e9: "2m", 7200e9: "2h"} {
		if got := string(appendExactDuration(nil, ns)); got != want {
			t.Errorf("appendExactDuration(%d) = %q, want %q", ns, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	const start = 1709294400_000000000 // 2024-03-01T12:00:00Z
	cases := []struct {
		in       string
		relative bool
		nanos    int64
		err      string
	}{
		{"2024-03-01T12:00:00Z", false, start, ""},
		{"2024-03-01T12:00:00.25Z", false, start + 250_000_000, ""},
		{"2024-03-01T12:00:00.123456789Z", false, start + 123456789, ""},
		{"2024-03-01T13:00:00+01:00", false, start, ""},
		{"1709294400", false, start, ""},
		{"1709294400.5", false, start + 500_000_000, ""},
		{"1709294400.000000001", false, start + 1, ""},
		{"0", false, 0, ""},
		{"+30s", true, 30e9, ""},
		{"+5m", true, 300e9, ""},
		{"+1.5h", true, 5400e9, ""},
		{"+0", true, 0, ""},
		{"2024-03-01 12:00:00", false, 0, `time "2024-03-01 12:00:00": not RFC 3339 (2006-01-02T15:04:05.999Z07:00)`},
		{"2024-03-01T12:00:00", false, 0, `time "2024-03-01T12:00:00": not RFC 3339 (2006-01-02T15:04:05.999Z07:00)`},
		{"3000-01-01T00:00:00Z", false, 0, `time "3000-01-01T00:00:00Z": year out of range 1678..2261`},
		{"+30", false, 0, `time "+30": a duration needs a unit (ns, us, ms, s, m, h)`},
		{"+", false, 0, `time "+": not a number`},
		{"abc", false, 0, `time "abc": want RFC 3339, epoch seconds or +DURATION`},
		{"99999999999", false, 0, `time "99999999999": want RFC 3339, epoch seconds or +DURATION`},
		{"", false, 0, `time "": want RFC 3339, epoch seconds or +DURATION`},
	}
	for _, tc := range cases {
		got, err := ParseTime(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseTime(%q) = %+v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.Relative != tc.relative || got.Nanos != tc.nanos {
			t.Errorf("ParseTime(%q) = %+v, %v; want relative=%v nanos=%d", tc.in, got, err, tc.relative, tc.nanos)
		}
	}
	rel, _ := ParseTime("+30s")
	abs, _ := ParseTime("1709294400")
	if got := rel.Resolve(start); got != start+30e9 {
		t.Errorf("Resolve relative: %d", got)
	}
	if got := abs.Resolve(12345); got != start {
		t.Errorf("Resolve absolute: %d", got)
	}
}
