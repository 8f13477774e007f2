package textenc

import (
	"math"
	"strconv"
)

// JSON objects and arrays of any nesting, written append-style into the caller's buffer
// with the repository's one string escaper (for reports such as pcapdex info --format
// json, whose shape is not rows). The writer keeps no state: a member or element is
// preceded by a comma unless dst ends with the '{' or '[' that opened its object or array.
//
//	b = append(b, '{')
//	b = textenc.AppendKeyString(b, "file", name)
//	b = textenc.AppendKeyUint(b, "packets", n)
//	b = append(textenc.AppendKey(b, "linktypes"), '[')
//	for _, l := range links {
//		b = strconv.AppendUint(textenc.AppendElem(b), uint64(l), 10)
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
	return append(AppendJSONString(AppendElem(dst), k), ':')
}

// AppendString appends s as a JSON string.
func AppendString(dst []byte, s string) []byte { return AppendJSONString(dst, s) }

// AppendKeyString appends the member k with the string value v.
func AppendKeyString(dst []byte, k, v string) []byte {
	return AppendJSONString(AppendKey(dst, k), v)
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
		dst = AppendJSONString(AppendElem(dst), s)
	}
	return append(dst, ']')
}

// AppendSeconds appends ns as seconds with the given number of fraction digits (1 to 9,
// truncated): AppendSeconds(dst, -1_500_000_000, 9) appends "-1.500000000".
func AppendSeconds(dst []byte, ns int64, digits int) []byte {
	u := uint64(ns)
	if ns < 0 {
		dst = append(dst, '-')
		u = -u
	}
	dst = strconv.AppendUint(dst, u/1e9, 10)
	dst = append(dst, '.')
	frac := u % 1e9
	for i := 9; i > digits; i-- {
		frac /= 10
	}
	var b [9]byte
	for i := digits - 1; i >= 0; i-- {
		b[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(dst, b[:digits]...)
}
