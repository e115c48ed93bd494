package enrichment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
	"github.com/furrowdata/furrow/enrich/enrichment/lookup"
	"github.com/furrowdata/furrow/enrich/enrichment/lru"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/scalamap"
)

// api_request_enrichment_config (R108: apirequest.ApiRequestEnrichment).
//
// Per event the inputs build a template context (key → string): a "pojo"
// input reads an enriched field, a "json" input the first entity of
// contexts, derived_contexts or unstruct_event whose schema URI starts with
// the criterion's prefix ("1-*-*" → "…/1-", "1-0-*" → "…/1-0-"), queried
// with its JSONPath (Gatling semantics; several matches are joined with ","
// as R108 printed them, "Some(v)" each). Every {{ key }} of the URI is
// replaced by the form-encoded value (java.net.URLEncoder); when an input is
// missing or a placeholder stays unfilled, no request is made and no
// context added. POST and PUT send the context as a JSON object.
//
// Responses are cached by URL (+ body) in an LRU of cache.size entries for
// cache.ttl seconds (0: until evicted), failures included, as R108 did.
// Each output's JSONPath picks the context data from the parsed response
// ({"schema": output.schema, "data": …}); nothing found, an HTTP status
// outside 2xx, a transport error or a body that is not JSON fails the event
// with R108's message, unless ignoreOnError (1-0-2) is true, in which case
// the event simply gets no context. Requests time out after api.http.timeout
// milliseconds.

type apiInput struct {
	key    string
	pojo   bool
	field  event.Field // pojo
	json   event.Field // contexts, derived_contexts or unstruct_event
	prefix string
	path   *jsonpath.Path
}

type apiOutput struct {
	schema string
	path   *jsonpath.Path
	text   string
}

// apiResponse is one cached response: parsed JSON or the failure message.
type apiResponse struct {
	doc *jsonpath.Value
	err string
}

type apiEnrichment struct {
	inputs        []apiInput
	method        string
	uri           string
	user, pass    string
	auth          bool
	timeout       time.Duration
	outputs       []apiOutput
	ignoreOnError bool
	client        *http.Client
	cache         *lru.Cache[string, apiResponse]
	group         singleflight.Group
}

// apiKeyRe is the key syntax R108 substituted (others were left alone).
var apiKeyRe = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func newAPIRequest(cfg *APIRequestConfig, env *Env) (APIRequest, error) {
	h := cfg.API.HTTP
	a := &apiEnrichment{method: h.Method, uri: h.URI, ignoreOnError: cfg.IgnoreOnError != nil && *cfg.IgnoreOnError, client: env.HTTPClient}
	for i, in := range cfg.Inputs {
		where := fmt.Sprintf("parameters.inputs[%d]", i)
		ai, err := compileEventInput(in.EventInput, where)
		if err != nil {
			return nil, err
		}
		ai.key = in.Key
		if !apiKeyRe.MatchString(in.Key) && env.Logger != nil {
			env.Logger.Warn("API request input key is never substituted (R108 allowed only [a-zA-Z0-9_-])", "key", in.Key)
		}
		a.inputs = append(a.inputs, ai)
	}
	switch h.Method {
	case "GET", "POST", "PUT":
	default:
		return nil, fmt.Errorf("parameters.api.http.method: [%s] is not one of GET, POST, PUT", h.Method)
	}
	probe := regexp.MustCompile(`\{\{[^{}]*\}\}`).ReplaceAllString(h.URI, "x")
	if u, err := url.Parse(probe); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("parameters.api.http.uri: %q is not an http(s) URI template", h.URI)
	}
	if h.Timeout < 1 {
		return nil, fmt.Errorf("parameters.api.http.timeout: %d is not a positive number of milliseconds", h.Timeout)
	}
	a.timeout = time.Duration(h.Timeout) * time.Millisecond
	if b := h.Authentication.HTTPBasic; b != nil && (b.Username != "" || b.Password != "") {
		a.auth, a.user, a.pass = true, b.Username, b.Password
	}
	if len(cfg.Outputs) == 0 {
		return nil, errors.New("parameters.outputs: no output")
	}
	for i, o := range cfg.Outputs {
		where := fmt.Sprintf("parameters.outputs[%d]", i)
		if _, err := event.ParseSchemaKey(o.Schema); err != nil {
			return nil, fmt.Errorf("%s.schema: %v", where, err)
		}
		if o.JSON == nil {
			return nil, fmt.Errorf("%s.json: missing", where)
		}
		p, err := jsonpath.Compile(o.JSON.JSONPath)
		if err != nil {
			return nil, fmt.Errorf("%s.json.jsonPath: %v", where, err)
		}
		a.outputs = append(a.outputs, apiOutput{o.Schema, p, o.JSON.JSONPath})
	}
	if cfg.Cache.Size < 1 {
		return nil, fmt.Errorf("parameters.cache.size: %d is not positive", cfg.Cache.Size)
	}
	if cfg.Cache.TTL < 0 {
		return nil, fmt.Errorf("parameters.cache.ttl: %d is negative", cfg.Cache.TTL)
	}
	a.cache = lru.New[string, apiResponse](cfg.Cache.Size, time.Duration(cfg.Cache.TTL)*time.Second, nil)
	return a, nil
}

// compileEventInput checks one pojo/json input of the API request or SQL
// query enrichment (R108 found these problems on every event; furrow at
// start-up).
func compileEventInput(in EventInput, where string) (apiInput, error) {
	switch {
	case in.Pojo != nil && in.JSON != nil:
		return apiInput{}, fmt.Errorf("%s: Input must represent either json OR pojo, both present", where)
	case in.Pojo != nil:
		f, ok := lookup.PojoField(in.Pojo.Field)
		if !ok {
			return apiInput{}, fmt.Errorf("%s.pojo.field: [%s] is not a field of the enriched event", where, in.Pojo.Field)
		}
		return apiInput{pojo: true, field: f}, nil
	case in.JSON != nil:
		var f event.Field
		switch in.JSON.Field {
		case "contexts":
			f = event.Contexts
		case "derived_contexts":
			f = event.DerivedContexts
		case "unstruct_event":
			f = event.UnstructEvent
		default:
			return apiInput{}, fmt.Errorf("%s.json.field: wrong field [%s]. Should be one of: derived_contexts, contexts, unstruct_event", where, in.JSON.Field)
		}
		prefix, ok := lookup.CriterionPrefix(in.JSON.SchemaCriterion)
		if !ok {
			return apiInput{}, fmt.Errorf("%s.json.schemaCriterion: %s is not a valid Iglu-format schema criterion", where, in.JSON.SchemaCriterion)
		}
		p, err := jsonpath.Compile(in.JSON.JSONPath)
		if err != nil {
			return apiInput{}, fmt.Errorf("%s.json.jsonPath: %v", where, err)
		}
		return apiInput{json: f, prefix: prefix, path: p}, nil
	}
	return apiInput{}, fmt.Errorf("%s: Input must represent either json OR pojo, none present", where)
}

// lookupEntities holds the entities of one event for the json inputs.
type lookupEntities struct {
	in                         *LookupInput
	derived, custom, unstruct  []*lookup.Entity
	haveDerived, haveCustomAll bool
}

func (l *lookupEntities) of(f event.Field) []*lookup.Entity {
	switch f {
	case event.DerivedContexts:
		if !l.haveDerived {
			l.haveDerived = true
			for _, raw := range l.in.Derived {
				if schema, ok := lookup.SchemaOf(raw); ok {
					l.derived = append(l.derived, &lookup.Entity{Schema: schema, Envelope: raw})
				}
			}
		}
		return l.derived
	case event.Contexts:
		if !l.haveCustomAll {
			l.haveCustomAll = true
			for _, c := range l.in.Contexts {
				l.custom = append(l.custom, &lookup.Entity{Schema: c.Schema.String(), Raw: c.Data})
			}
			if u := l.in.Unstruct; u != nil {
				l.unstruct = []*lookup.Entity{{Schema: u.Schema.String(), Raw: u.Data}}
			}
		}
		return l.custom
	case event.UnstructEvent:
		l.of(event.Contexts)
		return l.unstruct
	}
	return nil
}

// value returns the input's value from the event; ok is false when it is
// missing (R108's None).
func (in *apiInput) value(e *event.Event, ents *lookupEntities) (*jsonpath.Value, bool) {
	ent := lookup.FirstData(ents.of(in.json), in.prefix)
	if ent == nil {
		return nil, false
	}
	data, err := ent.Data()
	if err != nil || data == nil {
		return nil, false
	}
	v := lookup.Wrap(in.path.Query(data))
	return v, v != nil
}

// stringifyJSON is R108's Input.stringifyJson. An array's elements are
// printed as the Options they were ("Some(1),Some(a)"), as R108 did.
func stringifyJSON(v *jsonpath.Value) string {
	switch v.Kind {
	case jsonpath.String:
		return v.Str
	case jsonpath.Array:
		parts := make([]string, len(v.Arr))
		for i, e := range v.Arr {
			parts[i] = "Some(" + stringifyJSON(e) + ")"
		}
		return strings.Join(parts, ",")
	case jsonpath.Int:
		return v.Num
	case jsonpath.Float:
		return jsonpath.JavaDouble(v.Float)
	case jsonpath.Bool:
		if v.Bool {
			return "true"
		}
		return "false"
	case jsonpath.Null:
		return "null"
	}
	return jsonpath.Render(v)
}

type kv struct{ k, v string }

// templateContext is Input.buildTemplateContext: nil when no lookup is to
// be made.
func (a *apiEnrichment) templateContext(in *LookupInput) []kv {
	ents := &lookupEntities{in: in}
	var pojo, js []kv
	pojoOK, jsOK := true, true
	for i := range a.inputs {
		ai := &a.inputs[i]
		if ai.pojo {
			v := in.Event.Fields[ai.field]
			if v == "" {
				pojoOK = false
				continue
			}
			pojo = putKV(pojo, ai.key, v)
			continue
		}
		v, ok := ai.value(in.Event, ents)
		if !ok {
			jsOK = false
			continue
		}
		js = putKV(js, ai.key, stringifyJSON(v))
	}
	// Scalaz's Option semigroup: None only when both halves are None.
	switch {
	case !pojoOK && !jsOK:
		return nil
	case !pojoOK:
		pojo = nil
	case !jsOK:
		js = nil
	}
	out := pojo
	for _, p := range js {
		out = putKV(out, p.k, p.v)
	}
	if out == nil {
		out = []kv{}
	}
	return out
}

// putKV sets k in an insertion-ordered map (the last value wins in place).
func putKV(m []kv, k, v string) []kv {
	for i := range m {
		if m[i].k == k {
			m[i].v = v
			return m
		}
	}
	return append(m, kv{k, v})
}

// formEncode is java.net.URLEncoder.encode(s, "UTF-8").
func formEncode(s string) string {
	const hexUp = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexUp[c>>4])
			b.WriteByte(hexUp[c&15])
		}
	}
	return b.String()
}

// buildURL is HttpApi.buildUrl: every "{{ key }}" (spaces allowed inside
// the braces) of a key in the context is replaced by the form-encoded
// value; ok is false when a brace remains. (One scan is equivalent to
// R108's replaceAll per key because encoded values contain no braces.)
func (a *apiEnrichment) buildURL(ctx []kv) (string, bool) {
	t := a.uri
	var b strings.Builder
	b.Grow(len(t) + 32)
	i := 0
	for i < len(t) {
		j := strings.Index(t[i:], "{{")
		if j < 0 {
			b.WriteString(t[i:])
			break
		}
		b.WriteString(t[i : i+j])
		i += j
		k := i + 2
		for k < len(t) && t[k] == ' ' {
			k++
		}
		start := k
		for k < len(t) && isAPIKeyChar(t[k]) {
			k++
		}
		key := t[start:k]
		for k < len(t) && t[k] == ' ' {
			k++
		}
		if key != "" && strings.HasPrefix(t[k:], "}}") {
			if v, ok := lookupKV(ctx, key); ok {
				b.WriteString(formEncode(v))
				i = k + 2
				continue
			}
		}
		b.WriteByte('{')
		i++
	}
	u := b.String()
	return u, !strings.ContainsAny(u, "{}")
}

func isAPIKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func lookupKV(m []kv, k string) (string, bool) {
	for _, p := range m {
		if p.k == k {
			return p.v, true
		}
	}
	return "", false
}

// buildBody is HttpApi.buildBody: the context as a JSON object, its keys in
// the order of the Scala Map R108 serialized.
func (a *apiEnrichment) buildBody(ctx []kv) (string, bool) {
	if a.method == "GET" {
		return "", false
	}
	ordered := append([]kv(nil), ctx...)
	scalamap.SortStable(ordered, func(p kv) string { return p.k })
	b := []byte{'{'}
	for i, p := range ordered {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonpath.AppendString(b, p.k)
		b = append(b, ':')
		b = jsonpath.AppendString(b, p.v)
	}
	return string(append(b, '}')), true
}

// APIContexts returns the contexts built from the API's response.
func (a *apiEnrichment) APIContexts(ctx context.Context, in *LookupInput) ([]json.RawMessage, error) {
	tc := a.templateContext(in)
	if tc == nil {
		return nil, nil
	}
	u, ok := a.buildURL(tc)
	if !ok {
		return nil, nil
	}
	body, hasBody := a.buildBody(tc)
	key := u + body
	resp, ok := a.cache.Get(key)
	if !ok {
		v, _, _ := a.group.Do(key, func() (any, error) {
			if r, ok := a.cache.Get(key); ok {
				return r, nil
			}
			r := a.perform(ctx, u, body, hasBody)
			a.cache.Put(key, r)
			return r, nil
		})
		resp = v.(apiResponse)
	}
	var out []json.RawMessage
	var errs []error
	for _, o := range a.outputs {
		if resp.err != "" {
			errs = append(errs, r108Error(resp.err))
			continue
		}
		v := lookup.Wrap(o.path.Query(resp.doc))
		if v == nil {
			errs = append(errs, r108Errorf("Error: no values were found by JSON Path [%s] in [%s]", o.text, jsonpath.Render(resp.doc)))
			continue
		}
		b := []byte(`{"schema":`)
		b = jsonpath.AppendString(b, o.schema)
		b = append(b, `,"data":`...)
		b = jsonpath.AppendRender(b, v)
		out = append(out, append(b, '}'))
	}
	if len(errs) > 0 {
		if a.ignoreOnError {
			return nil, nil
		}
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// maxAPIResponse bounds one API response body.
const maxAPIResponse = 16 << 20

// perform makes the HTTP request (R108's HttpClient.getBody) and parses
// the response.
func (a *apiEnrichment) perform(ctx context.Context, u, body string, hasBody bool) apiResponse {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	var rd io.Reader
	if hasBody {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, a.method, u, rd)
	if err != nil {
		return apiResponse{err: "java.net.MalformedURLException: " + err.Error()}
	}
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "*/*")
	}
	if a.auth {
		req.SetBasicAuth(a.user, a.pass)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return apiResponse{err: javaIOError(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse+1))
	if err != nil {
		return apiResponse{err: javaIOError(err)}
	}
	if len(b) > maxAPIResponse {
		return apiResponse{err: fmt.Sprintf("java.io.IOException: response larger than %d bytes", maxAPIResponse)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiResponse{err: fmt.Sprintf("java.lang.Exception: Request failed with status %d and body %s", resp.StatusCode, b)}
	}
	doc, err := jsonpath.Parse(string(bytes.TrimSpace(b)))
	if err != nil {
		return apiResponse{err: "com.fasterxml.jackson.core.JsonParseException: " + err.Error()}
	}
	return apiResponse{doc: doc}
}

// javaIOError names a transport failure as the JVM exception R108 printed.
func javaIOError(err error) string {
	var ne net.Error
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "java.net.SocketTimeoutException: Read timed out"
	case errors.As(err, &dns):
		return "java.net.UnknownHostException: " + dns.Name
	case errors.As(err, &op) && op.Op == "dial":
		return "java.net.ConnectException: Connection refused (Connection refused)"
	}
	return "java.io.IOException: " + err.Error()
}
