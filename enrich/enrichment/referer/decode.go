package referer

import (
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/furrowdata/furrow/internal/javautil"
)

// decodePath is java.net.URI's getPath decoding of a raw path: each run of
// %XX escapes is decoded as UTF-8 (malformed input replaced by U+FFFD);
// escapes between '[' and ']' are kept; a '%' not followed by two hex
// digits (which java.net.URI would have rejected) is kept as is.
func decodePath(raw string) string {
	if strings.IndexByte(raw, '%') < 0 {
		return raw
	}
	var sb strings.Builder
	var bytes, text []byte
	brackets := false
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '[' {
			brackets = true
		} else if brackets && c == ']' {
			brackets = false
		}
		if c != '%' || brackets || i+2 >= len(raw) || javautil.HexVal(raw[i+1]) < 0 || javautil.HexVal(raw[i+2]) < 0 {
			sb.WriteByte(c)
			i++
			continue
		}
		bytes = bytes[:0]
		for i+2 < len(raw) && raw[i] == '%' && javautil.HexVal(raw[i+1]) >= 0 && javautil.HexVal(raw[i+2]) >= 0 {
			bytes = append(bytes, byte(javautil.HexVal(raw[i+1])<<4|javautil.HexVal(raw[i+2])))
			i += 3
		}
		text = javautil.AppendUTF8(text[:0], bytes)
		sb.Write(text)
	}
	return sb.String()
}

// searchTerm is the value of the first query parameter named like one of
// params, as referer-parser 0.3.0 found it with Apache HttpClient's
// URLEncodedUtils: the query is cut at '&' and ';' (one leading separator
// skipped), each piece split at its first '=', name and value trimmed
// (Java's String.trim) and form-decoded. A parameter without '=' has a
// null value: "" is returned for null and for no match.
func searchTerm(rawQuery string, params []string) string {
	q := rawQuery
	if q != "" && (q[0] == '&' || q[0] == ';') {
		q = q[1:]
	}
	for len(q) > 0 {
		piece := q
		if i := strings.IndexAny(q, "&;"); i >= 0 {
			piece, q = q[:i], q[i+1:]
		} else {
			q = ""
		}
		name, value, hasValue := strings.Cut(piece, "=")
		name = formDecode(javaTrim(name))
		for _, p := range params {
			if name == p {
				if !hasValue {
					return ""
				}
				return formDecode(javaTrim(value))
			}
		}
	}
	return ""
}

// formDecode is URLEncodedUtils.decodeFormFields with UTF-8: "%XX" becomes
// a byte (Character.digit rules), a '%' followed by two other characters
// keeps all three, '+' becomes a space, any other character becomes the low
// 8 bits of its UTF-16 code unit(s); the bytes are then decoded as UTF-8
// with replacement.
func formDecode(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c == '+' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	units := utf16.Encode([]rune(s)) // invalid UTF-8 bytes become U+FFFD
	buf := make([]byte, 0, len(units))
	for i := 0; i < len(units); i++ {
		c := units[i]
		switch {
		case c == '%' && len(units)-i-1 >= 2:
			uc, lc := units[i+1], units[i+2]
			i += 2
			u, l := javaHexDigit(uc), javaHexDigit(lc)
			if u >= 0 && l >= 0 {
				buf = append(buf, byte(u<<4+l))
			} else {
				buf = append(buf, '%', byte(uc), byte(lc))
			}
		case c == '+':
			buf = append(buf, ' ')
		default:
			buf = append(buf, byte(c))
		}
	}
	return javautil.UTF8(buf)
}

// javaHexDigit is Character.digit(c, 16): ASCII and fullwidth Latin letters
// a-f, and any Unicode decimal digit.
func javaHexDigit(c uint16) int {
	switch {
	case c < 0x80:
		return javautil.HexVal(byte(c))
	case c >= 0xFF21 && c <= 0xFF26:
		return int(c-0xFF21) + 10
	case c >= 0xFF41 && c <= 0xFF46:
		return int(c-0xFF41) + 10
	}
	r := rune(c)
	if !unicode.IsDigit(r) {
		return -1
	}
	// Decimal digits come in runs of ten starting at zero.
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10
}
