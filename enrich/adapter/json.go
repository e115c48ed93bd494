package adapter

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/furrowdata/furrow/internal/javautil"
)

// This file holds the JSON model the adapters build their unstruct_event
// documents with. Snowplow R108 parsed JSON with Jackson into json4s values
// and rendered them with Jackson again; the enriched TSV is compared byte for
// byte, so this model keeps what that pair kept: object key order, integers
// and floating-point numbers as distinct kinds (integers exact, floats
// rendered like java.lang.Double.toString), duplicate keys (json4s keeps
// them, a Jackson tree keeps the last value at the first key's position) and
// Jackson's string escaping.

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jInt    // s holds the canonical decimal digits (BigInteger.toString)
	jDouble // f holds the value
	jString // s holds the value
	jArray
	jObject
)

// jfield is one member of a JSON object.
type jfield struct {
	name string
	val  *jvalue
}

// jvalue is one JSON value. Objects keep their members in order.
type jvalue struct {
	kind jkind
	b    bool
	s    string
	f    float64
	arr  []*jvalue
	obj  []jfield
	// start and end locate the value in the parsed source (end exclusive);
	// zero for values built in code.
	start, end int
}

func jstr(s string) *jvalue     { return &jvalue{kind: jString, s: s} }
func jnull() *jvalue            { return &jvalue{kind: jNull} }
func jbool(b bool) *jvalue      { return &jvalue{kind: jBool, b: b} }
func jdouble(f float64) *jvalue { return &jvalue{kind: jDouble, f: f} }
func jint64(n int64) *jvalue    { return &jvalue{kind: jInt, s: strconv.FormatInt(n, 10)} }
func jobj(fields ...jfield) *jvalue {
	return &jvalue{kind: jObject, obj: fields}
}

// jintText returns an integer value from decimal digits with an optional
// sign, normalised like java.math.BigInteger.toString ("-0" → "0", "007" →
// "7").
func jintText(s string) *jvalue {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return &jvalue{kind: jInt, s: "0"}
	}
	if neg {
		s = "-" + s
	}
	return &jvalue{kind: jInt, s: s}
}

// get returns the value of the first member called name, or nil (json4s's
// JNothing) when v is not an object or has no such member.
func (v *jvalue) get(name string) *jvalue {
	if v == nil || v.kind != jObject {
		return nil
	}
	for _, f := range v.obj {
		if f.name == name {
			return f.val
		}
	}
	return nil
}

// child is json4s's `\ name`: the values of the members called name of v
// (looking into the elements of arrays, recursively); nil when there are
// none, the value when there is one, an array of them otherwise.
func (v *jvalue) child(name string) *jvalue {
	found := directByName(nil, v, name)
	switch len(found) {
	case 0:
		return nil
	case 1:
		return found[0]
	}
	return &jvalue{kind: jArray, arr: found}
}

func directByName(dst []*jvalue, v *jvalue, name string) []*jvalue {
	if v == nil {
		return dst
	}
	switch v.kind {
	case jObject:
		for _, f := range v.obj {
			if f.name == name {
				dst = append(dst, f.val)
			}
		}
	case jArray:
		for _, e := range v.arr {
			dst = directByName(dst, e, name)
		}
	}
	return dst
}

// descendant is json4s's `\\ name`: with exactly one member called name
// anywhere in v its value, otherwise an object of all such members (empty
// when there are none).
func (v *jvalue) descendant(name string) *jvalue {
	var found []jfield
	var walk func(*jvalue)
	walk = func(x *jvalue) {
		if x == nil {
			return
		}
		switch x.kind {
		case jObject:
			for _, f := range x.obj {
				if f.name == name {
					found = append(found, f)
				}
				walk(f.val)
			}
		case jArray:
			for _, e := range x.arr {
				walk(e)
			}
		}
	}
	walk(v)
	if len(found) == 1 {
		return found[0].val
	}
	return &jvalue{kind: jObject, obj: found}
}

// children is json4s's `children`: an object's member values, an array's
// elements, nothing for other values.
func (v *jvalue) children() []*jvalue {
	if v == nil {
		return nil
	}
	switch v.kind {
	case jArray:
		return v.arr
	case jObject:
		out := make([]*jvalue, len(v.obj))
		for i, f := range v.obj {
			out[i] = f.val
		}
		return out
	}
	return nil
}

// extractString is json4s's extractOpt[String] with DefaultFormats: strings
// as they are, numbers in their rendered form, everything else none.
func extractString(v *jvalue) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.kind {
	case jString:
		return v.s, true
	case jInt:
		return v.s, true
	case jDouble:
		return javaDouble(v.f), true
	}
	return "", false
}

// ---------------------------------------------------------------------------
// Rendering (Jackson's compact writer as json4s-jackson used it)

// render returns v as compact JSON.
func (v *jvalue) render() string {
	return string(appendJSON(nil, v))
}

func appendJSON(dst []byte, v *jvalue) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	switch v.kind {
	case jNull:
		return append(dst, "null"...)
	case jBool:
		if v.b {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case jInt:
		return append(dst, v.s...)
	case jDouble:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			// Jackson quotes non-numeric numbers by default.
			dst = append(dst, '"')
			dst = append(dst, javaDouble(v.f)...)
			return append(dst, '"')
		}
		return append(dst, javaDouble(v.f)...)
	case jString:
		return appendJSONString(dst, v.s)
	case jArray:
		dst = append(dst, '[')
		for i, e := range v.arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e)
		}
		return append(dst, ']')
	case jObject:
		dst = append(dst, '{')
		for i, f := range v.obj {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.name)
			dst = append(dst, ':')
			dst = appendJSON(dst, f.val)
		}
		return append(dst, '}')
	}
	return dst
}

const hexUpper = "0123456789ABCDEF"

// appendJSONString quotes s the way Jackson's generator does: '"' and '\\'
// escaped, control characters as \b \t \n \f \r or \u00XX (upper-case hex),
// everything else (including non-ASCII and '/') as is. Invalid UTF-8 is
// replaced the way a Java UTF-8 decoder would.
func appendJSONString(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = javautil.UTF8String(s)
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
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

// javaDouble formats f like java.lang.Double.toString: plain notation with at
// least one fractional digit for 1e-3 <= |f| < 1e7, otherwise computerized
// scientific notation ("1.0E10", "1.234E-5"). Digits are the shortest that
// round-trip.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsRune(s, '.') {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	if !strings.ContainsRune(s, '.') {
		// Java prints at least two significant digits, the second one
		// correctly rounded (4.9E-324, not 5.0E-324, for Double.MIN_VALUE).
		s = strconv.FormatFloat(f, 'e', 1, 64)
	}
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.ContainsRune(mant, '.') {
		mant += ".0"
	}
	if exp[0] == '+' {
		exp = exp[1:]
	}
	exp = strings.TrimLeft(exp, "0")
	if strings.HasPrefix(exp, "-") {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	}
	return mant + "E" + exp
}

// ---------------------------------------------------------------------------
// Parsing (Jackson's default JSON grammar)

// dupMode says what a parser does with a repeated object key.
type dupMode uint8

const (
	// dupKeep keeps every member, as json4s's parse did.
	dupKeep dupMode = iota
	// dupLast keeps one member per key at the first position with the last
	// value, as a Jackson tree (ObjectMapper.readTree) did.
	dupLast
)

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 1000

// jsonError is a JSON syntax error with its position (1-based line and
// column, counted in characters).
type jsonError struct {
	msg       string
	line, col int
}

func (e *jsonError) Error() string {
	return e.msg + " at line " + strconv.Itoa(e.line) + ", column " + strconv.Itoa(e.col)
}

type jsonParser struct {
	src   string
	pos   int
	depth int
	dups  dupMode
	// slab hands out values in blocks; fields and elems are scratch stacks
	// that nested objects and arrays share, so each container costs one
	// exactly-sized allocation.
	slab   []jvalue
	fields []jfield
	elems  []*jvalue
}

func (p *jsonParser) newValue(kind jkind) *jvalue {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]jvalue, 0, 32)
	}
	p.slab = p.slab[:len(p.slab)+1]
	v := &p.slab[len(p.slab)-1]
	v.kind = kind
	return v
}

// parseJSON parses the first JSON value in src. Like Jackson's readValue and
// readTree, content after the first complete value is not read. Invalid
// UTF-8 is first replaced as a Java decoder would have when the collector
// turned bytes into a String.
func parseJSON(src string, dups dupMode) (*jvalue, error) {
	if !utf8.ValidString(src) {
		src = javautil.UTF8String(src)
	}
	p := &jsonParser{src: src, dups: dups}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("no content to map due to end-of-input")
	}
	v, err := p.value(true)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (p *jsonParser) errorf(msg string) error {
	line, col := 1, 1
	for i, r := range p.src {
		if i >= p.pos {
			break
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &jsonError{msg: msg, line: line, col: col}
}

func (p *jsonParser) unexpected(expecting string) error {
	if p.pos >= len(p.src) {
		return p.errorf("unexpected end-of-input: " + expecting)
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return p.errorf("unexpected character (" + describeChar(r) + "): " + expecting)
}

func describeChar(r rune) string {
	if r < 0x20 {
		return "CTRL-CHAR, code " + strconv.Itoa(int(r))
	}
	return "'" + string(r) + "' (code " + strconv.Itoa(int(r)) + ")"
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(root bool) (*jvalue, error) {
	if p.pos >= len(p.src) {
		return nil, p.unexpected("expected a JSON value")
	}
	start := p.pos
	var v *jvalue
	var err error
	switch c := p.src[p.pos]; {
	case c == '{':
		v, err = p.object()
	case c == '[':
		v, err = p.array()
	case c == '"':
		var s string
		if s, err = p.str(); err == nil {
			v = p.newValue(jString)
			v.s = s
		}
	case c == '-' || (c >= '0' && c <= '9'):
		v, err = p.number(root)
	case c == 't':
		if err = p.literal("true"); err == nil {
			v = p.newValue(jBool)
			v.b = true
		}
	case c == 'f':
		if err = p.literal("false"); err == nil {
			v = p.newValue(jBool)
		}
	case c == 'n':
		if err = p.literal("null"); err == nil {
			v = p.newValue(jNull)
		}
	case isIdentChar(c):
		end := p.pos
		for end < len(p.src) && isIdentChar(p.src[end]) {
			end++
		}
		return nil, p.errorf("unrecognized token '" + p.src[p.pos:end] + "': was expecting 'null', 'true' or 'false'")
	default:
		return nil, p.unexpected("expected a valid value (number, string, array, object, 'true', 'false' or 'null')")
	}
	if err != nil {
		return nil, err
	}
	v.start, v.end = start, p.pos
	return v, nil
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *jsonParser) literal(word string) error {
	end := p.pos
	for end < len(p.src) && isIdentChar(p.src[end]) {
		end++
	}
	if p.src[p.pos:end] != word {
		tok := p.src[p.pos:end]
		if tok == "" {
			tok = p.src[p.pos : p.pos+1]
		}
		return p.errorf("unrecognized token '" + tok + "': was expecting 'null', 'true' or 'false'")
	}
	p.pos = end
	return nil
}

func (p *jsonParser) number(root bool) (*jvalue, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	switch n := p.pos - digits; {
	case n == 0:
		return nil, p.unexpected("expected digit (0-9) to follow minus sign, for valid numeric value")
	case n > 1 && p.src[digits] == '0':
		p.pos = digits
		return nil, p.errorf("invalid numeric value: leading zeroes not allowed")
	}
	isFloat := false
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		isFloat = true
		p.pos++
		fs := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == fs {
			return nil, p.unexpected("decimal point not followed by a digit")
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		isFloat = true
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		es := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == es {
			return nil, p.unexpected("exponent indicator not followed by a digit")
		}
	}
	if p.pos < len(p.src) {
		c := p.src[p.pos]
		if root && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return nil, p.unexpected("expected space separating root-level values")
		}
		if isIdentChar(c) || c == '.' {
			return nil, p.unexpected("expected a separator after a number")
		}
	}
	text := p.src[start:p.pos]
	if !isFloat {
		v := p.newValue(jInt)
		if text == "0" || (text[0] != '-' && text[0] != '0') {
			v.s = text // already canonical
		} else {
			v.s = jintText(text).s
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRangeErr(err) {
		return nil, p.errorf("invalid numeric value [" + text + "]")
	}
	v := p.newValue(jDouble)
	v.f = f
	return v, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// str parses a string literal at p.pos.
func (p *jsonParser) str() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '"' {
			s := p.src[start:p.pos]
			p.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errorf("illegal unquoted character (" + describeChar(rune(c)) + "): has to be escaped using backslash to be included in string value")
		}
		p.pos++
	}
	var b strings.Builder
	b.WriteString(p.src[start:p.pos])
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c < 0x20:
			return "", p.errorf("illegal unquoted character (" + describeChar(rune(c)) + "): has to be escaped using backslash to be included in string value")
		case c != '\\':
			b.WriteByte(c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.src) {
			break
		}
		e := p.src[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if r >= 0xD800 && r < 0xDC00 && p.pos+1 < len(p.src) && p.src[p.pos] == '\\' && p.src[p.pos+1] == 'u' {
				save := p.pos
				p.pos += 2
				r2, err := p.hex4()
				if err == nil && r2 >= 0xDC00 && r2 < 0xE000 {
					b.WriteRune(0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00))
					continue
				}
				p.pos = save
			}
			if r >= 0xD800 && r < 0xE000 {
				// A lone surrogate: a Java String holds it, but encoding it
				// to UTF-8 on output gives '?'.
				b.WriteByte('?')
				continue
			}
			b.WriteRune(r)
		default:
			p.pos--
			r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
			return "", p.errorf("unrecognized character escape " + describeChar(r))
		}
	}
	return "", p.errorf("unexpected end-of-input: was expecting closing quote for a string value")
}

func (p *jsonParser) hex4() (rune, error) {
	if p.pos+4 > len(p.src) {
		p.pos = len(p.src)
		return 0, p.errorf("unexpected end-of-input in character escape sequence")
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := p.src[p.pos+i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			p.pos += i
			return 0, p.unexpected("expected a hex-digit for character escape sequence")
		}
		r = r<<4 | rune(d)
	}
	p.pos += 4
	return r, nil
}

func (p *jsonParser) array() (*jvalue, error) {
	p.depth++
	if p.depth > maxJSONDepth {
		return nil, p.errorf("JSON nested too deeply")
	}
	defer func() { p.depth-- }()
	p.pos++
	base := len(p.elems)
	defer func() { p.elems = p.elems[:base] }()
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return p.newValue(jArray), nil
	}
	for {
		p.skipSpace()
		e, err := p.value(false)
		if err != nil {
			return nil, err
		}
		p.elems = append(p.elems, e)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unexpected("expected close marker for ARRAY")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			v := p.newValue(jArray)
			v.arr = append(make([]*jvalue, 0, len(p.elems)-base), p.elems[base:]...)
			return v, nil
		default:
			return nil, p.unexpected("was expecting comma to separate ARRAY entries")
		}
	}
}

func (p *jsonParser) object() (*jvalue, error) {
	p.depth++
	if p.depth > maxJSONDepth {
		return nil, p.errorf("JSON nested too deeply")
	}
	defer func() { p.depth-- }()
	p.pos++
	base := len(p.fields)
	defer func() { p.fields = p.fields[:base] }()
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return p.newValue(jObject), nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return nil, p.unexpected("was expecting double-quote to start field name")
		}
		name, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.unexpected("was expecting a colon to separate field name and value")
		}
		p.pos++
		p.skipSpace()
		e, err := p.value(false)
		if err != nil {
			return nil, err
		}
		replaced := false
		if p.dups == dupLast {
			for i := base; i < len(p.fields); i++ {
				if p.fields[i].name == name {
					p.fields[i].val = e
					replaced = true
					break
				}
			}
		}
		if !replaced {
			p.fields = append(p.fields, jfield{name: name, val: e})
		}
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unexpected("expected close marker for OBJECT")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			v := p.newValue(jObject)
			v.obj = append(make([]jfield, 0, len(p.fields)-base), p.fields[base:]...)
			return v, nil
		default:
			return nil, p.unexpected("was expecting comma to separate OBJECT entries")
		}
	}
}

// ---------------------------------------------------------------------------
// json4s operations

// jequal is json4s's JValue equality: objects compare as sets of members.
func jequal(a, b *jvalue) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case jNull:
		return true
	case jBool:
		return a.b == b.b
	case jInt, jString:
		return a.s == b.s
	case jDouble:
		return a.f == b.f
	case jArray:
		if len(a.arr) != len(b.arr) {
			return false
		}
		for i := range a.arr {
			if !jequal(a.arr[i], b.arr[i]) {
				return false
			}
		}
		return true
	case jObject:
		return fieldSubset(a.obj, b.obj) && fieldSubset(b.obj, a.obj)
	}
	return false
}

func fieldSubset(xs, ys []jfield) bool {
outer:
	for _, x := range xs {
		for _, y := range ys {
			if x.name == y.name && jequal(x.val, y.val) {
				continue outer
			}
		}
		return false
	}
	return true
}

// jmerge is json4s's `merge`: objects merge member by member (members of a
// keep their position, new members of b are appended), arrays keep a's
// elements and append b's elements that a does not have, anything else
// takes b.
func jmerge(a, b *jvalue) *jvalue {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.kind == jObject && b.kind == jObject:
		return &jvalue{kind: jObject, obj: mergeFields(a.obj, b.obj)}
	case a.kind == jArray && b.kind == jArray:
		return &jvalue{kind: jArray, arr: mergeVals(a.arr, b.arr)}
	}
	return b
}

func mergeFields(xs, ys []jfield) []jfield {
	out := make([]jfield, 0, len(xs)+len(ys))
	left := append([]jfield(nil), ys...)
	for _, x := range xs {
		idx := -1
		for i, y := range left {
			if y.name == x.name {
				idx = i
				break
			}
		}
		if idx < 0 {
			out = append(out, x)
			continue
		}
		y := left[idx]
		out = append(out, jfield{name: x.name, val: jmerge(x.val, y.val)})
		// json4s drops every member equal to the one it merged.
		kept := left[:0:0]
		for _, z := range left {
			if !(z.name == y.name && jequal(z.val, y.val)) {
				kept = append(kept, z)
			}
		}
		left = kept
	}
	return append(out, left...)
}

func mergeVals(xs, ys []*jvalue) []*jvalue {
	out := make([]*jvalue, 0, len(xs)+len(ys))
	left := append([]*jvalue(nil), ys...)
	for _, x := range xs {
		idx := -1
		for i, y := range left {
			if jequal(x, y) {
				idx = i
				break
			}
		}
		if idx < 0 {
			out = append(out, x)
			continue
		}
		y := left[idx]
		out = append(out, jmerge(x, y))
		kept := left[:0:0]
		for _, z := range left {
			if !jequal(z, y) {
				kept = append(kept, z)
			}
		}
		left = kept
	}
	return append(out, left...)
}

// transformFields is json4s's transformField: f is applied to every member
// of every object, depth first (a member's value is transformed before the
// member itself). f returns the replacement member and whether it applied.
func transformFields(v *jvalue, f func(jfield) (jfield, bool)) *jvalue {
	if v == nil {
		return nil
	}
	switch v.kind {
	case jObject:
		out := &jvalue{kind: jObject, obj: make([]jfield, len(v.obj))}
		for i, fl := range v.obj {
			fl = jfield{name: fl.name, val: transformFields(fl.val, f)}
			if r, ok := f(fl); ok {
				fl = r
			}
			out.obj[i] = fl
		}
		return out
	case jArray:
		out := &jvalue{kind: jArray, arr: make([]*jvalue, len(v.arr))}
		for i, e := range v.arr {
			out.arr[i] = transformFields(e, f)
		}
		return out
	}
	return v
}

// removeFields is json4s's removeField: members for which drop is true are
// removed from every object, at any depth.
func removeFields(v *jvalue, drop func(jfield) bool) *jvalue {
	if v == nil {
		return nil
	}
	switch v.kind {
	case jObject:
		out := &jvalue{kind: jObject}
		for _, fl := range v.obj {
			if drop(fl) {
				continue
			}
			out.obj = append(out.obj, jfield{name: fl.name, val: removeFields(fl.val, drop)})
		}
		return out
	case jArray:
		out := &jvalue{kind: jArray, arr: make([]*jvalue, 0, len(v.arr))}
		for _, e := range v.arr {
			out.arr = append(out.arr, removeFields(e, drop))
		}
		return out
	}
	return v
}

// isStringField reports whether f is the member name: "value" (the json4s
// pattern `_ == JField(name, value)`).
func isStringField(f jfield, name, value string) bool {
	return f.name == name && f.val != nil && f.val.kind == jString && f.val.s == value
}

// bigLow64 returns the low 64 bits of an integer value as
// BigInteger.longValue did.
func bigLow64(digits string) (int64, bool) {
	if n, err := strconv.ParseInt(digits, 10, 64); err == nil {
		return n, true
	}
	var b big.Int
	if _, ok := b.SetString(digits, 10); !ok {
		return 0, false
	}
	var mask big.Int
	mask.Lsh(big.NewInt(1), 64)
	b.Mod(&b, &mask) // two's complement low bits (Mod is Euclidean: non-negative)
	return int64(b.Uint64()), true
}
