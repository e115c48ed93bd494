package iglu

import (
	"encoding/json"
	"math/big"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The fast path of Schema.Validate. Most Iglu entities are small objects
// validated against schemas that use only type, enum, properties, required,
// additionalProperties, items, min/maxItems, min/maxLength, pattern, format
// and min/maximum. For those, fastNode decides "valid" directly on the JSON
// text, without decoding it into maps and without the general validator's
// bookkeeping. It never decides "invalid": whenever a document fails a
// check, or needs something the fast path does not model (a number bound it
// cannot compare as an integer, a number in an enum, a format on a
// non-string, deep nesting, …), Validate falls back to decoding and the
// full validator, which gives the verdict and the exact error. So the fast
// path must accept only documents that the decoder accepts and that the
// full validator finds valid; FuzzFastPath checks exactly that.
//
// Each keyword is checked as jsonschema/v6 (validator.go) checks it, on the
// value decodeValue would produce: strings unescaped (invalid UTF-8 as
// U+FFFD), numbers as their literal (json.Number), duplicate object keys
// resolved to the last value. The fast path validates every occurrence of a
// repeated key, which is stricter than validating the last one only.

// Bits of fastNode.types.
const (
	fastNull uint8 = 1 << iota
	fastBool
	fastNumber
	fastInteger
	fastString
	fastArray
	fastObject
)

// maxFastDepth bounds the nesting the fast path follows; deeper documents
// take the full path (which has its own limit).
const maxFastDepth = 64

// Handling of members not named in properties.
const (
	addAny    = iota // no additionalProperties, or true
	addNone          // additionalProperties: false
	addSchema        // additionalProperties: {schema}
)

// fastNode is a compiled (sub)schema the fast path can check. A nil
// *fastNode accepts any JSON value.
type fastNode struct {
	types uint8 // 0 = any type

	hasEnum   bool
	enumTypes uint8 // types present among the enum values
	enumStr   []string
	enumBool  [2]bool // false, true allowed
	enumNull  bool

	format  *jsonschema.Format
	uuid    bool // format is the library's "uuid": checked by isUUID
	pattern jsonschema.Regexp
	minLen  int // -1 = none
	maxLen  int // -1 = none

	minimum, maximum, exclMin, exclMax *big.Rat
	// int64 copies of the bounds above when they are integers that fit.
	minI, maxI, exclMinI, exclMaxI int64
	boundsInt                      bool // every present bound has its int64 copy

	props      map[string]fastProp
	nRequired  int
	additional int
	addNode    *fastNode

	items              *fastNode
	minItems, maxItems int // -1 = none
}

// fastProp is a member name an object schema knows: a property, a required
// name, or both.
type fastProp struct {
	node     *fastNode
	declared bool // named in properties (else only in required)
	req      int  // bit index among required names, -1 = not required
}

// compileFast builds the fast path of a compiled schema. ok is false when
// the schema uses a keyword the fast path does not model.
func compileFast(s *jsonschema.Schema) (n *fastNode, ok bool) {
	return compileFastNode(s, 0)
}

func compileFastNode(s *jsonschema.Schema, depth int) (*fastNode, bool) {
	if s == nil {
		return nil, true
	}
	if depth > maxFastDepth || s.DraftVersion < 4 || s.DraftVersion > 7 {
		return nil, false
	}
	if s.Bool != nil {
		return nil, *s.Bool // true accepts anything; false: full path
	}
	if s.Ref != nil || s.RecursiveRef != nil || s.DynamicRef != nil || s.Const != nil ||
		s.Not != nil || len(s.AllOf) > 0 || len(s.AnyOf) > 0 || len(s.OneOf) > 0 ||
		s.If != nil || s.Then != nil || s.Else != nil ||
		s.MaxProperties != nil || s.MinProperties != nil || s.PropertyNames != nil ||
		len(s.PatternProperties) > 0 || len(s.Dependencies) > 0 || len(s.DependentRequired) > 0 ||
		len(s.DependentSchemas) > 0 || s.UnevaluatedProperties != nil ||
		s.UniqueItems || s.Contains != nil || s.MinContains != nil || s.MaxContains != nil ||
		s.AdditionalItems != nil || len(s.PrefixItems) > 0 || s.Items2020 != nil || s.UnevaluatedItems != nil ||
		s.ContentEncoding != nil || s.ContentMediaType != nil || s.ContentSchema != nil ||
		s.MultipleOf != nil || len(s.Extensions) > 0 {
		return nil, false
	}
	n := &fastNode{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	if s.Types != nil {
		for _, t := range s.Types.ToStrings() {
			switch t {
			case "null":
				n.types |= fastNull
			case "boolean":
				n.types |= fastBool
			case "number":
				n.types |= fastNumber
			case "integer":
				n.types |= fastInteger
			case "string":
				n.types |= fastString
			case "array":
				n.types |= fastArray
			case "object":
				n.types |= fastObject
			default:
				return nil, false
			}
		}
	}
	if s.Enum != nil {
		n.hasEnum = true
		for _, v := range s.Enum.Values {
			switch v := v.(type) {
			case nil:
				n.enumNull = true
				n.enumTypes |= fastNull
			case bool:
				if v {
					n.enumBool[1] = true
				} else {
					n.enumBool[0] = true
				}
				n.enumTypes |= fastBool
			case string:
				n.enumStr = append(n.enumStr, v)
				n.enumTypes |= fastString
			case json.Number, float64:
				n.enumTypes |= fastNumber // a number instance takes the full path
			default:
				return nil, false // objects and arrays in an enum
			}
		}
	}
	n.format = s.Format
	// compile registers no "uuid" of its own: the format is the library's
	// validateUUID, whose verdict isUUID gives without allocating.
	n.uuid = s.Format != nil && s.Format.Name == "uuid"
	n.pattern = s.Pattern
	if s.MinLength != nil {
		n.minLen = *s.MinLength
	}
	if s.MaxLength != nil {
		n.maxLen = *s.MaxLength
	}
	n.minimum, n.maximum, n.exclMin, n.exclMax = s.Minimum, s.Maximum, s.ExclusiveMinimum, s.ExclusiveMaximum
	n.boundsInt = true
	for _, b := range []struct {
		r   *big.Rat
		dst *int64
	}{{s.Minimum, &n.minI}, {s.Maximum, &n.maxI}, {s.ExclusiveMinimum, &n.exclMinI}, {s.ExclusiveMaximum, &n.exclMaxI}} {
		if b.r == nil {
			continue
		}
		if !b.r.IsInt() || !b.r.Num().IsInt64() {
			n.boundsInt = false
			continue
		}
		*b.dst = b.r.Num().Int64()
	}
	if len(s.Properties) > 0 || len(s.Required) > 0 {
		if len(s.Required) > 64 {
			return nil, false
		}
		n.props = make(map[string]fastProp, len(s.Properties)+len(s.Required))
		for name, ps := range s.Properties {
			sub, ok := compileFastNode(ps, depth+1)
			if !ok {
				return nil, false
			}
			n.props[name] = fastProp{node: sub, declared: true, req: -1}
		}
		for _, name := range s.Required {
			p, ok := n.props[name]
			if !ok {
				p = fastProp{req: -1}
			}
			if p.req < 0 { // a name listed twice counts once
				p.req = n.nRequired
				n.nRequired++
			}
			n.props[name] = p
		}
	}
	switch a := s.AdditionalProperties.(type) {
	case nil:
	case bool:
		if !a {
			n.additional = addNone
		}
	case *jsonschema.Schema:
		sub, ok := compileFastNode(a, depth+1)
		if !ok {
			return nil, false
		}
		n.additional, n.addNode = addSchema, sub
	default:
		return nil, false
	}
	switch it := s.Items.(type) {
	case nil:
	case *jsonschema.Schema:
		sub, ok := compileFastNode(it, depth+1)
		if !ok {
			return nil, false
		}
		n.items = sub
	default:
		return nil, false // tuple items
	}
	if s.MinItems != nil {
		n.minItems = *s.MinItems
	}
	if s.MaxItems != nil {
		n.maxItems = *s.MaxItems
	}
	return n, true
}

// validDoc reports whether doc is one JSON value (surrounded by optional
// whitespace) that n finds valid. false means "ask the full validator".
func (n *fastNode) validDoc(doc string) bool {
	sc := fastScanner{s: doc}
	sc.skipSpace()
	if sc.p >= len(sc.s) || !sc.value(n, 0) {
		return false
	}
	sc.skipSpace()
	return sc.p == len(sc.s)
}

type fastScanner struct {
	s string
	p int
}

func (sc *fastScanner) skipSpace() {
	for sc.p < len(sc.s) {
		switch sc.s[sc.p] {
		case ' ', '\t', '\n', '\r':
			sc.p++
		default:
			return
		}
	}
}

// typeOK reports whether a value of kind t passes n's type and enum
// keywords' type checks (the enum values themselves are compared by the
// caller).
func (n *fastNode) typeOK(t uint8) bool {
	if n.types != 0 && n.types&t == 0 {
		return false
	}
	return !n.hasEnum || n.enumTypes&t != 0
}

// value checks the value at sc.p against n (nil = anything) and moves past
// it.
func (sc *fastScanner) value(n *fastNode, depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	switch c := sc.s[sc.p]; {
	case c == '{':
		return sc.object(n, depth)
	case c == '[':
		return sc.array(n, depth)
	case c == '"':
		return sc.stringValue(n)
	case c == '-' || (c >= '0' && c <= '9'):
		return sc.number(n)
	case c == 't':
		return sc.literal("true") && (n == nil || (n.typeOK(fastBool) && (!n.hasEnum || n.enumBool[1]) && n.formatOK(true)))
	case c == 'f':
		return sc.literal("false") && (n == nil || (n.typeOK(fastBool) && (!n.hasEnum || n.enumBool[0]) && n.formatOK(false)))
	case c == 'n':
		return sc.literal("null") && (n == nil || (n.typeOK(fastNull) && (!n.hasEnum || n.enumNull) && n.formatOK(nil)))
	}
	return false
}

// formatOK runs n's format, if any, on a decoded literal, as the validator
// does for every type (most formats accept what is not a string). (Callers
// with a string test n.format first: boxing one allocates.)
func (n *fastNode) formatOK(v any) bool {
	return n.format == nil || n.format.Validate(v) == nil
}

func (sc *fastScanner) literal(lit string) bool {
	if len(sc.s)-sc.p < len(lit) || sc.s[sc.p:sc.p+len(lit)] != lit {
		return false
	}
	sc.p += len(lit)
	return true
}

// scanString moves past the string literal at sc.p, checking it as the
// decoder does (no control characters, valid escapes). plain reports a
// literal without escapes and without non-ASCII bytes, whose content is
// s[start+1:end-1] as is.
func (sc *fastScanner) scanString() (start int, plain, ok bool) {
	start = sc.p
	sc.p++
	plain = true
	for sc.p < len(sc.s) {
		c := sc.s[sc.p]
		switch {
		case c == '"':
			sc.p++
			return start, plain, true
		case c < 0x20:
			return start, false, false
		case c == '\\':
			plain = false
			if sc.p+1 >= len(sc.s) {
				return start, false, false
			}
			switch sc.s[sc.p+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				sc.p += 2
			case 'u':
				if len(sc.s)-sc.p < 6 {
					return start, false, false
				}
				for _, h := range []byte(sc.s[sc.p+2 : sc.p+6]) {
					if !isHex(h) {
						return start, false, false
					}
				}
				sc.p += 6
			default:
				return start, false, false
			}
		case c >= utf8.RuneSelf:
			plain = false
			sc.p++
		default:
			sc.p++
		}
	}
	return start, false, false
}

// text returns the decoded content of the string literal s[start:end].
func (sc *fastScanner) text(start, end int, plain bool) (string, bool) {
	if plain {
		return sc.s[start+1 : end-1], true
	}
	d := decoder{data: []byte(sc.s[start:end])}
	v, err := d.string()
	return v, err == nil
}

func (sc *fastScanner) stringValue(n *fastNode) bool {
	start, plain, ok := sc.scanString()
	if !ok {
		return false
	}
	if n == nil {
		return true
	}
	if !n.typeOK(fastString) {
		return false
	}
	if !n.hasEnum && n.format == nil && n.pattern == nil && n.minLen < 0 && n.maxLen < 0 {
		return true
	}
	v, ok := sc.text(start, sc.p, plain)
	if !ok {
		return false
	}
	if n.hasEnum {
		found := false
		for _, e := range n.enumStr {
			if e == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if n.uuid {
		if !isUUID(v) {
			return false
		}
	} else if n.format != nil && n.format.Validate(v) != nil {
		return false
	}
	if n.minLen >= 0 || n.maxLen >= 0 {
		l := len(v)
		if !plain {
			l = utf8.RuneCountInString(v)
		}
		if (n.minLen >= 0 && l < n.minLen) || (n.maxLen >= 0 && l > n.maxLen) {
			return false
		}
	}
	return n.pattern == nil || n.pattern.MatchString(v)
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and checks it.
func (sc *fastScanner) number(n *fastNode) bool {
	start := sc.p
	if sc.s[sc.p] == '-' {
		sc.p++
	}
	switch {
	case sc.p < len(sc.s) && sc.s[sc.p] == '0':
		sc.p++
	case sc.p < len(sc.s) && sc.s[sc.p] >= '1' && sc.s[sc.p] <= '9':
		sc.digits()
	default:
		return false
	}
	plainInt := true
	if sc.p < len(sc.s) && sc.s[sc.p] == '.' {
		plainInt = false
		sc.p++
		if !sc.digits() {
			return false
		}
	}
	if sc.p < len(sc.s) && (sc.s[sc.p] == 'e' || sc.s[sc.p] == 'E') {
		plainInt = false
		sc.p++
		if sc.p < len(sc.s) && (sc.s[sc.p] == '+' || sc.s[sc.p] == '-') {
			sc.p++
		}
		if !sc.digits() {
			return false
		}
	}
	if n == nil {
		return true
	}
	if n.hasEnum {
		return false // numbers in an enum: full path
	}
	lit := sc.s[start:sc.p]
	if n.format != nil && n.format.Validate(json.Number(lit)) != nil {
		return false
	}
	hasBounds := n.minimum != nil || n.maximum != nil || n.exclMin != nil || n.exclMax != nil
	// An int64 value of the literal, when it is a plain integer that fits.
	var iv int64
	isInt64 := false
	if plainInt && len(lit) <= 18 {
		isInt64 = true
		neg := lit[0] == '-'
		for _, c := range []byte(lit) {
			if c != '-' {
				iv = iv*10 + int64(c-'0')
			}
		}
		if neg {
			iv = -iv
		}
	}
	var rat *big.Rat
	ratOf := func() *big.Rat {
		if rat == nil {
			rat, _ = new(big.Rat).SetString(lit)
		}
		return rat
	}
	if n.types != 0 && n.types&fastNumber == 0 {
		if n.types&fastInteger == 0 {
			return false
		}
		if !plainInt {
			if r := ratOf(); r == nil || !r.IsInt() {
				return false
			}
		}
	}
	if !hasBounds {
		return true
	}
	if isInt64 && n.boundsInt {
		return (n.minimum == nil || iv >= n.minI) && (n.maximum == nil || iv <= n.maxI) &&
			(n.exclMin == nil || iv > n.exclMinI) && (n.exclMax == nil || iv < n.exclMaxI)
	}
	r := ratOf()
	if r == nil {
		return false
	}
	return (n.minimum == nil || r.Cmp(n.minimum) >= 0) && (n.maximum == nil || r.Cmp(n.maximum) <= 0) &&
		(n.exclMin == nil || r.Cmp(n.exclMin) > 0) && (n.exclMax == nil || r.Cmp(n.exclMax) < 0)
}

func (sc *fastScanner) digits() bool {
	start := sc.p
	for sc.p < len(sc.s) && sc.s[sc.p] >= '0' && sc.s[sc.p] <= '9' {
		sc.p++
	}
	return sc.p > start
}

func (sc *fastScanner) object(n *fastNode, depth int) bool {
	if n != nil && (!n.typeOK(fastObject) || n.hasEnum || n.format != nil) {
		return false
	}
	sc.p++ // {
	sc.skipSpace()
	var seen uint64 // required names present
	if sc.p < len(sc.s) && sc.s[sc.p] == '}' {
		sc.p++
		return n == nil || n.nRequired == 0
	}
	for {
		if sc.p >= len(sc.s) || sc.s[sc.p] != '"' {
			return false
		}
		kStart, plain, ok := sc.scanString()
		if !ok {
			return false
		}
		var sub *fastNode
		if n != nil {
			name, ok := sc.text(kStart, sc.p, plain)
			if !ok {
				return false
			}
			p, known := n.props[name]
			if p.req >= 0 && known {
				seen |= 1 << p.req
			}
			switch {
			case p.declared:
				sub = p.node
			case n.additional == addNone:
				return false
			case n.additional == addSchema:
				sub = n.addNode
			}
		}
		sc.skipSpace()
		if sc.p >= len(sc.s) || sc.s[sc.p] != ':' {
			return false
		}
		sc.p++
		sc.skipSpace()
		if sc.p >= len(sc.s) || !sc.value(sub, depth+1) {
			return false
		}
		sc.skipSpace()
		if sc.p >= len(sc.s) {
			return false
		}
		switch sc.s[sc.p] {
		case ',':
			sc.p++
			sc.skipSpace()
		case '}':
			sc.p++
			return n == nil || n.nRequired == 0 || seen == 1<<n.nRequired-1
		default:
			return false
		}
	}
}

func (sc *fastScanner) array(n *fastNode, depth int) bool {
	if n != nil && (!n.typeOK(fastArray) || n.hasEnum || n.format != nil) {
		return false
	}
	sc.p++ // [
	sc.skipSpace()
	var items *fastNode
	if n != nil {
		items = n.items
	}
	count := 0
	if sc.p < len(sc.s) && sc.s[sc.p] == ']' {
		sc.p++
	} else {
		for {
			if sc.p >= len(sc.s) || !sc.value(items, depth+1) {
				return false
			}
			count++
			sc.skipSpace()
			if sc.p >= len(sc.s) {
				return false
			}
			if sc.s[sc.p] == ']' {
				sc.p++
				break
			}
			if sc.s[sc.p] != ',' {
				return false
			}
			sc.p++
			sc.skipSpace()
		}
	}
	return n == nil || ((n.minItems < 0 || count >= n.minItems) && (n.maxItems < 0 || count <= n.maxItems))
}

// isUUID reports what jsonschema/v6's "uuid" format accepts: five
// '-'-separated groups of 8, 4, 4, 4 and 12 hex digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}
