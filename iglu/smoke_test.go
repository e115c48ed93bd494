package iglu_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

func TestSmoke(t *testing.T) {
	uri := iglutest.Serve(t, "testdata/reg-a")
	cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(uri, iglutest.CentralDir(t)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for k, want := range map[string]string{
		"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0":     iglu.BootstrapName,
		"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4": iglu.BootstrapName,
		"iglu:com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0":      iglu.BootstrapName,
		"iglu:com.acme/event/jsonschema/1-0-0":                              "iglutest 0",
		"iglu:com.acme/wrapper/jsonschema/1-0-0":                            "iglutest 0",
		"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1":   "iglutest 1",
	} {
		key, _ := event.ParseSchemaKey(k)
		s, err := r.Lookup(ctx, key)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if s.Repository != want {
			t.Errorf("%s: served by %s, want %s", k, s.Repository, want)
		}
	}
	key, _ := event.ParseSchemaKey("iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1")
	s, err := r.Lookup(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate(json.RawMessage(`{"targetUrl": "http://x", "elementClasses": [1]}`))
	if want := "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1: instance does not match: at /elementClasses/0: got number, want string"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	key, _ = event.ParseSchemaKey("iglu:com.acme/nope/jsonschema/1-0-0")
	if _, err = r.Lookup(ctx, key); !errors.Is(err, iglu.ErrSchemaNotFound) {
		t.Errorf("got %v, want ErrSchemaNotFound", err)
	}
}
