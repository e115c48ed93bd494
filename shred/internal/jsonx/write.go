package jsonx

import (
	"math"
	"strconv"
	"strings"
)

const hexUpper = "0123456789ABCDEF"

// AppendQuoted appends s as a JSON string the way Jackson's
// CharTypes.appendQuoted did: '"' and '\\' escaped, \b \t \n \f \r as short
// escapes, other characters below U+0020 as \u00XX (upper-case hex),
// everything else (including non-ASCII) verbatim.
func AppendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Append appends v in compact form as Jackson's JsonNode.toString() rendered
// it: members in order, integers as their digits ("-0" as "0"), other
// numbers as java.lang.Double.toString would print the parsed double.
func Append(dst []byte, v *Value) []byte {
	switch v.Kind {
	case Null:
		return append(dst, "null"...)
	case Bool:
		if v.True {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return AppendNumber(dst, v)
	case String:
		return AppendQuoted(dst, v.Str)
	case Array:
		dst = append(dst, '[')
		for i := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = Append(dst, &v.Elems[i])
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		for i := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, v.Keys[i])
			dst = append(dst, ':')
			dst = Append(dst, &v.Elems[i])
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

// AppendNumber appends a Number as Jackson printed it.
func AppendNumber(dst []byte, v *Value) []byte {
	if !v.Float {
		if v.Str == "-0" {
			return append(dst, '0')
		}
		return append(dst, v.Str...)
	}
	f, _ := strconv.ParseFloat(v.Str, 64) // out of range gives ±Inf, as Double.parseDouble
	return AppendJavaDouble(dst, f)
}

// AppendJavaDouble appends f as java.lang.Double.toString renders it:
// "NaN", "Infinity", plain decimal with at least one fractional digit for
// 1e-3 <= |f| < 1e7, otherwise computerized scientific notation ("1.0E10",
// "1.5E-5"). Digits are the shortest that round-trip.
func AppendJavaDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		if !strings.ContainsRune(string(dst[start:]), '.') {
			dst = append(dst, '.', '0')
		}
		return dst
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // d.ddde±xx
	e := strings.IndexByte(string(s), 'e')
	mant, exp := s[:e], s[e+1:]
	dst = append(dst, mant...)
	if !strings.ContainsRune(string(mant), '.') {
		dst = append(dst, '.', '0')
	}
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = exp[1:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
}
