package iglu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

// description returns the schema's description, which the testdata
// registries use to say where a schema came from.
func description(t testing.TB, s *iglu.Schema) string {
	t.Helper()
	var d struct{ Description string }
	if err := json.Unmarshal(s.Raw, &d); err != nil {
		t.Fatal(err)
	}
	return d.Description
}

func TestLookupPriorityAndVendorPrefixes(t *testing.T) {
	a := serveRegistry(t, "testdata/reg-a")
	b := serveRegistry(t, "testdata/reg-b")
	event100 := key(t, "iglu:com.acme/event/jsonschema/1-0-0")
	thing := key(t, "iglu:com.other/thing/jsonschema/1-0-0")
	tests := []struct {
		name  string
		repos []iglu.Repository
		key   event.SchemaKey
		want  string // description of the winner
		order []string
	}{
		{"lower priority first", []iglu.Repository{httpRepo("A", 1, a.URL), httpRepo("B", 0, b.URL)}, event100,
			"reg-b com.acme/event 1-0-0", []string{"A [HTTP]", "B [HTTP]", "Iglu Client Embedded [embedded]"}},
		{"config order breaks ties", []iglu.Repository{httpRepo("A", 0, a.URL), httpRepo("B", 0, b.URL)}, event100,
			"reg-a com.acme/event 1-0-0", nil},
		{"vendor prefix beats priority", []iglu.Repository{httpRepo("A", 0, a.URL), httpRepo("B", 9, b.URL, "com.acme")}, event100,
			"reg-b com.acme/event 1-0-0", nil},
		{"prefix is a string prefix", []iglu.Repository{httpRepo("A", 0, a.URL), httpRepo("B", 9, b.URL, "com.ac")}, event100,
			"reg-b com.acme/event 1-0-0", nil},
		{"other vendor ignores prefix", []iglu.Repository{httpRepo("A", 0, a.URL), httpRepo("B", 9, b.URL, "com.acme")}, thing,
			"reg-a com.other/thing 1-0-0", nil},
		{"local class before HTTP", []iglu.Repository{httpRepo("A", 0, a.URL), {Name: "B", Priority: 9, Folder: "testdata/reg-b"}}, event100,
			"reg-b com.acme/event 1-0-0", []string{"A [HTTP]", "B [filesystem]", "Iglu Client Embedded [embedded]"}},
		{"missing in first, found in second", []iglu.Repository{httpRepo("B", 0, b.URL), httpRepo("A", 1, a.URL)}, key(t, "iglu:com.acme/event/jsonschema/1-0-1"),
			"reg-a com.acme/event 1-0-1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: tt.repos}, iglu.Options{})
			s, err := r.Lookup(testCtx(t), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if got := description(t, s); got != tt.want {
				t.Errorf("served %q, want %q", got, tt.want)
			}
			if tt.order != nil {
				missing := tt.key
				missing.Name = "absent"
				_, err := r.Lookup(testCtx(t), missing)
				var re *iglu.ResolutionError
				if !errors.As(err, &re) {
					t.Fatalf("got %v, want a ResolutionError", err)
				}
				if !reflect.DeepEqual(re.Tried, tt.order) {
					t.Errorf("tried %q, want %q", re.Tried, tt.order)
				}
			}
		})
	}
}

// TestBootstrapOrder reproduces the repository list of Snowplow's
// MissingJsonSchemaSpec (shredder 0.13): Iglu Central with the
// com.snowplowanalytics prefix is searched before the embedded registry for
// a com.snowplowanalytics.* key, and the error lists them reversed.
func TestBootstrapOrder(t *testing.T) {
	central := serveRegistry(t, "testdata/reg-b")
	cfg, err := iglu.ParseConfig([]byte(`{"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-0",
		"data": {"cacheSize": 500, "repositories": [{"name": "Iglu Central", "priority": 0,
		"vendorPrefixes": ["com.snowplowanalytics"], "connection": {"http": {"uri": "` + central.URL + `"}}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := newResolver(t, cfg, iglu.Options{})
	k := key(t, "iglu:com.snowplowanalytics.website/fake_context/jsonschema/1-0-0")
	_, err = r.Lookup(testCtx(t), k)
	var re *iglu.ResolutionError
	if !errors.As(err, &re) || !errors.Is(err, iglu.ErrSchemaNotFound) || errors.Is(err, iglu.ErrRepositoryFailure) {
		t.Fatalf("got %v, want a clean ResolutionError", err)
	}
	if got, want := re.SnowplowMessage(), "Could not find schema with key iglu:com.snowplowanalytics.website/fake_context/jsonschema/1-0-0 in any repository, tried:"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if want := []string{"Iglu Client Embedded [embedded]", "Iglu Central [HTTP]"}; !reflect.DeepEqual(re.Tried, want) {
		t.Errorf("tried %q, want %q", re.Tried, want)
	}
	if central.count(k) != 1 {
		t.Errorf("central asked %d times", central.count(k))
	}
	// Embedded schemas of a prefixed vendor are asked of Central first (R108).
	contexts := key(t, "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0")
	s, err := r.Lookup(testCtx(t), contexts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Repository != iglu.BootstrapName || central.count(contexts) != 1 {
		t.Errorf("served by %s after %d central requests, want the embedded registry after 1", s.Repository, central.count(contexts))
	}
}

func TestEmbeddedSchemas(t *testing.T) {
	r := newResolver(t, iglu.Config{}, iglu.Options{})
	keys := []string{
		"iglu:com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0",
		"iglu:com.snowplowanalytics.self-desc/instance-iglu-only/jsonschema/1-0-0",
		"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",
		"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1",
		"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
		"iglu:com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0",
	}
	for i := 0; i <= 3; i++ {
		keys = append(keys, "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-"+string(rune('0'+i)))
	}
	for i := 0; i <= 4; i++ {
		keys = append(keys, "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-"+string(rune('0'+i)))
	}
	for _, k := range keys {
		s, err := r.Lookup(testCtx(t), key(t, k))
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if s.Repository != iglu.BootstrapName {
			t.Errorf("%s served by %s", k, s.Repository)
		}
	}
	// The envelopes and the duplicate context accept and reject what they should.
	valid := []struct{ key, data string }{
		{"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", `[{"schema": "iglu:com.acme/x/jsonschema/1-0-0", "data": {"a": 1}}]`},
		{"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1", `[]`},
		{"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0", `{"schema": "iglu:com.acme/x/jsonschema/1-0-0", "data": null}`},
		{"iglu:com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0", `{"originalEventId": "a4583919-4df8-496a-917b-d40fa1c8ca7f"}`},
		{"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-0", `[{"e": "pv", "p": "web", "tv": "js-2.0.0", "url": "http://x"}]`},
		{"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", `[{"e": "pv", "p": "web", "tv": "js-2.0.0", "stm": "1", "ttm": "2", "ua": "x", "tnuid": "y", "sid": "z"}]`},
	}
	for _, v := range valid {
		if err := r.Validate(testCtx(t), key(t, v.key), json.RawMessage(v.data)); err != nil {
			t.Errorf("%s %s: %v", v.key, v.data, err)
		}
	}
	invalid := []struct{ key, data, want string }{
		{"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", `[]`, "at (root): minItems"},
		{"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", `[{"schema": "com.acme/x", "data": {}}]`, "at /0/schema: 'com.acme/x' does not match pattern"},
		{"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0", `{"schema": "iglu:com.acme/x/jsonschema/1-0-0"}`, "at (root): missing property 'data'"},
		{"iglu:com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0", `{"originalEventId": "not-a-uuid"}`, "at /originalEventId: 'not-a-uuid' is not valid uuid"},
		{"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-0", `[{"e": "pv", "p": "web", "tv": "x", "stm": "1"}]`, "at /0: additional properties 'stm' not allowed"},
		{"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-3", `[{"e": "pv", "p": "web", "tv": "x", "ttm": "1"}]`, "at /0: additional properties 'ttm' not allowed"},
		{"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", `[{"e": "pv", "tv": "x", "aid": 5}]`, "at /0/aid: got number, want string"},
	}
	for _, v := range invalid {
		err := r.Validate(testCtx(t), key(t, v.key), json.RawMessage(v.data))
		if err == nil || !strings.Contains(err.Error(), v.want) || !errors.Is(err, iglu.ErrInvalidData) {
			t.Errorf("%s %s: got %v, want %q", v.key, v.data, err, v.want)
		}
	}
}

// TestEmbeddedSchemasMatchCentral checks the embedded payload_data, contexts,
// unstruct_event and duplicate schemas, written from the protocol, accept and
// reject the same properties as Iglu Central's.
func TestEmbeddedSchemasMatchCentral(t *testing.T) {
	dir := iglutest.CentralDir(t)
	r := newResolver(t, iglu.Config{}, iglu.Options{})
	for _, k := range []string{
		"com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-0",
		"com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
		"com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1",
		"com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
		"com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0",
		"com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3",
	} {
		b, err := os.ReadFile(filepath.Join(dir, "schemas", k))
		if err != nil {
			t.Fatal(err)
		}
		props := func(raw []byte) map[string]bool {
			var doc struct {
				Properties map[string]json.RawMessage
				Items      struct{ Properties map[string]json.RawMessage }
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for p := range doc.Properties {
				out[p] = true
			}
			for p := range doc.Items.Properties {
				out["items."+p] = true
			}
			return out
		}
		s, err := r.Lookup(testCtx(t), key(t, "iglu:"+k))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := props(s.Raw), props(b); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: properties %v, Iglu Central has %v", k, got, want)
		}
	}
}

func TestFilesystemRegistry(t *testing.T) {
	flat := key(t, "iglu:com.acme/flat/jsonschema/1-0-0")
	for _, dir := range []string{"testdata/flat", "testdata/reg-a"} {
		r := newResolver(t, iglu.Config{CacheSize: 5, Repositories: []iglu.Repository{
			{Name: "flat", Folder: "testdata/flat"}, {Name: "a", Folder: dir}}}, iglu.Options{})
		if s, err := r.Lookup(testCtx(t), flat); err != nil || s.Repository != "flat" {
			t.Errorf("%s: %v %v", dir, s, err)
		}
	}
	r := newResolver(t, iglu.Config{Repositories: []iglu.Repository{{Name: "a", Folder: "testdata/reg-a/schemas"}}}, iglu.Options{})
	if _, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/event/jsonschema/1-0-0")); err != nil {
		t.Errorf("schemas folder itself: %v", err)
	}
	_, err := iglu.NewResolver(iglu.Config{Repositories: []iglu.Repository{{Name: "gone", Folder: "testdata/does-not-exist"}}}, iglu.Options{Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "repositories[0] (gone): connection.filesystem.path") {
		t.Errorf("missing folder: %v", err)
	}
	// A key that tries to climb out of the folder is rejected before any read.
	_, err = r.Lookup(testCtx(t), event.SchemaKey{Vendor: "..", Name: "reg-b", Format: "schemas", Version: event.SchemaVer{Model: 1}})
	if !errors.Is(err, event.ErrInvalidSchemaKey) {
		t.Errorf("traversal key: %v", err)
	}
}

func TestEmbeddedPathRepository(t *testing.T) {
	doc := `{"$schema": "` + iglu.MetaSchemaURI + `", "self": {"vendor": "com.acme", "name": "emb", "format": "jsonschema", "version": "1-0-0"}, "type": "string"}`
	fsys := fstest.MapFS{"my-embedded/schemas/com.acme/emb/jsonschema/1-0-0": {Data: []byte(doc)}}
	cfg := iglu.Config{Repositories: []iglu.Repository{
		{Name: "mine", Path: "/my-embedded"},
		{Name: "missing", Path: "/nowhere"},
	}}
	r := newResolver(t, cfg, iglu.Options{EmbeddedFS: fsys})
	s, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/emb/jsonschema/1-0-0"))
	if err != nil || s.Repository != "mine" {
		t.Fatalf("got %v, %v", s, err)
	}
	if err := s.Validate(json.RawMessage(`5`)); err == nil {
		t.Error("5 is not a string")
	}
	// Without EmbeddedFS, embedded paths resolve in the built-in registry.
	r = newResolver(t, iglu.Config{Repositories: []iglu.Repository{{Name: "bundled", Priority: -1, Path: "/iglu-client-embedded"}}}, iglu.Options{})
	s, err = r.Lookup(testCtx(t), key(t, "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"))
	if err != nil || s.Repository != "bundled" {
		t.Fatalf("got %v, %v", s, err)
	}
}

func TestUnusableSchemas(t *testing.T) {
	bad := serveRegistry(t, "testdata/bad")
	tests := []struct {
		name string
		want string
	}{
		{"malformed", "invalid JSON"},
		{"invalid", "invalid schema"},
		{"mismatch", "schema self block names iglu:com.acme/mismatch/jsonschema/1-0-1, not the requested iglu:com.acme/mismatch/jsonschema/1-0-0"},
		{"noself", "schema has no self object"},
	}
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("bad", 0, bad.URL)}}, iglu.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := key(t, "iglu:com.acme/"+tt.name+"/jsonschema/1-0-0")
			_, err := r.Lookup(testCtx(t), k)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), bad.URL+"/schemas/"+k.Path()) {
				t.Fatalf("got %v, want %q and the URL", err, tt.want)
			}
			if !errors.Is(err, iglu.ErrSchemaNotFound) || !errors.Is(err, iglu.ErrRepositoryFailure) {
				t.Errorf("%v does not wrap ErrSchemaNotFound and ErrRepositoryFailure", err)
			}
			if strings.ContainsAny(err.Error(), "\n\t") {
				t.Errorf("error is not one line: %q", err)
			}
			// Invalid schemas are not retried: the failure is cached.
			_, _ = r.Lookup(testCtx(t), k)
			if n := bad.count(k); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
	// A bad copy in the first registry does not hide a good one in the next.
	a := serveRegistry(t, "testdata/reg-a")
	r = newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("bad", 0, bad.URL), httpRepo("a", 1, a.URL)}}, iglu.Options{})
	s, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/event/jsonschema/1-0-0"))
	if err != nil || s.Repository != "a" {
		t.Fatalf("got %v, %v", s, err)
	}
}

func TestCache(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	k := key(t, "iglu:com.acme/event/jsonschema/1-0-0")
	missing := key(t, "iglu:com.acme/missing/jsonschema/1-0-0")
	clock := &fakeClock{now: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := newResolver(t, iglu.Config{CacheSize: 2, CacheTTL: 60, Repositories: []iglu.Repository{httpRepo("a", 0, reg.URL)}}, iglu.Options{Now: clock.Now})

	s1, err := r.Lookup(testCtx(t), k)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := r.Lookup(testCtx(t), k)
	if err != nil {
		t.Fatal(err)
	}
	if s1 != s2 || reg.count(k) != 1 {
		t.Errorf("second lookup: same schema %v, %d requests; want cached", s1 == s2, reg.count(k))
	}
	// Not-found results are cached too.
	for i := 0; i < 3; i++ {
		if _, err := r.Lookup(testCtx(t), missing); !errors.Is(err, iglu.ErrSchemaNotFound) {
			t.Fatal(err)
		}
	}
	if reg.count(missing) != 1 {
		t.Errorf("missing key: %d requests, want 1", reg.count(missing))
	}
	// TTL: after 60 s both are asked again.
	clock.Advance(59 * time.Second)
	_, _ = r.Lookup(testCtx(t), k)
	if reg.count(k) != 1 {
		t.Errorf("before the TTL: %d requests", reg.count(k))
	}
	clock.Advance(time.Second)
	_, _ = r.Lookup(testCtx(t), k)
	_, _ = r.Lookup(testCtx(t), missing)
	if reg.count(k) != 2 || reg.count(missing) != 2 {
		t.Errorf("after the TTL: %d and %d requests, want 2 and 2", reg.count(k), reg.count(missing))
	}
	// LRU of 2: k and missing are cached; touching k then adding a third key
	// evicts missing, not k.
	_, _ = r.Lookup(testCtx(t), k)
	third := key(t, "iglu:com.acme/event/jsonschema/1-0-1")
	_, _ = r.Lookup(testCtx(t), third)
	_, _ = r.Lookup(testCtx(t), k)
	if reg.count(k) != 2 {
		t.Errorf("recently used entry was evicted: %d requests", reg.count(k))
	}
	_, _ = r.Lookup(testCtx(t), missing)
	if reg.count(missing) != 3 {
		t.Errorf("least recently used entry was not evicted: %d requests", reg.count(missing))
	}
}

func TestNoCache(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	k := key(t, "iglu:com.acme/event/jsonschema/1-0-0")
	r := newResolver(t, iglu.Config{CacheSize: 0, Repositories: []iglu.Repository{httpRepo("a", 0, reg.URL)}}, iglu.Options{})
	for i := 0; i < 3; i++ {
		if _, err := r.Lookup(testCtx(t), k); err != nil {
			t.Fatal(err)
		}
	}
	if reg.count(k) != 3 {
		t.Errorf("cacheSize 0: %d requests, want 3", reg.count(k))
	}
}

func TestConcurrentLookupsFetchOnce(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	release := make(chan struct{})
	reg.setHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		<-release // hold the first fetch until every caller is waiting
		return false
	})
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("a", 0, reg.URL)}}, iglu.Options{})
	k := key(t, "iglu:com.acme/event/jsonschema/1-0-0")
	const n = 32
	var started, done sync.WaitGroup
	schemas := make([]*iglu.Schema, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			schemas[i], errs[i] = r.Lookup(testCtx(t), k)
		}()
	}
	started.Wait()
	for reg.requests() == 0 { // poll until the shared fetch reached the server
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the stragglers join the flight
	close(release)
	done.Wait()
	for i := range schemas {
		if errs[i] != nil || schemas[i] != schemas[0] {
			t.Fatalf("caller %d: %v, same schema %v", i, errs[i], schemas[i] == schemas[0])
		}
	}
	if reg.count(k) != 1 {
		t.Errorf("%d requests for %d concurrent lookups, want 1", reg.count(k), n)
	}
}

func TestLookupContextCancel(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	release := make(chan struct{})
	reg.setHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return false
	})
	defer close(release)
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("a", 0, reg.URL)}}, iglu.Options{})
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := r.Lookup(c, key(t, "iglu:com.acme/event/jsonschema/1-0-0"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the caller's deadline", err)
	}
}

func TestListModel(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	r := newResolver(t, iglu.Config{CacheSize: 100, Repositories: []iglu.Repository{httpRepo("a", 0, reg.URL)}}, iglu.Options{})
	got, err := r.ListModel(testCtx(t), "com.acme", "event", "jsonschema", 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range got {
		names = append(names, k.Version.String())
	}
	// 1-4-0 exists but 1-3-0 does not: the walk stops at the gap.
	if want := []string{"1-0-0", "1-0-1", "1-0-2", "1-1-0", "1-2-0", "1-2-1"}; !reflect.DeepEqual(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}
	before := reg.requests()
	if _, err := r.ListModel(testCtx(t), "com.acme", "event", "jsonschema", 1); err != nil {
		t.Fatal(err)
	}
	if reg.requests() != before {
		t.Errorf("second listing made %d requests, want 0 (cached, not-found included)", reg.requests()-before)
	}
	got, err = r.ListModel(testCtx(t), "com.acme", "event", "jsonschema", 2)
	if err != nil || len(got) != 1 || got[0].Version != (event.SchemaVer{Model: 2}) {
		t.Errorf("model 2: %v %v", got, err)
	}
	if _, err := r.ListModel(testCtx(t), "com.acme", "event", "jsonschema", 3); !errors.Is(err, iglu.ErrSchemaNotFound) {
		t.Errorf("model 3: %v, want ErrSchemaNotFound", err)
	}
	// A failing registry fails the listing instead of truncating it.
	reg.setHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		if strings.HasSuffix(r.URL.Path, "/1-0-1") {
			http.Error(w, "boom", http.StatusBadRequest)
			return true
		}
		return false
	})
	r = newResolver(t, iglu.Config{CacheSize: 100, Repositories: []iglu.Repository{httpRepo("a", 0, reg.URL)}}, iglu.Options{})
	if _, err := r.ListModel(testCtx(t), "com.acme", "event", "jsonschema", 1); !errors.Is(err, iglu.ErrRepositoryFailure) {
		t.Errorf("failing registry: %v, want ErrRepositoryFailure", err)
	}
}

// TestExactVersionOnly: as in R108, a data schema 1-0-2 is not resolved by a
// registry serving only 1-0-1.
func TestExactVersionOnly(t *testing.T) {
	r := newResolver(t, iglu.Config{Repositories: []iglu.Repository{{Name: "b", Folder: "testdata/reg-b"}}}, iglu.Options{})
	if _, err := r.Lookup(testCtx(t), key(t, "iglu:com.other/thing/jsonschema/1-0-0")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Lookup(testCtx(t), key(t, "iglu:com.other/thing/jsonschema/1-0-1")); !errors.Is(err, iglu.ErrSchemaNotFound) {
		t.Errorf("1-0-1: %v, want not found", err)
	}
}
