package enrich

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file reproduces R108's JsonUtils.validateAndReformatJson: the string
// is parsed by Jackson 2's ObjectMapper.readTree (default features: strict
// JSON, trailing content after the first value ignored, duplicate keys kept
// at their first position with the last value) and printed again by
// json4s-jackson's compact (no whitespace, Jackson's string escaping,
// integers exactly, other numbers as Java's Double.toString). Parse errors
// carry Jackson's message as JsonUtils.stripInstanceEtc left it.

// maxJSONDepth bounds nesting; Jackson had no limit but the JVM's stack
// did. Deeper documents fail with a message instead of crashing.
const maxJSONDepth = 1000

type jsonFormatter struct {
	s        string
	p        int
	line     int
	rowStart int
	out      []byte
	err      string
	depth    int
}

// reformatJSON returns the compact rendering of s, or Jackson's error
// message (stripInstanceEtc applied). When the rendering is s itself (the
// usual case: trackers send compact JSON), s is returned without a copy.
func reformatJSON(s string) (string, string) {
	bp := fmtBufs.Get().(*[]byte)
	out, msg := appendReformatJSON((*bp)[:0], s)
	res := ""
	if msg == "" {
		if string(out) == s {
			res = s
		} else {
			res = string(out)
		}
	}
	if cap(out) <= 64<<10 { // do not keep huge buffers around
		*bp = out
		fmtBufs.Put(bp)
	}
	return res, msg
}

// fmtBufs holds the output buffers of reformatJSON (*[]byte).
var fmtBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendReformatJSON appends the compact rendering of s to dst, or returns
// Jackson's error message (stripInstanceEtc applied) and dst cut back to
// its length on entry.
func appendReformatJSON(dst []byte, s string) ([]byte, string) {
	n := len(dst)
	f := jsonFormatter{s: s, line: 1, out: dst}
	f.skipWS()
	if f.err == "" {
		if f.p >= len(s) {
			f.failAt("No content to map due to end-of-input", f.p)
		} else {
			f.value()
		}
	}
	if f.err != "" {
		return f.out[:n], stripInstanceEtc(f.err)
	}
	return f.out, ""
}

// stripInstanceEtc is JsonUtils.stripInstanceEtc.
func stripInstanceEtc(m string) string {
	if strings.IndexByte(m, '@') >= 0 {
		var b strings.Builder
		for i := 0; i < len(m); i++ {
			if m[i] == '@' {
				j := i + 1
				for j < len(m) && (m[j] >= '0' && m[j] <= '9' || m[j] >= 'a' && m[j] <= 'z') {
					j++
				}
				if j > i+1 && j < len(m) && m[j] == ';' {
					b.WriteString("@xxxxxx;")
					i = j
					continue
				}
			}
			b.WriteByte(m[i])
		}
		m = b.String()
	}
	m = strings.ReplaceAll(m, "\t", "    ")
	m = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, m)
	return strings.TrimFunc(m, func(r rune) bool { return r <= ' ' })
}

func (f *jsonFormatter) location(ptr int) string {
	return "[Source: " + f.s + "; line: " + strconv.Itoa(f.line) + ", column: " + strconv.Itoa(utf16Len(f.s[f.rowStart:ptr])+1) + "]"
}

func (f *jsonFormatter) failAt(msg string, ptr int) {
	if f.err == "" {
		if ptr > len(f.s) {
			ptr = len(f.s)
		}
		f.err = msg + "\n at " + f.location(ptr)
	}
}

func charDesc(r rune) string {
	if isISOControl(r) {
		return "(CTRL-CHAR, code " + strconv.Itoa(int(r)) + ")"
	}
	if r > 255 {
		return "'" + string(r) + "' (code " + strconv.Itoa(int(r)) + " / 0x" + strconv.FormatInt(int64(r), 16) + ")"
	}
	return "'" + string(r) + "' (code " + strconv.Itoa(int(r)) + ")"
}

func (f *jsonFormatter) runeAt(p int) (rune, int) {
	c := f.s[p]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	r, size := utf8.DecodeRuneInString(f.s[p:])
	return r, size
}

// unexpected reports the character at p (consumed) with a comment.
func (f *jsonFormatter) unexpected(p int, comment string) {
	r, size := f.runeAt(p)
	msg := "Unexpected character (" + charDesc(r) + ")"
	if comment != "" {
		msg += ": " + comment
	}
	f.failAt(msg, p+size)
}

// invalidToken reads the rest of an identifier-like token from p and
// reports it (Jackson's _reportInvalidToken).
func (f *jsonFormatter) invalidToken(matched string, p int, expecting string) {
	var b strings.Builder
	b.WriteString(matched)
	for p < len(f.s) && b.Len() < 256 {
		r, size := f.runeAt(p)
		if !isJavaIdentifierPart(r) {
			break
		}
		b.WriteRune(r)
		p += size
	}
	f.failAt("Unrecognized token '"+b.String()+"': was expecting "+expecting, p)
}

func isJavaIdentifierStart(r rune) bool {
	return unicode.IsLetter(r) || r == '$' || r == '_' || unicode.In(r, unicode.Sc, unicode.Pc, unicode.Nl)
}

func isJavaIdentifierPart(r rune) bool {
	return isJavaIdentifierStart(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Cf) ||
		(r >= 0 && r <= 8) || (r >= 0xE && r <= 0x1B) || (r >= 0x7F && r <= 0x9F)
}

// skipWS skips Jackson's whitespace, counting lines.
func (f *jsonFormatter) skipWS() {
	for f.p < len(f.s) {
		switch c := f.s[f.p]; c {
		case ' ', '\t':
			f.p++
		case '\n':
			f.p++
			f.line++
			f.rowStart = f.p
		case '\r':
			f.p++
			if f.p < len(f.s) && f.s[f.p] == '\n' {
				f.p++
			}
			f.line++
			f.rowStart = f.p
		default:
			if c < 0x20 {
				f.failAt("Illegal character ("+charDesc(rune(c))+"): only regular white space (\\r, \\n, \\t) is allowed between tokens", f.p+1)
			}
			return
		}
	}
}

func (f *jsonFormatter) value() {
	if f.err != "" {
		return
	}
	c := f.s[f.p]
	switch {
	case c == '"':
		f.p++
		f.str()
	case c == '{':
		f.object()
	case c == '[':
		f.array()
	case c == '-' || (c >= '0' && c <= '9'):
		f.number()
	case c == 't':
		f.literal("true")
	case c == 'f':
		f.literal("false")
	case c == 'n':
		f.literal("null")
	default:
		r, size := f.runeAt(f.p)
		if isJavaIdentifierStart(r) {
			f.invalidToken(string(r), f.p+size, "('true', 'false' or 'null')")
			return
		}
		f.unexpected(f.p, "expected a valid value (number, String, array, object, 'true', 'false' or 'null')")
	}
}

func (f *jsonFormatter) literal(word string) {
	start := f.p
	for i := 0; i < len(word); i++ {
		if f.p >= len(f.s) || f.s[f.p] != word[i] {
			f.invalidToken(word[:i], f.p, "'null', 'true', 'false' or NaN")
			return
		}
		f.p++
	}
	if f.p < len(f.s) {
		c := f.s[f.p]
		if !(c < '0' || c == ']' || c == '}') {
			if r, _ := f.runeAt(f.p); isJavaIdentifierPart(r) {
				f.invalidToken(word, f.p, "'null', 'true', 'false' or NaN")
				return
			}
		}
	}
	f.out = append(f.out, f.s[start:f.p]...)
}

func (f *jsonFormatter) enter() bool {
	f.depth++
	if f.depth > maxJSONDepth {
		f.failAt("Maximum JSON nesting depth of "+strconv.Itoa(maxJSONDepth)+" exceeded", f.p)
		return false
	}
	return true
}

// mark is a position remembered for a later message.
type mark struct{ line, rowStart, ptr int }

func (f *jsonFormatter) mark() mark { return mark{f.line, f.rowStart, f.p} }

// loc renders a remembered position as Jackson's JsonLocation.
func (f *jsonFormatter) loc(m mark) string {
	return "[Source: " + f.s + "; line: " + strconv.Itoa(m.line) + ", column: " + strconv.Itoa(utf16Len(f.s[m.rowStart:m.ptr])+1) + "]"
}

// member is one rendered member ("key":value) of an object in out: the
// key's quoted rendering is out[start:keyEnd], the member out[start:end].
type member struct {
	start, keyEnd, end int
}

// key returns the member's rendered key.
func (f *jsonFormatter) key(m member) []byte { return f.out[m.start:m.keyEnd] }

func (f *jsonFormatter) object() {
	if !f.enter() {
		return
	}
	defer func() { f.depth-- }()
	open := f.mark()
	f.p++
	objStart := len(f.out)
	f.out = append(f.out, '{')
	var memberBuf [16]member
	members := memberBuf[:0]
	var index map[string]struct{} // keys seen, once the object is large
	dup := false
	f.skipWS()
	if f.err != "" {
		return
	}
	if f.p < len(f.s) && f.s[f.p] == '}' {
		f.p++
		f.out = append(f.out, '}')
		return
	}
	for {
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input: expected close marker for OBJECT (from "+f.loc(open)+")", f.p)
			return
		}
		if f.s[f.p] != '"' {
			if f.s[f.p] == ']' {
				f.failAt("Unexpected close marker ']': expected '}' (for OBJECT starting at "+f.loc(open)+")", f.p+1)
				return
			}
			f.unexpected(f.p, "was expecting double-quote to start field name")
			return
		}
		f.p++
		mStart := len(f.out)
		if len(members) > 0 {
			f.out = append(f.out, ',')
			mStart++
		}
		f.str()
		if f.err != "" {
			return
		}
		keyEnd := len(f.out)
		f.skipWS()
		if f.err != "" {
			return
		}
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input: expected close marker for OBJECT (from "+f.loc(open)+")", f.p)
			return
		}
		if f.s[f.p] != ':' {
			f.unexpected(f.p, "was expecting a colon to separate field name and value")
			return
		}
		f.p++
		f.out = append(f.out, ':')
		f.skipWS()
		if f.err != "" {
			return
		}
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input: expected close marker for OBJECT (from "+f.loc(open)+")", f.p)
			return
		}
		f.value()
		if f.err != "" {
			return
		}
		key := f.out[mStart:keyEnd]
		if !dup {
			if index != nil {
				_, dup = index[string(key)]
				index[string(key)] = struct{}{}
			} else {
				for i := range members {
					if bytes.Equal(f.key(members[i]), key) {
						dup = true
						break
					}
				}
				if len(members) == 16 {
					index = make(map[string]struct{}, 64)
					for _, m := range members {
						index[string(f.key(m))] = struct{}{}
					}
					index[string(key)] = struct{}{}
				}
			}
		}
		members = append(members, member{start: mStart, keyEnd: keyEnd, end: len(f.out)})
		f.skipWS()
		if f.err != "" {
			return
		}
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input: expected close marker for OBJECT (from "+f.loc(open)+")", f.p)
			return
		}
		switch f.s[f.p] {
		case ',':
			f.p++
			f.skipWS()
			if f.err != "" {
				return
			}
			continue
		case '}':
			f.p++
			if dup {
				f.dedupe(objStart, members)
			}
			f.out = append(f.out, '}')
			return
		case ']':
			f.failAt("Unexpected close marker ']': expected '}' (for OBJECT starting at "+f.loc(open)+")", f.p+1)
			return
		default:
			f.unexpected(f.p, "was expecting comma to separate OBJECT entries")
			return
		}
	}
}

// dedupe rewrites an object whose keys repeat as Jackson's ObjectNode held
// it: each key once, at its first position, with its last value.
func (f *jsonFormatter) dedupe(objStart int, members []member) {
	keys := make([]string, len(members))
	last := make(map[string]int, len(members))
	for i, m := range members {
		keys[i] = string(f.key(m))
		last[keys[i]] = i
	}
	rendered := make([][]byte, len(members))
	for i, m := range members {
		if last[keys[i]] == i {
			rendered[i] = append([]byte(nil), f.out[m.start:m.end]...)
		}
	}
	f.out = f.out[:objStart+1]
	done := make(map[string]bool, len(last))
	for i := range members {
		k := keys[i]
		if done[k] {
			continue
		}
		done[k] = true
		if len(done) > 1 {
			f.out = append(f.out, ',')
		}
		f.out = append(f.out, rendered[last[k]]...)
	}
}

func (f *jsonFormatter) array() {
	if !f.enter() {
		return
	}
	defer func() { f.depth-- }()
	open := f.mark()
	f.p++
	f.out = append(f.out, '[')
	f.skipWS()
	if f.err != "" {
		return
	}
	if f.p < len(f.s) && f.s[f.p] == ']' {
		f.p++
		f.out = append(f.out, ']')
		return
	}
	first := true
	for {
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input: expected close marker for ARRAY (from "+f.loc(open)+")", f.p)
			return
		}
		if !first {
			f.out = append(f.out, ',')
		}
		first = false
		f.value()
		if f.err != "" {
			return
		}
		f.skipWS()
		if f.err != "" {
			return
		}
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input: expected close marker for ARRAY (from "+f.loc(open)+")", f.p)
			return
		}
		switch f.s[f.p] {
		case ',':
			f.p++
			f.skipWS()
			if f.err != "" {
				return
			}
		case ']':
			f.p++
			f.out = append(f.out, ']')
			return
		case '}':
			f.failAt("Unexpected close marker '}': expected ']' (for ARRAY starting at "+f.loc(open)+")", f.p+1)
			return
		default:
			f.unexpected(f.p, "was expecting comma to separate ARRAY entries")
			return
		}
	}
}

// str reads a string body (the opening quote consumed) and appends it,
// quoted and escaped as Jackson's generator wrote it.
func (f *jsonFormatter) str() {
	f.out = append(f.out, '"')
	for {
		start := f.p
		for f.p+8 <= len(f.s) && jsonPlain(load64(f.s, f.p)) {
			f.p += 8
		}
		for f.p < len(f.s) {
			c := f.s[f.p]
			if c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				break
			}
			f.p++
		}
		f.out = append(f.out, f.s[start:f.p]...)
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input: was expecting closing quote for a string value", f.p)
			return
		}
		c := f.s[f.p]
		switch {
		case c == '"':
			f.p++
			f.out = append(f.out, '"')
			return
		case c < 0x20:
			f.failAt("Illegal unquoted character ("+charDesc(rune(c))+"): has to be escaped using backslash to be included in string value", f.p+1)
			return
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(f.s[f.p:])
			f.p += size
			f.out = utf8.AppendRune(f.out, r) // invalid UTF-8 becomes U+FFFD, as Java decoded it
		default: // backslash
			f.p++
			if f.p >= len(f.s) {
				f.failAt("Unexpected end-of-input in character escape sequence", f.p)
				return
			}
			e := f.s[f.p]
			f.p++
			switch e {
			case '"':
				f.out = append(f.out, '\\', '"')
			case '\\':
				f.out = append(f.out, '\\', '\\')
			case '/':
				f.out = append(f.out, '/')
			case 'b':
				f.out = append(f.out, '\\', 'b')
			case 'f':
				f.out = append(f.out, '\\', 'f')
			case 'n':
				f.out = append(f.out, '\\', 'n')
			case 'r':
				f.out = append(f.out, '\\', 'r')
			case 't':
				f.out = append(f.out, '\\', 't')
			case 'u':
				r, ok := f.hex4()
				if !ok {
					return
				}
				if utf16.IsSurrogate(r) && r < 0xDC00 && f.p+6 <= len(f.s) && f.s[f.p] == '\\' && f.s[f.p+1] == 'u' {
					save := f.p
					f.p += 2
					r2, ok := f.hex4()
					if !ok {
						return
					}
					if dr := utf16.DecodeRune(r, r2); dr != utf8.RuneError {
						f.out = utf8.AppendRune(f.out, dr)
						continue
					}
					f.p = save
				}
				f.appendEscapedRune(r)
			default:
				r, size := f.runeAt(f.p - 1)
				f.p += size - 1
				f.failAt("Unrecognized character escape "+charDesc(r), f.p)
				return
			}
		}
	}
}

func (f *jsonFormatter) hex4() (rune, bool) {
	var v rune
	for i := 0; i < 4; i++ {
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input in character escape sequence", f.p)
			return 0, false
		}
		d := hexVal(f.s[f.p])
		if d < 0 {
			f.unexpected(f.p, "expected a hex-digit for character escape sequence")
			return 0, false
		}
		v = v<<4 | rune(d)
		f.p++
	}
	return v, true
}

// appendEscapedRune appends one decoded character as Jackson wrote it.
func (f *jsonFormatter) appendEscapedRune(r rune) {
	switch {
	case r == '"':
		f.out = append(f.out, '\\', '"')
	case r == '\\':
		f.out = append(f.out, '\\', '\\')
	case r == '\b':
		f.out = append(f.out, '\\', 'b')
	case r == '\t':
		f.out = append(f.out, '\\', 't')
	case r == '\f':
		f.out = append(f.out, '\\', 'f')
	case r == '\n':
		f.out = append(f.out, '\\', 'n')
	case r == '\r':
		f.out = append(f.out, '\\', 'r')
	case r < 0x20:
		f.out = append(f.out, '\\', 'u', '0', '0', upperHex[r>>4], upperHex[r&15])
	default:
		f.out = utf8.AppendRune(f.out, r) // a lone surrogate becomes U+FFFD
	}
}

func (f *jsonFormatter) number() {
	start := f.p
	if f.s[f.p] == '-' {
		f.p++
		if f.p >= len(f.s) {
			f.failAt("Unexpected end-of-input in numeric value", f.p)
			return
		}
		if c := f.s[f.p]; c < '0' || c > '9' {
			r, size := f.runeAt(f.p)
			f.failAt("Unexpected character ("+charDesc(r)+") in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value", f.p+size)
			return
		}
	}
	intStart := f.p
	for f.p < len(f.s) && f.s[f.p] >= '0' && f.s[f.p] <= '9' {
		f.p++
	}
	if f.p-intStart > 1 && f.s[intStart] == '0' {
		f.failAt("Invalid numeric value: Leading zeroes not allowed", intStart+1)
		return
	}
	isInt := true
	if f.p < len(f.s) && f.s[f.p] == '.' {
		isInt = false
		f.p++
		d := f.p
		for f.p < len(f.s) && f.s[f.p] >= '0' && f.s[f.p] <= '9' {
			f.p++
		}
		if f.p == d {
			f.numberFail("Decimal point not followed by a digit")
			return
		}
	}
	if f.p < len(f.s) && (f.s[f.p] == 'e' || f.s[f.p] == 'E') {
		isInt = false
		f.p++
		if f.p < len(f.s) && (f.s[f.p] == '+' || f.s[f.p] == '-') {
			f.p++
		}
		d := f.p
		for f.p < len(f.s) && f.s[f.p] >= '0' && f.s[f.p] <= '9' {
			f.p++
		}
		if f.p == d {
			f.numberFail("Exponent indicator not followed by a digit")
			return
		}
	}
	if f.depth == 0 && f.p < len(f.s) {
		switch f.s[f.p] {
		case ' ', '\t', '\r', '\n':
		default:
			f.unexpected(f.p, "Expected space separating root-level values")
			return
		}
	}
	lit := f.s[start:f.p]
	if isInt {
		if strings.Trim(lit, "-0") == "" { // -0 is the integer 0
			f.out = append(f.out, '0')
			return
		}
		f.out = append(f.out, lit...)
		return
	}
	v, _ := strconv.ParseFloat(lit, 64)
	f.out = appendJavaDouble(f.out, v)
}

func (f *jsonFormatter) numberFail(comment string) {
	if f.p >= len(f.s) {
		f.failAt("Unexpected end-of-input in numeric value", f.p)
		return
	}
	r, size := f.runeAt(f.p)
	f.failAt("Unexpected character ("+charDesc(r)+") in numeric value: "+comment, f.p+size)
}

// appendJavaDouble appends v as java.lang.Double.toString printed it
// (Jackson quoted the non-finite values).
func appendJavaDouble(dst []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(v, -1):
		return append(dst, `"-Infinity"`...)
	case math.IsNaN(v):
		return append(dst, `"NaN"`...)
	case v == 0:
		if math.Signbit(v) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	a := math.Abs(v)
	if a >= 1e-3 && a < 1e7 {
		n := len(dst)
		dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
		for i := n; i < len(dst); i++ {
			if dst[i] == '.' {
				return dst
			}
		}
		return append(dst, ".0"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], v, 'e', -1, 64) // d.ddde±xx
	mant, exp, _ := strings.Cut(string(e), "e")
	dst = append(dst, mant...)
	if !strings.Contains(mant, ".") {
		dst = append(dst, ".0"...)
	}
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	return append(dst, strings.TrimLeft(exp[1:], "0")...)
}
