package filter

import (
	"errors"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Unit suffixes. Sizes: B; KB MB GB TB are powers of 1000 and KiB MiB GiB TiB powers of 1024,
// case-insensitive ("1mb" == "1MB"; "1mib" == "1MiB"). Durations: ns, us (or µs), ms, s, m, h.
// A number may carry a fraction before its suffix: "1.5MB", "0.25s"; the result is rounded to
// the nearest byte or nanosecond.

var sizeUnits = []struct {
	suffix string
	mult   uint64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1},
}

var durationUnits = []struct {
	suffix string
	mult   uint64
}{
	{"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
}

var (
	errNumber   = errors.New("not a number")
	errOverflow = errors.New("value too large")
	errFraction = errors.New("a fraction needs a unit")
)

// scaleDecimal returns the decimal number num ("12", "1.5") times mult, rounded to nearest.
func scaleDecimal(num string, mult uint64) (uint64, error) {
	ip, fp, hasDot := strings.Cut(num, ".")
	if ip == "" && fp == "" || hasDot && fp == "" {
		return 0, errNumber
	}
	var iv uint64
	for i := 0; i < len(ip); i++ {
		c := ip[i]
		if c < '0' || c > '9' {
			return 0, errNumber
		}
		hi, lo := bits.Mul64(iv, 10)
		if hi != 0 || lo+uint64(c-'0') < lo {
			return 0, errOverflow
		}
		iv = lo + uint64(c-'0')
	}
	hi, v := bits.Mul64(iv, mult)
	if hi != 0 {
		return 0, errOverflow
	}
	if fp == "" {
		return v, nil
	}
	var fv, pow uint64 = 0, 1
	for i := 0; i < len(fp); i++ {
		c := fp[i]
		if c < '0' || c > '9' {
			return 0, errNumber
		}
		if i < 18 { // digits past 10^-18 cannot change the result for mult <= 2^40
			fv = fv*10 + uint64(c-'0')
			pow *= 10
		}
	}
	fhi, flo := bits.Mul64(fv, mult)
	q, r := bits.Div64(fhi, flo, pow) // fv < pow, so the quotient fits
	if r >= pow-r {
		q++
	}
	if v+q < v {
		return 0, errOverflow
	}
	return v + q, nil
}

// splitNumber splits "1.5MB" into "1.5" and "MB".
func splitNumber(s string) (num, suffix string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], s[i:]
}

// ParseSize parses a byte count with an optional size suffix: "1500", "1MB", "1.5KiB".
func ParseSize(s string) (uint64, error) {
	num, suf := splitNumber(s)
	mult := uint64(1)
	if suf == "" && strings.Contains(num, ".") {
		if _, err := scaleDecimal(num, 1); err != nil {
			return 0, err
		}
		return 0, errFraction
	}
	if suf != "" {
		mult = 0
		for _, u := range sizeUnits {
			if strings.EqualFold(suf, u.suffix) {
				mult = u.mult
				break
			}
		}
		if mult == 0 {
			return 0, errors.New("unknown size unit " + strconv.Quote(suf) + " (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)")
		}
	}
	return scaleDecimal(num, mult)
}

// ParseDuration parses a duration with a unit suffix: "300ms", "1.5s", "2m"; "0" needs none.
// It returns nanoseconds.
func ParseDuration(s string) (uint64, error) {
	num, suf := splitNumber(s)
	if suf == "" {
		v, err := scaleDecimal(num, 1)
		if err == nil && (v != 0 || strings.Contains(num, ".")) {
			return 0, errors.New("a duration needs a unit (ns, us, ms, s, m, h)")
		}
		return v, err
	}
	for _, u := range durationUnits {
		if suf == u.suffix {
			return scaleDecimal(num, u.mult)
		}
	}
	return 0, errors.New("unknown duration unit " + strconv.Quote(suf) + " (use ns, us, ms, s, m, h)")
}

// ParseCount parses a plain unsigned integer.
func ParseCount(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, errOverflow
		}
		return 0, errNumber
	}
	return v, nil
}

// appendExactDuration appends ns with the largest unit that divides it exactly, so that the
// text parses back to the same value: 300000000 -> "300ms", 90e9 -> "90s".
func appendExactDuration(dst []byte, ns uint64) []byte {
	if ns == 0 {
		return append(dst, '0')
	}
	for _, u := range [...]struct {
		mult uint64
		suf  string
	}{{3600e9, "h"}, {60e9, "m"}, {1e9, "s"}, {1e6, "ms"}, {1e3, "us"}} {
		if ns%u.mult == 0 {
			return append(strconv.AppendUint(dst, ns/u.mult, 10), u.suf...)
		}
	}
	return append(strconv.AppendUint(dst, ns, 10), "ns"...)
}

// TimeSpec is a point in time given to --since or --until: absolute (Unix nanoseconds) or an
// offset from the start of the capture, which only the caller knows; Resolve settles it.
type TimeSpec struct {
	Relative bool
	Nanos    int64 // Unix nanoseconds, or the offset from the capture start when Relative
}

// Resolve returns the Unix nanoseconds the spec names, for a capture starting at start
// (Unix nanoseconds).
func (t TimeSpec) Resolve(start int64) int64 {
	if t.Relative {
		return start + t.Nanos
	}
	return t.Nanos
}

// ParseTime parses a --since/--until value: RFC 3339 with optional fractional seconds
// ("2024-03-01T12:00:00.25Z"), Unix epoch seconds with an optional fraction
// ("1709294400.25"), or "+DURATION" relative to the capture start ("+30s", "+5m", "+1.5h").
func ParseTime(s string) (TimeSpec, error) {
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		ns, err := ParseDuration(rest)
		if err == nil && ns > 1<<63-1 {
			err = errOverflow
		}
		if err != nil {
			return TimeSpec{}, errors.New("time " + strconv.Quote(s) + ": " + err.Error())
		}
		return TimeSpec{Relative: true, Nanos: int64(ns)}, nil
	}
	if strings.ContainsAny(s, "T-:") {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return TimeSpec{}, errors.New("time " + strconv.Quote(s) + ": not RFC 3339 (2006-01-02T15:04:05.999Z07:00)")
		}
		if y := t.Year(); y < 1678 || y > 2261 {
			return TimeSpec{}, errors.New("time " + strconv.Quote(s) + ": year out of range 1678..2261")
		}
		return TimeSpec{Nanos: t.UnixNano()}, nil
	}
	ns, err := scaleDecimal(s, 1e9)
	if err == nil && ns > 1<<63-1 {
		err = errOverflow
	}
	if err != nil {
		return TimeSpec{}, errors.New("time " + strconv.Quote(s) + ": want RFC 3339, epoch seconds or +DURATION")
	}
	return TimeSpec{Nanos: int64(ns)}, nil
}
