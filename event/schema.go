package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SchemaVer is an Iglu SchemaVer MODEL-REVISION-ADDITION.
type SchemaVer struct {
	Model, Revision, Addition int
}

// String renders the version as "M-R-A".
func (v SchemaVer) String() string {
	return strconv.Itoa(v.Model) + "-" + strconv.Itoa(v.Revision) + "-" + strconv.Itoa(v.Addition)
}

// Less orders versions by model, then revision, then addition.
func (v SchemaVer) Less(o SchemaVer) bool {
	if v.Model != o.Model {
		return v.Model < o.Model
	}
	if v.Revision != o.Revision {
		return v.Revision < o.Revision
	}
	return v.Addition < o.Addition
}

// ParseSchemaVer parses "M-R-A" (each part a non-negative integer without
// leading zeros; model starts at 1).
func ParseSchemaVer(s string) (SchemaVer, error) {
	if strings.Count(s, "-") != 2 {
		return SchemaVer{}, fmt.Errorf("schema version [%s] is not MODEL-REVISION-ADDITION", s)
	}
	var parts [3]string
	var rest string
	parts[0], rest, _ = strings.Cut(s, "-")
	parts[1], parts[2], _ = strings.Cut(rest, "-")
	var n [3]int
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') {
			return SchemaVer{}, fmt.Errorf("schema version [%s] is not MODEL-REVISION-ADDITION", s)
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return SchemaVer{}, fmt.Errorf("schema version [%s] is not MODEL-REVISION-ADDITION", s)
		}
		n[i] = v
	}
	if n[0] < 1 {
		return SchemaVer{}, fmt.Errorf("schema version [%s] has model 0", s)
	}
	return SchemaVer{n[0], n[1], n[2]}, nil
}

// SchemaKey identifies a schema in an Iglu registry:
// iglu:vendor/name/format/M-R-A.
type SchemaKey struct {
	Vendor  string
	Name    string
	Format  string
	Version SchemaVer
}

// ErrInvalidSchemaKey is returned (wrapped) for a malformed Iglu URI.
var ErrInvalidSchemaKey = errors.New("event: invalid Iglu schema key")

// ParseSchemaKey parses "iglu:vendor/name/format/M-R-A".
func ParseSchemaKey(uri string) (SchemaKey, error) {
	rest, ok := strings.CutPrefix(uri, "iglu:")
	if !ok {
		return SchemaKey{}, fmt.Errorf("%w: [%s] does not start with \"iglu:\"", ErrInvalidSchemaKey, uri)
	}
	if strings.Count(rest, "/") != 3 {
		return SchemaKey{}, fmt.Errorf("%w: [%s] is not iglu:vendor/name/format/version", ErrInvalidSchemaKey, uri)
	}
	var parts [4]string
	for i := range 3 {
		parts[i], rest, _ = strings.Cut(rest, "/")
	}
	parts[3] = rest
	for i, p := range parts[:3] {
		if p == "" || !validKeyPart(p, i == 0) {
			return SchemaKey{}, fmt.Errorf("%w: [%s] has an invalid %s", ErrInvalidSchemaKey, uri, [...]string{"vendor", "name", "format"}[i])
		}
	}
	v, err := ParseSchemaVer(parts[3])
	if err != nil {
		return SchemaKey{}, fmt.Errorf("%w: [%s]: %v", ErrInvalidSchemaKey, uri, err)
	}
	return SchemaKey{Vendor: parts[0], Name: parts[1], Format: parts[2], Version: v}, nil
}

// validKeyPart reports whether p uses only the characters Iglu allows
// (letters, digits, '_', '-', and '.' in vendors).
func validKeyPart(p string, vendor bool) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.' && vendor:
		default:
			return false
		}
	}
	return true
}

// String renders the key as "iglu:vendor/name/format/M-R-A".
func (k SchemaKey) String() string {
	return "iglu:" + k.Path()
}

// Path renders the key as the registry path "vendor/name/format/M-R-A".
func (k SchemaKey) Path() string {
	return k.Vendor + "/" + k.Name + "/" + k.Format + "/" + k.Version.String()
}

// ModelKey identifies all versions of a schema that share a model
// (vendor/name/format/model): one shredded dataset.
type ModelKey struct {
	Vendor, Name, Format string
	Model                int
}

// Model returns the key's model identity.
func (k SchemaKey) Model() ModelKey {
	return ModelKey{Vendor: k.Vendor, Name: k.Name, Format: k.Format, Model: k.Version.Model}
}

// String renders the model key as "vendor/name/format/M".
func (m ModelKey) String() string {
	return m.Vendor + "/" + m.Name + "/" + m.Format + "/" + strconv.Itoa(m.Model)
}

// SelfDescribing is a self-describing JSON document: {"schema": "iglu:…", "data": …}.
type SelfDescribing struct {
	Schema SchemaKey
	Data   json.RawMessage
}

type selfDescribingJSON struct {
	Schema string          `json:"schema"`
	Data   json.RawMessage `json:"data"`
}

// MarshalJSON renders {"schema":"iglu:…","data":…}.
func (s SelfDescribing) MarshalJSON() ([]byte, error) {
	data := s.Data
	if data == nil {
		data = json.RawMessage("null")
	}
	return json.Marshal(selfDescribingJSON{Schema: s.Schema.String(), Data: data})
}

// UnmarshalJSON parses a self-describing document; both keys are required.
func (s *SelfDescribing) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("self-describing JSON: %w", err)
	}
	schemaRaw, ok := raw["schema"]
	if !ok {
		return errors.New("self-describing JSON has no schema key")
	}
	data, ok := raw["data"]
	if !ok {
		return errors.New("self-describing JSON has no data key")
	}
	var uri string
	if err := json.Unmarshal(schemaRaw, &uri); err != nil {
		return fmt.Errorf("self-describing JSON: schema is not a string: %w", err)
	}
	key, err := ParseSchemaKey(uri)
	if err != nil {
		return err
	}
	s.Schema, s.Data = key, data
	return nil
}

// Well-known schemas of the enriched-event JSON fields.
var (
	// ContextsSchema wraps the contexts and derived_contexts arrays.
	ContextsSchema = SchemaKey{"com.snowplowanalytics.snowplow", "contexts", "jsonschema", SchemaVer{1, 0, 0}}
	// DerivedContextsSchema wraps derived_contexts (1-0-1 in R108 output).
	DerivedContextsSchema = SchemaKey{"com.snowplowanalytics.snowplow", "contexts", "jsonschema", SchemaVer{1, 0, 1}}
	// UnstructEventSchema wraps unstruct_event.
	UnstructEventSchema = SchemaKey{"com.snowplowanalytics.snowplow", "unstruct_event", "jsonschema", SchemaVer{1, 0, 0}}
)
