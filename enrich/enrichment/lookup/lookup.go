// Package lookup owns what the PII, API request and SQL query enrichments
// share about reading an enriched event as R108 read its EnrichedEvent POJO:
// the Java type of each POJO field, Iglu schema criteria (both the
// iglu-scala-client SchemaCriterion the PII enrichment matched with and the
// string-prefix criterion of the API and SQL inputs), and picking the data
// of the first context that matches a criterion.
package lookup

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
	"github.com/furrowdata/furrow/event"
)

// JavaType is the declared type of an EnrichedEvent POJO field in R108.
type JavaType uint8

// The POJO field types of R108's EnrichedEvent.
const (
	JavaString  JavaType = iota // java.lang.String
	JavaInteger                 // java.lang.Integer
	JavaFloat                   // java.lang.Float
	JavaByte                    // java.lang.Byte
)

// String returns the Java class name.
func (t JavaType) String() string {
	return [...]string{"java.lang.String", "java.lang.Integer", "java.lang.Float", "java.lang.Byte"}[t]
}

// pojoTypes lists the POJO fields that were not Strings.
var pojoTypes = map[event.Field]JavaType{
	event.DomainSessionIdx:       JavaInteger,
	event.GeoLatitude:            JavaFloat,
	event.GeoLongitude:           JavaFloat,
	event.PageURLPort:            JavaInteger,
	event.RefrURLPort:            JavaInteger,
	event.TiQuantity:             JavaInteger,
	event.PpXoffsetMin:           JavaInteger,
	event.PpXoffsetMax:           JavaInteger,
	event.PpYoffsetMin:           JavaInteger,
	event.PpYoffsetMax:           JavaInteger,
	event.BrFeaturesPDF:          JavaByte,
	event.BrFeaturesFlash:        JavaByte,
	event.BrFeaturesJava:         JavaByte,
	event.BrFeaturesDirector:     JavaByte,
	event.BrFeaturesQuicktime:    JavaByte,
	event.BrFeaturesRealplayer:   JavaByte,
	event.BrFeaturesWindowsmedia: JavaByte,
	event.BrFeaturesGears:        JavaByte,
	event.BrFeaturesSilverlight:  JavaByte,
	event.BrCookies:              JavaByte,
	event.BrViewwidth:            JavaInteger,
	event.BrViewheight:           JavaInteger,
	event.DvceIsMobile:           JavaByte,
	event.DvceScreenwidth:        JavaInteger,
	event.DvceScreenheight:       JavaInteger,
	event.DocWidth:               JavaInteger,
	event.DocHeight:              JavaInteger,
}

// PojoType returns the Java type of an enriched field in R108's POJO.
func PojoType(f event.Field) JavaType { return pojoTypes[f] }

// PojoField resolves a POJO field name (the TSV column name, e.g.
// "geo_city") to its field.
func PojoField(name string) (event.Field, bool) { return event.FieldByName(name) }

// Criterion is an iglu-scala-client SchemaCriterion
// ("iglu:vendor/name/format/M-R-A", R and A may be "*").
type Criterion struct {
	Vendor, Name, Format string
	Model                int
	Revision, Addition   int // -1 = "*"
}

var criterionRe = regexp.MustCompile(`^iglu:([a-zA-Z0-9-_.]+)/([a-zA-Z0-9-_]+)/([a-zA-Z0-9-_]+)/([0-9]+)-([0-9]+|\*)-([0-9]+|\*)$`)

// ParseCriterion parses a schema criterion as iglu-scala-client 0.5 did.
func ParseCriterion(s string) (Criterion, error) {
	m := criterionRe.FindStringSubmatch(s)
	if m == nil {
		return Criterion{}, fmt.Errorf("%s is not a valid Iglu-format schema criterion", s)
	}
	num := func(x string) (int, error) {
		if x == "*" {
			return -1, nil
		}
		n, err := strconv.Atoi(x)
		if err != nil || n > 1<<30 {
			return 0, fmt.Errorf("%s is not a valid Iglu-format schema criterion", s)
		}
		return n, nil
	}
	c := Criterion{Vendor: m[1], Name: m[2], Format: m[3]}
	var err error
	if c.Model, err = num(m[4]); err != nil {
		return Criterion{}, err
	}
	if c.Revision, err = num(m[5]); err != nil {
		return Criterion{}, err
	}
	if c.Addition, err = num(m[6]); err != nil {
		return Criterion{}, err
	}
	return c, nil
}

// Matches reports whether k satisfies the criterion with iglu-scala-client
// 0.5's rule: vendor, name, format and model equal; then a key's revision
// and addition must not exceed the criterion's ("1-0-*" matches 1-0-x,
// "1-1-0" matches 1-0-x and 1-1-0, "1-*-2" matches additions equal to 2).
func (c Criterion) Matches(k event.SchemaKey) bool {
	if k.Vendor != c.Vendor || k.Name != c.Name || k.Format != c.Format || k.Version.Model != c.Model {
		return false
	}
	r, a := k.Version.Revision, k.Version.Addition
	switch {
	case c.Revision < 0 && c.Addition < 0:
		return true
	case c.Revision < 0:
		return a == c.Addition
	case c.Addition < 0:
		return r <= c.Revision
	default:
		return r < c.Revision || (r == c.Revision && a <= c.Addition)
	}
}

// prefixRe is the criterion syntax of R108's API request and SQL query
// inputs.
var prefixRe = regexp.MustCompile(`^(iglu:[a-zA-Z0-9-_.]+/[a-zA-Z0-9-_]+/[a-zA-Z0-9-_]+/)([1-9][0-9]*|\*)-((?:0|[1-9][0-9]*)|\*)-((?:0|[1-9][0-9]*)|\*)$`)

// CriterionPrefix turns an input's schemaCriterion into the string prefix
// R108's API request and SQL query enrichments matched schema URIs against:
// "iglu:v/n/f/1-*-*" → "iglu:v/n/f/1-", "iglu:v/n/f/1-0-*" →
// "iglu:v/n/f/1-0-", "iglu:v/n/f/*-*-*" → "iglu:v/n/f/", a full version as
// is (so "1-0-1" also matches "1-0-10", as in R108). ok is false for a
// malformed criterion, which matched nothing in R108.
func CriterionPrefix(s string) (prefix string, ok bool) {
	m := prefixRe.FindStringSubmatch(s)
	switch {
	case m == nil:
		return "", false
	case m[2] == "*":
		return m[1], true
	case m[3] == "*":
		return m[1] + m[2] + "-", true
	case m[4] == "*":
		return m[1] + m[2] + "-" + m[3] + "-", true
	}
	return s, true
}

// Entity is one self-describing JSON of an event: its schema URI and its
// data, given either as Raw (the data itself) or as Envelope (the whole
// {"schema", "data"} document), parsed on first use.
type Entity struct {
	Schema   string
	Raw      []byte
	Envelope []byte
	data     *jsonpath.Value
	err      error
	parsed   bool
}

// Data returns the entity's data parsed: nil without error when an
// envelope has no "data" member (R108's JNothing), nil with an error when
// it is not JSON.
func (e *Entity) Data() (*jsonpath.Value, error) {
	if !e.parsed {
		e.parsed = true
		if e.Raw != nil {
			e.data, e.err = jsonpath.Parse(string(e.Raw))
		} else if e.Envelope != nil {
			var doc *jsonpath.Value
			if doc, e.err = jsonpath.Parse(string(e.Envelope)); e.err == nil {
				e.data = doc.Get("data")
			}
		}
	}
	return e.data, e.err
}

// SchemaOf returns the "schema" string of a self-describing JSON document
// (ok false when it has none): a fast path for the compact documents
// enrichments produce, else a full parse.
func SchemaOf(doc []byte) (string, bool) {
	const lead = `{"schema":"`
	if len(doc) > len(lead) && string(doc[:len(lead)]) == lead {
		for i := len(lead); i < len(doc); i++ {
			switch doc[i] {
			case '"':
				return string(doc[len(lead):i]), true
			case '\\':
				i = len(doc) // escapes: take the slow path
			}
		}
	}
	v, err := jsonpath.Parse(string(doc))
	if err != nil {
		return "", false
	}
	s := v.Get("schema")
	if s == nil || s.Kind != jsonpath.String {
		return "", false
	}
	return s.Str, true
}

// FirstData returns the entity of the first entity whose schema URI starts
// with prefix, or nil (R108's getBySchemaCriterion).
func FirstData(entities []*Entity, prefix string) *Entity {
	for _, e := range entities {
		if len(e.Schema) >= len(prefix) && e.Schema[:len(prefix)] == prefix {
			return e
		}
	}
	return nil
}

// Wrap is R108's JsonPath.wrapArray: no value → nil, one → it, several →
// an array of them.
func Wrap(vs []*jsonpath.Value) *jsonpath.Value {
	switch len(vs) {
	case 0:
		return nil
	case 1:
		return vs[0]
	}
	return &jsonpath.Value{Kind: jsonpath.Array, Arr: vs}
}
