package enrich

import (
	"strings"
	"unicode/utf16"

	"github.com/furrowdata/furrow/enrich/enrichment"
)

// parseQuerystring is Apache HttpClient 4's URLEncodedUtils.parse(uri,
// encoding) on a raw query as R108's ConversionUtils.extractQuerystring
// used it: parameters separated by '&' or ';', split at the first '=',
// names and values form-decoded ('+' is a space, malformed escapes kept),
// empty names dropped, surrounding whitespace trimmed.
func parseQuerystring(raw string, cs javaCharset) enrichment.Query {
	return appendQuerystring(nil, raw, cs)
}

// appendQuerystring is parseQuerystring appending to q; nil when there is
// no parameter (whatever q was).
func appendQuerystring(q enrichment.Query, raw string, cs javaCharset) enrichment.Query {
	if raw == "" {
		return nil
	}
	for len(raw) > 0 {
		end := strings.IndexAny(raw, "&;")
		tok := raw
		if end >= 0 {
			tok, raw = raw[:end], raw[end+1:]
		} else {
			raw = ""
		}
		name, value, hasValue := strings.Cut(tok, "=")
		name = collapseSpace(name)
		if name == "" {
			continue
		}
		p := enrichment.QueryParam{Name: formDecode(name, cs)}
		if hasValue {
			p.Value = formDecode(collapseSpace(value), cs)
		} else {
			p.Null = true
		}
		q = append(q, p)
	}
	if len(q) == 0 {
		return nil
	}
	return q
}

// collapseSpace trims whitespace and collapses inner runs into one space, as
// HttpClient's TokenParser did (java.net.URI admits none in a raw query, so
// this rarely matters).
func collapseSpace(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }), " ")
}

// formDecode is URLEncodedUtils.decodeFormFields (HttpClient 4.x
// urlDecode with '+' as blank) over Java chars: "%XX" becomes a byte, a '%'
// with two non-hex chars keeps all three, '+' becomes a space and any other
// char is cast to a byte (non-ASCII chars are truncated, as Java's
// (byte) cast did); the bytes are then read in the charset.
func formDecode(s string, cs javaCharset) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 && isASCII(s) {
		return s
	}
	var units []uint16
	if isASCII(s) {
		units = make([]uint16, len(s))
		for i := 0; i < len(s); i++ {
			units[i] = uint16(s[i])
		}
	} else {
		units = utf16.Encode([]rune(s))
	}
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
	return decodeBytes(buf, cs)
}

// javaHexDigit is Character.digit(c, 16) for the ASCII and fullwidth forms.
func javaHexDigit(c uint16) int {
	switch {
	case c < 0x80:
		return hexVal(byte(c))
	case c >= 0xFF10 && c <= 0xFF19:
		return int(c - 0xFF10)
	case c >= 0xFF21 && c <= 0xFF26:
		return int(c-0xFF21) + 10
	case c >= 0xFF41 && c <= 0xFF46:
		return int(c-0xFF41) + 10
	}
	if d := javaDigit(rune(c)); d >= 0 {
		return d
	}
	return -1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
