package jsonx

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a Value.
type Kind uint8

// Value kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String names the kind as JSON Schema does.
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one parsed JSON value. The zero Value is JSON null.
type Value struct {
	Kind Kind
	// True is the value of a Bool.
	True bool
	// Float reports whether a Number token had a fraction or an exponent
	// (Jackson read such tokens as doubles, the others as integers).
	Float bool
	// Str is a String's unescaped text, or a Number's token text.
	Str string
	// Elems are an Array's elements, or an Object's member values.
	Elems []Value
	// Keys are an Object's member names, parallel to Elems.
	Keys []string
	// Raw is the source text of a parsed Array or Object (sharing memory
	// with the parsed string); "" for scalars and for values built in code.
	Raw string
}

// Get returns the member named key of an Object, or nil.
func (v *Value) Get(key string) *Value {
	for i := range v.Keys {
		if v.Keys[i] == key {
			return &v.Elems[i]
		}
	}
	return nil
}

// IsNull reports whether v is JSON null (a nil *Value counts as null).
func (v *Value) IsNull() bool { return v == nil || v.Kind == Null }

// MaxDepth is the deepest nesting Parse accepts.
const MaxDepth = 1000

// SyntaxError is a parse failure, located as Jackson located it.
type SyntaxError struct {
	Msg string // Jackson's wording, without location
	Pos int    // byte offset Jackson reported (just past the offending character)
	src string
}

// Error returns the message with its location, as "msg at line L, column C".
func (e *SyntaxError) Error() string {
	line, col := e.location()
	return e.Msg + " at line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}

// Jackson returns the message as Jackson 2.6's JsonParseException.getMessage()
// rendered it after Snowplow stripped its newline:
// "<msg> at [Source: <input>; line: L, column: C]".
func (e *SyntaxError) Jackson() string {
	line, col := e.location()
	return e.Msg + " at [Source: " + e.src + "; line: " + strconv.Itoa(line) + ", column: " + strconv.Itoa(col) + "]"
}

// location counts lines and columns (UTF-16 units, 1-based) as Jackson did.
func (e *SyntaxError) location() (line, col int) {
	pos := min(max(e.Pos, 0), len(e.src))
	rowStart := strings.LastIndexByte(e.src[:pos], '\n') + 1
	line = strings.Count(e.src[:pos], "\n") + 1
	col = 1
	for _, r := range e.src[rowStart:pos] {
		if r >= 0x10000 {
			col += 2
		} else {
			col++
		}
	}
	return line, col
}

type parser struct {
	s     string
	i     int
	depth int
	err   *SyntaxError
	// scratch stacks: members of the containers being parsed; each
	// container copies its own into one exact-size slice when it closes.
	vals []Value
	keys []string
	// high-water marks of the stacks, for clearing them after a parse
	hwv, hwk int
	// slabs the closed containers' members are copied into: one allocation
	// serves many containers (of this and later parses). Handed-out parts
	// are never written again, so returned values stay valid.
	vslab []Value
	kslab []string
}

// Slab sizes: members per allocation.
const (
	valSlab = 256
	keySlab = 256
)

// copyVals returns a copy of vs carved from the value slab.
func (p *parser) copyVals(vs []Value) []Value {
	n := len(vs)
	if n > valSlab/4 {
		return append([]Value(nil), vs...)
	}
	if len(p.vslab) < n {
		p.vslab = make([]Value, valSlab)
	}
	out := p.vslab[:n:n]
	p.vslab = p.vslab[n:]
	copy(out, vs)
	return out
}

// copyKeys returns a copy of ks carved from the key slab.
func (p *parser) copyKeys(ks []string) []string {
	n := len(ks)
	if n > keySlab/4 {
		return append([]string(nil), ks...)
	}
	if len(p.kslab) < n {
		p.kslab = make([]string, keySlab)
	}
	out := p.kslab[:n:n]
	p.kslab = p.kslab[n:]
	copy(out, ks)
	return out
}

// Parse parses s as exactly one JSON value surrounded by optional whitespace.
// Strings share memory with s when they contain no escapes. The error, if
// any, is a *SyntaxError.
func Parse(s string) (Value, error) {
	var p Parser
	return p.Parse(s)
}

// Parser parses like Parse but keeps its scratch memory between calls, so
// that a long-lived Parser allocates only the values it returns. It is not
// safe for concurrent use.
type Parser struct {
	p parser
}

// Parse is Parse reusing the Parser's scratch memory. The returned Value
// shares no memory that the Parser writes again: the members of its
// containers come from slabs that later parses only carve further.
func (ps *Parser) Parse(s string) (Value, error) {
	ps.p = parser{s: s, vals: ps.p.vals[:0], keys: ps.p.keys[:0], vslab: ps.p.vslab, kslab: ps.p.kslab}
	v, err := ps.p.parse()
	clear(ps.p.vals[:ps.p.hwv]) // drop references into s and old values
	clear(ps.p.keys[:ps.p.hwk])
	if cap(ps.p.vals) > 1<<14 || cap(ps.p.keys) > 1<<14 {
		ps.p.vals, ps.p.keys = nil, nil // do not pin a huge document's scratch
	}
	ps.p.s, ps.p.err = "", nil
	return v, err
}

func (p *parser) parse() (Value, error) {
	s := p.s
	p.skipWS()
	if p.i >= len(p.s) {
		return Value{}, &SyntaxError{Msg: "No content to map due to end-of-input", Pos: len(s), src: s}
	}
	v, ok := p.value()
	if !ok {
		return Value{}, p.err
	}
	p.skipWS()
	if p.i < len(p.s) {
		p.unexpected(p.i, "expected end-of-input after the JSON value")
		return Value{}, p.err
	}
	return v, nil
}

func (p *parser) fail(msg string, pos int) bool {
	if p.err == nil {
		p.err = &SyntaxError{Msg: msg, Pos: pos, src: p.s}
	}
	return false
}

// charDesc describes a character as Jackson's _getCharDesc did.
func charDesc(r rune) string {
	if r < 0x20 || r >= 0x7f && r <= 0x9f { // Character.isISOControl
		return "(CTRL-CHAR, code " + strconv.Itoa(int(r)) + ")"
	}
	if r > 255 {
		return "'" + string(r) + "' (code " + strconv.Itoa(int(r)) + " / 0x" + strconv.FormatInt(int64(r), 16) + ")"
	}
	return "'" + string(r) + "' (code " + strconv.Itoa(int(r)) + ")"
}

// unexpected reports the character at byte offset at.
func (p *parser) unexpected(at int, comment string) bool {
	r, size := utf8.DecodeRuneInString(p.s[at:])
	return p.fail("Unexpected character ("+charDesc(r)+"): "+comment, at+size)
}

func (p *parser) eof(comment string) bool {
	return p.fail("Unexpected end-of-input: "+comment, len(p.s))
}

func (p *parser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

const expectValue = "expected a valid value (number, String, array, object, 'true', 'false' or 'null')"

func (p *parser) value() (Value, bool) {
	if p.i >= len(p.s) {
		return Value{}, p.eof("expected a value")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		p.i++
		s, ok := p.str()
		return Value{Kind: String, Str: s}, ok
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", Value{Kind: Bool, True: true})
	case c == 'f':
		return p.literal("false", Value{Kind: Bool})
	case c == 'n':
		return p.literal("null", Value{})
	default:
		r, _ := utf8.DecodeRuneInString(p.s[p.i:])
		if isIdentStart(r) {
			return Value{}, p.badToken(p.i, "('true', 'false' or 'null')")
		}
		return Value{}, p.unexpected(p.i, expectValue)
	}
}

func isIdentStart(r rune) bool {
	return r == '$' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 && r != utf8.RuneError
}

func isIdentPart(r rune) bool { return isIdentStart(r) || r >= '0' && r <= '9' }

// badToken reports the identifier-like token starting at from.
func (p *parser) badToken(from int, expecting string) bool {
	end := from
	for end < len(p.s) {
		r, size := utf8.DecodeRuneInString(p.s[end:])
		if !isIdentPart(r) {
			break
		}
		end += size
	}
	if end == from {
		end = from + 1
	}
	return p.fail("Unrecognized token '"+p.s[from:end]+"': was expecting "+expecting, end)
}

func (p *parser) literal(word string, out Value) (Value, bool) {
	if strings.HasPrefix(p.s[p.i:], word) {
		end := p.i + len(word)
		if end < len(p.s) {
			if r, _ := utf8.DecodeRuneInString(p.s[end:]); isIdentPart(r) {
				return Value{}, p.badToken(p.i, "'null', 'true', 'false' or NaN")
			}
		}
		p.i = end
		return out, true
	}
	return Value{}, p.badToken(p.i, "'null', 'true', 'false' or NaN")
}

func (p *parser) number() (Value, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
		if p.i >= len(p.s) {
			return Value{}, p.eof("in a Number value")
		}
		if c := p.s[p.i]; c < '0' || c > '9' {
			return Value{}, p.unexpected(p.i, "expected digit (0-9) to follow minus sign, for valid numeric value")
		}
	}
	if p.s[p.i] == '0' && p.i+1 < len(p.s) && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9' {
		return Value{}, p.fail("Invalid numeric value: Leading zeroes not allowed", p.i+2)
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	float := false
	if p.i < len(p.s) && p.s[p.i] == '.' {
		float = true
		p.i++
		d := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			if p.i >= len(p.s) {
				return Value{}, p.eof("in a Number value")
			}
			return Value{}, p.unexpected(p.i, "Decimal point not followed by a digit")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		float = true
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		d := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			if p.i >= len(p.s) {
				return Value{}, p.eof("in a Number value")
			}
			return Value{}, p.unexpected(p.i, "Exponent indicator not followed by a digit")
		}
	}
	return Value{Kind: Number, Float: float, Str: p.s[start:p.i]}, true
}

// str reads a string body after its opening quote.
func (p *parser) str() (string, bool) {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			if !utf8.ValidString(s) {
				s = strings.ToValidUTF8(s, "\uFFFD")
			}
			return s, true
		}
		if c == '\\' {
			return p.strEscaped(start)
		}
		if c < 0x20 {
			p.fail("Illegal unquoted character ("+charDesc(rune(c))+"): has to be escaped using backslash to be included in string value", p.i+1)
			return "", false
		}
		p.i++
	}
	p.eof("was expecting closing quote for a string value")
	return "", false
}

func (p *parser) strEscaped(start int) (string, bool) {
	b := make([]byte, 0, p.i-start+16)
	b = append(b, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(b) {
				return strings.ToValidUTF8(string(b), "\uFFFD"), true
			}
			return string(b), true
		case c < 0x20:
			p.fail("Illegal unquoted character ("+charDesc(rune(c))+"): has to be escaped using backslash to be included in string value", p.i+1)
			return "", false
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			p.eof("was expecting closing quote for a string value")
			return "", false
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) && r < 0xdc00 && p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
				save := p.i
				p.i += 2
				r2, ok := p.hex4()
				if !ok {
					return "", false
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					b = utf8.AppendRune(b, d)
					continue
				}
				p.i = save
			}
			b = utf8.AppendRune(b, r) // lone surrogates become U+FFFD
		default:
			r, _ := utf8.DecodeRuneInString(p.s[p.i-1:])
			p.fail("Unrecognized character escape "+charDesc(r), p.i)
			return "", false
		}
	}
	p.eof("was expecting closing quote for a string value")
	return "", false
}

func (p *parser) hex4() (rune, bool) {
	var r rune
	for k := 0; k < 4; k++ {
		if p.i >= len(p.s) {
			p.eof("was expecting closing quote for a string value")
			return 0, false
		}
		c := p.s[p.i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			p.unexpected(p.i, "expected a hex-digit for character escape sequence")
			return 0, false
		}
		r = r<<4 | rune(d)
		p.i++
	}
	return r, true
}

func (p *parser) enter() bool {
	p.depth++
	if p.depth > MaxDepth {
		return p.fail("JSON nesting deeper than "+strconv.Itoa(MaxDepth)+" levels", p.i+1)
	}
	return true
}

func (p *parser) array() (Value, bool) {
	open := p.i
	p.i++
	if !p.enter() {
		return Value{}, false
	}
	defer func() { p.depth-- }()
	base := len(p.vals)
	defer func() {
		p.hwv = max(p.hwv, len(p.vals))
		p.vals = p.vals[:base]
	}()
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return Value{Kind: Array, Elems: []Value{}, Raw: p.s[open:p.i]}, true
	}
	for {
		p.skipWS()
		if p.i >= len(p.s) {
			return Value{}, p.eof("expected close marker for ARRAY (from " + p.from(open) + ")")
		}
		elem, ok := p.value()
		if !ok {
			return Value{}, false
		}
		p.vals = append(p.vals, elem)
		p.skipWS()
		if p.i >= len(p.s) {
			return Value{}, p.eof("expected close marker for ARRAY (from " + p.from(open) + ")")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return Value{Kind: Array, Elems: p.copyVals(p.vals[base:]), Raw: p.s[open:p.i]}, true
		default:
			return Value{}, p.unexpected(p.i, "was expecting comma to separate ARRAY entries")
		}
	}
}

// from renders a start location as Jackson's "[Source: …; line: 1, column: N]".
func (p *parser) from(at int) string {
	e := SyntaxError{Pos: at, src: p.s}
	line, col := e.location()
	return "[Source: " + p.s + "; line: " + strconv.Itoa(line) + ", column: " + strconv.Itoa(col) + "]"
}

func (p *parser) object() (Value, bool) {
	open := p.i
	p.i++
	if !p.enter() {
		return Value{}, false
	}
	defer func() { p.depth-- }()
	base, kbase := len(p.vals), len(p.keys)
	defer func() {
		p.hwv, p.hwk = max(p.hwv, len(p.vals)), max(p.hwk, len(p.keys))
		p.vals, p.keys = p.vals[:base], p.keys[:kbase]
	}()
	var index map[string]int // built once the object is large
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return Value{Kind: Object, Keys: []string{}, Elems: []Value{}, Raw: p.s[open:p.i]}, true
	}
	for {
		p.skipWS()
		if p.i >= len(p.s) {
			return Value{}, p.eof("expected close marker for OBJECT (from " + p.from(open) + ")")
		}
		if p.s[p.i] != '"' {
			return Value{}, p.unexpected(p.i, "was expecting double-quote to start field name")
		}
		p.i++
		key, ok := p.str()
		if !ok {
			return Value{}, false
		}
		p.skipWS()
		if p.i >= len(p.s) {
			return Value{}, p.eof("expected close marker for OBJECT (from " + p.from(open) + ")")
		}
		if p.s[p.i] != ':' {
			return Value{}, p.unexpected(p.i, "was expecting a colon to separate field name and value")
		}
		p.i++
		p.skipWS()
		val, ok := p.value()
		if !ok {
			return Value{}, false
		}
		keys := p.keys[kbase:]
		k := -1
		if index != nil {
			if j, ok := index[key]; ok {
				k = j
			}
		} else {
			k = indexOf(keys, key)
		}
		if k >= 0 {
			p.vals[base+k] = val // Jackson: the last value wins, at the first position
		} else {
			p.keys = append(p.keys, key)
			p.vals = append(p.vals, val)
			if index != nil {
				index[key] = len(keys)
			} else if len(keys)+1 > 32 {
				index = make(map[string]int, 2*len(keys)+2)
				for j, kk := range p.keys[kbase:] {
					index[kk] = j
				}
			}
		}
		p.skipWS()
		if p.i >= len(p.s) {
			return Value{}, p.eof("expected close marker for OBJECT (from " + p.from(open) + ")")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return Value{Kind: Object, Keys: p.copyKeys(p.keys[kbase:]), Elems: p.copyVals(p.vals[base:]), Raw: p.s[open:p.i]}, true
		default:
			return Value{}, p.unexpected(p.i, "was expecting comma to separate OBJECT entries")
		}
	}
}

func indexOf(keys []string, k string) int {
	for i := range keys {
		if keys[i] == k {
			return i
		}
	}
	return -1
}
