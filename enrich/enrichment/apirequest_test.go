package enrichment

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

func apiConfig(t testing.TB, params string) *APIRequestConfig {
	t.Helper()
	var c APIRequestConfig
	if err := strictDecode([]byte(params), &c); err != nil {
		t.Fatalf("decoding %s: %v", params, err)
	}
	return &c
}

func newAPIForTest(t testing.TB, params string) *apiEnrichment {
	t.Helper()
	impl, err := newAPIRequest(apiConfig(t, params), &Env{HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return impl.(*apiEnrichment)
}

// apiParams is the peer's API request config shape, pointed at base.
func apiParams(base, extra string) string {
	return `{"inputs":[
		{"key":"uhost","pojo":{"field":"page_urlhost"}},
		{"key":"os","json":{"field":"derived_contexts","schemaCriterion":"iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-*","jsonPath":"$.osFamily"}},
		{"key":"device","json":{"field":"contexts","schemaCriterion":"iglu:com.snowplowanalytics.snowplow/mobile_context/jsonschema/1-*-*","jsonPath":"$.deviceModel"}},
		{"key":"service","json":{"field":"unstruct_event","schemaCriterion":"iglu:com.acme/signup/jsonschema/1-0-*","jsonPath":"$.serviceType"}}],
		"api":{"http":{"method":"GET","uri":"` + base + `/guest/users/{{device}}/{{os}}/{{uhost}}/{{ service }}?format=json","timeout":2000,"authentication":{}}},
		"outputs":[{"schema":"iglu:com.acme/user/jsonschema/1-0-0","json":{"jsonPath":"$"}}],
		"cache":{"size":2,"ttl":60}` + extra + `}`
}

func sd(t testing.TB, uri, data string) event.SelfDescribing {
	t.Helper()
	k, err := event.ParseSchemaKey(uri)
	if err != nil {
		t.Fatal(err)
	}
	return event.SelfDescribing{Schema: k, Data: json.RawMessage(data)}
}

func apiLookupInput(t testing.TB, host, os, device, service string) *LookupInput {
	var e event.Event
	e.Fields[event.PageURLHost] = host
	in := &LookupInput{Event: &e}
	if os != "" {
		in.Derived = []json.RawMessage{
			json.RawMessage(`{"schema":"iglu:com.snowplowanalytics.snowplow/other/jsonschema/1-0-0","data":{"osFamily":"wrong"}}`),
			json.RawMessage(`{"schema":"iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0","data":{"osFamily":"` + os + `"}}`)}
	}
	if device != "" {
		in.Contexts = []event.SelfDescribing{sd(t, "iglu:com.snowplowanalytics.snowplow/mobile_context/jsonschema/1-0-0", `{"deviceModel":"`+device+`"}`)}
	}
	if service != "" {
		u := sd(t, "iglu:com.acme/signup/jsonschema/1-0-0", `{"serviceType":"`+service+`"}`)
		in.Unstruct = &u
	}
	return in
}

func contextsString(out []json.RawMessage) string {
	parts := make([]string, len(out))
	for i, c := range out {
		parts[i] = string(c)
	}
	return strings.Join(parts, ",")
}

func TestAPIRequestAgainstPeerMock(t *testing.T) {
	mock := testservers.StartAPIMock(t)
	a := newAPIForTest(t, apiParams(mock.URL, ""))
	out, err := a.APIContexts(context.Background(), apiLookupInput(t, "www.psychicbazaar.com", "Windows 7", "large", "unsure"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":{"path":"/guest/users/large/Windows+7/www.psychicbazaar.com/unsure?format=json","message":"unauthorized","method":"GET"}}`
	if got := contextsString(out); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The same URL again is served from the cache.
	if _, err := a.APIContexts(context.Background(), apiLookupInput(t, "www.psychicbazaar.com", "Windows 7", "large", "unsure")); err != nil {
		t.Fatal(err)
	}
	if n := len(mock.Paths()); n != 1 {
		t.Errorf("%d requests for one URL, want 1", n)
	}
	// A missing input (no mobile context): no request, no context.
	out, err = a.APIContexts(context.Background(), apiLookupInput(t, "www.psychicbazaar.com", "Windows 7", "", "unsure"))
	if err != nil || out != nil {
		t.Errorf("missing input: %v, %v", out, err)
	}
	// A missing pojo input with the JSON inputs present: the template keeps
	// {{uhost}}, so no request either.
	out, err = a.APIContexts(context.Background(), apiLookupInput(t, "", "Windows 7", "large", "unsure"))
	if err != nil || out != nil {
		t.Errorf("missing pojo input: %v, %v", out, err)
	}
	if n := len(mock.Paths()); n != 1 {
		t.Errorf("%d requests, want still 1", n)
	}
	// Characters that need encoding, as java.net.URLEncoder wrote them.
	if _, err := a.APIContexts(context.Background(), apiLookupInput(t, "h", "a/b c*~é", "x", "y")); err != nil {
		t.Fatal(err)
	}
	if p := mock.Paths(); p[len(p)-1] != "/guest/users/x/a%2Fb+c*%7E%C3%A9/h/y?format=json" {
		t.Errorf("encoded path %s", p[len(p)-1])
	}
}

func TestAPIRequestPostAuthAndOutputs(t *testing.T) {
	var gotBody, gotAuth, gotType atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody.Store(string(b))
		gotType.Store(r.Header.Get("Content-Type"))
		u, p, _ := r.BasicAuth()
		gotAuth.Store(u + ":" + p)
		_, _ = w.Write([]byte(`{"user":{"id":7,"tags":["a","b"],"score":1e2},"empty":[]}`))
	}))
	defer srv.Close()
	a := newAPIForTest(t, `{"inputs":[{"key":"k1","pojo":{"field":"app_id"}},{"key":"k2","pojo":{"field":"platform"}}],
		"api":{"http":{"method":"POST","uri":"`+srv.URL+`/users/{{k1}}","timeout":2000,"authentication":{"httpBasic":{"username":"u","password":"p"}}}},
		"outputs":[{"schema":"iglu:com.acme/a/jsonschema/1-0-0","json":{"jsonPath":"$.user.id"}},
		           {"schema":"iglu:com.acme/b/jsonschema/1-0-0","json":{"jsonPath":"$.user"}},
		           {"schema":"iglu:com.acme/c/jsonschema/1-0-0","json":{"jsonPath":"$..tags[*]"}}],
		"cache":{"size":10,"ttl":0}}`)
	var e event.Event
	e.Fields[event.AppID], e.Fields[event.Platform] = "app 1", "web"
	out, err := a.APIContexts(context.Background(), &LookupInput{Event: &e})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":"iglu:com.acme/a/jsonschema/1-0-0","data":7},{"schema":"iglu:com.acme/b/jsonschema/1-0-0","data":{"id":7,"tags":["a","b"],"score":100.0}},{"schema":"iglu:com.acme/c/jsonschema/1-0-0","data":["a","b"]}`
	if got := contextsString(out); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if gotBody.Load() != `{"k1":"app 1","k2":"web"}` || gotAuth.Load() != "u:p" || gotType.Load() != "application/json" {
		t.Errorf("request body %v, auth %v, type %v", gotBody.Load(), gotAuth.Load(), gotType.Load())
	}
}

func TestAPIRequestFailures(t *testing.T) {
	var slow atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			time.Sleep(700 * time.Millisecond)
		}
		switch r.URL.Path {
		case "/500":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/text":
			_, _ = w.Write([]byte("not json"))
		default:
			_, _ = w.Write([]byte(`{"a":1}`))
		}
	}))
	defer srv.Close()
	cases := []struct{ path, jsonPath, want string }{
		{"/500", "$", "java.lang.Exception: Request failed with status 500 and body boom\n"},
		{"/text", "$", "com.fasterxml.jackson.core.JsonParseException: "},
		{"/ok", "$.b", `Error: no values were found by JSON Path [$.b] in [{"a":1}]`},
	}
	for _, c := range cases {
		a := newAPIForTest(t, `{"inputs":[],"api":{"http":{"method":"GET","uri":"`+srv.URL+c.path+`","timeout":300,"authentication":{}}},
			"outputs":[{"schema":"iglu:com.acme/a/jsonschema/1-0-0","json":{"jsonPath":"`+c.jsonPath+`"}}],"cache":{"size":10,"ttl":60}}`)
		_, err := a.APIContexts(context.Background(), &LookupInput{Event: &event.Event{}})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want %q", c.path, c.jsonPath, err, c.want)
		}
	}
	slow.Store(true)
	a := newAPIForTest(t, `{"inputs":[],"api":{"http":{"method":"GET","uri":"`+srv.URL+`/ok","timeout":100,"authentication":{}}},
		"outputs":[{"schema":"iglu:com.acme/a/jsonschema/1-0-0","json":{"jsonPath":"$"}}],"cache":{"size":10,"ttl":60}}`)
	if _, err := a.APIContexts(context.Background(), &LookupInput{Event: &event.Event{}}); err == nil || err.Error() != "java.net.SocketTimeoutException: Read timed out" {
		t.Errorf("timeout: %v", err)
	}
	a = newAPIForTest(t, `{"inputs":[],"api":{"http":{"method":"GET","uri":"http://127.0.0.1:1/x","timeout":1000,"authentication":{}}},
		"outputs":[{"schema":"iglu:com.acme/a/jsonschema/1-0-0","json":{"jsonPath":"$"}}],"cache":{"size":10,"ttl":60},"ignoreOnError":false}`)
	if _, err := a.APIContexts(context.Background(), &LookupInput{Event: &event.Event{}}); err == nil || !strings.HasPrefix(err.Error(), "java.net.ConnectException") {
		t.Errorf("connection refused: %v", err)
	}
	a.ignoreOnError = true
	if out, err := a.APIContexts(context.Background(), &LookupInput{Event: &event.Event{}}); err != nil || out != nil {
		t.Errorf("ignoreOnError: %v, %v", out, err)
	}
}

func TestAPIStringifyAsR108(t *testing.T) {
	srv := testservers.StartAPIMock(t)
	a := newAPIForTest(t, `{"inputs":[{"key":"v","json":{"field":"contexts","schemaCriterion":"iglu:com.acme/x/jsonschema/1-*-*","jsonPath":"$.v"}}],
		"api":{"http":{"method":"GET","uri":"`+srv.URL+`/guest/{{v}}","timeout":2000,"authentication":{}}},
		"outputs":[{"schema":"iglu:com.acme/a/jsonschema/1-0-0","json":{"jsonPath":"$.path"}}],"cache":{"size":10,"ttl":60}}`)
	for data, want := range map[string]string{
		`{"v":[1,true,"x"]}`: "/guest/Some%281%29%2CSome%28true%29%2CSome%28x%29",
		`{"v":{"a":1.50}}`:   "/guest/%7B%22a%22%3A1.5%7D",
		`{"v":null}`:         "/guest/null",
		`{"v":2.0}`:          "/guest/2.0",
	} {
		in := &LookupInput{Event: &event.Event{}, Contexts: []event.SelfDescribing{sd(t, "iglu:com.acme/x/jsonschema/1-2-0", data)}}
		out, err := a.APIContexts(context.Background(), in)
		if err != nil || len(out) != 1 || !strings.Contains(string(out[0]), `"data":"`+want+`"`) {
			t.Errorf("%s: %s, %v; want path %s", data, contextsString(out), err, want)
		}
	}
}

func TestAPIRequestConfigErrors(t *testing.T) {
	base := func(inputs, http, outputs, cache string) string {
		return `{"inputs":` + inputs + `,"api":{"http":` + http + `},"outputs":` + outputs + `,"cache":` + cache + `}`
	}
	okHTTP := `{"method":"GET","uri":"http://h/{{a}}","timeout":10,"authentication":{}}`
	okOut := `[{"schema":"iglu:a/b/jsonschema/1-0-0","json":{"jsonPath":"$"}}]`
	okCache := `{"size":1,"ttl":0}`
	cases := []struct{ params, want string }{
		{base(`[{"key":"a","pojo":{"field":"nope"}}]`, okHTTP, okOut, okCache), "parameters.inputs[0].pojo.field"},
		{base(`[{"key":"a"}]`, okHTTP, okOut, okCache), "none present"},
		{base(`[{"key":"a","json":{"field":"page_url","schemaCriterion":"iglu:a/b/jsonschema/1-*-*","jsonPath":"$"}}]`, okHTTP, okOut, okCache), "parameters.inputs[0].json.field"},
		{base(`[{"key":"a","json":{"field":"contexts","schemaCriterion":"a/b/1","jsonPath":"$"}}]`, okHTTP, okOut, okCache), "parameters.inputs[0].json.schemaCriterion"},
		{base(`[{"key":"a","json":{"field":"contexts","schemaCriterion":"iglu:a/b/jsonschema/1-*-*","jsonPath":"x"}}]`, okHTTP, okOut, okCache), "parameters.inputs[0].json.jsonPath"},
		{base(`[]`, `{"method":"DELETE","uri":"http://h/","timeout":10,"authentication":{}}`, okOut, okCache), "parameters.api.http.method"},
		{base(`[]`, `{"method":"GET","uri":"h/x","timeout":10,"authentication":{}}`, okOut, okCache), "parameters.api.http.uri"},
		{base(`[]`, `{"method":"GET","uri":"http://h/","timeout":0,"authentication":{}}`, okOut, okCache), "parameters.api.http.timeout"},
		{base(`[]`, okHTTP, `[{"schema":"nope","json":{"jsonPath":"$"}}]`, okCache), "parameters.outputs[0].schema"},
		{base(`[]`, okHTTP, `[{"schema":"iglu:a/b/jsonschema/1-0-0","json":{"jsonPath":"$["}}]`, okCache), "parameters.outputs[0].json.jsonPath"},
		{base(`[]`, okHTTP, okOut, `{"size":0,"ttl":0}`), "parameters.cache.size"},
	}
	for _, c := range cases {
		_, err := newAPIRequest(apiConfig(t, c.params), &Env{HTTPClient: http.DefaultClient})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v, want an error containing %q", c.params, err, c.want)
		}
	}
}

func TestScalaHashOrderBody(t *testing.T) {
	// Five keys make a HashTrieMap: R108 serialized them in hash order.
	a := &apiEnrichment{method: "POST"}
	body, _ := a.buildBody([]kv{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}})
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil || len(m) != 5 {
		t.Fatalf("body %s: %v", body, err)
	}
	small, _ := a.buildBody([]kv{{"z", "1"}, {"a", "2"}})
	if small != `{"z":"1","a":"2"}` {
		t.Errorf("a small map kept insertion order in R108: %s", small)
	}
}

// FuzzAPIURITemplate: go test -fuzz FuzzAPIURITemplate ./enrich/enrichment
func FuzzAPIURITemplate(f *testing.F) {
	f.Add("http://h/{{a}}/{{ b }}?x={{a}}", "Windows 7", "a/b?c=d&e")
	f.Add("http://h/{{a}", "{{a}}", "}")
	f.Add("https://h:8080/{{b}}{{a}}", "é€😀", "")
	f.Fuzz(func(t *testing.T, tmpl, va, vb string) {
		a := &apiEnrichment{uri: tmpl}
		u, ok := a.buildURL([]kv{{"a", va}, {"b", vb}})
		// The reference: R108's replaceAll of \{\{\ *key\ *\}\} per key.
		ref := tmpl
		for _, p := range []kv{{"a", va}, {"b", vb}} {
			ref = regexp.MustCompile(`\{\{ *`+p.k+` *\}\}`).ReplaceAllLiteralString(ref, formEncode(p.v))
		}
		if u != ref {
			t.Fatalf("buildURL(%q) = %q, R108 built %q", tmpl, u, ref)
		}
		if ok && strings.ContainsAny(u, "{}") {
			t.Fatalf("buildURL(%q) = %q reported complete with braces left", tmpl, u)
		}
		if !strings.Contains(tmpl, "{") && !strings.Contains(tmpl, "}") && (!ok || u != tmpl) {
			t.Fatalf("a template without placeholders changed: %q → %q, %v", tmpl, u, ok)
		}
		for _, v := range []string{va, vb} {
			enc := formEncode(v)
			if strings.ContainsAny(enc, "{}$\\ ") {
				t.Fatalf("formEncode(%q) = %q keeps a special character", v, enc)
			}
			if back, err := url.QueryUnescape(enc); err != nil || back != v {
				t.Fatalf("formEncode(%q) = %q does not decode back (%q, %v)", v, enc, back, err)
			}
		}
	})
}

// BenchmarkAPIRequestCached measures an event whose lookup is a cache hit
// (template context, URL building, LRU) against the peer's API mock.
//
//	go test -run '^$' -bench BenchmarkAPIRequestCached -benchmem ./enrich/enrichment
func BenchmarkAPIRequestCached(b *testing.B) {
	mock := testservers.StartAPIMock(b)
	a := newAPIForTest(b, apiParams(mock.URL, ""))
	in := apiLookupInput(b, "www.psychicbazaar.com", "Windows 7", "large", "unsure")
	ctx := context.Background()
	if _, err := a.APIContexts(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.APIContexts(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
