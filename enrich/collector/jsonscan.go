package collector

import (
	"unicode"
	"unicode/utf8"
)

// jacksonFirstValueValid reports whether Jackson (default features), as
// json4s's parse(String) used it, reads a first JSON value from b without
// error: leading whitespace, one strict JSON value, and nothing after it
// checked except that a top-level number must be followed by whitespace or
// the end and a top-level literal must not run into an identifier
// character. Content after the first value is ignored, as Jackson did.
// The scan is iterative: nesting depth costs no stack.
func jacksonFirstValueValid(b []byte) bool {
	i := skipJSONSpace(b, 0)
	if i < 0 || i >= len(b) {
		return false
	}
	var stack []byte // open containers: '{' or '['
	for {
		// Parse one value at i.
		switch c := b[i]; {
		case c == '{' || c == '[':
			stack = append(stack, c)
			i = skipJSONSpace(b, i+1)
			if i < 0 || i >= len(b) {
				return false
			}
			if (c == '{' && b[i] == '}') || (c == '[' && b[i] == ']') {
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				if i = jsonKey(b, i); i < 0 {
					return false
				}
			}
			continue
		case c == '"':
			if i = jsonString(b, i); i < 0 {
				return false
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if i = jsonNumber(b, i); i < 0 {
				return false
			}
			if len(stack) == 0 {
				// Root-level numbers need a separating space (or the end).
				return i == len(b) || b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'
			}
		case c == 't' || c == 'f' || c == 'n':
			if i = jsonLiteral(b, i); i < 0 {
				return false
			}
		default:
			return false
		}
		// After a value: close containers or continue with ','.
		for {
			if len(stack) == 0 {
				return true
			}
			i = skipJSONSpace(b, i)
			if i < 0 || i >= len(b) {
				return false
			}
			top := stack[len(stack)-1]
			if (top == '{' && b[i] == '}') || (top == '[' && b[i] == ']') {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if b[i] != ',' {
				return false
			}
			i = skipJSONSpace(b, i+1)
			if i < 0 || i >= len(b) {
				return false
			}
			if top == '{' {
				if i = jsonKey(b, i); i < 0 {
					return false
				}
			}
			break
		}
	}
}

// skipJSONSpace skips Jackson's whitespace (space, tab, CR, LF); another
// control character is an error (-1).
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) {
		switch c := b[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c < 0x20:
			return -1
		default:
			return i
		}
	}
	return i
}

// jsonKey parses `"name" :` and the whitespace after the colon.
func jsonKey(b []byte, i int) int {
	if b[i] != '"' {
		return -1
	}
	if i = jsonString(b, i); i < 0 {
		return -1
	}
	if i = skipJSONSpace(b, i); i < 0 || i >= len(b) || b[i] != ':' {
		return -1
	}
	if i = skipJSONSpace(b, i+1); i < 0 || i >= len(b) {
		return -1
	}
	return i
}

func jsonString(b []byte, i int) int {
	i++ // opening quote
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(b) {
					return -1
				}
				for k := 2; k < 6; k++ {
					if !isHex(b[i+k]) {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		default:
			i++
		}
	}
	return -1
}

func jsonNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		return -1
	}
	if b[i] == '0' {
		i++
		if i < len(b) && b[i] >= '0' && b[i] <= '9' {
			return -1 // leading zeroes
		}
	} else {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return -1
		}
	}
	return i
}

// jsonLiteral matches true, false or null; like Jackson it rejects a
// literal followed by a Java identifier character ("truex").
func jsonLiteral(b []byte, i int) int {
	var lit string
	switch b[i] {
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	default:
		lit = "null"
	}
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	i += len(lit)
	if i < len(b) {
		c := b[i]
		if c >= '0' && c != ']' && c != '}' {
			r, _ := utf8.DecodeRune(b[i:])
			if javaIdentifierPart(r) {
				return -1
			}
		}
	}
	return i
}

// javaIdentifierPart approximates Character.isJavaIdentifierPart.
func javaIdentifierPart(r rune) bool {
	switch {
	case r == '_' || r == '$':
		return true
	case r < 0x80:
		return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') ||
			(r <= 0x08) || (r >= 0x0e && r <= 0x1b) || r == 0x7f
	case r <= 0x9f:
		return true // ignorable control characters
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) ||
		unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Sc, r) || unicode.Is(unicode.Cf, r)
}
