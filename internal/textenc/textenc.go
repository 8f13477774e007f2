// Package textenc holds pcapdex's one JSON string escaper and its one CSV field escaper, so
// that every room writing text (index's per-file info, the output package, the CLI) agrees
// on them. They append to a caller's buffer and allocate nothing.
//
// The JSON rule: quotes and backslashes escaped; \n, \r and \t as such; the other control
// characters (below 0x20) and DEL (0x7f) as \u00XX; U+2028 and U+2029 as \u2028 and
// \u2029 (JavaScript line terminators); each byte of invalid UTF-8 as \ufffd. The result is
// valid UTF-8 and valid JSON whatever the input, and decodes back to the input with each
// invalid byte replaced by U+FFFD.
package textenc

import "unicode/utf8"

// HexDigits are the lower-case hexadecimal digits.
const HexDigits = "0123456789abcdef"

// DecodeRune decodes the rune at s[i] for strings and byte slices alike, without converting.
func DecodeRune[S string | []byte](s S, i int) (rune, int) {
	var b [utf8.UTFMax]byte
	n := copy(b[:], s[i:])
	return utf8.DecodeRune(b[:n])
}

// AppendJSONString appends s as a JSON string (quotes included) by the package's rule.
func AppendJSONString[S string | []byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default: // other control characters and DEL
				dst = append(dst, '\\', 'u', '0', '0', HexDigits[c>>4], HexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := DecodeRune(s, i)
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			switch r {
			case '\u2028':
				dst = append(dst, `\u2028`...)
			case '\u2029':
				dst = append(dst, `\u2029`...)
			default:
				dst = append(dst, `\ufffd`...)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendValidUTF8 appends s with each byte of invalid UTF-8 replaced by U+FFFD.
func AppendValidUTF8[S string | []byte](dst []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := DecodeRune(s, i)
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			start = i + 1
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// AppendCSVField appends s as a CSV field per RFC 4180: quoted (with quotes doubled) when
// it holds a comma, quote, CR or LF, and as "" when empty so that it differs from a null
// (empty, unquoted) field. Invalid UTF-8 is replaced by U+FFFD.
func AppendCSVField[S string | []byte](dst []byte, s S) []byte {
	quote := len(s) == 0
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote {
		return AppendValidUTF8(dst, s)
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = AppendValidUTF8(dst, s[start:i+1])
			dst = append(dst, '"')
			start = i + 1
		}
	}
	dst = AppendValidUTF8(dst, s[start:])
	return append(dst, '"')
}
