package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

// This test runs every enrich fixture of the peer's conformance suite whose
// collector is cloudfront through the Processor, with a minimal CloudFront
// format and tracker-protocol GET adapter written here (until
// enrich/collector and enrich/adapter land), and compares every field that
// no configurable enrichment writes. Fields of pending enrichments are
// counted separately. It prints a mismatch table and fails on any
// mismatch outside enrichment-owned fields.

type fixture struct {
	Name            string            `json:"name"`
	Collector       string            `json:"collector"`
	InputLines      []string          `json:"input_lines"`
	Enrichments     json.RawMessage   `json:"enrichments"`
	ExpectedGood    [][]*string       `json:"expected_good"`
	ExpectedGoodN   *int              `json:"expected_good_count"`
	ExpectedBadN    int               `json:"expected_bad_count"`
	ExpectedBad     []json.RawMessage `json:"expected_bad"`
	ExpectedBadMode string            `json:"expected_bad_match"`
	Unmatchable     []string          `json:"unmatchable_fields"`
	Needs           []string          `json:"needs"`
	InputFile       string            `json:"input_file"`
	SkippedUnless   []string          `json:"skipped_unless"`
}

func sharedDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(wd, "..", "..", "shared")
	if _, err := os.Stat(filepath.Join(dir, "conformance", "enrich")); err != nil {
		t.Skipf("conformance fixtures not available (%s): %v", dir, err)
	}
	return dir
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// centralResolver resolves against the shared Iglu Central over HTTP.
func centralResolver(t testing.TB) *iglu.Resolver {
	t.Helper()
	uri := iglutest.Central(t)
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(uri))
	if err != nil {
		t.Fatal(err)
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type mismatch struct {
	fixture, field, got, want string
	event                     int
}

func TestConformanceCloudFront(t *testing.T) {
	shared := sharedDir(t)
	res := centralResolver(t)
	files, _ := filepath.Glob(filepath.Join(shared, "conformance", "enrich", "*.json"))
	var core, pending []mismatch
	ran := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx fixture
		if err := json.Unmarshal(b, &fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if fx.Collector != "cloudfront" || fx.InputFile != "" {
			continue
		}
		t.Run(fx.Name, func(t *testing.T) {
			for _, n := range fx.Needs {
				if n == "http-api-server" || n == "postgres" {
					// The peer ran these only in CI (skipped_unless), with a
					// schema (com.snowplowanalytics.snowplow-website/…)
					// that the shared Iglu Central does not hold.
					t.Skipf("needs %s and a schema outside Iglu Central; the peer ran it only when %v", n, fx.SkippedUnless)
				}
			}
			ran++
			c, p := runFixture(t, shared, res, &fx)
			core = append(core, c...)
			pending = append(pending, p...)
		})
	}
	t.Logf("ran %d cloudfront fixtures", ran)
	printTable(t, "MISMATCHES IN CORE (non-enrichment) FIELDS", core)
	t.Logf("pending: %d field values owned by enrichments without an implementation differ (not failures)", len(pending))
	counts := map[string]int{}
	for _, m := range pending {
		counts[m.field]++
	}
	var names []string
	for k := range counts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("  pending %-24s %d", n, counts[n])
	}
	if len(core) > 0 {
		t.Errorf("%d core field mismatches", len(core))
	}
}

func printTable(t *testing.T, title string, ms []mismatch) {
	t.Logf("%s: %d", title, len(ms))
	for _, m := range ms {
		t.Logf("  %-34s ev%d %-22s got=%q want=%q", m.fixture, m.event, m.field, trunc(m.got), trunc(m.want))
	}
}

func trunc(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func runFixture(t *testing.T, shared string, res *iglu.Resolver, fx *fixture) (core, pending []mismatch) {
	ctx := context.Background()
	doc := strings.ReplaceAll(string(fx.Enrichments), "{{oer_api_key}}", "-")
	reg, err := enrichment.LoadBundle(ctx, []byte(doc), enrichment.Options{
		Resolver: res, Logger: quietLogger(),
		Assets: enrichment.AssetOptions{LocalDir: filepath.Join(shared, "conformance", "data"), CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatalf("loading enrichments: %v", err)
	}
	owned := map[event.Field]bool{}
	for _, name := range reg.Enabled() {
		for _, f := range reg.FieldsOf(name) {
			owned[f] = true
		}
	}
	en, err := New(Config{ETLVersion: "{{etl_version}}", ETLTimestamp: time.UnixMilli(1000000000000)}, res, reg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProcessor(ProcessorConfig{Format: testCloudFront{}, Adapters: adapter.NewRegistry(res), Enricher: en})
	if err != nil {
		t.Fatal(err)
	}
	var out Result
	for _, line := range fx.InputLines {
		p.Process(ctx, []byte(line), &out)
	}
	if fx.ExpectedGoodN != nil && len(out.Events) != *fx.ExpectedGoodN {
		t.Errorf("good events: got %d, want %d", len(out.Events), *fx.ExpectedGoodN)
		for _, b := range out.Bad {
			t.Logf("bad row: %s", b.AppendJSON(nil))
		}
	}
	if fx.ExpectedBadMode != "first-row-only" && len(out.Bad) != fx.ExpectedBadN {
		t.Errorf("bad rows: got %d, want %d", len(out.Bad), fx.ExpectedBadN)
		for _, b := range out.Bad {
			t.Logf("bad row: %s", b.AppendJSON(nil))
		}
	}
	if fx.ExpectedBadMode == "all-in-order" || fx.ExpectedBadMode == "first-row-only" {
		for i, want := range fx.ExpectedBad {
			if i >= len(out.Bad) {
				t.Errorf("bad row %d missing; want %s", i, want)
				continue
			}
			b := out.Bad[i]
			got, _ := json.Marshal(struct {
				Line   string          `json:"line"`
				Errors []event.Message `json:"errors"`
			}{b.Line, b.Errors})
			var w, g any
			_ = json.Unmarshal(want, &w)
			_ = json.Unmarshal(got, &g)
			if fmt.Sprint(w) != fmt.Sprint(g) {
				core = append(core, mismatch{fx.Name, "bad_row", string(got), string(want), i})
			}
			if fx.ExpectedBadMode == "first-row-only" {
				break
			}
		}
	}
	unmatchable := map[string]bool{}
	for _, u := range fx.Unmatchable {
		unmatchable[u] = true
	}
	for i, want := range fx.ExpectedGood {
		if i >= len(out.Events) {
			break
		}
		ev := out.Events[i]
		for j, w := range want {
			f := event.Field(j)
			wv := ""
			if w != nil {
				wv = *w
			}
			if w == nil && unmatchable[f.Name()] {
				continue
			}
			gv := ev.Fields[f]
			if gv == wv || jsonEqual(f, gv, wv) {
				continue
			}
			m := mismatch{fx.Name, f.Name(), gv, wv, i}
			if owned[f] {
				pending = append(pending, m)
			} else {
				core = append(core, m)
			}
		}
	}
	return core, pending
}

func jsonEqual(f event.Field, a, b string) bool {
	if f.Kind() != event.KindJSON || a == "" || b == "" {
		return false
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// testCloudFront is a minimal CloudFront access-log format for this test:
// whitespace-separated fields, the R108 loader's percent handling.
type testCloudFront struct{}

var cfDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func (testCloudFront) BadLine(b []byte) string { return string(b) }

func (testCloudFront) Parse(b []byte) ([]collector.Payload, error) {
	line := string(b)
	if strings.HasPrefix(line, "#Version:") || strings.HasPrefix(line, "#Fields:") {
		return nil, nil
	}
	fs := strings.Fields(line)
	if len(fs) < 12 {
		return nil, fmt.Errorf("Line does not match CloudFront header or data row formats")
	}
	if !cfDate.MatchString(fs[0]) {
		return nil, fmt.Errorf("Unexpected exception converting date [%s] and time [%s] to timestamp: [Invalid format: \"%sT%s+00:00\" is malformed at \"%s\"]", fs[0], fs[1], fs[0], fs[1], (fs[0] + "T" + fs[1] + "+00:00")[2:])
	}
	ts, err := time.Parse("2006-01-02 15:04:05", fs[0]+" "+fs[1])
	if err != nil {
		return nil, err
	}
	opt := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	var qs []collector.NameValue
	if q := opt(fs[11]); q != "" {
		for _, p := range parseQuerystring(singleEncodePcts(q), charsetUTF8) {
			qs = append(qs, collector.NameValue{Name: p.Name, Value: p.Value})
		}
	}
	if fs[7] != "/i" && fs[7] != "/ice.png" {
		return nil, fmt.Errorf("Request path %s does not match (/)vendor/version(/) pattern nor is a legacy /i(ce.png) request", fs[7])
	}
	api := collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp1"}
	return []collector.Payload{{
		API:         api,
		Querystring: qs,
		Source:      collector.Source{Name: "cloudfront", Encoding: "UTF-8"},
		Context: collector.Context{
			Timestamp:  ts.UTC(),
			IPAddress:  opt(fs[4]),
			UserAgent:  singleEncodePcts(opt(fs[10])),
			RefererURI: singleEncodePcts(opt(fs[9])),
		},
	}}, nil
}

// singleEncodePcts is ConversionUtils.singleEncodePcts (CloudFront's
// double-encoded percents).
func singleEncodePcts(s string) string {
	return regexp.MustCompile(`%25([0-9a-fA-F]{2})`).ReplaceAllString(s, "%$1")
}
