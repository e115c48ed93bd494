package enrich

import (
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

// testResolver serves enrich/testdata/iglu over HTTP on 127.0.0.1 and
// returns a resolver using it (plus the built-in embedded registry).
func testResolver(t testing.TB) *iglu.Resolver {
	t.Helper()
	uri := iglutest.Serve(t, "testdata/iglu")
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(uri))
	if err != nil {
		t.Fatal(err)
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{Logger: quietLogger(), HTTPRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var etlTime = time.UnixMilli(1000000000000).UTC()

func newTestEnricher(t testing.TB, reg *enrichment.Registry) *Enricher {
	t.Helper()
	en, err := New(Config{ETLVersion: "test-etl", ETLTimestamp: etlTime}, testResolver(t), reg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// rawEvent builds a CloudFront-like raw event with the given parameters.
func rawEvent(params map[string]string) *adapter.RawEvent {
	return &adapter.RawEvent{
		API:        collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp1"},
		Parameters: params,
		Source:     collector.Source{Name: "cloudfront", Encoding: "UTF-8"},
		Context: collector.Context{
			Timestamp:  time.Date(2013, 3, 25, 13, 52, 10, 0, time.UTC),
			IPAddress:  "203.0.113.7",
			UserAgent:  "Mozilla/5.0%20(X11;%20Linux%20x86_64)",
			RefererURI: "http://shop.example.com/basket?item=7#top",
		},
	}
}
