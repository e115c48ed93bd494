package event

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Field identifies one of the 131 enriched-event fields by its TSV position.
type Field int

// Kind is the logical type of a field, as the atomic.events table types it.
type Kind uint8

// Field kinds.
const (
	KindString    Kind = iota // free text
	KindInt                   // 32-bit integer
	KindDouble                // IEEE double (geo_latitude, geo_longitude)
	KindDecimal               // decimal number kept as its text (monetary values, se_value)
	KindBool                  // "1" or "0"
	KindTimestamp             // yyyy-MM-dd HH:mm:ss.SSS, UTC
	KindJSON                  // a self-describing JSON document (contexts, unstruct_event, derived_contexts)
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInt:
		return "int"
	case KindDouble:
		return "double"
	case KindDecimal:
		return "decimal"
	case KindBool:
		return "bool"
	case KindTimestamp:
		return "timestamp"
	case KindJSON:
		return "json"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Name returns the field's column name, e.g. "app_id".
func (f Field) Name() string {
	if f < 0 || f >= NumFields {
		return "field(" + strconv.Itoa(int(f)) + ")"
	}
	return fieldNames[f]
}

// String returns the field's column name.
func (f Field) String() string { return f.Name() }

// Kind returns the field's logical type.
func (f Field) Kind() Kind { return fieldKinds[f] }

// MaxLen returns the maximum length in characters of a string field, or 0
// when the field has no limit (non-string kinds and JSON fields).
func (f Field) MaxLen() int { return fieldMaxLen[f] }

var fieldIndex = func() map[string]Field {
	m := make(map[string]Field, NumFields)
	for i, n := range fieldNames {
		m[n] = Field(i)
	}
	return m
}()

// FieldByName returns the field with the given column name.
func FieldByName(name string) (Field, bool) {
	f, ok := fieldIndex[name]
	return f, ok
}

// Fields returns every field in TSV order.
func Fields() []Field {
	out := make([]Field, NumFields)
	for i := range out {
		out[i] = Field(i)
	}
	return out
}

// Event is one enriched event: its fields as the enriched TSV holds them,
// "" meaning null. The zero value is an event with every field null.
type Event struct {
	Fields [NumFields]string
}

// Get returns the value of f ("" = null).
func (e *Event) Get(f Field) string { return e.Fields[f] }

// Set stores v in f.
func (e *Event) Set(f Field, v string) { e.Fields[f] = v }

// Int returns f parsed as an integer; ok is false when f is null or not an
// integer.
func (e *Event) Int(f Field) (v int64, ok bool) {
	s := e.Fields[f]
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Float returns f parsed as a float; ok is false when f is null or not a number.
func (e *Event) Float(f Field) (v float64, ok bool) {
	s := e.Fields[f]
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

// Time returns f parsed as a timestamp; ok is false when f is null or malformed.
func (e *Event) Time(f Field) (t time.Time, ok bool) {
	s := e.Fields[f]
	if s == "" {
		return time.Time{}, false
	}
	t, err := ParseTimestamp(s)
	return t, err == nil
}

// Validate checks every non-null field against its kind and maximum length
// and returns one error per offending field, in field order.
func (e *Event) Validate() []error {
	var errs []error
	for i := range e.Fields {
		f := Field(i)
		if err := ValidateField(f, e.Fields[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// ValidateField checks one value against the field's kind and maximum length.
// A null ("") value is always valid.
func ValidateField(f Field, v string) error {
	if v == "" {
		return nil
	}
	switch f.Kind() {
	case KindInt:
		if len(v) <= 9 && allDigits(v) {
			break // at most 999,999,999: a 32-bit integer
		}
		if _, err := strconv.ParseInt(v, 10, 32); err != nil {
			return fmt.Errorf("field %s: [%s] is not a 32-bit integer", f.Name(), v)
		}
	case KindDouble, KindDecimal:
		if plainDecimal(v) {
			break // digits with an optional sign and point: always a finite float64
		}
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("field %s: [%s] is not a number", f.Name(), v)
		}
	case KindBool:
		if v != "0" && v != "1" {
			return fmt.Errorf("field %s: [%s] is not 0 or 1", f.Name(), v)
		}
	case KindTimestamp:
		if _, err := parseTimestampParts(v); err != nil {
			return fmt.Errorf("field %s: %w", f.Name(), err)
		}
	}
	if max := f.MaxLen(); max > 0 {
		if n := runeCount(v, max); n > max {
			return fmt.Errorf("field %s: value is longer than the maximum of %d characters", f.Name(), max)
		}
	}
	return nil
}

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// plainDecimal reports whether s is [-+]digits[.digits] (digits on both
// sides of a point) of at most 300 bytes: strconv.ParseFloat accepts every
// such string (too few digits to overflow).
func plainDecimal(s string) bool {
	if len(s) > 300 {
		return false
	}
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	whole, frac, point := strings.Cut(s, ".")
	return allDigits(whole) && (!point || allDigits(frac))
}

// runeCount counts the characters of s, stopping once it passes limit.
func runeCount(s string, limit int) int {
	if len(s) <= limit {
		return len(s) // a byte count bounds the rune count
	}
	n := 0
	for range s {
		n++
		if n > limit {
			break
		}
	}
	return n
}
