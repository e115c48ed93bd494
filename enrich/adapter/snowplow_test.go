package adapter

import (
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
	"github.com/furrowdata/furrow/internal/javautil"
)

var (
	testSource  = collector.Source{Name: "clj-1.1.0-tom-0.2.0", Encoding: "UTF-8", Hostname: "collector.example.com"}
	testContext = collector.Context{
		Timestamp: time.Date(2018, 3, 2, 10, 11, 12, 0, time.UTC),
		IPAddress: "203.0.113.7",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
		Headers:   []string{"Host: collector.example.com"},
		UserID:    "5e6c7c1b-5c4c-4a4e-9d6f-0d1c8f9e2b11",
	}
)

func qs(pairs ...string) []collector.NameValue {
	out := make([]collector.NameValue, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, collector.NameValue{Name: pairs[i], Value: pairs[i+1]})
	}
	return out
}

func payload(vendor, version string, query []collector.NameValue, ct, body string) *collector.Payload {
	return &collector.Payload{
		API:         collector.API{Vendor: vendor, Version: version},
		Querystring: query,
		ContentType: ct,
		Body:        body,
		Source:      testSource,
		Context:     testContext,
	}
}

// testRegistry returns a registry whose resolver reads this package's own
// test schemas from a static registry served over HTTP on 127.0.0.1.
func testRegistry(t testing.TB) *Registry {
	t.Helper()
	uri := iglutest.Serve(t, filepath.Join("testdata", "iglu"))
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(uri))
	if err != nil {
		t.Fatal(err)
	}
	res, err := iglu.NewResolver(cfg, iglu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return NewRegistry(res)
}

func mustEvents(t *testing.T, r *Registry, p *collector.Payload) []RawEvent {
	t.Helper()
	evs, errs := r.ToRawEvents(context.Background(), p)
	if len(errs) > 0 {
		t.Fatalf("unexpected failure: %q", errs)
	}
	for _, ev := range evs {
		if ev.API != p.API || ev.Source != p.Source || ev.ContentType != p.ContentType {
			t.Fatalf("event does not carry the payload's API/source/content type: %+v", ev)
		}
	}
	return evs
}

func mustFail(t *testing.T, r *Registry, p *collector.Payload, want ...string) {
	t.Helper()
	evs, errs := r.ToRawEvents(context.Background(), p)
	if evs != nil {
		t.Fatalf("expected failure, got %d events", len(evs))
	}
	if !reflect.DeepEqual(errs, want) {
		t.Fatalf("errors:\n got %q\nwant %q", errs, want)
	}
}

func mustFailContaining(t *testing.T, r *Registry, p *collector.Payload, sub string) {
	t.Helper()
	evs, errs := r.ToRawEvents(context.Background(), p)
	if evs != nil || len(errs) != 1 || !strings.Contains(errs[0], sub) {
		t.Fatalf("expected one error containing %q, got events=%d errors=%q", sub, len(evs), errs)
	}
}

func assertParams(t *testing.T, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		for k, w := range want {
			if g, ok := got[k]; !ok || g != w {
				t.Errorf("param %s:\n got %q (present %v)\nwant %q", k, g, ok, w)
			}
		}
		for k, g := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected param %s=%q", k, g)
			}
		}
	}
}

func TestUnsupportedVendor(t *testing.T) {
	r := NewRegistry(nil)
	mustFail(t, r, payload("com.example", "v9", qs("a", "b"), "", ""),
		"Payload with vendor com.example and version v9 not supported by this version of Scala Common Enrich")
	mustFail(t, r, payload(vendorSnowplow, "tp3", qs("a", "b"), "", ""),
		"Payload with vendor com.snowplowanalytics.snowplow and version tp3 not supported by this version of Scala Common Enrich")
	mustFail(t, r, payload(vendorMailchimp, "v2", nil, "", ""),
		"Payload with vendor com.mailchimp and version v2 not supported by this version of Scala Common Enrich")
	if _, errs := r.ToRawEvents(context.Background(), nil); len(errs) != 1 {
		t.Fatalf("nil payload: %q", errs)
	}
}

func TestTp1(t *testing.T) {
	r := NewRegistry(nil)
	p := payload(vendorSnowplow, "tp1", qs(
		"e", "pv", "page", "Spring sale", "url", "https://shop.example.com/sale?x=1",
		"aid", "shop", "p", "web", "tv", "js-2.9.0", "duid", "d159c05f2aa8e1b9", "aid", "shop2",
	), "", "")
	evs := mustEvents(t, r, p)
	if len(evs) != 1 {
		t.Fatalf("got %d events", len(evs))
	}
	assertParams(t, evs[0].Parameters, map[string]string{
		"e": "pv", "page": "Spring sale", "url": "https://shop.example.com/sale?x=1",
		"aid": "shop2", "p": "web", "tv": "js-2.9.0", "duid": "d159c05f2aa8e1b9",
	})
	if !reflect.DeepEqual(evs[0].Context, testContext) {
		t.Errorf("context changed: %+v", evs[0].Context)
	}
	mustFail(t, r, payload(vendorSnowplow, "tp1", nil, "", ""), "Querystring is empty: no raw event to process")
}

func TestTp2GetAndContentTypeRules(t *testing.T) {
	r := NewRegistry(nil)
	evs := mustEvents(t, r, payload(vendorSnowplow, "tp2", qs("e", "se", "se_ca", "video", "se_ac", "play", "tv", "ios-1.0", "p", "mob"), "", ""))
	assertParams(t, evs[0].Parameters, map[string]string{"e": "se", "se_ca": "video", "se_ac": "play", "tv": "ios-1.0", "p": "mob"})

	const list = "application/json, application/json; charset=utf-8, application/json; charset=UTF-8"
	for _, tc := range []struct {
		name      string
		query     []collector.NameValue
		ct, body  string
		wantError string
	}{
		{"nothing", nil, "", "", "Request body and querystring parameters empty, expected at least one populated"},
		{"nothing but a content type", nil, "application/json", "", "Request body and querystring parameters empty, expected at least one populated"},
		{"wrong content type", nil, "text/plain", "body", "Content type of text/plain provided, expected one of: " + list},
		{"wrong content type, no body", qs("a", "b"), "application/xml", "", "Content type of application/xml provided, expected one of: " + list},
		{"body without content type", nil, "", `{"x":1}`, "Request body provided but content type empty, expected one of: " + list},
		{"content type without body", qs("a", "b"), "application/json; charset=utf-8", "", "Content type of application/json; charset=utf-8 provided but request body empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustFail(t, r, payload(vendorSnowplow, "tp2", tc.query, tc.ct, tc.body), tc.wantError)
		})
	}
}

const payloadData104 = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"

func TestTp2Post(t *testing.T) {
	r := testRegistry(t)
	body := `{"schema":"` + payloadData104 + `","data":[` +
		`{"e":"pv","tv":"js-2.9.0","p":"web","url":"https://shop.example.com/","dtm":"1519985472345","eid":"a91a31bc-593b-481f-869a-9d822000ee86","nuid":"from-body"},` +
		`{"e":"se","tv":"js-2.9.0","p":"web","se_ca":"cart","se_ac":"add","se_pr":"Ünïcödé \"quoted\"","cx":"eyJhIjoxfQ"}` +
		`]}`
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/json; charset=UTF-8"} {
		p := payload(vendorSnowplow, "tp2", qs("cv", "clj-1.1.0-tom-0.2.0", "nuid", "5e6c7c1b-5c4c-4a4e-9d6f-0d1c8f9e2b11"), ct, body)
		evs := mustEvents(t, r, p)
		if len(evs) != 2 {
			t.Fatalf("got %d events", len(evs))
		}
		assertParams(t, evs[0].Parameters, map[string]string{
			"e": "pv", "tv": "js-2.9.0", "p": "web", "url": "https://shop.example.com/", "dtm": "1519985472345",
			"eid": "a91a31bc-593b-481f-869a-9d822000ee86",
			"cv":  "clj-1.1.0-tom-0.2.0", "nuid": "5e6c7c1b-5c4c-4a4e-9d6f-0d1c8f9e2b11", // the querystring wins
		})
		assertParams(t, evs[1].Parameters, map[string]string{
			"e": "se", "tv": "js-2.9.0", "p": "web", "se_ca": "cart", "se_ac": "add", "se_pr": `Ünïcödé "quoted"`, "cx": "eyJhIjoxfQ",
			"cv": "clj-1.1.0-tom-0.2.0", "nuid": "5e6c7c1b-5c4c-4a4e-9d6f-0d1c8f9e2b11",
		})
	}

	// Duplicate keys: a Jackson tree keeps the last value.
	evs := mustEvents(t, r, payload(vendorSnowplow, "tp2", nil, "application/json",
		`{"schema":"`+payloadData104+`","data":[{"e":"pv","e":"pp","tv":"t","p":"web"}]}`))
	if evs[0].Parameters["e"] != "pp" {
		t.Errorf("duplicate key: got e=%q", evs[0].Parameters["e"])
	}
}

func TestTp2PostFailures(t *testing.T) {
	r := testRegistry(t)
	post := func(body string) *collector.Payload {
		return payload(vendorSnowplow, "tp2", qs("aid", "shop"), "application/json", body)
	}
	mustFail(t, r, post(`{"schema":`),
		`Field [Body]: invalid JSON [{"schema":] with parsing error: unexpected end-of-input: expected a JSON value at line 1, column 11`)
	mustFail(t, r, post(`body`),
		`Field [Body]: invalid JSON [body] with parsing error: unrecognized token 'body': was expecting 'null', 'true' or 'false' at line 1, column 1`)
	mustFail(t, r, post(`{"not":"self-desc"}`),
		"Body: JSON is not a self-describing JSON: member [not] is not allowed")
	mustFail(t, r, post(`{"schema":"`+payloadData104+`"}`),
		"Body: JSON is not a self-describing JSON: missing required member [data]")
	mustFail(t, r, post(`[1,2]`), "Body: JSON is not a self-describing JSON: instance is not an object")
	mustFailContaining(t, r, post(`{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0","data":[]}`),
		"Body: JSON is not a self-describing JSON: event: invalid Iglu schema key")
	mustFail(t, r, post(`{"schema":"iglu:com.acme/checkout/jsonschema/1-0-0","data":{"total":"12.50"}}`),
		"Verifying schema as iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-* failed: found iglu:com.acme/checkout/jsonschema/1-0-0")
	mustFail(t, r, post(`{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-1-0","data":[]}`),
		"Verifying schema as iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-* failed: found iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-1-0")
	// Schema validation: a missing required property, a non-string value, an
	// empty batch, a schema the registry does not have.
	for _, tc := range []struct{ body, sub string }{
		{`{"schema":"` + payloadData104 + `","data":[{"tv":"t","p":"web"}]}`, "'e'"},
		{`{"schema":"` + payloadData104 + `","data":[{"e":"pv","tv":"t","p":"web","dtm":1519985472345}]}`, "/0/dtm"},
		{`{"schema":"` + payloadData104 + `","data":[]}`, payloadData104},
		{`{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-9","data":[{"e":"pv","tv":"t","p":"web"}]}`, "1-0-9"},
	} {
		_, errs := r.ToRawEvents(context.Background(), post(tc.body))
		if len(errs) != 1 || !strings.HasPrefix(errs[0], "Body: ") || !strings.Contains(errs[0], tc.sub) {
			t.Errorf("body %s: errors %q, want one containing %q", tc.body, errs, tc.sub)
		}
	}
	// Without a resolver nothing can be validated.
	mustFailContaining(t, NewRegistry(nil), post(`{"schema":"`+payloadData104+`","data":[{"e":"pv","tv":"t","p":"web"}]}`), "no Iglu resolver configured")
}

func TestPayloadDataEventsWithoutSchema(t *testing.T) {
	// What reaches toParametersNel when a schema is laxer than the real one.
	_, data, msg := decodePayloadData(`{"schema":"` + payloadData104 + `","data":[{"e":"pv","n":1,"b":true}]}`)
	if msg != "" {
		t.Fatal(msg)
	}
	_, errs := payloadDataEvents(data)
	want := []string{
		"Value for key n is not a String (should never happen, did JSON Schema change?)",
		"Value for key b is not a String (should never happen, did JSON Schema change?)",
	}
	if !reflect.DeepEqual(errs, want) {
		t.Fatalf("got %q", errs)
	}
	_, data, _ = decodePayloadData(`{"schema":"` + payloadData104 + `","data":[]}`)
	if _, errs := payloadDataEvents(data); len(errs) != 1 || !strings.Contains(errs[0], "List of events is empty") {
		t.Fatalf("got %q", errs)
	}
}

func TestRedirect(t *testing.T) {
	r := NewRegistry(nil)
	const target = "https://github.com/snowplow/snowplow?a=1&b=2"
	redirectJSON := `{"schema":"iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0","data":{"uri":"` + target + `"}}`

	// No event type: the redirect is the event.
	evs := mustEvents(t, r, payload(vendorRedirect, "tp2", qs("u", target, "aid", "ads", "cx", "dGVzdA"), "", ""))
	assertParams(t, evs[0].Parameters, map[string]string{
		"e": "ue", "tv": "r-tp2", "p": "web", "aid": "ads", "cx": "dGVzdA",
		"ue_pr": `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":` + redirectJSON + `}`,
	})

	// An event type and no contexts: a new co with the redirect context; p kept.
	evs = mustEvents(t, r, payload(vendorRedirect, "tp2", qs("u", target, "e", "se", "p", "mob", "co", ""), "", ""))
	assertParams(t, evs[0].Parameters, map[string]string{
		"e": "se", "tv": "r-tp2", "p": "mob",
		"co": `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[` + redirectJSON + `]}`,
	})

	// Existing co: the context is appended (json4s merge), members in order.
	existing := `{"data":[{"data":{"osType":"OSX","n":1.50,"big":12345678901234567890},"schema":"iglu:com.acme/mobile/jsonschema/1-0-0"}],"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"}`
	merged := `{"data":[{"data":{"osType":"OSX","n":1.5,"big":12345678901234567890},"schema":"iglu:com.acme/mobile/jsonschema/1-0-0"},` + redirectJSON + `],"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"}`
	evs = mustEvents(t, r, payload(vendorRedirect, "tp2", qs("u", target, "e", "pv", "co", existing), "", ""))
	assertParams(t, evs[0].Parameters, map[string]string{"e": "pv", "tv": "r-tp2", "p": "web", "co": merged})

	// Existing cx (Base64): decoded, merged, re-encoded URL-safe without padding.
	evs = mustEvents(t, r, payload(vendorRedirect, "tp2", qs("u", target, "e", "pv", "cx", base64URLEncode(existing)+"=="), "", ""))
	assertParams(t, evs[0].Parameters, map[string]string{"e": "pv", "tv": "r-tp2", "p": "web", "cx": base64URLEncode(merged)})
	if got := javautil.DecodeBase64(evs[0].Parameters["cx"]); got != merged {
		t.Errorf("cx does not decode to the merged contexts: %s", got)
	}

	// The same context already present is not added twice.
	once := `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[` + redirectJSON + `]}`
	evs = mustEvents(t, r, payload(vendorRedirect, "tp2", qs("u", target, "e", "pv", "co", once), "", ""))
	if evs[0].Parameters["co"] != once {
		t.Errorf("co: got %s", evs[0].Parameters["co"])
	}

	mustFail(t, r, payload(vendorRedirect, "tp2", nil, "", ""), "Querystring is empty: cannot be a valid URI redirect")
	mustFail(t, r, payload(vendorRedirect, "tp2", qs("aid", "test"), "", ""), "Querystring does not contain u parameter: not a valid URI redirect")
	mustFail(t, r, payload(vendorRedirect, "tp2", qs("u", target, "e", "se", "co", "{[-"), "", ""),
		`Field [co|cx]: invalid JSON [{[-] with parsing error: unexpected character ('[' (code 91)): was expecting double-quote to start field name at line 1, column 2`)
	mustFail(t, r, payload(vendorRedirect, "tp2", qs("u", target, "e", "se", "cx", "¢¢¢"), "", ""),
		`Field [co|cx]: invalid JSON [] with parsing error: no content to map due to end-of-input at line 1, column 1`)
	mustFail(t, r, payload(vendorRedirect, "v1", qs("u", target), "", ""),
		"Payload with vendor r and version v1 not supported by this version of Scala Common Enrich")
}

func TestIgluAdapter(t *testing.T) {
	r := NewRegistry(nil)
	const schema = "iglu:com.acme/campaign/jsonschema/1-0-1"
	ue := func(data string) string {
		return `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"` + schema + `","data":` + data + `}}`
	}

	// GET: the rest of the querystring, empty values as null, nuid/aid/cv/p
	// kept aside. Six parameters make a Scala HashMap: members in trie order.
	evs := mustEvents(t, r, payload(vendorIglu, "v1", qs("schema", schema, "name", "download", "publisher", "", "aid", "web", "nuid", "n1", "count", "3"), "", ""))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.snowplowanalytics.iglu-v1", "e": "ue", "p": "app", "aid": "web", "nuid": "n1",
		"ue_pr": ue(`{"name":"download","count":"3","publisher":null}`),
	})

	// POST JSON object and array.
	q := qs("schema", schema, "p", "srv")
	evs = mustEvents(t, r, payload(vendorIglu, "v1", q, "application/json", `{"name":"download","n":2,"x":[1.0,2e3]}`))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.snowplowanalytics.iglu-v1", "e": "ue", "p": "srv", "ue_pr": ue(`{"name":"download","n":2,"x":[1.0,2000.0]}`),
	})
	evs = mustEvents(t, r, payload(vendorIglu, "v1", q, "application/json; charset=utf-8", `[{"a":1},{"b":"two"}]`))
	if len(evs) != 2 || evs[0].Parameters["ue_pr"] != ue(`{"a":1}`) || evs[1].Parameters["ue_pr"] != ue(`{"b":"two"}`) {
		t.Fatalf("array body: %+v", evs)
	}

	// POST form: string members in Scala map order, platform srv.
	evs = mustEvents(t, r, payload(vendorIglu, "v1", qs("schema", schema), formContentType, "name=down+load&empty=&flag"))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.snowplowanalytics.iglu-v1", "e": "ue", "p": "srv", "ue_pr": ue(`{"name":"down load","empty":"","flag":null}`),
	})

	// POST self-describing JSON without a schema parameter.
	evs = mustEvents(t, r, payload(vendorIglu, "v1", qs("aid", "x"), "application/json",
		`{"schema":"`+schema+`","data":{"name":"sd"}}`))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.snowplowanalytics.iglu-v1", "e": "ue", "p": "app", "aid": "x", "ue_pr": ue(`{"name":"sd"}`),
	})

	for _, tc := range []struct {
		query    []collector.NameValue
		ct, body string
		want     string
	}{
		{nil, "", "", "Iglu event failed: is not a sd-json or a valid GET or POST request"},
		{qs("a", "b"), "", "", "Iglu event failed: is not a sd-json or a valid GET or POST request"},
		{qs("schema", schema), "", "{}", "Iglu event failed: ContentType must be set for a POST payload"},
		{nil, "text/plain", "{}", "Content type not supported"},
		{qs("schema", schema), "text/plain", "{}", "Content type not supported"},
		{qs("schema", "iglu:com.acme/campaign/jsonschema/1-0"), "", "", "iglu:com.acme/campaign/jsonschema/1-0 is not a valid Iglu-format schema URI"},
		{qs("schema", schema), "application/json", "[]", "Iglu event failed json sanity check: array of events cannot be empty"},
		{qs("schema", schema), "application/json", "{}", "Iglu event failed json sanity check: has no key-value pairs"},
		{qs("schema", schema), "application/json", `"text"`, "Iglu event failed json sanity check: has no key-value pairs"},
		{qs("schema", schema), "application/json", `{"a":`, "Event failed to parse into JSON: [unexpected end-of-input: expected a JSON value at line 1, column 6]"},
		{nil, "application/json", `{"data":{}}`, "Iglu event failed: detected SelfDescribingJson but schema key is missing"},
		{nil, "application/json", `{"schema":"` + schema + `"}`, "Iglu event failed: detected SelfDescribingJson but data key is missing"},
		{nil, "application/json", `{"schema":"nope","data":{}}`, "nope is not a valid Iglu-format schema URI"},
		{qs("schema", schema), formContentType, "a=b c", "Iglu body could not be parsed: [Illegal character in query at index 21: http://localhost/?a=b c]"},
	} {
		mustFail(t, r, payload(vendorIglu, "v1", tc.query, tc.ct, tc.body), tc.want)
	}
}
