package enrichment_test

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
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
	"github.com/furrowdata/furrow/internal/testservers"
)

// TestR108KindsFixtures runs the inputs of the peer's enrich fixtures
// (../shared/conformance/enrich) through the real collector formats,
// adapters and enricher with ONLY the implementations of ip_lookups,
// anon_ip, campaign_attribution, event_fingerprint_config and
// iab_spiders_and_robots_enrichment registered (the other kinds pending),
// and compares the fields those kinds own with expected_good:
// geo_* / ip_*, mkt_*, event_fingerprint, the spiders_and_robots entity of
// derived_contexts, and user_ipaddress (anon_ip) through the fixture's own
// PII pseudonymization (its hash function and salt applied here).
func TestR108KindsFixtures(t *testing.T) {
	shared := testservers.SharedDir(t)
	res := r108Resolver(t)
	files, _ := filepath.Glob(filepath.Join(shared, "conformance", "enrich", "*.json"))
	if len(files) == 0 {
		t.Skip("no enrich fixtures under ../shared/conformance/enrich")
	}
	b := enrichment.Builtins()
	impls := enrichment.Implementations{
		IPLookups: b.IPLookups, AnonIP: b.AnonIP, CampaignAttribution: b.CampaignAttribution,
		EventFingerprint: b.EventFingerprint, IAB: b.IAB,
		CookieExtractor: b.CookieExtractor, HTTPHeaderExtractor: b.HTTPHeaderExtractor,
	}
	matched, compared := map[string]int{}, map[string]int{}
	var mismatches []string
	ran := 0
	for _, f := range files {
		var fx r108Fixture
		testservers.ReadJSON(t, f, &fx)
		if len(fx.ExpectedGood) == 0 || (len(fx.InputLines) == 0 && len(fx.InputThrift) == 0) {
			continue
		}
		skip := ""
		for _, n := range fx.Needs {
			switch n {
			case "missing-data-file", "http-api-server", "postgres":
				skip = n
			}
		}
		if skip != "" {
			t.Logf("%s: skipped (needs %s)", fx.Name, skip)
			continue
		}
		ran++
		events, bad := r108Run(t, shared, res, &impls, &fx)
		if len(events) != len(fx.ExpectedGood) && strings.Contains(bad, "not supported by this version of Scala Common Enrich") {
			t.Logf("%s: skipped (enrich/adapter lacks its R108 adapter)", fx.Name)
			ran--
			continue
		}
		if len(events) != len(fx.ExpectedGood) {
			mismatches = append(mismatches, fx.Name+": good events "+itoa(len(events))+", want "+itoa(len(fx.ExpectedGood)))
			continue
		}
		hashIP := r108PIIHasher(t, fx.Enrichments)
		for i, want := range fx.ExpectedGood {
			ev := events[i]
			for _, fld := range r108Fields {
				if int(fld) >= len(want) {
					continue
				}
				w := ""
				if want[fld] != nil {
					w = *want[fld]
				}
				got := ev.Fields[fld]
				switch fld {
				case event.UserIPAddress:
					if hashIP == nil || got == "" {
						continue
					}
					got = hashIP(got)
				case event.DerivedContexts:
					got, w = iabEntity(got), iabEntity(w)
					if w == "" {
						continue // no IAB entity expected: IAB was not enabled
					}
				}
				compared[fld.Name()]++
				if got == w {
					matched[fld.Name()]++
					continue
				}
				mismatches = append(mismatches, fx.Name+" ev"+itoa(i)+" "+fld.Name()+": got "+got+" want "+w)
			}
		}
	}
	names := make([]string, 0, len(compared))
	for n := range compared {
		names = append(names, n)
	}
	sort.Strings(names)
	total, totalOK := 0, 0
	for _, n := range names {
		t.Logf("  %-20s %3d/%3d", n, matched[n], compared[n])
		total += compared[n]
		totalOK += matched[n]
	}
	t.Logf("ran %d fixtures: %d/%d field values match", ran, totalOK, total)
	for _, m := range mismatches {
		t.Error(m)
	}
	if total == 0 {
		t.Error("no field was compared")
	}
}

// r108Fields are the fields the kinds under test own.
var r108Fields = []event.Field{
	event.UserIPAddress,
	event.GeoCountry, event.GeoRegion, event.GeoCity, event.GeoZipcode, event.GeoLatitude, event.GeoLongitude,
	event.GeoRegionName, event.IPISP, event.IPOrganization, event.IPDomain, event.IPNetspeed, event.GeoTimezone,
	event.MktMedium, event.MktSource, event.MktTerm, event.MktContent, event.MktCampaign, event.MktClickID, event.MktNetwork,
	event.EventFingerprint, event.DerivedContexts,
}

type r108Fixture struct {
	Name         string          `json:"name"`
	Collector    string          `json:"collector"`
	InputLines   []string        `json:"input_lines"`
	Enrichments  json.RawMessage `json:"enrichments"`
	ExpectedGood [][]*string     `json:"expected_good"`
	Needs        []string        `json:"needs"`
	InputThrift  []struct {
		TBinaryBase64 string `json:"tbinary_base64"`
	} `json:"input_thrift"`
}

func r108Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func r108Resolver(t *testing.T) *iglu.Resolver {
	t.Helper()
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(iglutest.Central(t)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{Logger: r108Logger()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// r108Run returns the good events and the bad rows' JSON.
func r108Run(t *testing.T, shared string, res *iglu.Resolver, impls *enrichment.Implementations, fx *r108Fixture) ([]*event.Event, string) {
	t.Helper()
	ctx := context.Background()
	doc := strings.ReplaceAll(string(fx.Enrichments), "{{oer_api_key}}", "-")
	reg, err := enrichment.LoadBundle(ctx, []byte(doc), enrichment.Options{
		Resolver: res, Logger: r108Logger(), Implementations: impls,
		Assets: enrichment.AssetOptions{LocalDir: filepath.Join(shared, "conformance", "data"), CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatalf("%s: loading enrichments: %v", fx.Name, err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	en, err := enrich.New(enrich.Config{ETLVersion: "{{etl_version}}", ETLTimestamp: time.UnixMilli(1000000000000)}, res, reg, r108Logger())
	if err != nil {
		t.Fatal(err)
	}
	format, err := collector.Lookup(fx.Collector)
	if err != nil {
		t.Fatal(err)
	}
	p, err := enrich.NewProcessor(enrich.ProcessorConfig{Format: format, Adapters: adapter.NewRegistry(res), Enricher: en})
	if err != nil {
		t.Fatal(err)
	}
	var out enrich.Result
	for _, line := range fx.InputLines {
		p.Process(ctx, []byte(line), &out)
	}
	for _, rec := range fx.InputThrift {
		b, err := base64.StdEncoding.DecodeString(rec.TBinaryBase64)
		if err != nil {
			t.Fatal(err)
		}
		p.Process(ctx, b, &out)
	}
	var bad strings.Builder
	for _, b := range out.Bad {
		bad.Write(b.AppendJSON(nil))
		bad.WriteByte('\n')
	}
	return out.Events, bad.String()
}

// r108PIIHasher returns the fixture's pseudonymization of user_ipaddress
// (hash of value+salt, lowercase hex), or nil when its PII config does not
// pseudonymize that field.
func r108PIIHasher(t *testing.T, doc json.RawMessage) func(string) string {
	t.Helper()
	var bundle struct {
		Data []struct {
			Data struct {
				Name       string `json:"name"`
				Enabled    bool   `json:"enabled"`
				Parameters struct {
					PII []struct {
						Pojo *struct {
							Field string `json:"field"`
						} `json:"pojo"`
					} `json:"pii"`
					Strategy struct {
						Pseudonymize struct {
							HashFunction string `json:"hashFunction"`
							Salt         string `json:"salt"`
						} `json:"pseudonymize"`
					} `json:"strategy"`
				} `json:"parameters"`
			} `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(doc, &bundle); err != nil {
		t.Fatal(err)
	}
	for _, c := range bundle.Data {
		if c.Data.Name != "pii_enrichment_config" || !c.Data.Enabled {
			continue
		}
		covers := false
		for _, p := range c.Data.Parameters.PII {
			covers = covers || (p.Pojo != nil && p.Pojo.Field == "user_ipaddress")
		}
		s := c.Data.Parameters.Strategy.Pseudonymize
		var newHash func() hash.Hash
		switch s.HashFunction {
		case "MD5":
			newHash = md5.New
		case "SHA-1":
			newHash = sha1.New
		case "SHA-256":
			newHash = sha256.New
		case "SHA-512":
			newHash = sha512.New
		}
		if !covers || newHash == nil {
			return nil
		}
		return func(v string) string {
			h := newHash()
			h.Write([]byte(v + s.Salt))
			return hex.EncodeToString(h.Sum(nil))
		}
	}
	return nil
}

// iabEntity returns the spiders_and_robots entity of a derived_contexts
// value, re-encoded canonically ("" when none).
func iabEntity(derived string) string {
	if derived == "" {
		return ""
	}
	var sd struct {
		Data []json.RawMessage `json:"data"`
	}
	if json.Unmarshal([]byte(derived), &sd) != nil {
		return "unparseable: " + derived
	}
	for _, c := range sd.Data {
		var ent struct {
			Schema string `json:"schema"`
			Data   any    `json:"data"`
		}
		if json.Unmarshal(c, &ent) == nil && strings.Contains(ent.Schema, "/spiders_and_robots/") {
			b, _ := json.Marshal(ent)
			return string(b)
		}
	}
	return ""
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
