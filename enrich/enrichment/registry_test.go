package enrichment_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// resolver serves testdata/iglu over HTTP on 127.0.0.1.
func resolver(t testing.TB, dir string) *iglu.Resolver {
	t.Helper()
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(iglutest.Serve(t, dir)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{Logger: quietLogger(), HTTPRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sd(schema string, data string) string {
	return `{"schema":"iglu:` + schema + `","data":` + data + `}`
}

func bundle(items ...string) []byte {
	return []byte(sd("com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-0", "["+strings.Join(items, ",")+"]"))
}

const sp = "com.snowplowanalytics.snowplow"

func anonIP(octets string) string {
	return sd(sp+"/anon_ip/jsonschema/1-0-0", `{"vendor":"`+sp+`","name":"anon_ip","enabled":true,"parameters":{"anonOctets":`+octets+`}}`)
}

type fakeAnon struct{ octets int }

func (f fakeAnon) AnonymizeIP(ip string) string { return fmt.Sprintf("%s/%d", ip, f.octets) }

type closingAnon struct {
	fakeAnon
	closed *atomic.Int32
}

func (c closingAnon) Close() error { c.closed.Add(1); return nil }

// logBuffer records log lines.
type logBuffer struct{ bytes.Buffer }

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(&l.Buffer, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestLoadBundle(t *testing.T) {
	res := resolver(t, "testdata/iglu")
	refData := "search:\n  Google:\n    parameters: [q]\n    domains: [www.google.com]\n"
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/assets/referers.yml" {
			io.WriteString(w, refData)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	local := t.TempDir()
	geo := filepath.Join(local, "GeoIP2-City.mmdb")
	isp := filepath.Join(local, "GeoIP2-ISP.mmdb")
	os.WriteFile(geo, []byte("geo"), 0o644)
	os.WriteFile(isp, []byte("isp"), 0o644)

	doc := bundle(
		anonIP("2"),
		sd(sp+"/ua_parser_config/jsonschema/1-0-0", `{"vendor":"`+sp+`","name":"ua_parser_config","enabled":true,"parameters":{}}`),
		sd(sp+"/campaign_attribution/jsonschema/1-0-1", `{"vendor":"`+sp+`","name":"campaign_attribution","enabled":false,"parameters":{"fields":{"mktMedium":[],"mktSource":[],"mktTerm":[],"mktContent":[],"mktCampaign":[]}}}`),
		sd(sp+"/referer_parser/jsonschema/2-0-0", `{"vendor":"`+sp+`","name":"referer_parser","enabled":true,"parameters":{"internalDomains":["a.com"],"database":"referers.yml","uri":"`+srv.URL+`/assets/"}}`),
		sd(sp+"/ip_lookups/jsonschema/2-0-0", `{"vendor":"`+sp+`","name":"ip_lookups","enabled":true,"parameters":{"geo":{"database":"GeoIP2-City.mmdb","uri":"file://`+local+`"},"isp":{"database":"GeoIP2-ISP.mmdb","uri":"`+local+`"}}}`),
		sd(sp+".enrichments/pii_enrichment_config/jsonschema/2-0-0", `{"vendor":"`+sp+`.enrichments","name":"pii_enrichment_config","enabled":true,"emitEvent":true,"parameters":{"pii":[{"pojo":{"field":"user_id"}},{"json":{"field":"unstruct_event","schemaCriterion":"iglu:com.acme/x/jsonschema/1-*-*","jsonPath":"$.email"}}],"strategy":{"pseudonymize":{"hashFunction":"SHA-256","salt":"pepper"}}}}`),
		sd("com.acme/custom_enrichment/jsonschema/1-0-0", `{"vendor":"com.acme","name":"custom_enrichment","enabled":true}`),
	)
	var logs logBuffer
	var closed atomic.Int32
	var gotAssets map[string]string
	impls := enrichment.Implementations{
		AnonIP: func(c *enrichment.AnonIPConfig, env *enrichment.Env) (enrichment.AnonIP, error) {
			if env.Name != enrichment.NameAnonIP || env.Schema.String() != "iglu:"+sp+"/anon_ip/jsonschema/1-0-0" {
				return nil, fmt.Errorf("env %+v", env)
			}
			return closingAnon{fakeAnon{c.AnonOctets}, &closed}, nil
		},
		IPLookups: func(c *enrichment.IPLookupsConfig, env *enrichment.Env) (enrichment.IPLookups, error) {
			gotAssets = map[string]string{}
			for _, k := range []string{"geo", "isp", "domain"} {
				if p, ok := env.Asset(k); ok {
					gotAssets[k] = p
				}
			}
			return nil, errors.New("no database reader in this test")
		},
	}
	cache := t.TempDir()
	_, err := enrichment.LoadBundle(context.Background(), doc, enrichment.Options{
		Resolver: res, Logger: logs.logger(), Implementations: &impls,
		Assets: enrichment.AssetOptions{CacheDir: cache},
	})
	if err == nil || !strings.Contains(err.Error(), "enrichment ip_lookups") || !strings.Contains(err.Error(), "no database reader in this test") {
		t.Fatalf("a constructor error must fail the load naming the enrichment: %v", err)
	}
	if gotAssets["geo"] != geo || gotAssets["isp"] != filepath.Join(local, "GeoIP2-ISP.mmdb") || len(gotAssets) != 2 {
		t.Errorf("ip_lookups assets: %v", gotAssets)
	}
	if closed.Load() != 1 {
		t.Errorf("a failed load must close what it built; closed %d", closed.Load())
	}

	impls.IPLookups = nil
	logs.Reset()
	reg, err := enrichment.LoadBundle(context.Background(), doc, enrichment.Options{
		Resolver: res, Logger: logs.logger(), Implementations: &impls,
		Assets: enrichment.AssetOptions{CacheDir: cache},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantEnabled := []string{"ip_lookups", "anon_ip", "ua_parser_config", "referer_parser", "pii_enrichment_config"}
	if !slices.Equal(reg.Enabled(), wantEnabled) {
		t.Errorf("Enabled() = %v, want %v", reg.Enabled(), wantEnabled)
	}
	wantPending := []string{"ip_lookups", "ua_parser_config", "referer_parser", "pii_enrichment_config"}
	if !slices.Equal(reg.Pending(), wantPending) {
		t.Errorf("Pending() = %v, want %v", reg.Pending(), wantPending)
	}
	for _, name := range wantPending {
		if n := strings.Count(logs.String(), `msg="`+name+`: not implemented"`); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", name+": not implemented", n, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "custom_enrichment") {
		t.Errorf("the unknown enrichment must be logged:\n%s", logs.String())
	}
	if got := reg.AnonIP.Impl.AnonymizeIP("1.2.3.4"); got != "1.2.3.4/2" {
		t.Errorf("anon_ip implementation: %q", got)
	}
	if reg.CampaignAttribution.Enabled() || reg.UAParser.Impl != nil || !reg.UAParser.Enabled() {
		t.Error("disabled config kept, or pending config has an implementation")
	}
	p := reg.PII.Config
	if !p.EmitEvent || p.Strategy.Pseudonymize.HashFunction != "SHA-256" || p.Strategy.Pseudonymize.Salt != "pepper" || len(p.PII) != 2 || p.PII[1].JSON.JSONPath != "$.email" {
		t.Errorf("pii config: %+v", p)
	}
	if got := reg.FieldsOf(enrichment.NamePII); !slices.Equal(got, []event.Field{event.UserID, event.UnstructEvent}) {
		t.Errorf("pii fields: %v", got)
	}
	refPath := reg.RefererParser.Assets["database"]
	if b, err := os.ReadFile(refPath); err != nil || string(b) != refData || !strings.HasPrefix(refPath, cache) {
		t.Errorf("referer database in the cache: %q %q %v", refPath, b, err)
	}
	if reg.RefererParser.Config.InternalDomains[0] != "a.com" || reg.IPLookups.Config.Geo.Database != "GeoIP2-City.mmdb" {
		t.Errorf("configs: %+v %+v", reg.RefererParser.Config, reg.IPLookups.Config)
	}
	if err := reg.Close(); err != nil || closed.Load() != 2 {
		t.Errorf("Close: %v, closed %d", err, closed.Load())
	}

	// The base64 form of Spark Enrich's command line loads the same.
	reg2, err := enrichment.LoadBundleBase64(context.Background(), base64.StdEncoding.EncodeToString(doc), enrichment.Options{
		Resolver: res, Logger: quietLogger(), Implementations: &impls, Assets: enrichment.AssetOptions{CacheDir: cache}})
	if err != nil || !slices.Equal(reg2.Enabled(), wantEnabled) {
		t.Errorf("LoadBundleBase64: %v %v", err, reg2)
	}
}

func TestLoadErrors(t *testing.T) {
	res := resolver(t, "testdata/iglu")
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	ipl := func(uri string) string {
		return sd(sp+"/ip_lookups/jsonschema/2-0-0", `{"vendor":"`+sp+`","name":"ip_lookups","enabled":true,"parameters":{"geo":{"database":"GeoIP2-City.mmdb","uri":"`+uri+`"}}}`)
	}
	for _, c := range []struct {
		name string
		doc  []byte
		opts func(*enrichment.Options)
		want []string
	}{
		{"value out of range", bundle(anonIP("7")), nil, []string{"enrichment anon_ip", "/parameters/anonOctets"}},
		{"fractional octets", bundle(anonIP("2.5")), nil, []string{"enrichment anon_ip", "anonOctets: [2.5] is not one of 1, 2, 3, 4"}},
		{"missing parameters", bundle(sd(sp+"/anon_ip/jsonschema/1-0-0", `{"vendor":"`+sp+`","name":"anon_ip","enabled":true}`)), nil,
			[]string{"enrichment anon_ip", "parameters"}},
		{"schema of another enrichment", bundle(sd(sp+"/ua_parser_config/jsonschema/1-0-0", `{"vendor":"`+sp+`","name":"anon_ip","enabled":true,"parameters":{}}`)), nil,
			[]string{"enrichment anon_ip", "is not supported: a anon_ip enrichment must have schema iglu:com.snowplowanalytics.snowplow/anon_ip/jsonschema/1-*-*"}},
		{"unknown schema", bundle(sd(sp+"/anon_ip/jsonschema/9-0-0", `{"vendor":"`+sp+`","name":"anon_ip","enabled":true,"parameters":{"anonOctets":1}}`)), nil,
			[]string{"enrichment anon_ip", "iglu:com.snowplowanalytics.snowplow/anon_ip/jsonschema/9-0-0"}},
		{"not an enrichments document", []byte(anonIP("1")), nil, []string{"is not iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-*-*"}},
		{"bundle not valid", []byte(sd(sp+"/enrichments/jsonschema/1-0-0", `{"not":"an array"}`)), nil, []string{"enrichments document"}},
		{"not JSON", []byte("{"), nil, []string{"enrichments document"}},
		{"asset HTTP 404", bundle(ipl(srv.URL)), func(o *enrichment.Options) { o.Assets.CacheDir = t.TempDir() },
			[]string{"enrichment ip_lookups", "geo file " + srv.URL + "/GeoIP2-City.mmdb", "404"}},
		{"asset without a cache folder", bundle(ipl(srv.URL)), nil, []string{"enrichment ip_lookups", "AssetOptions.CacheDir"}},
		{"asset s3 without fetcher", bundle(ipl("s3://bucket/maxmind")), nil,
			[]string{"enrichment ip_lookups", "s3://bucket/maxmind/GeoIP2-City.mmdb", `no fetcher for URI scheme "s3"`}},
		{"asset missing file", bundle(ipl("/nonexistent/folder")), nil,
			[]string{"enrichment ip_lookups", "/nonexistent/folder/GeoIP2-City.mmdb", "no such file"}},
		{"no resolver", bundle(anonIP("1")), func(o *enrichment.Options) { o.Resolver = nil }, []string{"no Iglu resolver"}},
	} {
		opts := enrichment.Options{Resolver: res, Logger: quietLogger()}
		if c.opts != nil {
			c.opts(&opts)
		}
		_, err := enrichment.LoadBundle(context.Background(), c.doc, opts)
		if err == nil {
			t.Errorf("%s: want an error", c.name)
			continue
		}
		if !errors.Is(err, enrichment.ErrConfig) {
			t.Errorf("%s: error does not wrap ErrConfig: %v", c.name, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
	if _, err := enrichment.LoadBundleBase64(context.Background(), "!!!", enrichment.Options{Resolver: res}); err == nil || !strings.Contains(err.Error(), "not base64") {
		t.Errorf("bad base64: %v", err)
	}
}

func TestAssetFetchers(t *testing.T) {
	res := resolver(t, "testdata/iglu")
	doc := bundle(sd(sp+"/ip_lookups/jsonschema/2-0-0", `{"vendor":"`+sp+`","name":"ip_lookups","enabled":true,"parameters":{"geo":{"database":"GeoIP2-City.mmdb","uri":"s3://bucket/maxmind/"},"isp":{"database":"GeoIP2-ISP.mmdb","uri":"s3://bucket/maxmind"}}}`))
	var fetched []string
	fetch := func(_ context.Context, u *url.URL, w io.Writer) error {
		fetched = append(fetched, u.String())
		_, err := io.WriteString(w, "db:"+u.Path)
		return err
	}
	cache := t.TempDir()
	none := &enrichment.Implementations{} // the fetched files are not databases
	reg, err := enrichment.LoadBundle(context.Background(), doc, enrichment.Options{Resolver: res, Logger: quietLogger(), Implementations: none,
		Assets: enrichment.AssetOptions{CacheDir: cache, Fetchers: map[string]enrichment.FetchFunc{"s3": fetch}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fetched, []string{"s3://bucket/maxmind/GeoIP2-City.mmdb", "s3://bucket/maxmind/GeoIP2-ISP.mmdb"}) {
		t.Errorf("fetched %v", fetched)
	}
	geo := reg.IPLookups.Assets["geo"]
	if b, _ := os.ReadFile(geo); string(b) != "db:/maxmind/GeoIP2-City.mmdb" || geo != filepath.Join(cache, "ip_lookups", "geo", "GeoIP2-City.mmdb") {
		t.Errorf("geo asset %s: %q", geo, b)
	}
	// LocalDir wins over the URI (Spark Enrich's local mode).
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "GeoIP2-City.mmdb"), []byte("local"), 0o644)
	fetched = nil
	reg, err = enrichment.LoadBundle(context.Background(), doc, enrichment.Options{Resolver: res, Logger: quietLogger(), Implementations: none,
		Assets: enrichment.AssetOptions{CacheDir: cache, LocalDir: local, Fetchers: map[string]enrichment.FetchFunc{"s3": fetch}}})
	if err != nil {
		t.Fatal(err)
	}
	if reg.IPLookups.Assets["geo"] != filepath.Join(local, "GeoIP2-City.mmdb") || !slices.Equal(fetched, []string{"s3://bucket/maxmind/GeoIP2-ISP.mmdb"}) {
		t.Errorf("local dir: %v, fetched %v", reg.IPLookups.Assets, fetched)
	}
}

func TestLoadDir(t *testing.T) {
	res := resolver(t, "testdata/iglu")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "anon_ip.json"), []byte(anonIP("3")), 0o644)
	os.WriteFile(filepath.Join(dir, "ua.json"), []byte(sd(sp+"/ua_parser_config/jsonschema/1-0-0", `{"vendor":"`+sp+`","name":"ua_parser_config","enabled":true,"parameters":{}}`)), 0o644)
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a config"), 0o644)
	reg, err := enrichment.LoadDir(context.Background(), dir, enrichment.Options{Resolver: res, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if reg.AnonIP.Config.AnonOctets != 3 || !slices.Equal(reg.Enabled(), []string{"anon_ip", "ua_parser_config"}) {
		t.Errorf("dir load: %+v %v", reg.AnonIP.Config, reg.Enabled())
	}
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(anonIP("0")), 0o644)
	if _, err := enrichment.LoadDir(context.Background(), dir, enrichment.Options{Resolver: res, Logger: quietLogger()}); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("a bad file must be named: %v", err)
	}
	if _, err := enrichment.LoadDir(context.Background(), filepath.Join(dir, "missing"), enrichment.Options{Resolver: res}); err == nil {
		t.Error("missing folder must fail")
	}
}

func TestFieldsOfAndNames(t *testing.T) {
	if got := enrichment.FieldsOf(enrichment.NameUAParser); !slices.Equal(got, []event.Field{event.DerivedContexts}) {
		t.Errorf("ua_parser_config fields: %v", got)
	}
	if got := enrichment.FieldsOf(enrichment.NameAnonIP); !slices.Equal(got, []event.Field{event.UserIPAddress}) {
		t.Errorf("anon_ip fields: %v", got)
	}
	if got := enrichment.FieldsOf(enrichment.NameIPLookups); len(got) != 12 || !slices.Contains(got, event.GeoTimezone) {
		t.Errorf("ip_lookups fields: %v", got)
	}
	if enrichment.FieldsOf("nope") != nil {
		t.Error("unknown enrichment has fields")
	}
	names := enrichment.Names()
	if len(names) != 16 {
		t.Errorf("%d enrichment kinds, want the 16 of R108: %v", len(names), names)
	}
	for _, n := range names {
		if len(enrichment.FieldsOf(n)) == 0 {
			t.Errorf("%s writes no field", n)
		}
	}
}

func TestMessages(t *testing.T) {
	err := errors.Join(errors.New("a"), errors.Join(errors.New("b"), errors.New("c")))
	if got := enrichment.Messages(err); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Messages = %v", got)
	}
	if got := enrichment.Messages(fmt.Errorf("wrapped: %w", errors.New("x"))); !slices.Equal(got, []string{"wrapped: x"}) {
		t.Errorf("Messages = %v", got)
	}
	if enrichment.Messages(nil) != nil {
		t.Error("nil error has messages")
	}
	q := enrichment.Query{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}}
	if v, ok := q.Get("a"); !ok || v != "2" {
		t.Errorf("Query.Get = %q %v", v, ok)
	}
}

// TestConformanceEnrichments loads the enrichment documents of every
// conformance fixture against the shared Iglu Central (served over HTTP),
// as Spark Enrich's harness passed them.
func TestConformanceEnrichments(t *testing.T) {
	wd, _ := os.Getwd()
	shared := filepath.Join(wd, "..", "..", "..", "shared")
	files, _ := filepath.Glob(filepath.Join(shared, "conformance", "enrich", "*.json"))
	if len(files) == 0 {
		t.Skipf("conformance fixtures not available under %s", shared)
	}
	res := resolver(t, iglutest.CentralDir(t))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx struct {
			Enrichments json.RawMessage `json:"enrichments"`
		}
		if err := json.Unmarshal(b, &fx); err != nil {
			t.Fatal(err)
		}
		doc := strings.ReplaceAll(string(fx.Enrichments), "{{oer_api_key}}", "-")
		reg, err := enrichment.LoadBundle(context.Background(), []byte(doc), enrichment.Options{Resolver: res, Logger: quietLogger(),
			Assets: enrichment.AssetOptions{LocalDir: filepath.Join(shared, "conformance", "data"), CacheDir: t.TempDir()}})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		for _, p := range reg.Pending() {
			if !slices.Contains(reg.Enabled(), p) {
				t.Errorf("%s: pending %s is not enabled: %v", filepath.Base(f), p, reg.Enabled())
			}
		}
		if err := reg.Close(); err != nil {
			t.Errorf("%s: Close: %v", filepath.Base(f), err)
		}
		if !reg.IPLookups.Enabled() || reg.IPLookups.Assets["geo"] == "" {
			t.Errorf("%s: ip_lookups geo database not found locally: %+v", filepath.Base(f), reg.IPLookups.Assets)
		}
	}
}
