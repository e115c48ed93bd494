package enrichment_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

// TestLookupKindsLoad loads configs of the six kinds through LoadBundle
// (validated against Iglu Central's schemas) and checks that each is built,
// and that constructor errors name the enrichment and the key.
func TestLookupKindsLoad(t *testing.T) {
	res := lookupsResolver(t)
	oer := testservers.StartOER(t, testservers.OERRates{"2015-06-01": {"USD": "1", "EUR": "0.9"}})
	t.Setenv(enrichment.OEREndpointEnv, oer.URL)
	owm := testservers.StartOWM(t, nil)
	script := base64.StdEncoding.EncodeToString([]byte(`function process(e) { return []; }`))
	doc := `{"schema":"iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-0","data":[
	{"schema":"iglu:com.snowplowanalytics.snowplow.enrichments/pii_enrichment_config/jsonschema/2-0-0","data":{"vendor":"com.snowplowanalytics.snowplow.enrichments","name":"pii_enrichment_config","emitEvent":false,"enabled":true,
		"parameters":{"pii":[{"pojo":{"field":"user_id"}}],"strategy":{"pseudonymize":{"hashFunction":"SHA-256","salt":"x"}}}}},
	{"schema":"iglu:com.snowplowanalytics.snowplow/currency_conversion_config/jsonschema/1-0-0","data":{"vendor":"com.snowplowanalytics.snowplow","name":"currency_conversion_config","enabled":true,
		"parameters":{"accountType":"DEVELOPER","apiKey":"k","baseCurrency":"EUR","rateAt":"EOD_PRIOR"}}},
	{"schema":"iglu:com.snowplowanalytics.snowplow/javascript_script_config/jsonschema/1-0-0","data":{"vendor":"com.snowplowanalytics.snowplow","name":"javascript_script_config","enabled":true,
		"parameters":{"script":"` + script + `"}}},
	{"schema":"iglu:com.snowplowanalytics.snowplow.enrichments/weather_enrichment_config/jsonschema/1-0-0","data":{"vendor":"com.snowplowanalytics.snowplow.enrichments","name":"weather_enrichment_config","enabled":true,
		"parameters":{"apiKey":"k","cacheSize":10,"geoPrecision":1,"apiHost":"` + owm.Host + `","timeout":5}}},
	{"schema":"iglu:com.snowplowanalytics.snowplow.enrichments/api_request_enrichment_config/jsonschema/1-0-0","data":{"vendor":"com.snowplowanalytics.snowplow.enrichments","name":"api_request_enrichment_config","enabled":true,
		"parameters":{"inputs":[{"key":"a","pojo":{"field":"app_id"}}],"api":{"http":{"method":"GET","uri":"http://127.0.0.1:1/{{a}}","timeout":100,"authentication":{}}},
		"outputs":[{"schema":"iglu:com.acme/a/jsonschema/1-0-0","json":{"jsonPath":"$"}}],"cache":{"size":1,"ttl":1}}}},
	{"schema":"iglu:com.snowplowanalytics.snowplow.enrichments/sql_query_enrichment_config/jsonschema/1-0-0","data":{"vendor":"com.snowplowanalytics.snowplow.enrichments","name":"sql_query_enrichment_config","enabled":true,
		"parameters":{"inputs":[{"placeholder":1,"pojo":{"field":"app_id"}}],"database":{"postgresql":{"host":"127.0.0.1","port":1,"sslMode":false,"username":"u","password":"p","database":"d"}},
		"query":{"sql":"SELECT 1 WHERE 'a' = ?"},"output":{"expectedRows":"AT_MOST_ONE","json":{"schema":"iglu:com.acme/s/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}},"cache":{"size":1,"ttl":0}}}}]}`
	ctx := context.Background()
	reg, err := enrichment.LoadBundle(ctx, []byte(doc), enrichment.Options{Resolver: res, Logger: r108Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if len(reg.Pending()) != 0 {
		t.Errorf("pending: %v", reg.Pending())
	}
	if reg.PII.Impl == nil || reg.CurrencyConversion.Impl == nil || reg.JavaScript.Impl == nil || reg.Weather.Impl == nil ||
		reg.APIRequest.Impl == nil || reg.SQLQuery.Impl == nil {
		t.Fatalf("a kind was not built: enabled %v", reg.Enabled())
	}
	var e event.Event
	e.Fields[event.UserID] = "u"
	reg.PII.Impl.Pseudonymize(&e)
	if len(e.Fields[event.UserID]) != 64 {
		t.Errorf("user_id not pseudonymized: %q", e.Fields[event.UserID])
	}
	if ctxs, err := reg.JavaScript.Impl.Process(ctx, &e); err != nil || ctxs != nil {
		t.Errorf("javascript: %v, %v", ctxs, err)
	}

	bad := strings.Replace(doc, `"baseCurrency":"EUR"`, `"baseCurrency":"EURO"`, 1)
	_, err = enrichment.LoadBundle(ctx, []byte(bad), enrichment.Options{Resolver: res, Logger: r108Logger()})
	if err == nil || !strings.Contains(err.Error(), "currency_conversion_config") || !strings.Contains(err.Error(), "parameters.baseCurrency") {
		t.Errorf("bad base currency: %v", err)
	}
	bad = strings.Replace(doc, `"jsonPath":"$"`, `"jsonPath":"$["`, 1)
	_, err = enrichment.LoadBundle(ctx, []byte(bad), enrichment.Options{Resolver: res, Logger: r108Logger()})
	if err == nil || !strings.Contains(err.Error(), "api_request_enrichment_config") || !strings.Contains(err.Error(), "parameters.outputs[0].json.jsonPath") {
		t.Errorf("bad JSONPath: %v", err)
	}
	t.Logf("example: %v", err)
	if err != nil && !errors.Is(err, enrichment.ErrConfig) && !strings.Contains(err.Error(), "enrichment api_request_enrichment_config") {
		t.Errorf("error does not identify the enrichment: %v", err)
	}
}
