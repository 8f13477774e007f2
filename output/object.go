package output

import (
	"math"
	"strconv"

	"github.com/pcapdex/pcapdex/internal/textenc"
)

// JSON objects and arrays of any nesting, written append-style into the caller's buffer
// with the repository's one string escaper (for reports such as pcapdex info --format
// json, whose shape is not rows). The writer keeps no state: a member or element is
// preceded by a comma unless dst ends with the '{' or '[' that opened its object or array.
//
//	b = append(b, '{')
//	b = output.AppendKeyString(b, "file", name)
//	b = output.AppendKeyUint(b, "packets", n)
//	b = append(output.AppendKey(b, "linktypes"), '[')
//	for _, l := range links {
//		b = strconv.AppendUint(output.AppendElem(b), uint64(l), 10)
//	}
//	b = append(b, ']', '}')

// AppendElem appends the comma that separates an element (or a member) from the one
// before it, unless dst ends with '{' or '['.
func AppendElem(dst []byte) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	return dst
}

// AppendKey appends an object member's key: a comma unless the object just opened, the
// key as a JSON string, and a colon. The value follows.
func AppendKey(dst []byte, k string) []byte {
	return append(textenc.AppendJSONString(AppendElem(dst), k), ':')
}

// AppendString appends s as a JSON string.
func AppendString(dst []byte, s string) []byte { return textenc.AppendJSONString(dst, s) }

// AppendKeyString appends the member k with the string value v.
func AppendKeyString(dst []byte, k, v string) []byte {
	return textenc.AppendJSONString(AppendKey(dst, k), v)
}

// AppendKeyUint appends the member k with the integer value v.
func AppendKeyUint(dst []byte, k string, v uint64) []byte {
	return strconv.AppendUint(AppendKey(dst, k), v, 10)
}

// AppendKeyInt appends the member k with the integer value v.
func AppendKeyInt(dst []byte, k string, v int64) []byte {
	return strconv.AppendInt(AppendKey(dst, k), v, 10)
}

// AppendKeyBool appends the member k with the value true or false.
func AppendKeyBool(dst []byte, k string, v bool) []byte {
	return strconv.AppendBool(AppendKey(dst, k), v)
}

// AppendKeyFloat appends the member k with v in fixed notation with prec decimals; NaN
// and infinities, which JSON cannot hold, as null.
func AppendKeyFloat(dst []byte, k string, v float64, prec int) []byte {
	dst = AppendKey(dst, k)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'f', prec, 64)
}

// AppendKeyStrings appends the member k with an array of strings.
func AppendKeyStrings(dst []byte, k string, v []string) []byte {
	dst = append(AppendKey(dst, k), '[')
	for _, s := range v {
		dst = textenc.AppendJSONString(AppendElem(dst), s)
	}
	return append(dst, ']')
}

// AppendLabel appends a "Label:" of a key: value report, padded with spaces to width
// columns (at least one space), as pcapdex info's table does; the value follows.
func AppendLabel(dst []byte, label string, width int) []byte {
	dst = append(append(dst, label...), ':')
	for i := len(label) + 1; i < width; i++ {
		dst = append(dst, ' ')
	}
	if len(label)+1 >= width {
		dst = append(dst, ' ')
	}
	return dst
}
