package iglu_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
)

// registry is a static Iglu registry over real HTTP on 127.0.0.1 that counts
// the requests per path and can be told to misbehave.
type registry struct {
	URL string

	mu      sync.Mutex
	hits    map[string]int
	total   int
	headers []http.Header
	// hook, when set, may answer a request itself (return true).
	hook func(w http.ResponseWriter, r *http.Request, n int) bool
}

func serveRegistry(t testing.TB, dir string) *registry {
	t.Helper()
	reg := &registry{hits: map[string]int{}}
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.mu.Lock()
		reg.hits[r.URL.Path]++
		reg.total++
		n := reg.hits[r.URL.Path]
		reg.headers = append(reg.headers, r.Header.Clone())
		hook := reg.hook
		reg.mu.Unlock()
		if hook != nil && hook(w, r, n) {
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	reg.URL = srv.URL
	return reg
}

func (r *registry) setHook(h func(w http.ResponseWriter, r *http.Request, n int) bool) {
	r.mu.Lock()
	r.hook = h
	r.mu.Unlock()
}

// count returns the requests for one key's path.
func (r *registry) count(key event.SchemaKey) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits["/schemas/"+key.Path()]
}

func (r *registry) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

func (r *registry) lastHeader() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.headers) == 0 {
		return nil
	}
	return r.headers[len(r.headers)-1]
}

func key(t testing.TB, uri string) event.SchemaKey {
	t.Helper()
	k, err := event.ParseSchemaKey(uri)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newResolver(t testing.TB, cfg iglu.Config, opts iglu.Options) *iglu.Resolver {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	r, err := iglu.NewResolver(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func httpRepo(name string, prio int, uri string, prefixes ...string) iglu.Repository {
	return iglu.Repository{Name: name, Priority: prio, VendorPrefixes: prefixes, HTTPURI: uri}
}

// fakeClock is a settable clock for cacheTtl tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func testCtx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// centralKeys lists the jsonschema keys of an Iglu Central checkout.
func centralKeys(t testing.TB, dir string) []event.SchemaKey {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "schemas", "*", "*", "jsonschema", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []event.SchemaKey
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(dir, "schemas"), f)
		k, err := event.ParseSchemaKey("iglu:" + filepath.ToSlash(rel))
		if err != nil {
			continue // not a schema file
		}
		keys = append(keys, k)
	}
	return keys
}
