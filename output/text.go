package output

import (
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pcapdex/pcapdex/internal/textenc"
)

// appendTableString appends s for the aligned table: ASCII control characters as \xNN and
// other unprintable runes (U+2028, ...) as \uNNNN, since they would break the alignment, and
// invalid UTF-8 as U+FFFD.
func appendTableString[S string | []byte](dst []byte, s S) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			dst = append(dst, '\\', 'x', textenc.HexDigits[c>>4], textenc.HexDigits[c&0xf])
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := textenc.DecodeRune(s, i)
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, "\uFFFD"...)
		case !unicode.IsPrint(r):
			n := 4
			if r > 0xffff {
				dst, n = append(dst, '\\', 'U'), 8
			} else {
				dst = append(dst, '\\', 'u')
			}
			for sh := 4 * (n - 1); sh >= 0; sh -= 4 {
				dst = append(dst, textenc.HexDigits[r>>sh&0xf])
			}
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// appendSig appends x (below 1000) with three significant digits and units[0], moving on to
// the next unit (scale times larger) when rounding reaches 1000.
func appendSig(dst []byte, x float64, units []string, scale float64) []byte {
	u := 0
	for {
		d := 2
		switch {
		case x >= 99.95:
			d = 0
		case x >= 9.995:
			d = 1
		}
		if math.Round(x) >= 1000 && d == 0 && u+1 < len(units) {
			x /= scale
			u++
			continue
		}
		dst = strconv.AppendFloat(dst, x, 'f', d, 64)
		dst = append(dst, ' ')
		return append(dst, units[u]...)
	}
}

var sizeNames = []string{"KB", "MB", "GB", "TB", "PB", "EB"}

// AppendHumanSize appends a byte count for people, 1000-based with three significant
// digits: 532 B, 1.23 KB, 12.3 MB, 123 GB.
func AppendHumanSize(dst []byte, n uint64) []byte {
	if n < 1000 {
		return append(strconv.AppendUint(dst, n, 10), " B"...)
	}
	x, u := float64(n)/1e3, 0
	for x >= 1000 && u+1 < len(sizeNames) {
		x /= 1000
		u++
	}
	return appendSig(dst, x, sizeNames[u:], 1000)
}

var subSecond = []string{"us", "ms", "s"}

// AppendHumanDuration appends nanoseconds for people: 850 ns, 12.3 us, 350 ms, 1.25 s,
// 5m03s, 2h05m.
func AppendHumanDuration(dst []byte, ns int64) []byte {
	u := uint64(ns)
	if ns < 0 {
		dst = append(dst, '-')
		u = -u
	}
	switch {
	case u < 1000:
		return append(strconv.AppendUint(dst, u, 10), " ns"...)
	case u < 1e6:
		return appendSig(dst, float64(u)/1e3, subSecond, 1000)
	case u < 1e9:
		return appendSig(dst, float64(u)/1e6, subSecond[1:], 1000)
	case u < 59_950e6: // below what rounds to 60.0 s
		return appendSig(dst, float64(u)/1e9, subSecond[2:], 1000)
	case u < 3599_500e6: // below what rounds to 60m00s
		s := (u + 5e8) / 1e9
		dst = strconv.AppendUint(dst, s/60, 10)
		dst = append(dst, 'm')
		return append(append2(dst, s%60), 's')
	}
	m := (u + 30e9) / 60e9
	dst = strconv.AppendUint(dst, m/60, 10)
	dst = append(dst, 'h')
	return append(append2(dst, m%60), 'm')
}

func append2(dst []byte, v uint64) []byte {
	return append(dst, byte('0'+v/10%10), byte('0'+v%10))
}

// AppendRFC3339 appends Unix nanoseconds as UTC RFC 3339 with 6 or 9 fraction digits
// (truncated, as the time package does). Times from 1970 on are formatted by hand (a
// packet command prints one per row); earlier ones go through the time package.
func AppendRFC3339(dst []byte, ns int64, digits int) []byte {
	if ns < 0 || digits != 6 && digits != 9 {
		layout := "2006-01-02T15:04:05.000000000Z07:00"
		if digits == 6 {
			layout = "2006-01-02T15:04:05.000000Z07:00"
		}
		return time.Unix(0, ns).UTC().AppendFormat(dst, layout)
	}
	sec, frac := ns/1e9, ns%1e9
	y, mo, d := civilDate(sec / 86400)
	hms := sec % 86400
	var b [30]byte
	put := func(i int, v int64, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, mo, 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, hms/3600, 2)
	b[13] = ':'
	put(14, hms/60%60, 2)
	b[16] = ':'
	put(17, hms%60, 2)
	b[19] = '.'
	if digits == 6 {
		frac /= 1000
	}
	put(20, frac, digits)
	b[20+digits] = 'Z'
	return append(dst, b[:21+digits]...)
}

// civilDate returns the proleptic Gregorian date of a day count since 1970-01-01 (>= 0),
// by Howard Hinnant's days-to-civil algorithm.
func civilDate(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// renderTable writes the buffered rows as aligned columns: numbers right-aligned, text
// left-aligned, two spaces between columns, no trailing spaces.
func (t *Table) renderTable() {
	nc := len(t.cols)
	if nc == 0 {
		return
	}
	width := t.width // kept by end as cells were set
	cell := func(k int) []byte {
		start := 0
		if k > 0 {
			start = t.ends[k-1]
		}
		return t.cells[start:t.ends[k]]
	}
	right := func(i int) bool {
		switch t.cols[i].Kind {
		case KindString, KindAddr:
			return false
		}
		return true
	}
	const spaces = "                                                                "
	pad := func(n int) {
		for ; n > len(spaces); n -= len(spaces) {
			t.buf = append(t.buf, spaces...)
		}
		if n > 0 {
			t.buf = append(t.buf, spaces[:n]...)
		}
	}
	line := func(get func(i int) []byte) {
		for i := 0; i < nc; i++ {
			v := get(i)
			gap := width[i] - textWidth(v)
			if i > 0 {
				t.buf = append(t.buf, ' ', ' ')
			}
			if right(i) {
				pad(gap)
				t.buf = append(t.buf, v...)
			} else {
				t.buf = append(t.buf, v...)
				if i < nc-1 {
					pad(gap)
				}
			}
		}
		for len(t.buf) > 0 && t.buf[len(t.buf)-1] == ' ' { // an empty last cell
			t.buf = t.buf[:len(t.buf)-1]
		}
		t.buf = append(t.buf, '\n')
		if len(t.buf) >= flushAt {
			t.flush()
		}
	}
	var name []byte
	line(func(i int) []byte { name = appendTableString(name[:0], t.cols[i].Name); return name })
	for r := 0; r < len(t.ends)/nc; r++ {
		line(func(i int) []byte { return cell(r*nc + i) })
	}
}
