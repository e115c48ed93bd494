package iglu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/furrowdata/furrow/event"
)

// MetaSchemaURI is the "$schema" of every Iglu schema: the self-describing
// JSON Schema meta-schema (a draft-04 schema with a mandatory self block).
const MetaSchemaURI = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"

// metaKey is the key of the Iglu meta-schema (MetaSchemaURI).
var metaKey = event.SchemaKey{Vendor: "com.snowplowanalytics.self-desc", Name: "schema", Format: "jsonschema", Version: event.SchemaVer{Model: 1}}

// maxProblems bounds the problems a ValidationError carries, so one
// pathological document cannot make a huge bad row.
const maxProblems = 10

// Schema is a resolved, compiled schema. It is immutable and safe for
// concurrent use.
type Schema struct {
	Key event.SchemaKey
	// Raw is the schema document as the registry served it. Callers must not
	// modify it.
	Raw json.RawMessage
	// Repository is the name of the registry that served the schema.
	Repository string

	compiled *jsonschema.Schema
	printer  *message.Printer
	// fast decides "valid" on the JSON text for schemas of the keywords it
	// models (see fastpath.go); nil = always the full validator.
	fast *fastNode
}

// Validate validates data (one JSON value) against the schema. It returns
// nil, or an error whose text is one line fit for a bad row: the schema key
// and every problem as its JSON-pointer instance path and reason. Invalid
// JSON gives an error too. Numbers are compared exactly (json.Number), never
// rounded through float64. Safe for concurrent use; it allocates only what
// decoding the document needs.
func (s *Schema) Validate(data json.RawMessage) error {
	if s == nil || s.compiled == nil {
		return errors.New("iglu: validating against a schema that was not resolved by a Resolver")
	}
	if s.fast != nil && s.fast.validDoc(string(data)) {
		return nil
	}
	return s.validateFull(data)
}

// ValidateString is Validate for data held in a string: the same verdict
// and error, without copying data when it is valid against a schema of the
// common keywords (type, enum, properties, required, additionalProperties,
// items, min/maxItems, min/maxLength, pattern, format, min/maximum), which
// are checked on the text without decoding it.
func (s *Schema) ValidateString(data string) error {
	if s == nil || s.compiled == nil {
		return errors.New("iglu: validating against a schema that was not resolved by a Resolver")
	}
	if s.fast != nil && s.fast.validDoc(data) {
		return nil
	}
	return s.validateFull([]byte(data))
}

// QuickValid reports whether the fast path finds data (one JSON document)
// valid against the schema: true is certain; false means "not decided
// here", and the caller validates as usual (Validate, ValidateValue). For
// callers that have already parsed data their own way and only want to skip
// the full validator when the document is plainly valid.
func (s *Schema) QuickValid(data string) bool {
	return s != nil && s.fast != nil && s.fast.validDoc(data)
}

// validateFull decodes data and runs the full validator.
func (s *Schema) validateFull(data []byte) error {
	v, err := decodeData(data)
	if err != nil {
		return fmt.Errorf("%w: %s: %s", ErrInvalidData, s.Key, err.Error())
	}
	return s.ValidateValue(v)
}

// ValidateValue validates an already decoded JSON value (as produced by
// encoding/json with UseNumber: map[string]any, []any, string, json.Number,
// bool, nil). Values must not be modified concurrently.
func (s *Schema) ValidateValue(v any) error {
	if s == nil || s.compiled == nil {
		return errors.New("iglu: validating against a schema that was not resolved by a Resolver")
	}
	err := s.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%w: %s: %v", ErrInvalidData, s.Key, err)
	}
	return newValidationError(s.Key, ve, s.printer)
}

// ErrInvalidData is wrapped by every error of data that does not conform to
// its schema (including data that is not JSON).
var ErrInvalidData = errors.New("iglu: data does not conform to schema")

// Problem is one reason data failed validation.
type Problem struct {
	// Path is the JSON pointer of the offending value ("" = the document).
	Path string
	// Reason says what is wrong, e.g. "missing property 'targetUrl'".
	Reason string
}

// ValidationError reports data that does not conform to a schema.
// errors.Is(err, ErrInvalidData) holds.
type ValidationError struct {
	Key      event.SchemaKey
	Problems []Problem // sorted by path, at most 10
	// More counts problems left out of Problems.
	More int
}

// Error renders one line, e.g.
// "iglu:com.acme/link/jsonschema/1-0-0: instance does not match: at /targetUrl: missing property 'targetUrl'; …".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Key.String())
	b.WriteString(": instance does not match: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("at ")
		if p.Path == "" {
			b.WriteString("(root)")
		} else {
			b.WriteString(p.Path)
		}
		b.WriteString(": ")
		b.WriteString(p.Reason)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "; and %d more", e.More)
	}
	return oneLine(b.String())
}

// Unwrap makes errors.Is(err, ErrInvalidData) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalidData }

func newValidationError(key event.SchemaKey, ve *jsonschema.ValidationError, p *message.Printer) *ValidationError {
	var leaves []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, Problem{Path: pointer(e.InstanceLocation), Reason: reason(e.ErrorKind, p)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	// The validator walks objects in map order: sort for deterministic
	// bad rows.
	slices.SortFunc(leaves, func(a, b Problem) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	leaves = slices.Compact(leaves)
	out := &ValidationError{Key: key, Problems: leaves}
	if len(leaves) > maxProblems {
		out.Problems, out.More = leaves[:maxProblems], len(leaves)-maxProblems
	}
	return out
}

// pointer renders instance location tokens as a JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// oneLine joins the lines of s with single spaces and turns tabs into
// spaces, so that a message fits one bad-row line and one TSV field.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	brk := false
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(strings.ReplaceAll(line, "\t", " "))
		if line == "" {
			continue
		}
		if brk {
			b.WriteByte(' ')
		}
		b.WriteString(line)
		brk = true
	}
	return b.String()
}

// decodeData decodes one JSON value with json.Number numbers, rejecting
// trailing data.
func decodeData(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errEmptyDocument
	}
	return decodeValue(data)
}

// parseSchemaDoc decodes a schema document and checks that its self block
// names key.
func parseSchemaDoc(key event.SchemaKey, raw []byte) (any, error) {
	doc, err := decodeStrict(raw)
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema is a JSON %s, not an object", jsonKind(doc))
	}
	self, ok := m["self"].(map[string]any)
	if !ok {
		return nil, errors.New("schema has no self object")
	}
	var got [4]string
	for i, k := range [...]string{"vendor", "name", "format", "version"} {
		s, ok := self[k].(string)
		if !ok {
			return nil, fmt.Errorf("schema self.%s is missing or not a string", k)
		}
		got[i] = s
	}
	if got[0] != key.Vendor || got[1] != key.Name || got[2] != key.Format || got[3] != key.Version.String() {
		return nil, fmt.Errorf("schema self block names iglu:%s/%s/%s/%s, not the requested %s", got[0], got[1], got[2], got[3], key)
	}
	return doc, nil
}

// newPrinter returns the printer used to word validation errors.
func newPrinter() *message.Printer { return message.NewPrinter(language.English) }
