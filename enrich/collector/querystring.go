package collector

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Snowplow's Loader.parseQuerystring(Some(q), enc) was
//
//	URLEncodedUtils.parse(URI.create("http://localhost/?" + q), enc)
//
// (httpclient 4.5): java.net.URI validates the query and the fragment that
// follows a '#' (which is dropped), then the raw query is split on '&' and
// ';', names and values are form-decoded ('+' is a space, %XX a byte, any
// other character its low eight bits) and the bytes decoded in the charset
// with malformed input replaced. Parameters with an empty name are dropped;
// a parameter without '=' has a null value (Value "" here).

const uriPrefix = "http://localhost/?"

// uriQueryChars marks the ASCII characters java.net.URI allows unescaped in
// a query or fragment (reserved, unreserved and the "[]" it also accepts).
var uriQueryChars = func() (t [128]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range ";/?:@&=+$,[]-_.!~*'()" {
		t[c] = true
	}
	return t
}()

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// javaSpaceChar is Character.isSpaceChar of Java 8 (Unicode 6.2: Zs, Zl,
// Zp, including U+180E).
func javaSpaceChar(r rune) bool {
	switch {
	case r == 0x20, r == 0xa0, r == 0x1680, r == 0x180e, r >= 0x2000 && r <= 0x200a,
		r == 0x2028, r == 0x2029, r == 0x202f, r == 0x205f, r == 0x3000:
		return true
	}
	return false
}

// javaISOControl is Character.isISOControl.
func javaISOControl(r rune) bool { return r <= 0x1f || (r >= 0x7f && r <= 0x9f) }

// charset is a querystring encoding this package can decode.
type charset uint8

const (
	csUTF8 charset = iota
	csLatin1
	csASCII
)

// lookupCharset resolves a Java charset name (case-insensitive, with the
// aliases Java knows). Only UTF-8, ISO-8859-1 and US-ASCII are implemented;
// for any other name ok is false, which furrow reports like Java reports an
// unsupported charset.
func lookupCharset(name string) (cs charset, ok bool) {
	if name == "UTF-8" {
		return csUTF8, true
	}
	switch strings.ToLower(name) {
	case "utf-8", "utf8", "unicode-1-1-utf-8":
		return csUTF8, true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso8859_1", "iso_8859_1", "latin1", "l1",
		"ibm819", "ibm-819", "cp819", "csisolatin1", "819", "iso-ir-100", "iso_8859-1:1987", "8859_1":
		return csLatin1, true
	case "us-ascii", "ascii", "us", "iso646-us", "cp367", "ibm367", "csascii", "default", "646",
		"iso_646.irv:1983", "iso_646.irv:1991", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso-ir-6", "ascii7":
		return csASCII, true
	}
	return 0, false
}

// lookupCharsetBytes is lookupCharset of a Thrift string's bytes.
func lookupCharsetBytes(name []byte) (charset, bool) {
	if string(name) == "UTF-8" { // no allocation
		return csUTF8, true
	}
	return lookupCharset(javaString(name))
}

// span is a byte range of an arena.
type span struct{ start, end int32 }

// qsPair is one parsed parameter; value.start < 0 means no '=' (null).
type qsPair struct{ name, value span }

// queryMessage is Snowplow's message for a querystring it could not parse.
func queryMessage(q, enc, cause string) string {
	return "Exception extracting name-value pairs from querystring [" + q + "] with encoding [" + enc + "]: [" + cause + "]"
}

// uriError is java.net.URISyntaxException's message for the URI
// "http://localhost/?"+q failing at byte i of q.
func uriError(q string, i int, reason string) string {
	idx := len(uriPrefix) + utf16Len(q[:i])
	return reason + " at index " + strconv.Itoa(idx) + ": " + uriPrefix + q
}

// uriClass classifies bytes for validateQuery.
const (
	ucIllegal = iota
	ucOK
	ucPercent
	ucHash
	ucMulti // a byte of a non-ASCII character
)

var uriClass = func() (t [256]uint8) {
	for c := range 128 {
		if uriQueryChars[c] {
			t[c] = ucOK
		}
	}
	t['%'], t['#'] = ucPercent, ucHash
	for c := 0x80; c < 0x100; c++ {
		t[c] = ucMulti
	}
	return t
}()

// validateQuery checks q as java.net.URI checks the query (up to the first
// '#') and the fragment of "http://localhost/?"+q. It returns the length of
// the query part, or a URISyntaxException message.
func validateQuery(q []byte) (queryLen int, msg string) {
	queryLen = -1
	what := "query"
	for i := 0; i < len(q); {
		switch uriClass[q[i]] {
		case ucOK:
			i++
		case ucPercent:
			if i+2 < len(q) && isHex(q[i+1]) && isHex(q[i+2]) {
				i += 3
				continue
			}
			return 0, uriError(string(q), i, "Malformed escape pair")
		case ucHash:
			if queryLen >= 0 {
				return 0, uriError(string(q), i, "Illegal character in fragment")
			}
			queryLen = i
			what = "fragment"
			i++
		case ucMulti:
			r, size := utf8.DecodeRune(q[i:])
			if r <= 0x80 || javaSpaceChar(r) || javaISOControl(r) {
				return 0, uriError(string(q), i, "Illegal character in "+what)
			}
			i += size
		default:
			return 0, uriError(string(q), i, "Illegal character in "+what)
		}
	}
	if queryLen < 0 {
		queryLen = len(q)
	}
	return queryLen, ""
}

// parseQuery validates and parses the querystring q (valid UTF-8, not
// aliasing the free part of *arena) in charset cs, appending decoded names
// and values to *arena and the pairs to pairs. On failure it returns the
// java.net.URI message (the caller wraps it with queryMessage).
func parseQuery(arena *[]byte, q []byte, cs charset, pairs []qsPair) ([]qsPair, string) {
	qlen, msg := validateQuery(q)
	if msg != "" {
		return pairs, msg
	}
	return splitQuery(arena, q[:qlen], cs, pairs), ""
}

// Byte classes of a raw query while splitting it.
const (
	qcPlain   = iota // copied as is
	qcSep            // '&' or ';'
	qcEq             // '='
	qcSpecial        // '%', '+' or a non-ASCII byte: needs form-decoding
)

var queryClass = func() (t [256]uint8) {
	for c := 0x80; c < 0x100; c++ {
		t[c] = qcSpecial
	}
	t['%'], t['+'] = qcSpecial, qcSpecial
	t['&'], t[';'] = qcSep, qcSep
	t['='] = qcEq
	return t
}()

// splitQuery splits and decodes a validated raw query (without fragment).
func splitQuery(arena *[]byte, q []byte, cs charset, pairs []qsPair) []qsPair {
	a := *arena
	for i := 0; i < len(q); {
		// name: up to '=', '&' or ';'
		j, special := i, false
		for ; j < len(q); j++ {
			k := queryClass[q[j]]
			if k == qcSpecial {
				special = true
			} else if k != qcPlain {
				break
			}
		}
		name, nameSpecial := q[i:j], special
		hasValue := j < len(q) && q[j] == '='
		var value []byte
		if hasValue {
			k, special := j+1, false
			for ; k < len(q); k++ {
				c := queryClass[q[k]]
				if c == qcSpecial {
					special = true
				} else if c == qcSep {
					break
				}
			}
			value, j = q[j+1:k], k
			if len(name) > 0 {
				var p qsPair
				a, p.name = formDecode(a, name, nameSpecial, cs)
				a, p.value = formDecode(a, value, special, cs)
				pairs = append(pairs, p)
			}
		} else if len(name) > 0 {
			p := qsPair{value: noSpan}
			a, p.name = formDecode(a, name, nameSpecial, cs)
			pairs = append(pairs, p)
		}
		i = j + 1 // skip the separator (or run past the end)
	}
	*arena = a
	return pairs
}

// formDecode appends the form-decoding of s (httpclient's urlDecode with
// '+' as space, then the charset decoding) to a; special says whether s
// holds anything but plain characters.
func formDecode(a, s []byte, special bool, cs charset) ([]byte, span) {
	start := len(a)
	if !special {
		a = append(a, s...)
		return a, span{int32(start), int32(len(a))}
	}
	ascii := true
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s):
			// URI validation guarantees two hex digits after every '%'.
			b := unhex(s[i+1])<<4 | unhex(s[i+2])
			a = append(a, b)
			ascii = ascii && b < utf8.RuneSelf
			i += 3
		case c == '+':
			a = append(a, ' ')
			i++
		case c < utf8.RuneSelf:
			a = append(a, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			a = appendLowBytesRune(a, r)
			ascii = false
			i += size
		}
	}
	if !ascii {
		a = decodeCharset(a, start, cs)
	}
	return a, span{int32(start), int32(len(a))}
}

// decodeCharset replaces a[start:] (raw bytes) with their decoding in cs as
// UTF-8 text, Java-style replacement included.
func decodeCharset(a []byte, start int, cs charset) []byte {
	raw := a[start:]
	switch cs {
	case csUTF8:
		if utf8.Valid(raw) {
			return a
		}
		tmp := append([]byte(nil), raw...)
		return appendJavaUTF8(a[:start], tmp)
	case csLatin1:
		ascii := true
		for _, c := range raw {
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
		}
		if ascii {
			return a
		}
		tmp := append([]byte(nil), raw...)
		a = a[:start]
		for _, c := range tmp {
			a = utf8.AppendRune(a, rune(c))
		}
		return a
	default: // US-ASCII
		tmp := append([]byte(nil), raw...)
		a = a[:start]
		for _, c := range tmp {
			if c >= utf8.RuneSelf {
				a = utf8.AppendRune(a, utf8.RuneError)
			} else {
				a = append(a, c)
			}
		}
		return a
	}
}

// appendSingleEncodePcts appends s with every "%25XX" (XX two hex digits)
// turned into "%XX", left to right without overlap: Snowplow's
// ConversionUtils.singleEncodePcts, which undid CloudFront's double
// encoding. changed reports whether anything was replaced.
func appendSingleEncodePcts(dst, s []byte) (out []byte, changed bool) {
	last := 0
	for i := 0; i+4 < len(s); i++ {
		if s[i] == '%' && s[i+1] == '2' && s[i+2] == '5' && isHex(s[i+3]) && isHex(s[i+4]) {
			dst = append(dst, s[last:i+1]...)
			dst = append(dst, s[i+3], s[i+4])
			i += 4
			last = i + 1
			changed = true
		}
	}
	return append(dst, s[last:]...), changed
}

// fusedByteClass classifies raw CloudFront querystring bytes for
// parseCloudFrontQuery.
const (
	fbIllegal = iota
	fbPlain
	fbPlus
	fbSep
	fbEq
	fbPercent
	fbHash
	fbMulti
)

var fusedClass = func() (t [256]uint8) {
	for c := range 128 {
		if uriQueryChars[c] {
			t[c] = fbPlain
		}
	}
	t['+'] = fbPlus
	t['&'], t[';'] = fbSep, fbSep
	t['='] = fbEq
	t['%'] = fbPercent
	t['#'] = fbHash
	for c := 0x80; c < 0x100; c++ {
		t[c] = fbMulti
	}
	return t
}()

// parseCloudFrontQuery is the fast path of the CloudFront querystring:
// singleEncodePcts, the java.net.URI checks, the httpclient split and the
// UTF-8 form decoding in one pass over the raw field, appending decoded
// names and values to a. It returns ok false (with a unchanged in length)
// for anything the URI checks reject; the caller then takes the exact
// step-by-step path, which produces the message. The two paths are
// checked against each other by FuzzCloudFrontQueryFastPath.
func parseCloudFrontQuery(a, raw []byte, pairs []qsPair) ([]byte, []qsPair, bool) {
	start0, pairs0 := len(a), len(pairs)
	fail := func() ([]byte, []qsPair, bool) { return a[:start0], pairs[:pairs0], false }
	tokStart := len(a)
	nonASCII := false
	var name span
	inValue := false
	// finish closes the current token; at a separator or the end it also
	// emits the pair.
	finish := func(endPair bool) {
		if nonASCII {
			a = decodeCharset(a, tokStart, csUTF8)
			nonASCII = false
		}
		tok := span{int32(tokStart), int32(len(a))}
		if !inValue {
			name = tok
			if endPair {
				if name.end > name.start {
					pairs = append(pairs, qsPair{name: name, value: noSpan})
				} else {
					a = a[:tokStart]
				}
			}
		} else if endPair {
			if name.end > name.start {
				pairs = append(pairs, qsPair{name: name, value: tok})
			} else {
				a = a[:name.start]
			}
		}
		tokStart = len(a)
	}
	i := 0
	for i < len(raw) {
		c := raw[i]
		switch fusedClass[c] {
		case fbPlain:
			j := i + 1
			for j < len(raw) && fusedClass[raw[j]] == fbPlain {
				j++
			}
			a = append(a, raw[i:j]...)
			i = j
		case fbPlus:
			a = append(a, ' ')
			i++
		case fbSep:
			finish(true)
			inValue = false
			i++
		case fbEq:
			if inValue {
				a = append(a, '=')
			} else {
				finish(false)
				inValue = true
			}
			i++
		case fbPercent:
			// "%25XX" is "%XX" after singleEncodePcts.
			if i+4 < len(raw) && raw[i+1] == '2' && raw[i+2] == '5' && isHex(raw[i+3]) && isHex(raw[i+4]) {
				b := unhex(raw[i+3])<<4 | unhex(raw[i+4])
				a = append(a, b)
				nonASCII = nonASCII || b >= utf8.RuneSelf
				i += 5
				continue
			}
			if i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
				b := unhex(raw[i+1])<<4 | unhex(raw[i+2])
				a = append(a, b)
				nonASCII = nonASCII || b >= utf8.RuneSelf
				i += 3
				continue
			}
			return fail()
		case fbHash:
			// The rest is the fragment: dropped, but it must be valid.
			finish(true)
			if _, msg := validateQuery(raw[i+1:]); msg != "" || bytes.IndexByte(raw[i+1:], '#') >= 0 {
				return fail()
			}
			return a, pairs, true
		case fbMulti:
			r, size := utf8.DecodeRune(raw[i:])
			if r <= 0x80 || javaSpaceChar(r) || javaISOControl(r) {
				return fail()
			}
			a = appendLowBytesRune(a, r)
			nonASCII = true
			i += size
		default:
			return fail()
		}
	}
	finish(true)
	return a, pairs, true
}
