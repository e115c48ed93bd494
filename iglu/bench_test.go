package iglu_test

import (
	"encoding/json"
	"testing"

	"github.com/furrowdata/furrow/iglu"
)

// BenchmarkValidate measures Schema.Validate on typical contexts.
//
//	go test ./iglu -run '^$' -bench Validate -benchmem -count 10 | benchstat -
func BenchmarkValidate(b *testing.B) {
	r := newResolver(b, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{{Name: "a", Folder: "testdata/reg-a"}}}, iglu.Options{})
	cases := []struct {
		name, key, data string
	}{
		{"small", "iglu:com.acme/event/jsonschema/1-0-0", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3}`},
		{"strings", "iglu:com.acme/strings/jsonschema/1-0-0", `{"link":"https://example.com/a/b?c=d","when":"2024-02-29T12:00:00.123Z","ip":"10.0.0.1","code":"page_view","slug":"a-b","tags":["a","b"]}`},
		{"contexts", "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", `[{"schema":"iglu:com.acme/event/jsonschema/1-0-0","data":{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f"}},{"schema":"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0","data":{"id":"b4583919-4df8-496a-917b-d40fa1c8ca7f"}}]`},
		{"invalid", "iglu:com.acme/event/jsonschema/1-0-0", `{"id":"nope","count":-1}`},
	}
	for _, c := range cases {
		s, err := r.Lookup(testCtx(b), key(b, c.key))
		if err != nil {
			b.Fatal(err)
		}
		data := json.RawMessage(c.data)
		wantErr := c.name == "invalid"
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := s.Validate(data); (err != nil) != wantErr {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

// BenchmarkLookupCached measures a cache hit, the per-event lookup cost.
//
//	go test ./iglu -run '^$' -bench LookupCached -benchmem
func BenchmarkLookupCached(b *testing.B) {
	r := newResolver(b, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{{Name: "a", Folder: "testdata/reg-a"}}}, iglu.Options{})
	k := key(b, "iglu:com.acme/event/jsonschema/1-0-0")
	c := testCtx(b)
	if _, err := r.Lookup(c, k); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Lookup(c, k); err != nil {
				b.Fatal(err)
			}
		}
	})
}
