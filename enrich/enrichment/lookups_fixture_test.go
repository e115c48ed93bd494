package enrichment_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
	"github.com/furrowdata/furrow/internal/testservers"
)

// TestLookupKindsFixtures runs the peer's enrich fixtures
// (../shared/conformance/enrich) through the real collector formats,
// adapters and enricher with every implementation furrow registers, and
// compares the fields of pii_enrichment_config, currency_conversion_config,
// javascript_script_config, api_request_enrichment_config and
// sql_query_enrichment_config with expected_good:
//
//   - the pseudonymized fields the fixture's PII config names (user_id,
//     user_ipaddress, unstruct_event) of every expected event;
//   - tr_currency … base_currency of the currency fixtures, against the
//     loopback OER server (testservers.ConformanceOERRates);
//   - the derived contexts those kinds add (com.acme/app_id from the
//     JavaScript enrichment, com.acme/user from the API request mock and
//     the seeded PostgreSQL), and the whole derived_contexts field when
//     every enrichment the fixture enables is implemented;
//   - PiiFilteringSpec's counts and forbidden patterns.
//
// The API and SQL fixtures' unstructured event has a schema the shared Iglu
// Central lacks; testdata/lookups-iglu holds a schema furrow wrote for it.
func TestLookupKindsFixtures(t *testing.T) {
	shared := testservers.SharedDir(t)
	res := lookupsResolver(t)
	files, _ := filepath.Glob(filepath.Join(shared, "conformance", "enrich", "*.json"))
	if len(files) == 0 {
		t.Skip("no enrich fixtures under ../shared/conformance/enrich")
	}
	pending := map[string]bool{}
	b := enrichment.Builtins()
	for name, missing := range map[string]bool{
		enrichment.NameIPLookups: b.IPLookups == nil, enrichment.NameIAB: b.IAB == nil, enrichment.NameAnonIP: b.AnonIP == nil,
		enrichment.NameUserAgentUtils: b.UserAgentUtils == nil, enrichment.NameUAParser: b.UAParser == nil,
		enrichment.NameRefererParser: b.RefererParser == nil, enrichment.NameCampaignAttribution: b.CampaignAttribution == nil,
		enrichment.NameEventFingerprint: b.EventFingerprint == nil, enrichment.NameCookieExtractor: b.CookieExtractor == nil,
		enrichment.NameHTTPHeaderExtractor: b.HTTPHeaderExtractor == nil,
	} {
		pending[name] = missing
	}
	compared, matched := map[string]int{}, map[string]int{}
	var pg *testservers.Postgres
	for _, f := range files {
		var fx lookupFixture
		testservers.ReadJSON(t, f, &fx)
		if len(fx.InputLines) == 0 && len(fx.InputThrift) == 0 {
			continue
		}
		t.Run(fx.Name, func(t *testing.T) {
			if fx.needs("missing-data-file") {
				t.Skip("its input file is missing from ../shared/conformance/data")
			}
			doc := string(fx.Enrichments)
			if fx.needs("oer-api-key") {
				oer := testservers.StartOER(t, testservers.ConformanceOERRates())
				t.Setenv(enrichment.OEREndpointEnv, oer.URL)
			}
			if fx.needs("http-api-server") {
				mock := testservers.StartAPIMock(t)
				doc = strings.ReplaceAll(doc, "http://localhost:8000", mock.URL)
			}
			if fx.needs("postgres") {
				if pg == nil {
					pg = startFixturePostgres(t, fx.ExternalServices)
				}
				doc = pointSQLAt(t, doc, pg)
			}
			dependsOnPending := ""
			for _, e := range fx.enabled(t) {
				if pending[e] {
					dependsOnPending = e
				}
			}
			rf := r108Fixture{Name: fx.Name, Collector: fx.Collector, InputLines: fx.InputLines, Enrichments: json.RawMessage(doc),
				ExpectedGood: fx.ExpectedGood, Needs: fx.Needs, InputThrift: fx.InputThrift}
			events, bad := r108Run(t, shared, res, nil, &rf)
			if fx.ExpectedBadCount == 0 && strings.Contains(bad, "not supported by this version of Scala Common Enrich") {
				t.Skipf("enrich/adapter lacks this R108 adapter: %s", bad)
			}

			if fx.ExpectedGoodCount != nil && len(events) != *fx.ExpectedGoodCount {
				t.Errorf("good events: got %d, want %d\n%s", len(events), *fx.ExpectedGoodCount, bad)
			}
			if fx.ExpectedBadMatch != "first-row-only" {
				if n := strings.Count(bad, "\n"); n != fx.ExpectedBadCount {
					t.Errorf("bad rows: got %d, want %d\n%s", n, fx.ExpectedBadCount, bad)
				}
			}
			if p := fx.ForbiddenPatterns; p != nil {
				checkForbidden(t, p.Good, events, "good")
				checkForbidden(t, p.Bad, nil, bad)
				compared["pii forbidden patterns"]++
				matched["pii forbidden patterns"]++
			}
			piiFields := fx.piiFields(t)
			for i, want := range fx.ExpectedGood {
				if i >= len(events) {
					break
				}
				ev := events[i]
				check := func(kind string, f event.Field) {
					if int(f) >= len(want) {
						return
					}
					w := ""
					if want[f] != nil {
						w = *want[f]
					}
					compared[kind]++
					if ev.Fields[f] == w {
						matched[kind]++
						return
					}
					t.Errorf("event %d %s (%s): got %q, want %q", i, f.Name(), kind, ev.Fields[f], w)
				}
				for _, f := range piiFields {
					check(enrichment.NamePII, f)
				}
				if fx.has(enrichment.NameCurrencyConversion) {
					for _, f := range []event.Field{event.TrCurrency, event.TrTotalBase, event.TrTaxBase, event.TrShippingBase,
						event.TiCurrency, event.TiPriceBase, event.BaseCurrency} {
						check(enrichment.NameCurrencyConversion, f)
					}
				}
				if int(event.DerivedContexts) >= len(want) || want[event.DerivedContexts] == nil {
					continue
				}
				wantDx := *want[event.DerivedContexts]
				for kind, prefix := range map[string]string{
					enrichment.NameJavaScript: "iglu:com.acme/app_id/", enrichment.NameAPIRequest: "iglu:com.acme/user/",
					enrichment.NameSQLQuery: "iglu:com.acme/user/"} {
					if !fx.has(kind) {
						continue
					}
					if kind == enrichment.NameAPIRequest {
						const ua = "iglu:com.snowplowanalytics.snowplow/ua_parser_context/"
						if pending[enrichment.NameUAParser] {
							t.Logf("%s: its input \"os\" comes from ua_parser_context, whose enrichment is not implemented yet: not compared", kind)
							continue
						}
						if g, w := entities(t, ev.Fields[event.DerivedContexts], ua), entities(t, wantDx, ua); g != w {
							t.Logf("%s: its input \"os\" comes from ua_parser_context, which differs from R108's (%s, want %s): not compared", kind, g, w)
							continue
						}
					}
					compared[kind]++
					g, w := entities(t, ev.Fields[event.DerivedContexts], prefix), entities(t, wantDx, prefix)
					if g == w {
						matched[kind]++
					} else {
						t.Errorf("event %d %s entities of derived_contexts:\n got %s\nwant %s", i, kind, g, w)
					}
				}
				// Where every kind the fixture enables is implemented, the
				// entities must also sit where R108 put them (the other kinds'
				// entity contents are their own tests' business).
				if dependsOnPending == "" && (fx.has(enrichment.NameJavaScript) || fx.has(enrichment.NameAPIRequest) || fx.has(enrichment.NameSQLQuery)) {
					compared["derived_contexts entity order"]++
					if g, w := schemasOf(t, ev.Fields[event.DerivedContexts]), schemasOf(t, wantDx); g == w {
						matched["derived_contexts entity order"]++
					} else {
						t.Errorf("event %d derived_contexts schemas:\n got %s\nwant %s", i, g, w)
					}
				}
			}
		})
	}
	for k, n := range compared {
		t.Logf("%-34s %d/%d field values match", k, matched[k], n)
	}
}

type lookupFixture struct {
	Name              string          `json:"name"`
	Collector         string          `json:"collector"`
	InputLines        []string        `json:"input_lines"`
	Enrichments       json.RawMessage `json:"enrichments"`
	ExpectedGood      [][]*string     `json:"expected_good"`
	ExpectedGoodCount *int            `json:"expected_good_count"`
	ExpectedBadCount  int             `json:"expected_bad_count"`
	ExpectedBadMatch  string          `json:"expected_bad_match"`
	Needs             []string        `json:"needs"`
	ExternalServices  json.RawMessage `json:"external_services"`
	ForbiddenPatterns *struct {
		Good string `json:"good"`
		Bad  string `json:"bad"`
	} `json:"forbidden_patterns"`
	InputThrift []struct {
		TBinaryBase64 string `json:"tbinary_base64"`
	} `json:"input_thrift"`
}

func (fx *lookupFixture) needs(n string) bool {
	for _, x := range fx.Needs {
		if x == n {
			return true
		}
	}
	return false
}

type fixtureEnrichment struct {
	Data struct {
		Name       string          `json:"name"`
		Enabled    bool            `json:"enabled"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"data"`
}

func (fx *lookupFixture) configs(t *testing.T) []fixtureEnrichment {
	t.Helper()
	var doc struct {
		Data []fixtureEnrichment `json:"data"`
	}
	if err := json.Unmarshal(fx.Enrichments, &doc); err != nil {
		t.Fatalf("enrichments: %v", err)
	}
	return doc.Data
}

func (fx *lookupFixture) enabled(t *testing.T) []string {
	var out []string
	for _, c := range fx.configs(t) {
		if c.Data.Enabled {
			out = append(out, c.Data.Name)
		}
	}
	return out
}

func (fx *lookupFixture) has(name string) bool {
	var doc struct {
		Data []fixtureEnrichment `json:"data"`
	}
	_ = json.Unmarshal(fx.Enrichments, &doc)
	for _, c := range doc.Data {
		if c.Data.Name == name && c.Data.Enabled {
			return true
		}
	}
	return false
}

// piiFields lists the fields the fixture's PII config changes.
func (fx *lookupFixture) piiFields(t *testing.T) []event.Field {
	var out []event.Field
	for _, c := range fx.configs(t) {
		if c.Data.Name != enrichment.NamePII || !c.Data.Enabled {
			continue
		}
		var p struct {
			PII []struct {
				Pojo *struct{ Field string } `json:"pojo"`
				JSON *struct{ Field string } `json:"json"`
			} `json:"pii"`
		}
		if err := json.Unmarshal(c.Data.Parameters, &p); err != nil {
			t.Fatal(err)
		}
		for _, f := range p.PII {
			name := ""
			if f.Pojo != nil {
				name = f.Pojo.Field
			} else if f.JSON != nil {
				name = f.JSON.Field
			}
			if fld, ok := event.FieldByName(name); ok && !containsField(out, fld) {
				out = append(out, fld)
			}
		}
	}
	return out
}

func containsField(fs []event.Field, f event.Field) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

// entities renders the entities of a contexts document whose schema starts
// with prefix, in order, as json4s printed them.
func entities(t *testing.T, doc, prefix string) string {
	t.Helper()
	if doc == "" {
		return ""
	}
	v, err := jsonpath.Parse(doc)
	if err != nil {
		t.Fatalf("derived_contexts %q: %v", doc, err)
	}
	var out []string
	if d := v.Get("data"); d != nil && d.Kind == jsonpath.Array {
		for _, e := range d.Arr {
			if s := e.Get("schema"); s != nil && strings.HasPrefix(s.Str, prefix) {
				out = append(out, jsonpath.Render(e))
			}
		}
	}
	return strings.Join(out, ",")
}

// schemasOf lists the schemas of a contexts document's entities, in order.
func schemasOf(t *testing.T, doc string) string {
	t.Helper()
	if doc == "" {
		return ""
	}
	v, err := jsonpath.Parse(doc)
	if err != nil {
		t.Fatalf("derived_contexts %q: %v", doc, err)
	}
	var out []string
	if d := v.Get("data"); d != nil && d.Kind == jsonpath.Array {
		for _, e := range d.Arr {
			if s := e.Get("schema"); s != nil {
				out = append(out, s.Str)
			}
		}
	}
	return strings.Join(out, " ")
}

func checkForbidden(t *testing.T, pattern string, events []*event.Event, bad string) {
	t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatalf("forbidden pattern %q: %v", pattern, err)
	}
	var lines []string
	for _, e := range events {
		lines = append(lines, string(event.AppendTSV(nil, e)))
	}
	if events == nil {
		lines = strings.Split(strings.TrimSpace(bad), "\n")
	}
	for _, l := range lines {
		if l != "" && re.MatchString(l) {
			t.Errorf("output line matches the forbidden pattern %q: %s", pattern, l)
		}
	}
}

func lookupsResolver(t *testing.T) *iglu.Resolver {
	t.Helper()
	own, err := filepath.Abs(filepath.Join("testdata", "lookups-iglu"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(iglutest.Central(t), iglutest.Serve(t, own)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{Logger: r108Logger()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// startFixturePostgres starts a cluster holding the fixture's seed table
// for the user and database its SQL config names.
func startFixturePostgres(t *testing.T, services json.RawMessage) *testservers.Postgres {
	t.Helper()
	var es struct {
		Postgres struct {
			Seed json.RawMessage `json:"seed"`
		} `json:"postgres"`
	}
	if err := json.Unmarshal(services, &es); err != nil || es.Postgres.Seed == nil {
		t.Fatalf("external_services.postgres.seed: %v", err)
	}
	pg := testservers.StartPostgres(t)
	if err := pg.SQLEnrichmentFixture(context.Background(), es.Postgres.Seed, "enricher", "supersecret1", "sql_enrichment_test"); err != nil {
		t.Fatal(err)
	}
	return pg
}

// pointSQLAt rewrites every sql_query_enrichment_config's postgresql host
// and port to pg.
func pointSQLAt(t *testing.T, doc string, pg *testservers.Postgres) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	for _, e := range v["data"].([]any) {
		d := e.(map[string]any)["data"].(map[string]any)
		if d["name"] != enrichment.NameSQLQuery {
			continue
		}
		db := d["parameters"].(map[string]any)["database"].(map[string]any)
		if p, ok := db["postgresql"].(map[string]any); ok {
			p["host"], p["port"] = pg.Host, pg.Port
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
