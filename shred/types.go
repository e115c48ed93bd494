package shred

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// TypeKind is the column type a JSON Schema maps to.
type TypeKind uint8

// Column types. See Field for the mapping rules.
const (
	TypeString    TypeKind = iota // UTF-8 string
	TypeJSON                      // any JSON value, stored as its compact JSON text in a string column
	TypeBool                      // boolean
	TypeInt32                     // 32-bit integer
	TypeInt64                     // 64-bit integer
	TypeFloat64                   // IEEE double
	TypeDecimal                   // DECIMAL(Precision, Scale)
	TypeDate                      // DATE (days since 1970-01-01)
	TypeTimestamp                 // TIMESTAMP(MILLIS, UTC)
	TypeStruct                    // object with known properties (Fields)
	TypeList                      // array of one element type (Elem)
)

var typeNames = [...]string{"string", "json", "boolean", "int32", "int64", "float64", "decimal", "date", "timestamp", "struct", "list"}

// String names the type.
func (k TypeKind) String() string {
	if int(k) < len(typeNames) {
		return typeNames[k]
	}
	return "type(" + strconv.Itoa(int(k)) + ")"
}

// Field is one column (or nested member) derived from a JSON Schema, following
// Snowplow schema-ddl's parquet rules as the lake loader uses them:
//
//   - "type":"object" with properties → TypeStruct, members sorted by name; an
//     object without properties → TypeJSON.
//   - "type":"array" with one "items" schema → TypeList of that type; without
//     items or with tuple items → TypeList of TypeJSON.
//   - "type":"string": "format":"date-time" → TypeTimestamp, "format":"date" →
//     TypeDate, otherwise TypeString (maxLength kept in MaxLength).
//   - "type":"boolean" → TypeBool.
//   - "type":"integer": minimum and maximum within int32 → TypeInt32, within
//     int64 → TypeInt64, wider → DECIMAL(digits, 0) (up to 38 digits, else
//     TypeFloat64); no bounds → TypeInt64.
//   - "type":"number" → TypeFloat64, except with an integral multipleOf (→ as
//     integer) or a fractional multipleOf plus minimum and maximum (→
//     DECIMAL(p, scale of multipleOf) when p <= 38).
//   - no type but an enum: all strings → TypeString, all numbers → DECIMAL or
//     TypeFloat64, mixed → TypeJSON.
//   - anything else (unions such as ["string","integer"], no type, $ref,
//     oneOf…) → TypeJSON.
//
// "null" in a type union makes the field nullable; so does leaving it out of
// the parent's "required". Array elements are nullable only when the items
// type admits null.
type Field struct {
	// Name is the JSON property name ("" for list elements and roots).
	Name string
	// Column is the normalized column name: schema-ddl's snake_case of Name
	// with every character outside [A-Za-z0-9_] replaced by '_'.
	Column   string
	Type     TypeKind
	Nullable bool
	// Precision and Scale of a TypeDecimal.
	Precision, Scale int32
	// MaxLength is a string's JSON Schema maxLength (0 = none).
	MaxLength int
	// Fields are a TypeStruct's members.
	Fields []*Field
	// Elem is a TypeList's element.
	Elem *Field
}

// FieldsFromSchema maps a JSON Schema document (an Iglu schema) to the type
// of the data it describes.
func FieldsFromSchema(raw []byte) (*Field, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding JSON Schema: %w", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("JSON Schema is a %s, not an object", jsonKindOf(doc))
	}
	t, nullable := buildType(m, 0)
	t.Nullable = nullable
	return t, nil
}

func jsonKindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// maxSchemaDepth bounds recursion through nested schemas.
const maxSchemaDepth = 64

// schemaTypes reads "type" as a set. ok is false when "type" is absent or
// malformed.
func schemaTypes(m map[string]any) (types map[string]bool, ok bool) {
	switch t := m["type"].(type) {
	case string:
		return map[string]bool{t: true}, true
	case []any:
		types = make(map[string]bool, len(t))
		for _, e := range t {
			s, isStr := e.(string)
			if !isStr {
				return nil, false
			}
			types[s] = true
		}
		return types, len(types) > 0
	}
	return nil, false
}

// possiblyWithNull reports whether types is exactly {t} or {t, null}.
func possiblyWithNull(types map[string]bool, t string) bool {
	if !types[t] {
		return false
	}
	n := len(types)
	if types["null"] {
		n--
	}
	return n == 1
}

// buildType returns the field type of schema m and whether its "type" admits
// null explicitly (schema-ddl's JsonNullability).
func buildType(m map[string]any, depth int) (*Field, bool) {
	if depth > maxSchemaDepth {
		return &Field{Type: TypeJSON}, true
	}
	types, hasType := schemaTypes(m)
	if hasType {
		nullable := types["null"]
		switch {
		case possiblyWithNull(types, "object"):
			return buildObject(m, depth), nullable
		case possiblyWithNull(types, "array"):
			return buildArray(m, depth), nullable
		}
		// suggestions, in schema-ddl's order
		if possiblyWithNull(types, "string") {
			switch m["format"] {
			case "date":
				return &Field{Type: TypeDate}, nullable
			case "date-time":
				return &Field{Type: TypeTimestamp}, nullable
			}
		}
		if possiblyWithNull(types, "boolean") {
			return &Field{Type: TypeBool}, nullable
		}
		if possiblyWithNull(types, "string") {
			return &Field{Type: TypeString, MaxLength: intKeyword(m, "maxLength")}, nullable
		}
		if possiblyWithNull(types, "integer") {
			return integerType(m), nullable
		}
		if onlyNumeric(types) {
			return numberType(m), nullable
		}
	}
	if enum, ok := m["enum"].([]any); ok {
		return enumType(enum)
	}
	if hasType {
		return &Field{Type: TypeJSON}, types["null"]
	}
	return &Field{Type: TypeJSON}, true
}

func onlyNumeric(types map[string]bool) bool {
	n := 0
	for t := range types {
		switch t {
		case "null":
		case "number", "integer":
			n++
		default:
			return false
		}
	}
	return n > 0
}

func intKeyword(m map[string]any, key string) int {
	n, ok := m[key].(json.Number)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil || v < 0 {
		return 0
	}
	return int(v)
}

func buildObject(m map[string]any, depth int) *Field {
	props, _ := m["properties"].(map[string]any)
	if len(props) == 0 {
		return &Field{Type: TypeJSON}
	}
	required := map[string]bool{}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names) // schema-ddl sorts members by name
	st := &Field{Type: TypeStruct, Fields: make([]*Field, 0, len(names))}
	for _, k := range names {
		sub, ok := props[k].(map[string]any)
		var f *Field
		var nullable bool
		if ok {
			f, nullable = buildType(sub, depth+1)
		} else {
			f, nullable = &Field{Type: TypeJSON}, true // "prop": true or a malformed schema
		}
		f.Name = k
		f.Column = NormalizeColumn(k)
		f.Nullable = nullable || !required[k]
		st.Fields = append(st.Fields, f)
	}
	dedupeColumns(st.Fields)
	return st
}

func buildArray(m map[string]any, depth int) *Field {
	items, ok := m["items"].(map[string]any)
	if !ok {
		return &Field{Type: TypeList, Elem: &Field{Type: TypeJSON, Nullable: true}}
	}
	elem, nullable := buildType(items, depth+1)
	elem.Nullable = nullable
	return &Field{Type: TypeList, Elem: elem}
}

// bigNum parses a JSON Schema number keyword.
func bigNum(m map[string]any, key string) (*big.Rat, bool) {
	n, ok := m[key].(json.Number)
	if !ok {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(string(n))
	return r, ok
}

var (
	minInt32 = big.NewRat(-1<<31, 1)
	maxInt32 = big.NewRat(1<<31-1, 1)
	minInt64 = new(big.Rat).SetInt64(-1 << 63)
	maxInt64 = new(big.Rat).SetInt64(1<<63 - 1)
)

func integerType(m map[string]any) *Field {
	lo, okLo := bigNum(m, "minimum")
	hi, okHi := bigNum(m, "maximum")
	if !okLo || !okHi {
		return &Field{Type: TypeInt64}
	}
	switch {
	case hi.Cmp(maxInt32) <= 0 && lo.Cmp(minInt32) >= 0:
		return &Field{Type: TypeInt32}
	case hi.Cmp(maxInt64) <= 0 && lo.Cmp(minInt64) >= 0:
		return &Field{Type: TypeInt64}
	}
	digits := max(intDigits(hi), intDigits(lo))
	if digits <= 38 {
		return &Field{Type: TypeDecimal, Precision: int32(digits)}
	}
	return &Field{Type: TypeFloat64}
}

// intDigits counts the digits of r's integer part (at least 1).
func intDigits(r *big.Rat) int {
	q := new(big.Int).Quo(r.Num(), r.Denom())
	s := q.Abs(q).String()
	return len(s)
}

// decimalShape returns precision-scale (integer digits) and scale of a
// decimal literal, as BigDecimal reports them.
func decimalShape(s string) (intDigits, scale int, ok bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return 0, 0, false
		}
		exp = e
		s = s[:i]
	}
	whole, frac, _ := strings.Cut(s, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	scale = len(frac) - exp
	if digits == "" {
		digits = "0"
	}
	prec := len(digits)
	if scale < 0 {
		prec -= scale
		scale = 0
	}
	return max(prec-scale, 1), scale, true
}

func numberType(m map[string]any) *Field {
	mult, ok := m["multipleOf"].(json.Number)
	if !ok {
		return &Field{Type: TypeFloat64}
	}
	if _, err := strconv.ParseInt(string(mult), 10, 64); err == nil {
		return integerType(m)
	}
	_, scale, ok := decimalShape(string(mult))
	hi, okHi := m["maximum"].(json.Number)
	lo, okLo := m["minimum"].(json.Number)
	if !ok || !okHi || !okLo {
		return &Field{Type: TypeFloat64}
	}
	hiDigits, _, ok1 := decimalShape(string(hi))
	loDigits, _, ok2 := decimalShape(string(lo))
	if !ok1 || !ok2 {
		return &Field{Type: TypeFloat64}
	}
	prec := max(hiDigits, loDigits) + scale
	if prec > 38 || scale > 38 {
		return &Field{Type: TypeFloat64}
	}
	return &Field{Type: TypeDecimal, Precision: int32(prec), Scale: int32(scale)}
}

func enumType(values []any) (*Field, bool) {
	nullable := false
	allStrings, allNumbers := true, true
	intDig, scale := 0, 0
	for _, v := range values {
		switch x := v.(type) {
		case nil:
			nullable = true
		case string:
			allNumbers = false
		case json.Number:
			allStrings = false
			d, s, ok := decimalShape(string(x))
			if !ok {
				allNumbers = false
			}
			intDig, scale = max(intDig, d), max(scale, s)
		default:
			allStrings, allNumbers = false, false
		}
	}
	switch {
	case allStrings:
		return &Field{Type: TypeString}, nullable
	case allNumbers:
		if intDig+scale <= 38 {
			return &Field{Type: TypeDecimal, Precision: int32(max(intDig+scale, 1)), Scale: int32(scale)}, nullable
		}
		return &Field{Type: TypeFloat64}, nullable
	}
	return &Field{Type: TypeJSON}, nullable
}

var (
	snakeUpperRun = regexp.MustCompile(`([A-Z]+)([A-Z][a-z])`)
	snakeLowerUp  = regexp.MustCompile(`([a-z\d])([A-Z])`)
)

// SnakeCase is schema-ddl's StringUtils.snakeCase: "PascalCase" →
// "pascal_case", "HTMLParser" → "html_parser", '-' → '_', lower case.
func SnakeCase(s string) string {
	s = snakeUpperRun.ReplaceAllString(s, "${1}_${2}")
	s = snakeLowerUp.ReplaceAllString(s, "${1}_${2}")
	s = strings.ReplaceAll(s, "-", "_")
	return strings.ToLower(s)
}

// NormalizeColumn is schema-ddl's parquet column naming: SnakeCase, then
// every character outside [A-Za-z0-9_] becomes '_'.
func NormalizeColumn(name string) string {
	s := SnakeCase(name)
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			clean = false
			break
		}
	}
	if clean && s != "" {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < unicode.MaxASCII && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// dedupeColumns makes the columns of sibling fields unique: a later field
// whose normalized name is taken gets "_2", "_3", … appended.
func dedupeColumns(fields []*Field) {
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		c := f.Column
		for n := 2; seen[c]; n++ {
			c = f.Column + "_" + strconv.Itoa(n)
		}
		f.Column = c
		seen[c] = true
	}
}

// clone deep-copies f.
func (f *Field) clone() *Field {
	c := *f
	if f.Elem != nil {
		c.Elem = f.Elem.clone()
	}
	if f.Fields != nil {
		c.Fields = make([]*Field, len(f.Fields))
		for i, s := range f.Fields {
			c.Fields[i] = s.clone()
		}
	}
	return &c
}

// Merge returns the superset of a (an earlier version's type) and b (a later
// one), as one file schema must hold data of both:
//
//   - structs: a's members in a's order, then b's new members; a member
//     missing from one side becomes nullable;
//   - lists: merged element types;
//   - int32+int64 → int64; integer+float64 or decimal+float64 → float64;
//     integer+decimal or decimal+decimal → the decimal holding both (float64
//     beyond 38 digits); string, date and timestamp mixed → string;
//   - any other mix → TypeJSON.
//
// Nullability is the union; a string's MaxLength the larger (0 if either has
// none). Neither argument is modified.
func Merge(a, b *Field) *Field {
	out := mergeType(a, b)
	out.Name, out.Column = a.Name, a.Column
	out.Nullable = a.Nullable || b.Nullable
	return out
}

func intDigitsOf(f *Field) (int, bool) {
	switch f.Type {
	case TypeInt32:
		return 10, true
	case TypeInt64:
		return 19, true
	case TypeDecimal:
		return int(f.Precision - f.Scale), true
	}
	return 0, false
}

func isStringish(t TypeKind) bool { return t == TypeString || t == TypeDate || t == TypeTimestamp }

func mergeType(a, b *Field) *Field {
	if a.Type == b.Type {
		switch a.Type {
		case TypeStruct:
			return mergeStruct(a, b)
		case TypeList:
			return &Field{Type: TypeList, Elem: Merge(a.Elem, b.Elem)}
		case TypeDecimal:
			return mergeDecimal(a, b)
		case TypeString:
			ml := max(a.MaxLength, b.MaxLength)
			if a.MaxLength == 0 || b.MaxLength == 0 {
				ml = 0
			}
			return &Field{Type: TypeString, MaxLength: ml}
		}
		c := a.clone()
		return c
	}
	ai, aInt := intDigitsOf(a)
	bi, bInt := intDigitsOf(b)
	switch {
	case (a.Type == TypeInt32 || a.Type == TypeInt64) && (b.Type == TypeInt32 || b.Type == TypeInt64):
		return &Field{Type: TypeInt64}
	case aInt && bInt:
		return mergeDecimal(asDecimal(a, ai), asDecimal(b, bi))
	case aInt && b.Type == TypeFloat64, bInt && a.Type == TypeFloat64:
		return &Field{Type: TypeFloat64}
	case isStringish(a.Type) && isStringish(b.Type):
		return &Field{Type: TypeString}
	}
	return &Field{Type: TypeJSON}
}

func asDecimal(f *Field, intDigits int) *Field {
	if f.Type == TypeDecimal {
		return f
	}
	return &Field{Type: TypeDecimal, Precision: int32(intDigits)}
}

func mergeDecimal(a, b *Field) *Field {
	scale := max(a.Scale, b.Scale)
	intD := max(a.Precision-a.Scale, b.Precision-b.Scale)
	if intD+scale > 38 {
		return &Field{Type: TypeFloat64}
	}
	return &Field{Type: TypeDecimal, Precision: intD + scale, Scale: scale}
}

func mergeStruct(a, b *Field) *Field {
	out := &Field{Type: TypeStruct, Fields: make([]*Field, 0, len(a.Fields)+len(b.Fields))}
	inB := make(map[string]*Field, len(b.Fields))
	for _, f := range b.Fields {
		inB[f.Name] = f
	}
	inA := make(map[string]bool, len(a.Fields))
	for _, f := range a.Fields {
		inA[f.Name] = true
		if g, ok := inB[f.Name]; ok {
			out.Fields = append(out.Fields, Merge(f, g))
		} else {
			c := f.clone()
			c.Nullable = true
			out.Fields = append(out.Fields, c)
		}
	}
	for _, g := range b.Fields {
		if !inA[g.Name] {
			c := g.clone()
			c.Nullable = true
			c.Column = NormalizeColumn(g.Name)
			out.Fields = append(out.Fields, c)
		}
	}
	dedupeColumns(out.Fields)
	return out
}
