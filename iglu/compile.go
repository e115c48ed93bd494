package iglu

import (
	"context"
	"errors"
	"fmt"
	gourl "net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/dlclark/regexp2/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/furrowdata/furrow/event"
)

// schemaLocation is the URL a compiled schema is known by, so that relative
// and iglucentral.com references between Iglu schemas resolve alike.
func schemaLocation(key event.SchemaKey) string {
	return "http://iglucentral.com/schemas/" + key.Path()
}

// keyFromURL maps a schema reference to an Iglu key: "iglu:v/n/f/M-R-A" or
// any http(s) URL whose path ends in /schemas/v/n/f/M-R-A.
func keyFromURL(u string) (event.SchemaKey, bool) {
	u, _, _ = strings.Cut(u, "#")
	if strings.HasPrefix(u, "iglu:") {
		k, err := event.ParseSchemaKey(u)
		return k, err == nil
	}
	pu, err := gourl.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
		return event.SchemaKey{}, false
	}
	i := strings.LastIndex(pu.Path, "/schemas/")
	if i < 0 {
		return event.SchemaKey{}, false
	}
	k, err := event.ParseSchemaKey("iglu:" + pu.Path[i+len("/schemas/"):])
	return k, err == nil
}

// refLoader serves the documents a schema refers to: Iglu schema URLs are
// read from the resolver's registries (never from the URL's host); any other
// URL is refused, so compiling never reaches the network on its own.
type refLoader struct {
	ctx context.Context
	r   *Resolver
}

func (l refLoader) Load(u string) (any, error) {
	key, ok := keyFromURL(u)
	if !ok {
		return nil, fmt.Errorf("only Iglu schema references can be resolved, not %s", u)
	}
	raw, _, err := l.r.fetchRaw(l.ctx, key)
	if err != nil {
		return nil, err
	}
	return parseSchemaDoc(key, raw)
}

// compile compiles doc (the decoded schema of key) with draft-04 as the
// default draft, the Iglu meta-schema registered, format assertions as
// Snowplow's validator made them, and ECMAScript-compatible patterns.
func (r *Resolver) compile(ctx context.Context, key event.SchemaKey, doc any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	// (The validation fast path relies on "uuid" being the library's
	// format: see fastNode.uuid.)
	c.RegisterFormat(&jsonschema.Format{Name: "uri", Validate: validateJavaURI})
	c.UseRegexpEngine(compilePattern)
	c.UseLoader(refLoader{ctx: ctx, r: r})
	loc := schemaLocation(key)
	if key != metaKey {
		if err := c.AddResource(MetaSchemaURI, r.metaDoc()); err != nil {
			return nil, fmt.Errorf("registering the Iglu meta-schema: %w", err)
		}
	}
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("adding schema: %w", err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("invalid schema: %s", oneLine(err.Error()))
	}
	return sch, nil
}

// metaDoc returns a freshly decoded copy of the built-in meta-schema.
func (r *Resolver) metaDoc() any {
	raw, err := r.bootstrap.src.fetch(context.Background(), metaKey)
	if err != nil {
		panic("iglu: built-in meta-schema missing: " + err.Error()) // broken build
	}
	doc, err := decodeStrict(raw)
	if err != nil {
		panic("iglu: built-in meta-schema is not JSON: " + err.Error())
	}
	return doc
}

// patternTimeout bounds one ECMAScript-pattern match (backtracking engine).
const patternTimeout = 100 * time.Millisecond

// compilePattern compiles a JSON Schema pattern. Go's RE2 engine is used when
// it accepts the pattern (linear time); patterns it rejects (lookarounds,
// backreferences) fall back to an ECMAScript-compatible backtracking engine
// with a match timeout, as Snowplow's validator used JavaScript regexps.
func compilePattern(s string) (jsonschema.Regexp, error) {
	if re, err := regexp.Compile(s); err == nil {
		return re, nil
	}
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = patternTimeout
	return ecmaRegexp{re}, nil
}

type ecmaRegexp struct{ re *regexp2.Regexp }

func (e ecmaRegexp) String() string { return e.re.String() }

// MatchString reports a match; a timed-out match counts as no match.
func (e ecmaRegexp) MatchString(s string) bool {
	ok, err := e.re.MatchString(s)
	return ok && err == nil
}

// validateJavaURI checks the "uri" format as java.net.URI did for Snowplow's
// validator: relative references are allowed; spaces, control characters,
// the characters " < > \ ^ ` { | } and malformed %-escapes are not.
func validateJavaURI(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return errors.New("malformed escape")
			}
		case c <= ' ' || c == 0x7f:
			return fmt.Errorf("illegal character at index %d", i)
		case strings.IndexByte("\"<>\\^`{|}", c) >= 0:
			return fmt.Errorf("illegal character %q at index %d", c, i)
		}
	}
	for _, r := range s {
		if r > unicode.MaxASCII && (unicode.IsSpace(r) || unicode.IsControl(r)) {
			return fmt.Errorf("illegal character %q", r)
		}
	}
	if _, err := gourl.Parse(s); err != nil {
		return err
	}
	return nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
