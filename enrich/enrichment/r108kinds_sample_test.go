package enrichment_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich"
	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

// TestR108KindsOnSample loads ip_lookups, anon_ip, campaign_attribution,
// event_fingerprint_config, IAB and the cookie/header extractors from
// their enrichment JSONs (validated against test schemas served over HTTP
// on 127.0.0.1), with furrow's generated MaxMind databases
// (testdata/maxmind, found through AssetOptions.LocalDir as in `make run`)
// and the IAB lists of testdata/iab, and enriches the bundled CloudFront
// sample (testdata/sample) through the real collector format, adapters and
// enricher: every event must come out with geo fields, an anonymized
// address, a fingerprint and a spiders_and_robots context, and the campaign
// parameters of the sample must reach the mkt_* fields.
func TestR108KindsOnSample(t *testing.T) {
	root := sampleRepoRoot(t)
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(
		iglutest.Serve(t, filepath.Join("testdata", "iglu")),
		iglutest.Serve(t, filepath.Join("testdata", "r108kinds-iglu")),
		iglutest.Serve(t, filepath.Join(root, "testdata", "iglu")),
	))
	if err != nil {
		t.Fatal(err)
	}
	res, err := iglu.NewResolver(cfg, iglu.Options{Logger: r108Logger(), HTTPRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	const sp, spe = "com.snowplowanalytics.snowplow", "com.snowplowanalytics.snowplow.enrichments"
	const maxmind = `"uri":"http://snowplow-hosted-assets.s3.amazonaws.com/third-party/maxmind"`
	iabDir := "file://" + filepath.Join(sampleAbs(t, "testdata"), "iab")
	conf := func(schema, vendor, name, params string) string {
		return `{"schema":"iglu:` + schema + `","data":{"vendor":"` + vendor + `","name":"` + name + `","enabled":true,"parameters":` + params + `}}`
	}
	doc := `{"schema":"iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-0","data":[` + strings.Join([]string{
		conf(sp+"/ip_lookups/jsonschema/2-0-0", sp, "ip_lookups", `{"geo":{"database":"GeoIP2-City.mmdb",`+maxmind+`},`+
			`"isp":{"database":"GeoIP2-ISP.mmdb",`+maxmind+`},"domain":{"database":"GeoIP2-Domain.mmdb",`+maxmind+`},`+
			`"connectionType":{"database":"GeoIP2-Connection-Type.mmdb",`+maxmind+`}}`),
		conf(sp+"/anon_ip/jsonschema/1-0-0", sp, "anon_ip", `{"anonOctets":1}`),
		conf(sp+"/campaign_attribution/jsonschema/1-0-1", sp, "campaign_attribution",
			`{"mapping":"static","fields":{"mktMedium":["utm_medium"],"mktSource":["utm_source"],"mktTerm":["utm_term"],"mktContent":["utm_content"],"mktCampaign":["utm_campaign"]}}`),
		conf(sp+"/event_fingerprint_config/jsonschema/1-0-1", sp, "event_fingerprint_config", `{"excludeParameters":["eid","stm","dtm"],"hashAlgorithm":"SHA1"}`),
		conf(spe+"/iab_spiders_and_robots_enrichment/jsonschema/1-0-0", sp, "iab_spiders_and_robots_enrichment",
			`{"ipFile":{"database":"ip_exclude_current_cidr.txt","uri":"`+iabDir+`"},"excludeUseragentFile":{"database":"exclude_current.txt","uri":"`+iabDir+`"},`+
				`"includeUseragentFile":{"database":"include_current.txt","uri":"`+iabDir+`"}}`),
		conf(sp+"/cookie_extractor_config/jsonschema/1-0-0", sp, "cookie_extractor_config", `{"cookies":["sp"]}`),
		conf(spe+"/http_header_extractor_config/jsonschema/1-0-0", sp, "http_header_extractor_config", `{"headersPattern":"X-Forwarded-For"}`),
	}, ",") + `]}`
	b := enrichment.Builtins()
	reg, err := enrichment.LoadBundle(context.Background(), []byte(doc), enrichment.Options{
		Resolver: res, Logger: r108Logger(),
		Implementations: &enrichment.Implementations{
			IPLookups: b.IPLookups, AnonIP: b.AnonIP, CampaignAttribution: b.CampaignAttribution,
			EventFingerprint: b.EventFingerprint, IAB: b.IAB, CookieExtractor: b.CookieExtractor, HTTPHeaderExtractor: b.HTTPHeaderExtractor,
		},
		Assets: enrichment.AssetOptions{LocalDir: filepath.Join(root, "testdata", "maxmind"), CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatalf("loading enrichments: %v", err)
	}
	defer reg.Close()
	if p := reg.Pending(); len(p) != 0 {
		t.Fatalf("pending: %v", p)
	}
	en, err := enrich.New(enrich.Config{ETLVersion: "test", ETLTimestamp: time.UnixMilli(1000000000000)}, res, reg, r108Logger())
	if err != nil {
		t.Fatal(err)
	}
	format, err := collector.Lookup("cloudfront")
	if err != nil {
		t.Fatal(err)
	}
	p, err := enrich.NewProcessor(enrich.ProcessorConfig{Format: format, Adapters: adapter.NewRegistry(res), Enricher: en})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "testdata", "sample", "cloudfront", "*"))
	if len(files) == 0 {
		t.Fatal("no CloudFront sample under testdata/sample/cloudfront")
	}
	var out enrich.Result
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) > 0 {
				p.Process(context.Background(), line, &out)
			}
		}
	}
	if len(out.Events) < 100 {
		t.Fatalf("only %d good events (%d bad)", len(out.Events), len(out.Bad))
	}
	hex40 := regexp.MustCompile(`^[0-9a-f]{40}$`)
	campaigns, robots := 0, 0
	for i, e := range out.Events {
		f := e.Fields
		if !strings.HasSuffix(f[event.UserIPAddress], ".x") {
			t.Errorf("event %d: user_ipaddress %q not anonymized", i, f[event.UserIPAddress])
		}
		if f[event.GeoCountry] == "" || f[event.GeoTimezone] == "" {
			t.Errorf("event %d (%s): no geo fields", i, f[event.UserIPAddress])
		}
		if _, err := strconv.ParseFloat(f[event.GeoLatitude], 32); err != nil {
			t.Errorf("event %d: geo_latitude %q", i, f[event.GeoLatitude])
		}
		if !hex40.MatchString(f[event.EventFingerprint]) {
			t.Errorf("event %d: event_fingerprint %q", i, f[event.EventFingerprint])
		}
		if !strings.Contains(f[event.DerivedContexts], "iglu:com.iab.snowplow/spiders_and_robots/jsonschema/1-0-0") {
			t.Errorf("event %d: no spiders_and_robots context in %q", i, f[event.DerivedContexts])
		}
		if strings.Contains(f[event.DerivedContexts], `"spiderOrRobot":true`) {
			robots++
		}
		if q := f[event.PageURLQuery]; strings.Contains(q, "utm_source=") {
			campaigns++
			if f[event.MktSource] == "" || f[event.MktMedium] == "" || f[event.MktCampaign] == "" {
				t.Errorf("event %d: query %q but mkt_* %q %q %q", i, q, f[event.MktSource], f[event.MktMedium], f[event.MktCampaign])
			}
			if strings.Contains(q, "gclid=") && (f[event.MktClickID] == "" || f[event.MktNetwork] != "Google") {
				t.Errorf("event %d: gclid not attributed: %q %q", i, f[event.MktClickID], f[event.MktNetwork])
			}
		}
	}
	if campaigns == 0 {
		t.Error("no event of the sample had campaign parameters")
	}
	if robots == 0 {
		t.Error("the sample's Googlebot events were not flagged by the IAB lists")
	}
	for _, b := range out.Bad { // the sample's deliberate bad lines only
		for _, m := range b.Errors {
			if strings.Contains(m.Message, "One of required event fields") || strings.Contains(m.Message, "was invald") ||
				strings.Contains(m.Message, "ip_lookups") || strings.Contains(m.Message, "Unexpected error") {
				t.Errorf("bad row from an enrichment under test: %s", m.Message)
			}
		}
	}
	t.Logf("%d events (%d bad rows): %d with campaign parameters, %d robots", len(out.Events), len(out.Bad), campaigns, robots)
}

func sampleAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sampleRepoRoot(t *testing.T) string {
	t.Helper()
	dir := sampleAbs(t, ".")
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}
