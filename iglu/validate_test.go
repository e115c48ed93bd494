package iglu_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

func centralResolver(t testing.TB) *iglu.Resolver {
	t.Helper()
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(iglutest.Central(t)))
	if err != nil {
		t.Fatal(err)
	}
	return newResolver(t, cfg, iglu.Options{})
}

func TestValidateCentralContexts(t *testing.T) {
	r := centralResolver(t)
	tests := []struct {
		key, data string
		want      string // "" = valid, else the exact error
	}{
		{"iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0", `{"uri": "http://snowplowanalytics.com/"}`, ""},
		{"iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0", `{}`,
			"iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0: instance does not match: at (root): missing property 'uri'"},
		{"iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0", `{"uri": "not a uri"}`,
			"iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0: instance does not match: at /uri: 'not a uri' is not valid uri: illegal character at index 3"},
		{"iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0", `{"uri": "/relative/path?q=1"}`, ""},
		{"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0", `{"id": "a4583919-4df8-496a-917b-d40fa1c8ca7f"}`, ""},
		{"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0", `{"id": "a4583919"}`,
			"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0: instance does not match: at /id: 'a4583919' does not match pattern '^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$'"},
		{"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0", `{"id": "a4583919-4df8-496a-917b-d40fa1c8ca7f", "extra": 1}`,
			"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0: instance does not match: at (root): additional properties 'extra' not allowed"},
		{"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1",
			`{"targetUrl": "http://www.example.com", "elementClasses": ["foreground"], "elementId": "exampleLink"}`, ""},
		{"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1", `{"elementId": 5, "elementClasses": "x"}`,
			"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1: instance does not match: at (root): missing property 'targetUrl'; at /elementClasses: got string, want array; at /elementId: got number, want string"},
		{"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1", `{"targetUrl": ""}`,
			"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1: instance does not match: at /targetUrl: minLength: got 0, want 1"},
		{"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1", `{"targetUrl": "x"`,
			"iglu: data does not conform to schema: iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1: invalid JSON: unexpected end of input at offset 17"},
		{"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1", ``,
			"iglu: data does not conform to schema: iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1: invalid JSON: empty document"},
	}
	for _, tt := range tests {
		err := r.Validate(testCtx(t), key(t, tt.key), json.RawMessage(tt.data))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s %s: %v", tt.key, tt.data, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("%s %s:\n got %v\nwant %s", tt.key, tt.data, err, tt.want)
		case tt.want != "" && !errors.Is(err, iglu.ErrInvalidData):
			t.Errorf("%s %s: %v does not wrap ErrInvalidData", tt.key, tt.data, err)
		}
	}
	var ve *iglu.ValidationError
	err := r.Validate(testCtx(t), key(t, "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0"), json.RawMessage(`{"id": 1}`))
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "/id" {
		t.Errorf("got %#v", err)
	}
}

// TestCompileAllCentral compiles every jsonschema of Iglu Central through the
// resolver: the meta-schema, formats and patterns must accept all of them.
func TestCompileAllCentral(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles ~650 schemas")
	}
	dir := iglutest.CentralDir(t)
	r := newResolver(t, iglu.Config{CacheSize: 1000, Repositories: []iglu.Repository{{Name: "central", Folder: dir}}}, iglu.Options{})
	keys := centralKeys(t, dir)
	if len(keys) < 100 {
		t.Fatalf("only %d schemas found", len(keys))
	}
	for _, k := range keys {
		if _, err := r.Lookup(testCtx(t), k); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

func TestValidateSelfDescribing(t *testing.T) {
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{{Name: "a", Folder: "testdata/reg-a"}}}, iglu.Options{})
	var sd event.SelfDescribing
	if err := json.Unmarshal([]byte(`{"schema": "iglu:com.acme/event/jsonschema/1-0-0", "data": {"id": "a4583919-4df8-496a-917b-d40fa1c8ca7f", "count": 3}}`), &sd); err != nil {
		t.Fatal(err)
	}
	if err := r.ValidateSelfDescribing(testCtx(t), sd); err != nil {
		t.Error(err)
	}
	sd.Data = json.RawMessage(`{"id": "a4583919-4df8-496a-917b-d40fa1c8ca7f", "count": -1}`)
	if err := r.ValidateSelfDescribing(testCtx(t), sd); err == nil || !strings.Contains(err.Error(), "at /count: minimum: got -1, want 0") {
		t.Errorf("got %v", err)
	}
	sd.Schema.Name = "unknown"
	if err := r.ValidateSelfDescribing(testCtx(t), sd); !errors.Is(err, iglu.ErrSchemaNotFound) {
		t.Errorf("got %v", err)
	}
}

func TestValidateNumbersExactly(t *testing.T) {
	r := newResolver(t, iglu.Config{Repositories: []iglu.Repository{{Name: "a", Folder: "testdata/reg-a"}}}, iglu.Options{})
	s, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/numbers/jsonschema/1-0-0"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		data string
		want string // substring of the error, "" = valid
	}{
		{`{"price": 0.07}`, ""},  // 0.07/0.01 is 7.000000000000001 in float64
		{`{"price": 19.99}`, ""}, // idem
		{`{"price": 0.071}`, "at /price: multipleOf: got 0.071, want a multiple of 0.01"},
		{`{"big": 9007199254740992}`, ""},
		{`{"big": 9007199254740993}`, "at /big: maximum: got 9007199254740993, want 9007199254740992"}, // equal as float64
		{`{"big": 1.0}`, ""}, // draft-04 integers may be written 1.0
		{`{"big": 1.5}`, "at /big: got number, want integer"},
		{`{"ratio": 0.29999999999999999}`, ""}, // rounds to 0.3 as float64
		{`{"ratio": 0.3}`, "at /ratio: exclusiveMaximum: got 0.3, want less than 0.3"},
		{`{"price": 1e400}`, ""},                                                 // beyond float64, still exact
		{`{"price": 1e-400}`, "multipleOf: got 1e-400, want a multiple of 0.01"}, // 0 as float64
		{`{"ratio": -0.5}`, ""},
	}
	for _, tt := range tests {
		err := s.Validate(json.RawMessage(tt.data))
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: got %v, want %q", tt.data, err, tt.want)
		}
	}
}

func TestValidateFormatsAndPatterns(t *testing.T) {
	r := newResolver(t, iglu.Config{Repositories: []iglu.Repository{{Name: "a", Folder: "testdata/reg-a"}}}, iglu.Options{})
	s, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/strings/jsonschema/1-0-0"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		data string
		want string
	}{
		{`{"link": "https://example.com/a?b=c#d"}`, ""},
		{`{"link": "relative/path"}`, ""},
		{`{"link": "mailto:someone@example.com"}`, ""},
		{`{"link": "http://exa mple.com"}`, "at /link: 'http://exa mple.com' is not valid uri"},
		{`{"link": "http://x/%zz"}`, "malformed escape"},
		{`{"link": "http://x/{a}"}`, "illegal character '{'"},
		{`{"when": "2024-02-29T12:00:00.123Z"}`, ""},
		{`{"when": "2024-02-30T12:00:00Z"}`, "at /when: '2024-02-30T12:00:00Z' is not valid date-time"},
		{`{"ip": "10.0.0.1"}`, ""},
		{`{"ip": "10.0.0.256"}`, "is not valid ipv4"},
		{`{"code": "page_view"}`, ""},
		{`{"code": "tmp_view"}`, "at /code: 'tmp_view' does not match pattern"}, // lookahead: ECMAScript engine
		{`{"slug": "a-b_c.d"}`, ""},
		{`{"slug": "a/b"}`, "does not match pattern"},
		{`{"slug": "abcdefghi"}`, "at /slug: maxLength: got 9, want 8"},
		{`{"tags": ["a", "c", "b"]}`, "at /tags: maxItems: got 3, want 2; at /tags/1: value must be one of 'a', 'b'"},
		{`{"other": "x\ny"}`, "at (root): additional properties 'other' not allowed"},
	}
	for _, tt := range tests {
		err := s.Validate(json.RawMessage(tt.data))
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: got %v, want %q", tt.data, err, tt.want)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\r\t") {
			t.Errorf("%s: error is not one line: %q", tt.data, err)
		}
	}
	// Deterministic text whatever the map order of the validator.
	many := `{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10, "k": 11, "l": 12}`
	first := s.Validate(json.RawMessage(many)).Error()
	for i := 0; i < 20; i++ {
		if got := s.Validate(json.RawMessage(many)).Error(); got != first {
			t.Fatalf("error text varies:\n%s\n%s", first, got)
		}
	}
}

func TestValidateReferences(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("a", 0, reg.URL)}}, iglu.Options{})
	s, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/wrapper/jsonschema/1-0-0"))
	if err != nil {
		t.Fatal(err)
	}
	// The referenced com.acme/event came from the registry, not iglucentral.com.
	if reg.count(key(t, "iglu:com.acme/event/jsonschema/1-0-0")) != 1 {
		t.Errorf("referenced schema not fetched from the registry")
	}
	ok := `{"inner": {"id": "a4583919-4df8-496a-917b-d40fa1c8ca7f"}, "entity": {"schema": "iglu:com.acme/x/jsonschema/1-0-0", "data": 1}, "local": 2}`
	if err := s.Validate(json.RawMessage(ok)); err != nil {
		t.Error(err)
	}
	bad := `{"inner": {"count": 1}, "entity": {"schema": "x"}, "local": 0}`
	err = s.Validate(json.RawMessage(bad))
	for _, want := range []string{"at /entity: missing property 'data'", "at /entity/schema: 'x' does not match pattern", "at /inner: missing property 'id'", "at /local: minimum: got 0, want 1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

func TestValidateZeroSchema(t *testing.T) {
	var s iglu.Schema
	if err := s.Validate(json.RawMessage(`{}`)); err == nil {
		t.Error("an unresolved schema validated data")
	}
}

// TestValidateConcurrently shares one Schema between goroutines, valid and
// invalid documents alike (run with -race).
func TestValidateConcurrently(t *testing.T) {
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{{Name: "a", Folder: "testdata/reg-a"}}}, iglu.Options{})
	s, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/strings/jsonschema/1-0-0"))
	if err != nil {
		t.Fatal(err)
	}
	good := json.RawMessage(`{"link": "https://example.com", "code": "page_view", "tags": ["a"]}`)
	bad := json.RawMessage(`{"link": "a b", "code": "tmp_x", "tags": ["c"], "x": 1}`)
	want := s.Validate(bad).Error()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := s.Validate(good); err != nil {
					errs <- err
					return
				}
				if err := s.Validate(bad); err == nil || err.Error() != want {
					errs <- fmt.Errorf("got %v, want %s", err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
