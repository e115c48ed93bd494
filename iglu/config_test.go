package iglu_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
)

func TestParseConfigFiles(t *testing.T) {
	tests := []struct {
		file string
		want iglu.Config
	}{
		{"minimal-1-0-0.json", iglu.Config{CacheSize: 500, Repositories: []iglu.Repository{
			{Name: "Iglu Central", Priority: 0, VendorPrefixes: []string{"com.snowplowanalytics"}, HTTPURI: "http://iglucentral.com"},
		}}},
		{"null-ttl-1-0-2.json", iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{
			{Name: "a", Priority: 0, HTTPURI: "http://127.0.0.1:1"},
		}}},
		{"full-1-0-3.json", iglu.Config{CacheSize: 250, CacheTTL: 600, Repositories: []iglu.Repository{
			{Name: "Central", Priority: 0, VendorPrefixes: []string{"com.snowplowanalytics"}, HTTPURI: "http://iglucentral.com"},
			{Name: "Private", Priority: 5, VendorPrefixes: []string{"com.acme", "io.acme"}, HTTPURI: "https://iglu.acme.test/api/", HTTPAPIKey: "6f9c6a0e-5b5e-4b2e-8e0f-5a1b2c3d4e5f"},
			{Name: "Bundled", Priority: 1, Path: "/iglu-client-embedded"},
		}}},
	}
	zeroTTL := `{"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3",
		"data": {"cacheSize": 500, "cacheTtl": 0, "repositories": []}}`
	if got, err := iglu.ParseConfig([]byte(zeroTTL)); err != nil || got.CacheSize != 0 || got.CacheTTL != 0 {
		t.Errorf("cacheTtl 0: got %+v, %v; want the cache disabled", got, err)
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "config", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := iglu.ParseConfig(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestConfigFilesMatchEmbeddedSchemas checks the parser against the
// embedded resolver-config schemas: every Snowplow-compatible config that
// ParseConfig accepts is valid against the schema it names.
func TestConfigFilesMatchEmbeddedSchemas(t *testing.T) {
	r := newResolver(t, iglu.DefaultConfig(), iglu.Options{})
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.json"))
	if len(files) == 0 {
		t.Fatal("no config files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sd event.SelfDescribing
		if err := json.Unmarshal(b, &sd); err != nil {
			t.Fatal(err)
		}
		if err := r.ValidateSelfDescribing(context.Background(), sd); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	const (
		v0 = `"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-0"`
		v1 = `"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1"`
		v2 = `"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-2"`
		v3 = `"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3"`
	)
	repo := func(conn string) string {
		return `{"name": "r", "priority": 0, "vendorPrefixes": [], "connection": ` + conn + `}`
	}
	doc := func(schema, data string) string { return `{` + schema + `, "data": ` + data + `}` }
	tests := []struct {
		name, in string
		want     []string // substrings of the error
	}{
		{"not json", `{`, []string{"invalid JSON"}},
		{"trailing data", doc(v0, `{"cacheSize": 1, "repositories": []}`) + ` {}`, []string{"data after the top-level value"}},
		{"array", `[]`, []string{"self-describing", "got array"}},
		{"bare data", `{"cacheSize": 1, "repositories": []}`, []string{"cacheSize: unknown key", "schema: missing"}},
		{"wrong schema", `{"schema": "iglu:com.acme/x/jsonschema/1-0-0", "data": {}}`, []string{"schema: [iglu:com.acme/x/jsonschema/1-0-0] is not"}},
		{"model 2", `{"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/2-0-0", "data": {}}`, []string{"schema: "}},
		{"1-0-4", `{"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-4", "data": {}}`, []string{"1-0-0 .. 1-0-3"}},
		{"no data", `{` + v0 + `}`, []string{"data: missing"}},
		{"missing keys", doc(v0, `{}`), []string{"data.cacheSize: missing", "data.repositories: missing"}},
		{"cacheSize string", doc(v0, `{"cacheSize": "5", "repositories": []}`), []string{"data.cacheSize: want an integer, got string"}},
		{"cacheSize fraction", doc(v2, `{"cacheSize": 1.5, "repositories": []}`), []string{"data.cacheSize: [1.5] is not a 32-bit integer"}},
		{"cacheSize negative", doc(v0, `{"cacheSize": -1, "repositories": []}`), []string{"data.cacheSize: -1 is less than 0"}},
		{"cacheTtl in 1-0-1", doc(v1, `{"cacheSize": 1, "cacheTtl": 5, "repositories": []}`), []string{"data.cacheTtl: unknown key", "needs resolver-config 1-0-2"}},
		{"cacheTtl 0 in 1-0-2", doc(v2, `{"cacheSize": 1, "cacheTtl": 0, "repositories": []}`), []string{"data.cacheTtl: 0 is less than 1"}},
		{"cacheTtl negative", doc(v3, `{"cacheSize": 1, "cacheTtl": -5, "repositories": []}`), []string{"data.cacheTtl: -5 is less than 0"}},
		{"repositories object", doc(v0, `{"cacheSize": 1, "repositories": {}}`), []string{"data.repositories: want an array, got object"}},
		{"unknown top key", doc(v0, `{"cacheSize": 1, "repositories": [], "extra": true}`), []string{"data.extra: unknown key"}},
		{"repo missing keys", doc(v0, `{"cacheSize": 1, "repositories": [{}]}`), []string{
			"data.repositories[0].name: missing", "data.repositories[0].priority: missing",
			"data.repositories[0].vendorPrefixes: missing", "data.repositories[0].connection: missing"}},
		{"repo bad types", doc(v0, `{"cacheSize": 1, "repositories": [{"name": 1, "priority": "0", "vendorPrefixes": [1], "connection": {"http": {"uri": "http://x"}}}]}`), []string{
			"data.repositories[0].name: want a string, got number",
			"data.repositories[0].priority: want an integer, got string",
			"data.repositories[0].vendorPrefixes[0]: want a string, got number"}},
		{"unknown connection", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"s3": {"bucket": "b"}}`)+`]}`), []string{"data.repositories[0].connection: unknown connection kind [s3]"}},
		{"two connections", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"http": {"uri": "http://x"}, "embedded": {"path": "/p"}}`)+`]}`), []string{"data.repositories[0].connection: want exactly one", "[embedded http]"}},
		{"empty connection", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{}`)+`]}`), []string{"data.repositories[0].connection: want exactly one"}},
		{"http no uri", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"http": {}}`)+`]}`), []string{"data.repositories[0].connection.http.uri: missing"}},
		{"http bad uri", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"http": {"uri": "ftp://x"}}`)+`]}`), []string{"data.repositories[0].connection.http.uri: [ftp://x] is not an http or https URI"}},
		{"http no host", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"http": {"uri": "http:///x"}}`)+`]}`), []string{"connection.http.uri: [http:///x] has no host"}},
		{"apikey in 1-0-0", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"http": {"uri": "http://x", "apikey": "k"}}`)+`]}`), []string{"data.repositories[0].connection.http.apikey: unknown key"}},
		{"apikey number", doc(v1, `{"cacheSize": 1, "repositories": [`+repo(`{"http": {"uri": "http://x", "apikey": 5}}`)+`]}`), []string{"connection.http.apikey: want a string, got number"}},
		{"embedded no path", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"embedded": {}}`)+`]}`), []string{"connection.embedded.path: missing"}},
		{"embedded extra", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"embedded": {"path": "/a", "x": 1}}`)+`]}`), []string{"connection.embedded.x: unknown key"}},
		{"filesystem empty path", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"filesystem": {"path": ""}}`)+`]}`), []string{"connection.filesystem.path: is empty"}},
		{"second repo", doc(v0, `{"cacheSize": 1, "repositories": [`+repo(`{"http": {"uri": "http://x"}}`)+`, `+repo(`{"ftp": {}}`)+`]}`), []string{"data.repositories[1].connection: unknown connection kind [ftp]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := iglu.ParseConfig([]byte(tt.in))
			if err == nil {
				t.Fatalf("no error for %s", tt.in)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  iglu.Config
		want string
	}{
		{"negative size", iglu.Config{CacheSize: -1}, "cacheSize: -1 is negative"},
		{"negative ttl", iglu.Config{CacheTTL: -1}, "cacheTtl: -1 is negative"},
		{"no connection", iglu.Config{Repositories: []iglu.Repository{{Name: "x"}}}, "repositories[0] (x): connection: exactly one"},
		{"two connections", iglu.Config{Repositories: []iglu.Repository{{Name: "x", HTTPURI: "http://a", Folder: "/b"}}}, "exactly one"},
		{"bad uri", iglu.Config{Repositories: []iglu.Repository{{Name: "x", HTTPURI: "http://a?q=1"}}}, "connection.http.uri: [http://a?q=1] has a query"},
		{"apikey without http", iglu.Config{Repositories: []iglu.Repository{{Name: "x", Folder: "/a", HTTPAPIKey: "k"}}}, "connection.http.apikey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			if _, err := iglu.NewResolver(tt.cfg, iglu.Options{}); err == nil {
				t.Error("NewResolver accepted an invalid config")
			}
		})
	}
	if err := iglu.DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

// FuzzParseConfig: go test ./iglu -run '^$' -fuzz FuzzParseConfig
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema":"iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1","data":{"cacheSize":1,"repositories":[{"name":"x","priority":0,"vendorPrefixes":[],"connection":{"filesystem":{"path":"/tmp"}}}]}}`))
	f.Add([]byte(`{"schema":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := iglu.ParseConfig(b)
		if err != nil {
			if cfg.CacheSize != 0 || cfg.Repositories != nil {
				t.Fatalf("error %v with a non-zero config %+v", err, cfg)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ParseConfig accepted a config that Validate rejects: %v", err)
		}
		for _, r := range cfg.Repositories {
			n := 0
			for _, s := range []string{r.HTTPURI, r.Path, r.Folder} {
				if s != "" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("repository %+v has %d connections", r, n)
			}
		}
	})
}
