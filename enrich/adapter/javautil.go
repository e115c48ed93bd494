package adapter

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/furrowdata/furrow/internal/javautil"
)

// This file re-creates the few JVM library behaviours the R108 adapters
// leaned on beyond those in internal/javautil (Java's UTF-8 decoding with
// replacement, commons-codec's lenient Base64 decoding): java.net.URLDecoder,
// Apache HttpClient's URLEncodedUtils.parse (incl. the java.net.URI check it
// ran through first), commons-codec's URL-safe Base64 encoding, and the
// number parsers (Integer.parseInt, Long.parseLong, Double.parseDouble).

// urlDecode is java.net.URLDecoder.decode(s, "UTF-8"): '+' becomes a space,
// runs of %XX escapes are decoded as UTF-8 bytes (malformed bytes replaced),
// and a malformed escape is an error.
func urlDecode(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	rs := []rune(s)
	n := len(rs)
	var b strings.Builder
	b.Grow(len(s))
	var buf []byte
	for i := 0; i < n; {
		switch c := rs[i]; c {
		case '+':
			b.WriteByte(' ')
			i++
		case '%':
			buf = buf[:0]
			for i+2 < n && rs[i] == '%' {
				v, err := javaParseHexByte(rs[i+1], rs[i+2])
				if err != nil {
					return "", err
				}
				buf = append(buf, v)
				i += 3
			}
			if i < n && rs[i] == '%' {
				return "", errors.New("URLDecoder: Incomplete trailing escape (%) pattern")
			}
			b.WriteString(javautil.UTF8(buf))
		default:
			b.WriteRune(c)
			i++
		}
	}
	return b.String(), nil
}

// javaParseHexByte is Integer.parseInt(two chars, 16) as URLDecoder used
// it: a leading '+' is accepted, a negative value is an error.
func javaParseHexByte(h1, h2 rune) (byte, error) {
	hv := func(r rune) int {
		if r >= 0x80 {
			return -1
		}
		return javautil.HexVal(byte(r))
	}
	switch {
	case h1 == '-' && hv(h2) >= 0:
		return 0, errors.New("URLDecoder: Illegal hex characters in escape (%) pattern - negative value")
	case h1 == '+' && hv(h2) >= 0:
		return byte(hv(h2)), nil
	}
	hi, lo := hv(h1), hv(h2)
	if hi < 0 || lo < 0 {
		return 0, errors.New(`URLDecoder: Illegal hex characters in escape (%) pattern - For input string: "` + string([]rune{h1, h2}) + `"`)
	}
	return byte(hi<<4 | lo), nil
}

// formDecode is URLEncodedUtils' decodeFormFields: '+' is a space, a valid
// %XX escape is a byte, an invalid escape stays as typed, and every other
// character contributes its low byte (as HttpClient's ByteBuffer.put did);
// the bytes are then decoded as UTF-8 with replacement.
func formDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 && utf8.ValidString(s) && isASCII(s) {
		return s
	}
	buf := make([]byte, 0, len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case c == '%' && len(rs)-i-1 >= 2:
			u, l := rs[i+1], rs[i+2]
			uv, lv := -1, -1
			if u < 0x80 {
				uv = javautil.HexVal(byte(u))
			}
			if l < 0x80 {
				lv = javautil.HexVal(byte(l))
			}
			if uv >= 0 && lv >= 0 {
				buf = append(buf, byte(uv<<4|lv))
			} else {
				buf = append(buf, '%', byte(u), byte(l))
			}
			i += 3
		case c == '+':
			buf = append(buf, ' ')
			i++
		default:
			buf = append(buf, byte(c))
			i++
		}
	}
	return javautil.UTF8(buf)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// formParam is one parameter of a form body. Null is set for a token with no
// '=' (HttpClient gave it a null value).
type formParam struct {
	Name, Value string
	Null        bool
}

// uriQueryError checks s as the query of java.net.URI.create("http://localhost/?"+s)
// and returns the Java-style message of the first violation, or "".
// It also returns the raw query, which ends at the first '#'.
func uriQueryError(s string) (query string, msg string) {
	const prefix = "http://localhost/?"
	offset := len(prefix)
	idx := 0 // UTF-16 index into s
	inFragment := false
	fragStart := -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		bad := false
		switch {
		case c == '%':
			if i+2 >= len(s) || javautil.HexVal(s[i+1]) < 0 || javautil.HexVal(s[i+2]) < 0 {
				return "", "Malformed escape pair at index " + strconv.Itoa(offset+idx) + ": " + prefix + s
			}
		case c == '#':
			if inFragment {
				bad = true
			} else {
				inFragment = true
				fragStart = i
			}
		case r < 0x80:
			bad = !uriQueryChar(c)
		default:
			// Non-ASCII: java.net.URI accepts "other" characters except
			// controls and spaces.
			bad = r == utf8.RuneError || isJavaSpaceOrControl(r)
		}
		if bad {
			part := "query"
			if inFragment {
				part = "fragment"
			}
			return "", "Illegal character in " + part + " at index " + strconv.Itoa(offset+idx) + ": " + prefix + s
		}
		if r >= 0x10000 {
			idx += 2
		} else {
			idx++
		}
		i += size
	}
	if fragStart >= 0 {
		return s[:fragStart], ""
	}
	return s, ""
}

func uriQueryChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-_.!~*'();/?:@&=+$,[]", c) >= 0
}

func isJavaSpaceOrControl(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x1680, r == 0x2028, r == 0x2029, r == 0x205f, r == 0x3000, r == 0x00a0, r == 0x2007, r == 0x202f:
		return true
	case r >= 0x2000 && r <= 0x200a:
		return true
	}
	return false
}

// parseForm is URLEncodedUtils.parse(URI.create("http://localhost/?"+body),
// UTF-8) (HttpClient 4.5) as the R108 webhook adapters called it: the body
// must be a legal URI query (a '#' ends it); parameters are separated by
// '&' or ';'; each splits at its first '=' into a name and a value,
// whitespace-trimmed and form-decoded; a parameter with an empty name is
// dropped and one without '=' has a null value.
func parseForm(body string) ([]formParam, error) {
	query, msg := uriQueryError(body)
	if msg != "" {
		return nil, errors.New(msg)
	}
	return splitForm(query), nil
}

// splitForm tokenises an already-checked query (see parseForm).
func splitForm(query string) []formParam {
	var out []formParam
	for query != "" {
		tok := query
		if end := strings.IndexAny(query, "&;"); end >= 0 {
			tok, query = query[:end], query[end+1:]
		} else {
			query = ""
		}
		name, value, hasValue := strings.Cut(tok, "=")
		name = tokenTrim(name)
		if name == "" {
			continue
		}
		p := formParam{Name: formDecode(name), Null: !hasValue}
		if hasValue {
			p.Value = formDecode(tokenTrim(value))
		}
		out = append(out, p)
	}
	return out
}

// tokenTrim is HttpClient's TokenParser on one token: leading and trailing
// blanks (space, tab, CR, LF) removed, inner runs of them collapsed to one
// space.
func tokenTrim(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }), " ")
}

// javaTrim is String.trim: it strips every character <= ' '.
func javaTrim(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}

// javaParseInt is Integer.parseInt(s, 10).
func javaParseInt(s string) (int32, bool) {
	n, ok := javaParseSigned(s, 32)
	return int32(n), ok
}

// javaParseLong is Long.parseLong(s, 10).
func javaParseLong(s string) (int64, bool) {
	return javaParseSigned(s, 64)
}

func javaParseSigned(s string, bits int) (int64, bool) {
	if s == "" || s == "+" || s == "-" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9') && !(i == 0 && (c == '+' || c == '-')) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, bits)
	return n, err == nil
}

// javaParseDouble is Double.parseDouble for decimal input: surrounding
// characters <= ' ' are ignored, a trailing f/F/d/D type suffix is
// accepted, as are NaN and [+-]Infinity. Hexadecimal input is rejected.
func javaParseDouble(s string) (float64, bool) {
	s = javaTrim(s)
	body := s
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if s[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if n := len(body); n > 0 && strings.IndexByte("fFdD", body[n-1]) >= 0 {
		body = body[:n-1]
		s = s[:len(s)-1]
	}
	// digits [. digits] [e [sign] digits], at least one mantissa digit
	i, digits := 0, 0
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i++
		digits++
	}
	if i < len(body) && body[i] == '.' {
		i++
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(body) && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < len(body) && (body[i] == '+' || body[i] == '-') {
			i++
		}
		es := i
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
		}
		if i == es {
			return 0, false
		}
	}
	if i != len(body) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return f, true
}

const b64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// base64URLEncode is commons-codec's encodeBase64URLSafeString: the URL-safe
// alphabet without padding.
func base64URLEncode(s string) string {
	var b strings.Builder
	b.Grow((len(s) + 2) / 3 * 4)
	for i := 0; i+2 < len(s); i += 3 {
		v := uint32(s[i])<<16 | uint32(s[i+1])<<8 | uint32(s[i+2])
		b.WriteByte(b64URL[v>>18&63])
		b.WriteByte(b64URL[v>>12&63])
		b.WriteByte(b64URL[v>>6&63])
		b.WriteByte(b64URL[v&63])
	}
	switch rem := len(s) % 3; rem {
	case 1:
		v := uint32(s[len(s)-1]) << 16
		b.WriteByte(b64URL[v>>18&63])
		b.WriteByte(b64URL[v>>12&63])
	case 2:
		v := uint32(s[len(s)-2])<<16 | uint32(s[len(s)-1])<<8
		b.WriteByte(b64URL[v>>18&63])
		b.WriteByte(b64URL[v>>12&63])
		b.WriteByte(b64URL[v>>6&63])
	}
	return b.String()
}

// singleEncodePcts turns every double-encoded "%25XX" (XX hex) into "%XX",
// as ConversionUtils.singleEncodePcts did for CloudFront fields.
func singleEncodePcts(s string) string {
	if !strings.Contains(s, "%25") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if i+5 <= len(s) && s[i] == '%' && s[i+1] == '2' && s[i+2] == '5' && javautil.HexVal(s[i+3]) >= 0 && javautil.HexVal(s[i+4]) >= 0 {
			b.WriteByte('%')
			b.WriteByte(s[i+3])
			b.WriteByte(s[i+4])
			i += 5
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// decodeString is ConversionUtils.decodeString("UTF-8", field, s):
// URL-decode, drop CR and LF, turn tabs into four spaces.
func decodeString(field, s string) (string, error) {
	d, err := urlDecode(s)
	if err != nil {
		return "", errors.New("Field [" + field + "]: Exception URL-decoding [" + s + "] (encoding [UTF-8]): [" + err.Error() + "]")
	}
	if strings.ContainsAny(d, "\r\n\t") {
		d = strings.NewReplacer("\r", "", "\n", "", "\t", "    ").Replace(d)
	}
	return d, nil
}
