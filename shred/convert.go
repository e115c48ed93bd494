package shred

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/decimal128"

	"github.com/furrowdata/furrow/shred/internal/jsonx"
)

// Leaf conversions from JSON values to column values. The same functions
// serve the Shredder's up-front check (so that an event whose entities do not
// fit their columns becomes a bad row) and the Arrow encoders (which then
// cannot fail on data the check accepted).

func kindErr(v *jsonx.Value, want string) error {
	return fmt.Errorf("a JSON %s cannot be stored as %s", v.Kind, want)
}

func toInt(v *jsonx.Value, bits int) (int64, error) {
	if v.Kind != jsonx.Number {
		return 0, kindErr(v, "an integer")
	}
	if !v.Float {
		n, err := strconv.ParseInt(v.Str, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("%s does not fit a %d-bit integer", v.Str, bits)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(v.Str, 64)
	lim := math.Ldexp(1, bits-1)
	if err != nil || f != math.Trunc(f) || f < -lim || f >= lim {
		return 0, fmt.Errorf("%s is not a %d-bit integer", v.Str, bits)
	}
	return int64(f), nil
}

func toFloat(v *jsonx.Value) (float64, error) {
	if v.Kind != jsonx.Number {
		return 0, kindErr(v, "a number")
	}
	f, err := strconv.ParseFloat(v.Str, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of the range of a double", v.Str)
	}
	return f, nil
}

// parseDecimal converts a decimal literal (JSON number syntax, exponent
// allowed) to an unscaled decimal128 with the given scale, rounding half away
// from zero beyond the scale, exactly (no binary floating point on the way).
// It fails when the value needs more than prec digits.
func parseDecimal(s string, prec, scale int32) (decimal128.Num, error) {
	fail := func() (decimal128.Num, error) {
		return decimal128.Num{}, fmt.Errorf("%s does not fit DECIMAL(%d,%d)", s, prec, scale)
	}
	t := s
	neg := false
	if strings.HasPrefix(t, "-") {
		neg, t = true, t[1:]
	} else if strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	exp := 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		e, err := strconv.Atoi(t[i+1:])
		if err != nil || e > 100 || e < -100 {
			return fail()
		}
		exp, t = e, t[:i]
	}
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" && frac == "" {
		return fail()
	}
	var digits [96]byte
	d := digits[:0]
	for _, part := range [2]string{whole, frac} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' || len(d) == cap(d) {
				return fail()
			}
			d = append(d, c)
		}
	}
	fracDigits := len(frac) - exp // digits after the point
	if fracDigits < 0 {
		for ; fracDigits < 0; fracDigits++ {
			if len(d) == cap(d) {
				return fail()
			}
			d = append(d, '0')
		}
	}
	roundUp := false
	if cut := fracDigits - int(scale); cut > 0 {
		if cut > len(d) {
			d = d[:0]
		} else {
			roundUp = d[len(d)-cut] >= '5'
			d = d[:len(d)-cut]
		}
	} else {
		for ; cut < 0; cut++ {
			if len(d) == cap(d) {
				return fail()
			}
			d = append(d, '0')
		}
	}
	for len(d) > 0 && d[0] == '0' {
		d = d[1:]
	}
	if len(d) > int(prec)+1 {
		return fail()
	}
	var n decimal128.Num
	if len(d) <= 18 {
		var v int64
		for _, c := range d {
			v = v*10 + int64(c-'0')
		}
		n = decimal128.FromI64(v)
	} else {
		b, ok := new(big.Int).SetString(string(d), 10)
		if !ok {
			return fail()
		}
		n = decimal128.FromBigInt(b)
	}
	if roundUp {
		n = n.Add(decimal128.FromU64(1))
	}
	if neg {
		n = n.Negate()
	}
	if !n.FitsInPrecision(prec) {
		return fail()
	}
	return n, nil
}

func toDecimal(v *jsonx.Value, prec, scale int32) (decimal128.Num, error) {
	if v.Kind != jsonx.Number {
		return decimal128.Num{}, kindErr(v, "a decimal")
	}
	return parseDecimal(v.Str, prec, scale)
}

func toDate(v *jsonx.Value) (arrow.Date32, error) {
	if v.Kind != jsonx.String {
		return 0, kindErr(v, "a date")
	}
	t, err := time.Parse(time.DateOnly, v.Str)
	if err != nil {
		return 0, fmt.Errorf("[%s] is not a date (yyyy-MM-dd)", v.Str)
	}
	return arrow.Date32(t.Unix() / 86400), nil
}

// parseDateTime parses an RFC 3339 date-time (JSON Schema's "date-time"),
// accepting the lower-case 't' and 'z' that RFC 3339 allows.
func parseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && strings.ContainsAny(s, "tz") {
		t, err = time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	}
	return t, err
}

// floorMilli returns t as milliseconds since the epoch, rounded down.
func floorMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Before(time.UnixMilli(ms)) {
		ms--
	}
	return ms
}

func toTimestamp(v *jsonx.Value) (arrow.Timestamp, error) {
	if v.Kind != jsonx.String {
		return 0, kindErr(v, "a timestamp")
	}
	t, err := parseDateTime(v.Str)
	if err != nil {
		return 0, fmt.Errorf("[%s] is not an RFC 3339 date-time", v.Str)
	}
	return arrow.Timestamp(floorMilli(t)), nil
}

// checkLeaf reports whether v can be stored in a column of f's type.
func checkLeaf(f *Field, v *jsonx.Value) error {
	var err error
	switch f.Type {
	case TypeString:
		if v.Kind != jsonx.String {
			err = kindErr(v, "a string")
		}
	case TypeJSON:
	case TypeBool:
		if v.Kind != jsonx.Bool {
			err = kindErr(v, "a boolean")
		}
	case TypeInt32:
		_, err = toInt(v, 32)
	case TypeInt64:
		_, err = toInt(v, 64)
	case TypeFloat64:
		_, err = toFloat(v)
	case TypeDecimal:
		_, err = toDecimal(v, f.Precision, f.Scale)
	case TypeDate:
		_, err = toDate(v)
	case TypeTimestamp:
		_, err = toTimestamp(v)
	default:
		err = fmt.Errorf("unexpected column type %s", f.Type)
	}
	return err
}

// checkValue walks v against f and returns the first value that its column
// cannot hold, naming its JSON path. Members the schema does not declare are
// not stored in columns and are not checked.
func checkValue(f *Field, v *jsonx.Value, path string) error {
	if v.IsNull() {
		if !f.Nullable {
			if path == "" {
				path = "/"
			}
			return fmt.Errorf("at %s: a required value is missing or null", path)
		}
		return nil
	}
	switch f.Type {
	case TypeStruct:
		if v.Kind != jsonx.Object {
			return fmt.Errorf("at %s: %w", orRoot(path), kindErr(v, "an object"))
		}
		for _, sub := range f.Fields {
			if err := checkValue(sub, v.Get(sub.Name), path+"/"+sub.Name); err != nil {
				return err
			}
		}
		return nil
	case TypeList:
		if v.Kind != jsonx.Array {
			return fmt.Errorf("at %s: %w", orRoot(path), kindErr(v, "an array"))
		}
		for i := range v.Elems {
			if err := checkValue(f.Elem, &v.Elems[i], path+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := checkLeaf(f, v); err != nil {
		return fmt.Errorf("at %s: %w", orRoot(path), err)
	}
	return nil
}

func orRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
