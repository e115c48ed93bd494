package adapter

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
	"github.com/furrowdata/furrow/internal/javautil"
	"github.com/furrowdata/furrow/internal/testservers"
)

// The peer's own fixtures (Spark Enrich R108 specs) for the payloads these
// adapters handle: every expected good row's event type (field 5) and
// unstruct_event (field 58) must come out of the adapter's parameters
// exactly, plus the fields the adapters decide alone.

type enrichFixture struct {
	Name         string          `json:"name"`
	Collector    string          `json:"collector"`
	InputLines   []string        `json:"input_lines"`
	ExpectedGood [][]*string     `json:"expected_good"`
	GoodCount    *int            `json:"expected_good_count"`
	BadCount     int             `json:"expected_bad_count"`
	Enrichments  json.RawMessage `json:"enrichments"`
}

var conformanceFixtures = []string{
	"CljTomcatCallrailEventSpec",
	"CljTomcatMailchimpEventSpec",
	"CljTomcatMailgunEventSpec",
	"CljTomcatMandrillEventSpec",
	"CljTomcatPagerdutyEventSpec",
	"CljTomcatPingdomEventSpec",
	"CljTomcatSendgridEventSpec",
	"CljTomcatTp1SingleEventSpec",
	"CljTomcatTp1TnuidSpec",
	"CljTomcatTp2MultiEventsSpec",
	"NdjsonUrbanAirshipSingleSpec",
	"NdjsonUrbanAirshipMultiSpec",
	"WebDistributionLoaderSpec",
}

// sharedDir returns ../shared next to the repository root, skipping the
// test when it is absent.
func sharedDir(t *testing.T) string { return testservers.SharedPath(t, "conformance", "enrich") }

func TestConformanceFixtures(t *testing.T) {
	dir := sharedDir(t)
	central := iglutest.Central(t)
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(central))
	if err != nil {
		t.Fatal(err)
	}
	res, err := iglu.NewResolver(cfg, iglu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(res)
	for _, name := range conformanceFixtures {
		t.Run(name, func(t *testing.T) {
			var fx enrichFixture
			testservers.ReadJSON(t, filepath.Join(dir, name+".json"), &fx)
			var events []RawEvent
			for _, line := range fx.InputLines {
				p, ok := fixturePayload(t, fx.Collector, line)
				if !ok {
					continue
				}
				evs, errs := reg.ToRawEvents(context.Background(), p)
				if len(errs) > 0 {
					t.Fatalf("line %q: adapter errors %q", line, errs)
				}
				events = append(events, evs...)
			}
			if fx.GoodCount != nil && len(events) != *fx.GoodCount {
				t.Fatalf("got %d events, fixture expects %d good", len(events), *fx.GoodCount)
			}
			if len(fx.ExpectedGood) == 0 {
				t.Fatal("fixture asserts no field values")
			}
			pii := piiRules(t, fx.Enrichments)
			for i, row := range fx.ExpectedGood {
				checkRow(t, i, row, events[i], pii)
			}
		})
	}
}

func field(row []*string, i int) (string, bool) {
	if i >= len(row) {
		return "", false
	}
	if row[i] == nil {
		return "", true
	}
	return *row[i], true
}

func checkRow(t *testing.T, i int, row []*string, ev RawEvent, pii []piiRule) {
	t.Helper()
	p := ev.Parameters
	check := func(idx int, name, got string) {
		t.Helper()
		want, ok := field(row, idx)
		if ok && got != want {
			t.Errorf("event %d field %d (%s):\n got %s\nwant %s", i, idx, name, got, want)
		}
	}
	check(5, "event", eventName(p["e"]))
	check(0, "app_id", p["aid"])
	check(1, "platform", p["p"])
	check(9, "v_tracker", p["tv"])
	check(3, "collector_tstamp", event.FormatTimestamp(ev.Context.Timestamp))
	ue := ""
	switch {
	case p["ue_pr"] != "":
		ue = reformat(t, p["ue_pr"])
	case p["ue_px"] != "":
		ue = reformat(t, javautil.DecodeBase64(p["ue_px"]))
	}
	check(58, "unstruct_event", pseudonymize(t, ue, pii))
	if cx := p["cx"]; cx != "" {
		check(52, "contexts", reformat(t, javautil.DecodeBase64(cx)))
	}
	nuid := p["nuid"]
	if p["tnuid"] != "" {
		nuid = p["tnuid"]
	}
	if nuid != "" {
		check(17, "network_userid", nuid)
	}
}

// reformat is what Scala Common Enrich's enrichment did to ue_pr/ue_px
// (JsonUtils.validateAndReformatJson): a Jackson tree, rendered compactly.
func reformat(t *testing.T, s string) string {
	t.Helper()
	v, err := parseJSON(s, dupLast)
	if err != nil {
		t.Fatalf("reformatting %q: %v", s, err)
	}
	return v.render()
}

func eventName(e string) string {
	switch e {
	case "pv":
		return "page_view"
	case "pp":
		return "page_ping"
	case "tr":
		return "transaction"
	case "ti":
		return "transaction_item"
	case "se", "ev":
		return "struct"
	case "ue":
		return "unstruct"
	case "ad":
		return "ad_impression"
	}
	return ""
}

var spaces = regexp.MustCompile(`\s+`)

// fixturePayload turns one fixture input line into a collector payload with
// a minimal version of the collector formats (enough for these fixtures).
func fixturePayload(t *testing.T, format, line string) (*collector.Payload, bool) {
	t.Helper()
	if strings.TrimSpace(line) == "" {
		return nil, false
	}
	switch format {
	case "ndjson/com.urbanairship.connect/v1":
		return &collector.Payload{
			API:    collector.API{Vendor: "com.urbanairship.connect", Version: "v1"},
			Body:   line,
			Source: collector.Source{Name: "ndjson", Encoding: "UTF-8"},
		}, true
	case "tsv/com.amazon.aws.cloudfront/wd_access_log":
		return &collector.Payload{
			API:    collector.API{Vendor: "com.amazon.aws.cloudfront", Version: "wd_access_log"},
			Body:   line,
			Source: collector.Source{Name: "tsv", Encoding: "UTF-8"},
		}, true
	case "clj-tomcat":
	default:
		t.Fatalf("collector format %s not handled by the test", format)
	}
	f := spaces.Split(strings.TrimSpace(line), -1)
	if len(f) < 12 {
		t.Fatalf("clj-tomcat line has %d fields: %q", len(f), line)
	}
	ts, err := time.Parse("2006-01-02 15:04:05", f[0]+" "+f[1])
	if err != nil {
		t.Fatal(err)
	}
	p := &collector.Payload{
		Source:  collector.Source{Name: "clj-tomcat", Encoding: "UTF-8"},
		Context: collector.Context{Timestamp: ts, IPAddress: f[4]},
	}
	switch path := f[7]; path {
	case "/i", "/ice.png":
		p.API = collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp1"}
	default:
		parts := strings.Split(strings.Trim(path, "/"), "/")
		if len(parts) != 2 {
			t.Fatalf("clj-tomcat path %q", path)
		}
		p.API = collector.API{Vendor: parts[0], Version: parts[1]}
	}
	if f[11] != "-" {
		for _, fp := range splitForm(f[11]) {
			p.Querystring = append(p.Querystring, collector.NameValue{Name: fp.Name, Value: fp.Value})
		}
	}
	if len(f) > 15 && f[15] != "-" {
		ct, err := urlDecode(f[15])
		if err != nil {
			t.Fatal(err)
		}
		p.ContentType = ct
	}
	if len(f) > 16 && f[16] != "-" {
		p.Body = javautil.DecodeBase64(f[16])
	}
	return p, true
}

// piiRule is one JSON field of the fixture's PII enrichment.
type piiRule struct {
	schemaPrefix string   // vendor/name/format/ of the criterion
	model        string   // criterion model ("1") or "*"
	paths        []string // member names under data (one level, as the fixtures use)
	salt         string
}

func piiRules(t *testing.T, enrichments json.RawMessage) []piiRule {
	t.Helper()
	var doc struct {
		Data []struct {
			Schema string `json:"schema"`
			Data   struct {
				Enabled    bool `json:"enabled"`
				Parameters struct {
					PII []struct {
						JSON *struct {
							Field           string `json:"field"`
							SchemaCriterion string `json:"schemaCriterion"`
							JSONPath        string `json:"jsonPath"`
						} `json:"json"`
					} `json:"pii"`
					Strategy struct {
						Pseudonymize struct {
							Salt string `json:"salt"`
						} `json:"pseudonymize"`
					} `json:"strategy"`
				} `json:"parameters"`
			} `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(enrichments, &doc); err != nil {
		t.Fatal(err)
	}
	var rules []piiRule
	quoted := regexp.MustCompile(`'([^']+)'`)
	for _, e := range doc.Data {
		if !strings.Contains(e.Schema, "pii_enrichment_config") || !e.Data.Enabled {
			continue
		}
		for _, f := range e.Data.Parameters.PII {
			if f.JSON == nil || f.JSON.Field != "unstruct_event" {
				continue
			}
			crit := strings.TrimPrefix(f.JSON.SchemaCriterion, "iglu:")
			i := strings.LastIndex(crit, "/")
			r := piiRule{schemaPrefix: crit[:i+1], model: strings.Split(crit[i+1:], "-")[0], salt: e.Data.Parameters.Strategy.Pseudonymize.Salt}
			path := f.JSON.JSONPath
			var parent []string
			if strings.HasPrefix(path, "$.") {
				// $.data.['a', 'b']: members of the object "data"
				head, _, _ := strings.Cut(strings.TrimPrefix(path, "$."), ".")
				parent = []string{head}
			}
			for _, m := range quoted.FindAllStringSubmatch(path, -1) {
				r.paths = append(r.paths, strings.Join(append(append([]string(nil), parent...), m[1]), "\x00"))
			}
			rules = append(rules, r)
		}
	}
	return rules
}

// pseudonymize applies the fixture's PII rules to an unstruct_event the
// way the PII enrichment did (SHA-1 of value+salt, hex), so the adapter's
// output can be compared with the enriched field.
func pseudonymize(t *testing.T, ue string, rules []piiRule) string {
	t.Helper()
	if ue == "" || len(rules) == 0 {
		return ue
	}
	v, err := parseJSON(ue, dupLast)
	if err != nil {
		t.Fatal(err)
	}
	inner := v.get("data")
	schema, _ := extractString(inner.get("schema"))
	key := strings.TrimPrefix(schema, "iglu:")
	for _, r := range rules {
		if !strings.HasPrefix(key, r.schemaPrefix) {
			continue
		}
		if r.model != "*" && !strings.HasPrefix(key[len(r.schemaPrefix):], r.model+"-") {
			continue
		}
		for _, path := range r.paths {
			node := inner.get("data")
			parts := strings.Split(path, "\x00")
			for _, p := range parts[:len(parts)-1] {
				node = node.get(p)
			}
			for i := range node.obj {
				if f := &node.obj[i]; f.name == parts[len(parts)-1] && f.val.kind == jString {
					sum := sha1.Sum([]byte(f.val.s + r.salt))
					f.val = jstr(hex.EncodeToString(sum[:]))
				}
			}
		}
	}
	return v.render()
}
