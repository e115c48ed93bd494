package enrichment

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
)

func newJSForTest(t testing.TB, script string) *jsEnrichment {
	t.Helper()
	impl, err := newJavaScript(&JavaScriptConfig{Script: base64.RawURLEncoding.EncodeToString([]byte(script))}, &Env{})
	if err != nil {
		t.Fatalf("newJavaScript: %v", err)
	}
	return impl.(*jsEnrichment)
}

func joinRaw(ctxs [][]byte) string {
	parts := make([]string, len(ctxs))
	for i, c := range ctxs {
		parts[i] = string(c)
	}
	return strings.Join(parts, ",")
}

func processJS(t *testing.T, j *jsEnrichment, e *event.Event) (string, error) {
	t.Helper()
	out, err := j.Process(context.Background(), e)
	raw := make([][]byte, len(out))
	for i, c := range out {
		raw[i] = c
	}
	return joinRaw(raw), err
}

// The script of the R108 fixtures (Core2015RefreshSpec, DerivedTstampSpec).
const appIDScript = `function process(event) {  var appId = event.getApp_id();  if (appId == null) {    return [];  }  var appIdUpper = new String(appId.toUpperCase());  return [ { schema: "iglu:com.acme/app_id/jsonschema/1-0-0",               data:  { appIdUpper: appIdUpper } } ];}`

func TestJavaScriptAppID(t *testing.T) {
	j := newJSForTest(t, appIDScript)
	var e event.Event
	e.Fields[event.AppID] = "pbzsite"
	got, err := processJS(t, j, &e)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"schema":"iglu:com.acme/app_id/jsonschema/1-0-0","data":{"appIdUpper":"PBZSITE"}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	e.Fields[event.AppID] = ""
	out, err := j.Process(context.Background(), &e)
	if err != nil || out != nil {
		t.Errorf("null app_id: got %v, %v; want no contexts", out, err)
	}
}

func TestJavaScriptGettersAndSetters(t *testing.T) {
	j := newJSForTest(t, `function process(e) {
		var r = {lat: e.getGeo_latitude(), idx: e.getDomain_sessionidx(), port: e.getPage_urlport(),
			pdf: e.getBr_features_pdf(), ev: e.getEvent(), ua: e.getUseragent(), city: e.getGeo_city(),
			pii: e.getPii(), latType: typeof e.getGeo_latitude(), tr: e.getTrue_tstamp()};
		e.setApp_id("changed"); e.setGeo_city(null); e.setDvce_screenwidth(1280.7); e.setGeo_longitude(-1.5);
		return [{schema: "iglu:com.acme/x/jsonschema/1-0-0", data: r}];
	}`)
	var e event.Event
	e.Fields[event.GeoLatitude] = "47.2513"
	e.Fields[event.DomainSessionIdx] = "3"
	e.Fields[event.PageURLPort] = "80"
	e.Fields[event.BrFeaturesPDF] = "1"
	e.Fields[event.EventType] = "page_view"
	e.Fields[event.GeoCity] = "Milton"
	e.Fields[event.TrueTstamp] = "2013-03-25 02:03:37.342"
	got, err := processJS(t, j, &e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":{"lat":47.2513,"idx":3,"port":80,"pdf":1,"ev":"page_view","ua":null,"city":"Milton","pii":null,"latType":"number","tr":"2013-03-25 02:03:37.342"}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if e.Fields[event.AppID] != "changed" || e.Fields[event.GeoCity] != "" || e.Fields[event.DvceScreenwidth] != "1280" || e.Fields[event.GeoLongitude] != "-1.5" {
		t.Errorf("setters: app_id=%q geo_city=%q dvce_screenwidth=%q geo_longitude=%q",
			e.Fields[event.AppID], e.Fields[event.GeoCity], e.Fields[event.DvceScreenwidth], e.Fields[event.GeoLongitude])
	}
}

func TestJavaScriptFailures(t *testing.T) {
	cases := []struct{ script, want string }{
		{"function process(event) {\n  throw new Error('Oops');\n}",
			"Evaluating JavaScript script threw an exception: [org.mozilla.javascript.JavaScriptException: Error: Oops (user-defined-script#2)]"},
		{"function process(event) {\n\n  throw 'plain';\n}",
			"Evaluating JavaScript script threw an exception: [org.mozilla.javascript.JavaScriptException: plain (user-defined-script#3)]"},
		{"function process(event) {\n  return event.getApp_id().length;\n}",
			"Evaluating JavaScript script threw an exception: [org.mozilla.javascript.EcmaError: TypeError: "},
		{"function process(event) { return {a: 1}; }", `JavaScript script must return an Array; got [{"a":1}]`},
		{"function process(event) { return null; }", `JavaScript script must return an Array; got [null]`},
		{"function process(event) { }", `JavaScript script must return an Array; got [undefined]`},
		{"function process(event) { return process(event); }", "java.lang.StackOverflowError"},
	}
	for _, c := range cases {
		j := newJSForTest(t, c.script)
		var e event.Event
		_, err := j.Process(context.Background(), &e)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.script, err, c.want)
		}
	}
}

func TestJavaScriptConfigErrors(t *testing.T) {
	for _, s := range []string{"function process(e) { return [; }", "", "   "} {
		_, err := newJavaScript(&JavaScriptConfig{Script: base64.StdEncoding.EncodeToString([]byte(s))}, &Env{})
		if err == nil || !strings.Contains(err.Error(), "parameters.script") {
			t.Errorf("script %q: got %v, want an error naming parameters.script", s, err)
		}
	}
	t.Setenv(JSTimeoutEnv, "soon")
	if _, err := newJavaScript(&JavaScriptConfig{Script: base64.StdEncoding.EncodeToString([]byte(appIDScript))}, &Env{}); err == nil || !strings.Contains(err.Error(), JSTimeoutEnv) {
		t.Errorf("a bad %s was accepted: %v", JSTimeoutEnv, err)
	}
}

func TestJavaScriptBase64AsR108(t *testing.T) {
	src := "function process(e) { return [{schema: 'iglu:a/b/jsonschema/1-0-0', data: {x: '~~~>>>???'}}]; }"
	std := base64.StdEncoding.EncodeToString([]byte(src))
	url := base64.URLEncoding.EncodeToString([]byte(src))
	for _, enc := range []string{std, url, strings.TrimRight(url, "="), std[:20] + "\n " + std[20:]} {
		if got := decodeBase64Lenient(enc); got != src {
			t.Errorf("decode(%q) = %q", enc, got)
		}
	}
}

func TestJavaScriptFreshScopePerEvent(t *testing.T) {
	j := newJSForTest(t, `var n = 0; function process(e) { n++; return [{schema: "iglu:a/b/jsonschema/1-0-0", data: {n: n}}]; }`)
	for i := 0; i < 3; i++ {
		var e event.Event
		got, err := processJS(t, j, &e)
		if err != nil || !strings.Contains(got, `"n":1`) {
			t.Fatalf("event %d: %s, %v (top-level state leaked between events)", i, got, err)
		}
	}
}

func TestJavaScriptTimeoutAndRecovery(t *testing.T) {
	t.Setenv(JSTimeoutEnv, "150ms")
	j := newJSForTest(t, `function process(e) { if (e.getApp_id() == "loop") { while (true) {} } return [{schema: "iglu:a/b/jsonschema/1-0-0", data: {a: e.getApp_id()}}]; }`)
	var e event.Event
	e.Fields[event.AppID] = "loop"
	start := time.Now()
	_, err := j.Process(context.Background(), &e)
	if err == nil || !strings.Contains(err.Error(), "time limit") {
		t.Fatalf("runaway script: got %v, want a time-limit failure", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("runaway script took %v to stop", d)
	}
	e.Fields[event.AppID] = "ok"
	got, err := processJS(t, j, &e)
	if err != nil || !strings.Contains(got, `"a":"ok"`) {
		t.Fatalf("event after a timeout: %s, %v", got, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	e.Fields[event.AppID] = "loop"
	if _, err := j.Process(ctx, &e); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("cancelled context: got %v", err)
	}
}

func TestJavaScriptConcurrent(t *testing.T) {
	j := newJSForTest(t, appIDScript)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				var e event.Event
				id := fmt.Sprintf("app%d-%d", g, i)
				e.Fields[event.AppID] = id
				out, err := j.Process(context.Background(), &e)
				if err != nil || len(out) != 1 || !strings.Contains(string(out[0]), strings.ToUpper(id)) {
					errs <- fmt.Errorf("%s: %s, %v", id, out, err)
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

// BenchmarkJavaScript runs the R108 fixtures' app_id script.
//
//	go test -run '^$' -bench BenchmarkJavaScript -benchmem ./enrich/enrichment
func BenchmarkJavaScript(b *testing.B) {
	j := newJSForTest(b, appIDScript)
	var e event.Event
	e.Fields[event.AppID] = "pbzsite"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.Process(ctx, &e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkJavaScriptParallel is BenchmarkJavaScript from GOMAXPROCS
// goroutines (one pooled runtime each).
func BenchmarkJavaScriptParallel(b *testing.B) {
	j := newJSForTest(b, appIDScript)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var e event.Event
		e.Fields[event.AppID] = "pbzsite"
		for pb.Next() {
			if _, err := j.Process(ctx, &e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
