package enrich

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
)

func TestEnrichPageView(t *testing.T) {
	en := newTestEnricher(t, nil)
	raw := rawEvent(map[string]string{
		"e": "pv", "eid": "550E8400-E29B-41D4-A716-446655440000", "aid": "shop", "p": "web",
		"tv": "js-2.7.0", "tna": "cf", "cv": "clj-1.1.0-tom-0.2.0", "tid": "42", "uid": "u-1",
		"duid": "abc", "vid": "3", "sid": "75d0fc90-cef4-11e4-8830-0800200c9a66",
		"dtm": "1364219529188", "stm": "1364219529190", "fp": "99", "lang": "en", "cs": "UTF-8",
		"tz": "Europe/Berlin", "res": "1280x800", "vp": "1000x600", "ds": "1000x3000", "cd": "24",
		"cookie": "1", "f_pdf": "1", "f_fla": "0", "page": "Shop\tHome",
		"refr":          "https://www.google.com/search?q=shoes&hl=en",
		"url":           "http://shop.example.com:8080/index.html?utm_source=x&_sp=abcdef.1364219529000#top",
		"ignored_param": "x",
	})
	ev, msgs := en.Enrich(context.Background(), raw)
	if msgs != nil {
		t.Fatalf("failed: %v", msgs)
	}
	want := map[event.Field]string{
		event.AppID: "shop", event.Platform: "web", event.ETLTstamp: "2001-09-09 01:46:40.000",
		event.CollectorTstamp: "2013-03-25 13:52:10.000", event.DvceCreatedTstamp: "2013-03-25 13:52:09.188",
		event.EventType: "page_view", event.EventID: "550e8400-e29b-41d4-a716-446655440000", event.TxnID: "42",
		event.NameTracker: "cf", event.VTracker: "js-2.7.0", event.VCollector: "clj-1.1.0-tom-0.2.0",
		event.VETL: "test-etl", event.UserID: "u-1", event.UserIPAddress: "203.0.113.7",
		event.UserFingerprint: "99", event.DomainUserID: "abc", event.DomainSessionIdx: "3",
		event.PageURL:       "http://shop.example.com:8080/index.html?utm_source=x&_sp=abcdef.1364219529000#top",
		event.PageTitle:     "Shop    Home",
		event.PageReferrer:  "https://www.google.com/search?q=shoes&hl=en",
		event.PageURLScheme: "http", event.PageURLHost: "shop.example.com", event.PageURLPort: "8080",
		event.PageURLPath: "/index.html", event.PageURLQuery: "utm_source=x&_sp=abcdef.1364219529000",
		event.PageURLFragment: "top", event.RefrURLScheme: "https", event.RefrURLHost: "www.google.com",
		event.RefrURLPort: "443", event.RefrURLPath: "/search", event.RefrURLQuery: "q=shoes&hl=en",
		event.Useragent: "Mozilla/5.0 (X11; Linux x86_64)", event.BrLang: "en",
		event.BrFeaturesPDF: "1", event.BrFeaturesFlash: "0", event.BrCookies: "1", event.BrColordepth: "24",
		event.BrViewwidth: "1000", event.BrViewheight: "600", event.OSTimezone: "Europe/Berlin",
		event.DvceScreenwidth: "1280", event.DvceScreenheight: "800", event.DocCharset: "UTF-8",
		event.DocWidth: "1000", event.DocHeight: "3000", event.DvceSentTstamp: "2013-03-25 13:52:09.190",
		event.RefrDomainUserID: "abcdef", event.RefrDvceTstamp: "2013-03-25 13:52:09.000",
		event.DomainSessionID: "75d0fc90-cef4-11e4-8830-0800200c9a66", event.DerivedTstamp: "2013-03-25 13:52:09.998",
		event.EventVendor: "com.snowplowanalytics.snowplow", event.EventName: "page_view",
		event.EventFormat: "jsonschema", event.EventVersion: "1-0-0",
	}
	for i := range ev.Fields {
		f := event.Field(i)
		if got := ev.Fields[f]; got != want[f] {
			t.Errorf("%s = %q, want %q", f, got, want[f])
		}
	}
}

func TestEnrichEventID(t *testing.T) {
	en := newTestEnricher(t, nil)
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, _ := en.Enrich(context.Background(), rawEvent(map[string]string{"e": "pv"}))
	b, _ := en.Enrich(context.Background(), rawEvent(map[string]string{"e": "pv"}))
	if a == nil || b == nil || !v4.MatchString(a.Fields[event.EventID]) || a.Fields[event.EventID] == b.Fields[event.EventID] {
		t.Fatalf("generated event ids: %v / %v", a, b)
	}
	_, msgs := en.Enrich(context.Background(), rawEvent(map[string]string{"e": "pv", "eid": "not-a-uuid"}))
	if len(msgs) != 1 || msgs[0] != "Field [eid]: [not-a-uuid] is not a valid UUID" {
		t.Fatalf("invalid eid: %v", msgs)
	}
}

func TestEnrichFailures(t *testing.T) {
	en := newTestEnricher(t, nil)
	ctx := context.Background()
	check := func(name string, raw func() map[string]string, mutate func(r *adapter.RawEvent), want ...string) {
		t.Helper()
		r := rawEvent(raw())
		if mutate != nil {
			mutate(r)
		}
		ev, msgs := en.Enrich(ctx, r)
		if ev != nil {
			t.Errorf("%s: want a failure, got an event", name)
			return
		}
		if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", name, msgs, want)
		}
	}
	check("no collector tstamp", func() map[string]string { return map[string]string{"e": "pv"} },
		func(r *adapter.RawEvent) { r.Context.Timestamp = time.Time{} }, "No collector_tstamp set")
	check("empty cv", func() map[string]string { return map[string]string{"e": "pv", "cv": ""} }, nil,
		"Collector version not set")
	check("no event type", func() map[string]string { return map[string]string{"aid": "x"} }, nil,
		"Unrecognized event [null]")
	check("ad impression has no schema in R108", func() map[string]string { return map[string]string{"e": "ad"} }, nil,
		"Unrecognized event [ad_impression]")
	check("unstruct without an event", func() map[string]string { return map[string]string{"e": "ue"} }, nil,
		"Unstructured event couldn't be extracted")
	check("bad useragent", func() map[string]string { return map[string]string{"e": "pv"} },
		func(r *adapter.RawEvent) { r.Context.UserAgent = "100%" },
		"Field [useragent]: Exception URL-decoding [100%] (encoding [UTF-8]): [URLDecoder: Incomplete trailing escape (%) pattern]")
	check("bad referer URL", func() map[string]string { return map[string]string{"e": "pv", "refr": `http://x.com/"q"`} }, nil,
		`Provided URI string [http://x.com/"q"] violates RFC 2396: [Illegal character in path at index 13: http://x.com/"q"]`)
	check("bad _sp timestamp", func() map[string]string {
		return map[string]string{"e": "pv", "url": "http://x.com/?_sp=abc.notatime"}
	}, nil, "Field [sp_dtm]: [notatime] is not in the expected format (ms since epoch)")
	// R108 gathered all failures, in its order: useragent, collector
	// timestamp, …, then the transform map in its Scala HashMap order (here
	// e, vid, res, p, dtm: computed independently from String.hashCode and
	// HashMap.improve), then the event's schema.
	check("many", func() map[string]string {
		return map[string]string{"e": "lol", "vid": "a", "res": "1x", "p": "mobile", "dtm": "x"}
	}, func(r *adapter.RawEvent) { r.Context.Timestamp = time.Time{} },
		"No collector_tstamp set",
		"Field [e]: [lol] is not a recognised event code",
		"Field [vid]: cannot convert [a] to Int",
		"Field [res]: [1x] does not contain valid view dimensions",
		"Field [p]: [mobile] is not a supported tracking platform",
		"Field [dtm]: [x] is not in the expected format (ms since epoch)",
		"Unrecognized event [null]")
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

const (
	goodContexts = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[` +
		`{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":{"id":"u1","age":30}},` +
		`{"schema":"iglu:com.acme/signup/jsonschema/1-0-0","data":{"plan":"pro","seats":2.50}}]}`
	goodUnstruct = `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",` +
		`"data":{"schema":"iglu:com.acme/link_click/jsonschema/1-0-0","data":{"targetUrl":"http://x.com/","elementId":"a1"}}}`
)

func TestEnrichContextsAndUnstruct(t *testing.T) {
	en := newTestEnricher(t, nil)
	ev, msgs := en.Enrich(context.Background(), rawEvent(map[string]string{
		"e": "ue", "cx": b64(goodContexts), "ue_pr": "  " + goodUnstruct + "  ",
	}))
	if msgs != nil {
		t.Fatalf("failed: %v", msgs)
	}
	wantCtx := strings.Replace(goodContexts, `"seats":2.50`, `"seats":2.5`, 1) // json4s prints doubles as Java did
	if ev.Fields[event.Contexts] != wantCtx {
		t.Errorf("contexts = %s\nwant %s", ev.Fields[event.Contexts], wantCtx)
	}
	if ev.Fields[event.UnstructEvent] != goodUnstruct {
		t.Errorf("unstruct_event = %s", ev.Fields[event.UnstructEvent])
	}
	got := [4]string{ev.Fields[event.EventVendor], ev.Fields[event.EventName], ev.Fields[event.EventFormat], ev.Fields[event.EventVersion]}
	if got != [4]string{"com.acme", "link_click", "jsonschema", "1-0-0"} {
		t.Errorf("event schema fields = %v", got)
	}
	// co (plain JSON) works like cx.
	ev, msgs = en.Enrich(context.Background(), rawEvent(map[string]string{"e": "pv", "co": goodContexts}))
	if msgs != nil || ev.Fields[event.Contexts] != wantCtx {
		t.Fatalf("co: %v %q", msgs, ev.Fields[event.Contexts])
	}
}

func TestEnrichContextFailures(t *testing.T) {
	en := newTestEnricher(t, nil)
	for _, c := range []struct {
		name   string
		params map[string]string
		want   []string // substrings, one per message
	}{
		{"invalid entity", map[string]string{"e": "pv", "co": `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":{"age":-1}}]}`},
			[]string{"iglu:com.acme/user/jsonschema/1-0-0"}},
		{"unknown schema", map[string]string{"e": "pv", "co": `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":"iglu:com.acme/nope/jsonschema/1-0-0","data":{}}]}`},
			[]string{`{"level":"error","message":"Could not find schema with key iglu:com.acme/nope/jsonschema/1-0-0 in any repository, tried:","repositories":[`}},
		{"wrong envelope", map[string]string{"e": "pv", "co": `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/2-0-0","data":[]}`},
			[]string{"Verifying schema as iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-* failed: found iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/2-0-0"}},
		{"not self-describing", map[string]string{"e": "pv", "co": `[1,2]`},
			[]string{"JSON instance is not self-describing"}},
		{"envelope data invalid", map[string]string{"e": "pv", "co": `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":{"x":1}}`},
			[]string{"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"}},
		{"invalid unstruct", map[string]string{"e": "ue", "ue_px": b64(`{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.acme/link_click/jsonschema/1-0-0","data":{"targetUrl":""}}}`)},
			[]string{"iglu:com.acme/link_click/jsonschema/1-0-0", "Unstructured event couldn't be extracted"}},
		{"bad JSON", map[string]string{"e": "ue", "ue_px": "am9obitzbWl0aA"},
			[]string{"Field [ue_px]: invalid JSON [john+smith] with parsing error: Unrecognized token 'john': was expecting ('true', 'false' or 'null') at [Source: john+smith; line: 1, column: 5]", "Unstructured event couldn't be extracted"}},
	} {
		ev, msgs := en.Enrich(context.Background(), rawEvent(c.params))
		if ev != nil || len(msgs) != len(c.want) {
			t.Errorf("%s: got %v (event %v), want %d messages", c.name, msgs, ev != nil, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(msgs[i], w) {
				t.Errorf("%s: message %d = %q, want it to contain %q", c.name, i, msgs[i], w)
			}
		}
	}
}

// Fake enrichment implementations for the seam tests.
type fakeUAParser struct{}

func (fakeUAParser) UAParserContext(ua string) (json.RawMessage, error) {
	return json.RawMessage(`{"schema": "iglu:com.acme/ua/jsonschema/1-0-0", "data": {"ua": ` + strconvQuote(ua) + `, "n": 1.0}}`), nil
}

type fakeJS struct{ err error }

func (f fakeJS) Process(_ context.Context, e *event.Event) ([]json.RawMessage, error) {
	if f.err != nil {
		return nil, f.err
	}
	return []json.RawMessage{json.RawMessage(`{"schema":"iglu:com.acme/app/jsonschema/1-0-0","data":{"up":"` + strings.ToUpper(e.Fields[event.AppID]) + `"}}`)}, nil
}

type fakeAnon struct{}

func (fakeAnon) AnonymizeIP(ip string) string { return ip[:strings.LastIndexByte(ip, '.')] + ".x" }

type fakeGeo struct{ seen *string }

func (g fakeGeo) LookupIP(ip string, e *event.Event) error {
	*g.seen = ip
	e.Fields[event.GeoCountry] = "NZ"
	return nil
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestEnrichSeam(t *testing.T) {
	reg := enrichment.Empty()
	var seen string
	reg.IPLookups.Impl = fakeGeo{&seen}
	reg.AnonIP.Impl = fakeAnon{}
	reg.UAParser.Impl = fakeUAParser{}
	reg.JavaScript.Impl = fakeJS{}
	en := newTestEnricher(t, reg)
	ev, msgs := en.Enrich(context.Background(), rawEvent(map[string]string{"e": "pv", "aid": "shop"}))
	if msgs != nil {
		t.Fatal(msgs)
	}
	if seen != "203.0.113.7" || ev.Fields[event.UserIPAddress] != "203.0.113.x" || ev.Fields[event.GeoCountry] != "NZ" {
		t.Errorf("ip lookups saw %q before anonymization; user_ipaddress %q geo_country %q", seen, ev.Fields[event.UserIPAddress], ev.Fields[event.GeoCountry])
	}
	want := `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[` +
		`{"schema":"iglu:com.acme/ua/jsonschema/1-0-0","data":{"ua":"Mozilla/5.0 (X11; Linux x86_64)","n":1.0}},` +
		`{"schema":"iglu:com.acme/app/jsonschema/1-0-0","data":{"up":"SHOP"}}]}`
	if ev.Fields[event.DerivedContexts] != want {
		t.Errorf("derived_contexts:\n got %s\nwant %s", ev.Fields[event.DerivedContexts], want)
	}
	reg.JavaScript.Impl = fakeJS{err: errors.Join(errors.New("first"), errors.New("second"))}
	_, msgs = en.Enrich(context.Background(), rawEvent(map[string]string{"e": "pv"}))
	if strings.Join(msgs, "|") != "first|second" {
		t.Errorf("joined enrichment errors become one message each: %q", msgs)
	}
}

func TestEnrichFieldLengths(t *testing.T) {
	long := strings.Repeat("u", 300)
	params := map[string]string{"e": "pv", "uid": long}
	ev, msgs := newTestEnricher(t, nil).Enrich(context.Background(), rawEvent(params))
	if msgs != nil || ev.Fields[event.UserID] != long {
		t.Fatalf("keep policy: %v", msgs)
	}
	en, err := New(Config{ETLTimestamp: etlTime, FieldLengths: LengthsFail}, testResolver(t), nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	_, msgs = en.Enrich(context.Background(), rawEvent(params))
	if len(msgs) != 1 || msgs[0] != "field user_id: value is longer than the maximum of 255 characters" {
		t.Fatalf("fail policy: %v", msgs)
	}
	if en.Config().ETLVersion != "furrow-"+Version {
		t.Errorf("default v_etl = %q", en.Config().ETLVersion)
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{FieldLengths: "truncate", ETLVersion: "a\tb"}.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"ETLTimestamp is required", "FieldLengths \"truncate\"", "control character"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if err := (Config{ETLTimestamp: etlTime}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if _, err := New(Config{ETLTimestamp: etlTime}, nil, nil, nil); err == nil {
		t.Error("New without a resolver must fail")
	}
}

// TestNativeEnvelope checks the fast envelope check against the embedded
// envelope schemas themselves: for each document both must agree.
func TestNativeEnvelope(t *testing.T) {
	res := testResolver(t)
	for _, c := range []struct{ key, data string }{
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":{}}]`},
		{"contexts/jsonschema/1-0-0", `[]`},
		{"contexts/jsonschema/1-0-1", `[]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema/1-0-0"}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":1,"x":2}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/us.er/jsonschema/1-0-0","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema/1-0","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.a_c-me/us-er_/json-schema/10-01-0","data":null}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"\u0069glu:com.acme/user/jsonschema/1-0-0","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":1,"data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema/1-0-0-0","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema/1--0","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema/1-0-","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/x/jsonschema/1-0-0","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme//jsonschema/1-0-0","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema/1-0-0/","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/user/jsonschema","data":1}]`},
		{"contexts/jsonschema/1-0-0", `[1]`},
		{"contexts/jsonschema/1-0-0", `{"schema":"iglu:a/b/c/1-0-0","data":1}`},
		{"unstruct_event/jsonschema/1-0-0", `{"schema":"iglu:a/b/c/1-0-0","data":[]}`},
		{"unstruct_event/jsonschema/1-0-0", `{"schema":"iglu:a/b/c/1-0-0"}`},
		{"unstruct_event/jsonschema/1-0-0", `{"schema":"iglu:a/b/c/1-0-0 ","data":{}}`},
		{"unstruct_event/jsonschema/1-0-0", `[]`},
	} {
		k, err := event.ParseSchemaKey("iglu:com.snowplowanalytics.snowplow/" + c.key)
		if err != nil {
			t.Fatal(err)
		}
		compact, msg := reformatJSON(c.data)
		if msg != "" {
			t.Fatal(msg)
		}
		known, ok := nativeEnvelope(k, compact)
		want := res.Validate(context.Background(), k, json.RawMessage(compact)) == nil
		if !known || ok != want {
			t.Errorf("%s %s: native known=%v ok=%v, schema says %v", c.key, c.data, known, ok, want)
		}
	}
}
