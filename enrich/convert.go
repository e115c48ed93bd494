package enrich

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/javautil"
)

// This file reproduces the value conversions of R108's ConversionUtils,
// EventEnrichments, MiscEnrichments and ClientEnrichments, including the
// JVM library behaviour they relied on (Integer.parseInt, BigDecimal,
// URLDecoder, commons-codec Base64, Joda-Time formatting), with their exact
// failure messages.

// javaDigit returns the value of r as a decimal digit the way
// Character.digit(c, 10) did for a UTF-16 char (any Unicode Nd digit of
// the Basic Multilingual Plane), or -1.
func javaDigit(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if r < 0x80 || r > 0xFFFF || !unicode.IsDigit(r) {
		return -1
	}
	for _, rg := range unicode.Nd.R16 {
		if uint16(r) >= rg.Lo && uint16(r) <= rg.Hi {
			return int(uint16(r)-rg.Lo) % 10
		}
	}
	return -1
}

// javaParseInt parses s as java.lang.Long.parseLong/Integer.parseInt did:
// an optional sign then at least one decimal digit, within bits.
func javaParseInt(s string, bits uint) (int64, bool) {
	if s == "" {
		return 0, false
	}
	neg := false
	i := 0
	switch s[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	if i == len(s) {
		return 0, false
	}
	limit := uint64(1) << (bits - 1) // magnitude limit: 2^(bits-1) for negatives, -1 for positives
	var v uint64
	for i < len(s) {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		d := javaDigit(r)
		if d < 0 {
			return 0, false
		}
		v = v*10 + uint64(d)
		if v > limit {
			return 0, false
		}
		i += size
	}
	if !neg && v == limit {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

// stringToJInteger is ConversionUtils.stringToJInteger: the value as an
// Int, rendered as Java would print it.
func stringToJInteger(field, s string) (string, string) {
	n, ok := javaParseInt(s, 32)
	if !ok {
		return "", "Field [" + field + "]: cannot convert [" + s + "] to Int"
	}
	return canonicalInt(s, n), ""
}

// canonicalInt renders n, reusing s when it already is n's rendering.
func canonicalInt(s string, n int64) string {
	if len(s) > 0 && len(s) <= 10 && s[0] != '+' && (s[0] != '0' || len(s) == 1) && allASCIIDigits(s) {
		return s
	}
	return strconv.FormatInt(n, 10)
}

// validateInteger is ConversionUtils.validateInteger: s must parse as an
// Int; the value kept is s unchanged.
func validateInteger(field, s string) (string, string) {
	if _, ok := javaParseInt(s, 32); !ok {
		return "", "Field [" + field + "]: [" + s + "] is not a valid integer"
	}
	return s, ""
}

// stringToBooleanlike is ConversionUtils.stringToBooleanlikeJByte.
func stringToBooleanlike(field, s string) (string, string) {
	if s == "1" || s == "0" {
		return s, ""
	}
	return "", "Field [" + field + "]: cannot convert [" + s + "] to Boolean-like JByte"
}

// maxDoublelike bounds the plain rendering of a Double-like value: R108
// would print "1e-999999999" as a billion digits; furrow refuses values
// whose plain form is longer than this (a documented deviation).
const maxDoublelike = 1000

// stringToDoublelike is ConversionUtils.stringToDoublelike: new
// java.math.BigDecimal(s).toPlainString(), "null" (a JavaScript tracker bug)
// giving null.
func stringToDoublelike(field, s string) (string, string) {
	if s == "null" {
		return "", ""
	}
	out, ok := bigDecimalPlain(s)
	if !ok {
		return "", "Field [" + field + "]: cannot convert [" + s + "] to Double-like String"
	}
	return out, ""
}

// bigDecimalPlain parses s with the grammar of new BigDecimal(String) and
// renders it with toPlainString.
func bigDecimalPlain(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	i := 0
	neg := false
	switch s[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	var digits []byte // significand digits, leading zeros included
	var buf [40]byte
	digits = buf[:0]
	frac := 0
	dot := false
	for i < len(s) {
		c := s[i]
		if c == '.' {
			if dot {
				return "", false
			}
			dot = true
			i++
			continue
		}
		if c == 'e' || c == 'E' {
			break
		}
		r, size := rune(c), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		d := javaDigit(r)
		if d < 0 {
			return "", false
		}
		digits = append(digits, byte('0'+d))
		if dot {
			frac++
		}
		i += size
	}
	if len(digits) == 0 {
		return "", false
	}
	exp := int64(0)
	if i < len(s) { // exponent
		i++
		if i == len(s) {
			return "", false
		}
		eneg := false
		switch s[i] {
		case '-':
			eneg = true
			i++
		case '+':
			i++
		}
		if i == len(s) {
			return "", false
		}
		for i < len(s) {
			r, size := rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			d := javaDigit(r)
			if d < 0 {
				return "", false
			}
			exp = exp*10 + int64(d)
			if exp > 1<<31 {
				return "", false // BigDecimal: exponent overflow
			}
			i += size
		}
		if eneg {
			exp = -exp
		}
	}
	scale := int64(frac) - exp
	if scale > 1<<31-1 || scale < -(1<<31) {
		return "", false
	}
	// Unscaled value without leading zeros.
	k := 0
	for k < len(digits)-1 && digits[k] == '0' {
		k++
	}
	unscaled := digits[k:]
	zero := len(unscaled) == 1 && unscaled[0] == '0'
	if zero {
		neg = false
	}
	var b strings.Builder
	switch {
	case scale == 0:
		if len(unscaled) > maxDoublelike {
			return "", false
		}
		if neg {
			b.WriteByte('-')
		}
		b.Write(unscaled)
	case scale < 0:
		if zero {
			return "0", true
		}
		if int64(len(unscaled))-scale > maxDoublelike {
			return "", false
		}
		if neg {
			b.WriteByte('-')
		}
		b.Write(unscaled)
		for j := int64(0); j < -scale; j++ {
			b.WriteByte('0')
		}
	default:
		point := int64(len(unscaled)) - scale
		if int64(len(unscaled))+max(0, -point)+3 > maxDoublelike {
			return "", false
		}
		if neg {
			b.WriteByte('-')
		}
		switch {
		case point > 0:
			b.Write(unscaled[:point])
			b.WriteByte('.')
			b.Write(unscaled[point:])
		default:
			b.WriteString("0.")
			for j := int64(0); j < -point; j++ {
				b.WriteByte('0')
			}
			b.Write(unscaled)
		}
	}
	return b.String(), true
}

// validateUUID is ConversionUtils.validateUuid: a canonical UUID in any
// case, kept lowercased.
func validateUUID(field, s string) (string, string) {
	if len(s) != 36 {
		return "", "Field [" + field + "]: [" + s + "] is not a valid UUID"
	}
	var out [36]byte
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", "Field [" + field + "]: [" + s + "] is not a valid UUID"
			}
		default:
			switch {
			case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			case c >= 'A' && c <= 'F':
				c += 'a' - 'A'
			default:
				return "", "Field [" + field + "]: [" + s + "] is not a valid UUID"
			}
		}
		out[i] = c
	}
	if string(out[:]) == s {
		return s, ""
	}
	return string(out[:]), ""
}

// extractViewDimensions is ClientEnrichments.extractViewDimensions: "WxH"
// (ASCII digits) to two Ints.
func extractViewDimensions(field, s string) (w, h string, msg string) {
	x := strings.IndexByte(s, 'x')
	if x <= 0 || x == len(s)-1 || !allASCIIDigits(s[:x]) || !allASCIIDigits(s[x+1:]) {
		return "", "", "Field [" + field + "]: [" + s + "] does not contain valid view dimensions"
	}
	wv, ok1 := javaParseInt(s[:x], 32)
	hv, ok2 := javaParseInt(s[x+1:], 32)
	if !ok1 || !ok2 {
		return "", "", "Field [" + field + "]: view dimensions [" + s + "] exceed Integer's max range"
	}
	return canonicalInt(s[:x], wv), canonicalInt(s[x+1:], hv), ""
}

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// extractEventType is EventEnrichments.extractEventType.
func extractEventType(field, code string) (string, string) {
	switch code {
	case "se", "ev":
		return "struct", ""
	case "ue":
		return "unstruct", ""
	case "ad":
		return "ad_impression", ""
	case "tr":
		return "transaction", ""
	case "ti":
		return "transaction_item", ""
	case "pv":
		return "page_view", ""
	case "pp":
		return "page_ping", ""
	}
	return "", "Field [" + field + "]: [" + code + "] is not a recognised event code"
}

// extractPlatform is MiscEnrichments.extractPlatform.
func extractPlatform(field, p string) (string, string) {
	switch p {
	case "web", "iot", "app", "mob", "pc", "cnsl", "tv", "srv":
		return p, ""
	}
	return "", "Field [" + field + "]: [" + p + "] is not a supported tracking platform"
}

// toTsvSafe is MiscEnrichments.toTsvSafe (ConversionUtils.makeTsvSafe):
// tabs to four spaces, other ASCII control characters removed, "" = null.
func toTsvSafe(_, s string) (string, string) { return event.Sanitize(s), "" }

// jodaTimestamp renders ms since the epoch with Joda's
// "yyyy-MM-dd HH:mm:ss.SSS" in UTC; ok is false when the result is not
// Redshift-compatible (a year outside 0000–9999), as R108 checked.
func jodaTimestamp(ms int64) (string, bool) {
	var buf [24]byte
	if b, ok := event.AppendTimestampMillis(buf[:0], ms); ok {
		return string(b), true
	}
	t := time.UnixMilli(ms).UTC()
	y := t.Year()
	if y < 0 || y > 9999 {
		return jodaFormat(t), false
	}
	return event.FormatTimestamp(t), true
}

// jodaFormat renders any year the way Joda's yyyy printed it (at least four
// digits, '-' for years before 0000).
func jodaFormat(t time.Time) string {
	y := t.Year()
	var b strings.Builder
	if y < 0 {
		b.WriteByte('-')
		y = -y
	}
	ys := strconv.Itoa(y)
	for i := len(ys); i < 4; i++ {
		b.WriteByte('0')
	}
	b.WriteString(ys)
	b.WriteString(event.FormatTimestamp(time.Date(2000, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC))[4:])
	return b.String()
}

// extractTimestamp is EventEnrichments.extractTimestamp: ms since the
// epoch to an enriched-event timestamp.
func extractTimestamp(field, s string) (string, string) {
	ms, ok := javaParseInt(s, 64)
	if !ok {
		return "", "Field [" + field + "]: [" + s + "] is not in the expected format (ms since epoch)"
	}
	out, ok := jodaTimestamp(ms)
	if !ok {
		return "", "Field [" + field + "]: [" + s + "] is formatted as [" + out + "] which isn't Redshift-compatible"
	}
	return out, ""
}

// formatCollectorTstamp is EventEnrichments.formatCollectorTstamp.
func formatCollectorTstamp(t time.Time) (string, string) {
	if t.IsZero() {
		return "", "No collector_tstamp set"
	}
	ms := t.UnixMilli()
	out, ok := jodaTimestamp(ms)
	if !ok {
		return "", "Collector timestamp [" + strconv.FormatInt(ms, 10) + "] formatted as [" + out + "] which isn't Redshift-compatible"
	}
	return out, ""
}

// decodeString is ConversionUtils.decodeString: java.net.URLDecoder.decode
// in the given encoding, then CR and LF removed and tabs turned into four
// spaces.
func decodeString(enc, field, s string) (string, string) {
	d, err := javaURLDecode(s, enc)
	if err != "" {
		return "", "Field [" + field + "]: Exception URL-decoding [" + s + "] (encoding [" + enc + "]): [" + err + "]"
	}
	if strings.ContainsAny(d, "\r\n\t") {
		d = strings.NewReplacer("\r", "", "\n", "", "\t", "    ").Replace(d)
	}
	return d, ""
}

// javaCharset identifies the charsets furrow decodes bytes with.
type javaCharset uint8

const (
	charsetUTF8 javaCharset = iota
	charsetLatin1
	charsetASCII
	charsetUnknown
)

func lookupCharset(enc string) javaCharset {
	switch strings.ToUpper(enc) {
	case "UTF-8", "UTF8":
		return charsetUTF8
	case "ISO-8859-1", "ISO8859-1", "ISO_8859_1", "LATIN1", "ISO-LATIN-1", "8859_1", "CP819", "L1":
		return charsetLatin1
	case "US-ASCII", "ASCII", "US_ASCII", "ASCII7", "646":
		return charsetASCII
	}
	return charsetUnknown
}

// javaURLDecode is java.net.URLDecoder.decode(s, enc). It returns the Java
// exception message on failure.
func javaURLDecode(s, enc string) (string, string) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		if lookupCharset(enc) == charsetUnknown {
			return "", enc
		}
		return s, ""
	}
	cs := lookupCharset(enc)
	if cs == charsetUnknown {
		return "", enc
	}
	var b strings.Builder
	b.Grow(len(s))
	var bytes []byte
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '+':
			b.WriteByte(' ')
			i++
		case '%':
			bytes = bytes[:0]
			for i+2 < len(s) && s[i] == '%' {
				v, msg := javaHexByte(s[i+1 : i+3])
				if msg != "" {
					return "", msg
				}
				bytes = append(bytes, v)
				i += 3
			}
			if i < len(s) && s[i] == '%' {
				return "", "URLDecoder: Incomplete trailing escape (%) pattern"
			}
			b.WriteString(decodeBytes(bytes, cs))
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), ""
}

// javaHexByte is Integer.parseInt(h, 16) on two characters as URLDecoder
// used it, with its messages.
func javaHexByte(h string) (byte, string) {
	v, ok := parseHexSigned(h)
	if !ok {
		return 0, "URLDecoder: Illegal hex characters in escape (%) pattern - For input string: \"" + h + "\""
	}
	if v < 0 {
		return 0, "URLDecoder: Illegal hex characters in escape (%) pattern - negative value"
	}
	return byte(v), ""
}

func parseHexSigned(h string) (int, bool) {
	neg := false
	switch h[0] {
	case '-':
		neg, h = true, h[1:]
	case '+':
		h = h[1:]
	}
	if h == "" {
		return 0, false
	}
	v := 0
	for i := 0; i < len(h); i++ {
		d := hexVal(h[i])
		if d < 0 {
			return 0, false
		}
		v = v*16 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// hexVal is javautil.HexVal (jsonfmt.go reads \u escapes with it).
func hexVal(c byte) int { return javautil.HexVal(c) }

// decodeBytes turns bytes into a string with the charset, malformed input
// replaced by U+FFFD as Java's decoders did.
func decodeBytes(b []byte, cs javaCharset) string {
	switch cs {
	case charsetLatin1:
		var sb strings.Builder
		for _, c := range b {
			sb.WriteRune(rune(c))
		}
		return sb.String()
	case charsetASCII:
		var sb strings.Builder
		for _, c := range b {
			if c < 0x80 {
				sb.WriteByte(c)
			} else {
				sb.WriteRune(utf8.RuneError)
			}
		}
		return sb.String()
	}
	return javautil.UTF8(b)
}

// decodeBase64URL is ConversionUtils.decodeBase64Url: commons-codec's
// lenient decoder (both alphabets, padding optional, other characters
// ignored, decoding stops at the first '='), the bytes read as UTF-8.
func decodeBase64URL(s string) string { return javautil.DecodeBase64(s) }
