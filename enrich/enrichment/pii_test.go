package enrichment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
)

func piiConfig(t testing.TB, params string, emit bool) *PIIConfig {
	t.Helper()
	var c PIIConfig
	if err := strictDecode([]byte(params), &c); err != nil {
		t.Fatalf("decoding %s: %v", params, err)
	}
	c.EmitEvent = emit
	return &c
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestPIIScalarFields(t *testing.T) {
	cases := []struct{ fn, input, want string }{
		{"MD2", "alice", "md2"},
		{"MD5", "alice", "7013f170253c991ed1ee70216254de06"},
		{"SHA-1", "216.160.83.56", "17803d07577023208861c69cbccbdfc0a041b06c"}, // with salt pink123 (R108 fixtures)
		{"SHA-256", "alice", sha256Hex("alicepink123")},
	}
	for _, c := range cases {
		cfg := piiConfig(t, `{"pii":[{"pojo":{"field":"user_ipaddress"}},{"pojo":{"field":"user_id"}}],
			"strategy":{"pseudonymize":{"hashFunction":"`+c.fn+`","salt":"pink123"}}}`, false)
		impl, err := newPII(cfg, &Env{})
		if err != nil {
			t.Fatal(err)
		}
		var e event.Event
		e.Fields[event.UserIPAddress] = c.input
		e.Fields[event.UserID] = ""
		e.Fields[event.DomainUserID] = "untouched"
		impl.Pseudonymize(&e)
		got := e.Fields[event.UserIPAddress]
		if len(got) != map[string]int{"MD2": 32, "MD5": 32, "SHA-1": 40, "SHA-256": 64}[c.fn] || strings.Trim(got, "0123456789abcdef") != "" {
			t.Errorf("%s: %q is not a lowercase hex digest", c.fn, got)
		}
		if c.want != "md2" && got != c.want {
			t.Errorf("%s(%s+salt) = %s, want %s", c.fn, c.input, got, c.want)
		}
		if e.Fields[event.UserID] != "" {
			t.Errorf("%s: a null user_id became %q", c.fn, e.Fields[event.UserID])
		}
		if e.Fields[event.DomainUserID] != "untouched" {
			t.Errorf("%s: an unconfigured field changed", c.fn)
		}
	}
}

func TestPIIHashFunctionsWithoutSalt(t *testing.T) {
	// 1-0-0 configs have no salt: the digest of the value alone.
	want := map[string]string{
		"MD2":     "32ec01ec4a6dac72c0ab96fb34c0b5d1", // RFC 1319 MD2("a")
		"MD5":     "0cc175b9c0f1b6a831c399e269772661",
		"SHA-1":   "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8",
		"SHA-384": "54a59b9f22b0b80880d8427e548b7c23abd873486e1f035dce9cd697e85175033caa88e6d57bc35efae0b5afd3145f31",
		"SHA-512": "1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75",
	}
	for fn, digest := range want {
		impl, err := newPII(piiConfig(t, `{"pii":[{"pojo":{"field":"se_label"}}],"strategy":{"pseudonymize":{"hashFunction":"`+fn+`"}}}`, false), &Env{})
		if err != nil {
			t.Fatal(err)
		}
		var e event.Event
		e.Fields[event.SeLabel] = "a"
		impl.Pseudonymize(&e)
		if e.Fields[event.SeLabel] != digest {
			t.Errorf("%s(a) = %s, want %s", fn, e.Fields[event.SeLabel], digest)
		}
	}
}

func TestPIIJSONFields(t *testing.T) {
	cfg := piiConfig(t, `{"pii":[
		{"json":{"field":"unstruct_event","schemaCriterion":"iglu:com.mailchimp/subscribe/jsonschema/1-*-*","jsonPath":"$.data.['email', 'ip_opt']"}},
		{"json":{"field":"contexts","schemaCriterion":"iglu:com.acme/user/jsonschema/1-0-*","jsonPath":"$.emails"}},
		{"json":{"field":"derived_contexts","schemaCriterion":"iglu:com.acme/ids/jsonschema/2-0-0","jsonPath":"$..id"}}],
		"strategy":{"pseudonymize":{"hashFunction":"SHA-256","salt":"s"}}}`, false)
	impl, err := newPII(cfg, &Env{})
	if err != nil {
		t.Fatal(err)
	}
	h := func(s string) string { return sha256Hex(s + "s") }
	var e event.Event
	e.Fields[event.UnstructEvent] = `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.mailchimp/subscribe/jsonschema/1-0-0","data":{"data":{"ip_opt":"1.2.3.4","merges":{"EMAIL":"kept@x"},"email":"a@b","n":2.50},"type":"subscribe"}}}`
	e.Fields[event.Contexts] = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[` +
		`{"schema":"iglu:com.acme/user/jsonschema/1-0-3","data":{"emails":["x@y",7,"z@w"],"name":"n"}},` +
		`{"schema":"iglu:com.acme/user/jsonschema/1-1-0","data":{"emails":["not@matched"]}},` +
		`{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":{"emails":"single@x"}}]}`
	e.Fields[event.DerivedContexts] = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[` +
		`{"schema":"iglu:com.acme/ids/jsonschema/2-0-0","data":{"id":"a","nested":{"id":"b"},"list":[{"id":"c"},{"id":1}]}}]}`
	impl.Pseudonymize(&e)

	wantUE := `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.mailchimp/subscribe/jsonschema/1-0-0","data":{"data":{"ip_opt":"` +
		h("1.2.3.4") + `","merges":{"EMAIL":"kept@x"},"email":"` + h("a@b") + `","n":2.5},"type":"subscribe"}}}`
	if got := e.Fields[event.UnstructEvent]; got != wantUE {
		t.Errorf("unstruct_event:\n got %s\nwant %s", got, wantUE)
	}
	wantCx := `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[` +
		`{"schema":"iglu:com.acme/user/jsonschema/1-0-3","data":{"emails":["` + h("x@y") + `",7,"` + h("z@w") + `"],"name":"n"}},` +
		`{"schema":"iglu:com.acme/user/jsonschema/1-1-0","data":{"emails":["not@matched"]}},` +
		`{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":{"emails":"` + h("single@x") + `"}}]}`
	if got := e.Fields[event.Contexts]; got != wantCx {
		t.Errorf("contexts:\n got %s\nwant %s", got, wantCx)
	}
	wantDx := `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[` +
		`{"schema":"iglu:com.acme/ids/jsonschema/2-0-0","data":{"id":"` + h("a") + `","nested":{"id":"` + h("b") + `"},"list":[{"id":"` + h("c") + `"},{"id":1}]}}]}`
	if got := e.Fields[event.DerivedContexts]; got != wantDx {
		t.Errorf("derived_contexts:\n got %s\nwant %s", got, wantDx)
	}
}

func TestPIIUnmatchedJSONIsReprinted(t *testing.T) {
	impl, err := newPII(piiConfig(t, `{"pii":[{"json":{"field":"unstruct_event","schemaCriterion":"iglu:com.mailgun/message_delivered/jsonschema/1-0-*","jsonPath":"$['recipient']"}}],
		"strategy":{"pseudonymize":{"hashFunction":"SHA-1","salt":"pink123"}}}`, false), &Env{})
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	e.Fields[event.UnstructEvent] = `{ "schema" : "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0", "data": {"schema":"iglu:com.mailgun/message_dropped/jsonschema/1-0-0","data":{"recipient":"alice@example.com","x":1e2,"y":"iglu:com.mailgun/message_delivered/"}}}`
	impl.Pseudonymize(&e)
	want := `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.mailgun/message_dropped/jsonschema/1-0-0","data":{"recipient":"alice@example.com","x":100.0,"y":"iglu:com.mailgun/message_delivered/"}}}`
	if got := e.Fields[event.UnstructEvent]; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	e.Fields[event.UnstructEvent] = `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.mailgun/message_delivered/jsonschema/1-0-0","data":{"recipient":"alice@example.com"}}}`
	impl.Pseudonymize(&e)
	if !strings.Contains(e.Fields[event.UnstructEvent], `"recipient":"b4a671bd13d37fef13b4aa170f22bf6d5bf2f6a3"`) {
		t.Errorf("message_delivered recipient not hashed: %s", e.Fields[event.UnstructEvent])
	}
	other := `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":{"recipient":"a"}}}`
	e.Fields[event.UnstructEvent] = other
	impl.Pseudonymize(&e)
	if e.Fields[event.UnstructEvent] != other {
		t.Errorf("a document without the criterion's schema changed: %s", e.Fields[event.UnstructEvent])
	}
	e.Fields[event.UnstructEvent] = `not json`
	impl.Pseudonymize(&e) // must not panic, must not change it
	if e.Fields[event.UnstructEvent] != `not json` {
		t.Errorf("invalid JSON was rewritten to %q", e.Fields[event.UnstructEvent])
	}
}

func TestPIIConfigErrors(t *testing.T) {
	cases := []struct{ params, want string }{
		{`{"pii":[],"strategy":{"pseudonymize":{"hashFunction":"SHA-3"}}}`, "hashFunction: Unknown function SHA-3"},
		{`{"pii":[{"pojo":{"field":"app_id"}}],"strategy":{"pseudonymize":{"hashFunction":"MD5"}}}`, "pii[0].pojo.field: The specified pojo field app_id is not supported"},
		{`{"pii":[{"json":{"field":"page_url","schemaCriterion":"iglu:a/b/jsonschema/1-0-0","jsonPath":"$"}}],"strategy":{"pseudonymize":{"hashFunction":"MD5"}}}`, "pii[0].json.field: The specified json field page_url is not supported"},
		{`{"pii":[{"json":{"field":"contexts","schemaCriterion":"iglu:a/b/1-0-0","jsonPath":"$.a"}}],"strategy":{"pseudonymize":{"hashFunction":"MD5"}}}`, "pii[0].json.schemaCriterion: iglu:a/b/1-0-0 is not a valid Iglu-format schema criterion"},
		{`{"pii":[{"json":{"field":"contexts","schemaCriterion":"iglu:a/b/jsonschema/1-0-*","jsonPath":"$.a["}}],"strategy":{"pseudonymize":{"hashFunction":"MD5"}}}`, "pii[0].json.jsonPath:"},
	}
	for _, c := range cases {
		_, err := newPII(piiConfig(t, c.params, false), &Env{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("newPII(%s) = %v, want an error containing %q", c.params, err, c.want)
		}
	}
	cfg := piiConfig(t, `{"pii":[],"strategy":{"pseudonymize":{"hashFunction":"MD5"}}}`, false)
	cfg.AnonymousOnly = true
	if _, err := newPII(cfg, &Env{}); err == nil || !strings.Contains(err.Error(), "anonymousOnly: not implemented") {
		t.Errorf("anonymousOnly accepted: %v", err)
	}
}

func TestPIITransformationEvent(t *testing.T) {
	impl, err := newPII(piiConfig(t, `{"pii":[{"pojo":{"field":"user_id"}},{"json":{"field":"contexts","schemaCriterion":"iglu:com.acme/u/jsonschema/1-*-*","jsonPath":"$.e"}}],
		"strategy":{"pseudonymize":{"hashFunction":"SHA-256","salt":"s"}}}`, true), &Env{})
	if err != nil {
		t.Fatal(err)
	}
	p := impl.(*piiEnrichment)
	var e event.Event
	if ev := p.PseudonymizeEvent(&e); ev != nil {
		t.Errorf("an event with nothing to pseudonymize produced %s", ev)
	}
	e.Fields[event.UserID] = "bob"
	e.Fields[event.Contexts] = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":"iglu:com.acme/u/jsonschema/1-0-0","data":{"e":"x"}}]}`
	ev := p.PseudonymizeEvent(&e)
	var doc struct {
		Schema string `json:"schema"`
		Data   struct {
			Schema string `json:"schema"`
			Data   struct {
				PII struct {
					Pojo []map[string]string `json:"pojo"`
					JSON []map[string]string `json:"json"`
				} `json:"pii"`
				Strategy struct {
					Pseudonymize struct {
						HashFunction string `json:"hashFunction"`
					} `json:"pseudonymize"`
				} `json:"strategy"`
			} `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ev, &doc); err != nil {
		t.Fatalf("%s: %v", ev, err)
	}
	d := doc.Data.Data
	if doc.Data.Schema != "iglu:com.snowplowanalytics.snowplow/pii_transformation/jsonschema/1-0-0" ||
		len(d.PII.Pojo) != 1 || d.PII.Pojo[0]["originalValue"] != "bob" || d.PII.Pojo[0]["modifiedValue"] != sha256Hex("bobs") ||
		len(d.PII.JSON) != 1 || d.PII.JSON[0]["schema"] != "iglu:com.acme/u/jsonschema/1-0-0" || d.PII.JSON[0]["jsonPath"] != "$.e" ||
		d.Strategy.Pseudonymize.HashFunction != "SHA-256" {
		t.Errorf("unexpected pii event %s", ev)
	}
}

// BenchmarkPII measures pseudonymizing two scalar fields and one
// unstruct_event JSON path.
//
//	go test -run '^$' -bench BenchmarkPII -benchmem ./enrich/enrichment
func BenchmarkPII(b *testing.B) {
	impl, err := newPII(piiConfig(b, `{"pii":[{"pojo":{"field":"user_id"}},{"pojo":{"field":"user_ipaddress"}},
		{"json":{"field":"unstruct_event","schemaCriterion":"iglu:com.mailchimp/subscribe/jsonschema/1-*-*","jsonPath":"$.data.['email', 'ip_opt']"}}],
		"strategy":{"pseudonymize":{"hashFunction":"SHA-1","salt":"pink123"}}}`, false), &Env{})
	if err != nil {
		b.Fatal(err)
	}
	ue := `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.mailchimp/subscribe/jsonschema/1-0-0","data":{"data":{"ip_opt":"82.225.169.220","merges":{"LNAME":"Smith","FNAME":"Agent","EMAIL":"agentsmith@snowplowtest.com"},"email":"agentsmith@snowplowtest.com","list_id":"f1243a3b12","email_type":"html","id":"e7c77d3852","web_id":"210833825"},"fired_at":"2014-11-04T09:42:31.000Z","type":"subscribe"}}}`
	b.Run("scalars", func(b *testing.B) {
		b.ReportAllocs()
		var e event.Event
		for b.Loop() {
			e.Fields[event.UserID], e.Fields[event.UserIPAddress] = "3798cdce0493133e", "74.125.17.210"
			impl.Pseudonymize(&e)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	other := strings.Replace(ue, "com.mailchimp/subscribe", "com.acme/signup", 1)
	b.Run("scalars+unmatched-unstruct", func(b *testing.B) {
		b.ReportAllocs()
		var e event.Event
		for b.Loop() {
			e.Fields[event.UserID], e.Fields[event.UserIPAddress], e.Fields[event.UnstructEvent] = "3798cdce0493133e", "74.125.17.210", other
			impl.Pseudonymize(&e)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("scalars+unstruct", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(ue)))
		var e event.Event
		for b.Loop() {
			e.Fields[event.UserID], e.Fields[event.UserIPAddress], e.Fields[event.UnstructEvent] = "3798cdce0493133e", "74.125.17.210", ue
			impl.Pseudonymize(&e)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
