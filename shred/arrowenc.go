package shred

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/furrowdata/furrow/shred/internal/jsonx"
)

// arrowType returns the Arrow type of a nested field (wide-row layout).
func arrowType(f *Field) arrow.DataType {
	switch f.Type {
	case TypeBool:
		return arrow.FixedWidthTypes.Boolean
	case TypeInt32:
		return arrow.PrimitiveTypes.Int32
	case TypeInt64:
		return arrow.PrimitiveTypes.Int64
	case TypeFloat64:
		return arrow.PrimitiveTypes.Float64
	case TypeDecimal:
		return &arrow.Decimal128Type{Precision: max(f.Precision, 1), Scale: f.Scale}
	case TypeDate:
		return arrow.FixedWidthTypes.Date32
	case TypeTimestamp:
		return timestampMillisUTC
	case TypeStruct:
		fields := make([]arrow.Field, len(f.Fields))
		for i, s := range f.Fields {
			fields[i] = arrowField(s, s.Column, s.Nullable)
		}
		return arrow.StructOf(fields...)
	case TypeList:
		return arrow.ListOfField(arrowField(f.Elem, "element", f.Elem.Nullable))
	}
	return arrow.BinaryTypes.String
}

// arrowField returns f as an Arrow field; a string's maxLength is kept in the
// field metadata ("maxLength").
func arrowField(f *Field, name string, nullable bool) arrow.Field {
	af := arrow.Field{Name: name, Type: arrowType(f), Nullable: nullable}
	if f.Type == TypeString && f.MaxLength > 0 {
		af.Metadata = arrow.NewMetadata([]string{"maxLength"}, []string{strconv.Itoa(f.MaxLength)})
	}
	return af
}

// encoder appends one JSON value (nil = missing) to its Arrow builder(s).
// Values were checked by the Shredder against their own version's type, and
// merged types only widen, so a conversion error here means a broken
// invariant; it is returned, not hidden.
type encoder interface {
	append(v *jsonx.Value) error
}

// newEncoder returns the nested encoder of f writing into b (wide-row
// layout), or into flat columns of rb when flatten is set (see flatColumns).
func newEncoder(f *Field, b array.Builder) encoder {
	switch f.Type {
	case TypeStruct:
		sb := b.(*array.StructBuilder)
		e := &structEnc{b: sb, fields: f.Fields, children: make([]encoder, len(f.Fields))}
		for i, s := range f.Fields {
			e.children[i] = newEncoder(s, sb.FieldBuilder(i))
		}
		e.index()
		return e
	case TypeList:
		lb := b.(*array.ListBuilder)
		return &listEnc{b: lb, elem: newEncoder(f.Elem, lb.ValueBuilder())}
	}
	return newLeafEncoder(f, b)
}

func newLeafEncoder(f *Field, b array.Builder) encoder {
	switch f.Type {
	case TypeBool:
		return boolEnc{b.(*array.BooleanBuilder)}
	case TypeInt32:
		return int32Enc{b.(*array.Int32Builder)}
	case TypeInt64:
		return int64Enc{b.(*array.Int64Builder)}
	case TypeFloat64:
		return float64Enc{b.(*array.Float64Builder)}
	case TypeDecimal:
		return decimalEnc{b.(*array.Decimal128Builder), max(f.Precision, 1), f.Scale}
	case TypeDate:
		return dateEnc{b.(*array.Date32Builder)}
	case TypeTimestamp:
		return timestampEnc{b.(*array.TimestampBuilder)}
	case TypeString:
		return stringEnc{b.(*array.StringBuilder)}
	}
	return &jsonEnc{b: b.(*array.StringBuilder)}
}

type structEnc struct {
	b        *array.StructBuilder // nil in the flattened layout
	fields   []*Field
	children []encoder
	byName   map[string]int // for wide objects
	scratch  []*jsonx.Value
}

func (e *structEnc) index() {
	e.scratch = make([]*jsonx.Value, len(e.fields))
	if len(e.fields) > 8 {
		e.byName = make(map[string]int, len(e.fields))
		for i, f := range e.fields {
			e.byName[f.Name] = i
		}
	}
}

func (e *structEnc) append(v *jsonx.Value) error {
	if v.IsNull() {
		if e.b != nil {
			e.b.AppendNull() // appends nulls to the children too
			return nil
		}
		for _, c := range e.children {
			if err := c.append(nil); err != nil {
				return err
			}
		}
		return nil
	}
	if v.Kind != jsonx.Object {
		return kindErr(v, "an object")
	}
	if e.b != nil {
		e.b.Append(true)
	}
	vals := e.scratch
	if e.byName != nil {
		clear(vals)
		for i, k := range v.Keys {
			if j, ok := e.byName[k]; ok {
				vals[j] = &v.Elems[i]
			}
		}
	} else {
		for j, f := range e.fields {
			vals[j] = v.Get(f.Name)
		}
	}
	for j, c := range e.children {
		if err := c.append(vals[j]); err != nil {
			return fmt.Errorf("%s: %w", e.fields[j].Name, err)
		}
	}
	return nil
}

type listEnc struct {
	b    *array.ListBuilder
	elem encoder
}

func (e *listEnc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	if v.Kind != jsonx.Array {
		return kindErr(v, "an array")
	}
	e.b.Append(true)
	for i := range v.Elems {
		if err := e.elem.append(&v.Elems[i]); err != nil {
			return err
		}
	}
	return nil
}

type stringEnc struct{ b *array.StringBuilder }

func (e stringEnc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	if v.Kind != jsonx.String {
		return kindErr(v, "a string")
	}
	e.b.Append(v.Str)
	return nil
}

type jsonEnc struct {
	b   *array.StringBuilder
	buf []byte
}

func (e *jsonEnc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	e.buf = jsonx.Append(e.buf[:0], v)
	e.b.BinaryBuilder.Append(e.buf)
	return nil
}

type boolEnc struct{ b *array.BooleanBuilder }

func (e boolEnc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	if v.Kind != jsonx.Bool {
		return kindErr(v, "a boolean")
	}
	e.b.Append(v.True)
	return nil
}

type int32Enc struct{ b *array.Int32Builder }

func (e int32Enc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	n, err := toInt(v, 32)
	if err != nil {
		return err
	}
	e.b.Append(int32(n))
	return nil
}

type int64Enc struct{ b *array.Int64Builder }

func (e int64Enc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	n, err := toInt(v, 64)
	if err != nil {
		return err
	}
	e.b.Append(n)
	return nil
}

type float64Enc struct{ b *array.Float64Builder }

func (e float64Enc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	f, err := toFloat(v)
	if err != nil {
		return err
	}
	e.b.Append(f)
	return nil
}

type decimalEnc struct {
	b           *array.Decimal128Builder
	prec, scale int32
}

func (e decimalEnc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	d, err := toDecimal(v, e.prec, e.scale)
	if err != nil {
		return err
	}
	e.b.Append(d)
	return nil
}

type dateEnc struct{ b *array.Date32Builder }

func (e dateEnc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	d, err := toDate(v)
	if err != nil {
		return err
	}
	e.b.Append(d)
	return nil
}

type timestampEnc struct{ b *array.TimestampBuilder }

func (e timestampEnc) append(v *jsonx.Value) error {
	if v.IsNull() {
		e.b.AppendNull()
		return nil
	}
	t, err := toTimestamp(v)
	if err != nil {
		return err
	}
	e.b.Append(t)
	return nil
}

// flatColumn is one column of the flattened (shredded dataset) layout.
type flatColumn struct {
	name     string
	field    *Field // leaf type: a scalar, a TypeList of scalars, or TypeJSON
	nullable bool
}

func isScalar(t TypeKind) bool {
	switch t {
	case TypeStruct, TypeList, TypeJSON:
		return false
	}
	return true
}

// flatten lays f out as columns: struct members become "parent_child"
// columns (recursively); a list of scalars stays a list column; lists of
// objects, lists of lists and untyped values become JSON string columns. A
// column is nullable when it or any enclosing object is. The returned
// builder function binds the encoder to the columns of a RecordBuilder,
// starting at column index first.
func flatten(f *Field, prefix string, nullable bool, cols *[]flatColumn) func(rb *array.RecordBuilder) encoder {
	switch {
	case f.Type == TypeStruct:
		binds := make([]func(*array.RecordBuilder) encoder, len(f.Fields))
		for i, s := range f.Fields {
			binds[i] = flatten(s, prefix+s.Column+"_", nullable || s.Nullable, cols)
		}
		return func(rb *array.RecordBuilder) encoder {
			e := &structEnc{fields: f.Fields, children: make([]encoder, len(f.Fields))}
			for i, b := range binds {
				e.children[i] = b(rb)
			}
			e.index()
			return e
		}
	}
	name := prefix[:max(len(prefix)-1, 0)]
	if name == "" {
		name = "data" // an entity whose data is not an object
	}
	leaf := f
	if f.Type == TypeList && !isScalar(f.Elem.Type) {
		leaf = &Field{Type: TypeJSON}
	}
	idx := len(*cols)
	*cols = append(*cols, flatColumn{name: name, field: leaf, nullable: nullable || f.Nullable})
	return func(rb *array.RecordBuilder) encoder {
		if leaf.Type == TypeList {
			return newEncoder(leaf, rb.Field(idx))
		}
		return newLeafEncoder(leaf, rb.Field(idx))
	}
}
