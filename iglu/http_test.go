package iglu_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

func TestHTTPAPIKey(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	reg.setHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.Header.Get("apikey") != "secret-key" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return true
		}
		return false
	})
	k := key(t, "iglu:com.acme/event/jsonschema/1-0-0")
	repo := httpRepo("private", 0, reg.URL+"/") // a trailing slash is tolerated
	repo.HTTPAPIKey = "secret-key"
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{repo}}, iglu.Options{})
	if _, err := r.Lookup(testCtx(t), k); err != nil {
		t.Fatal(err)
	}
	if got := reg.lastHeader().Get("apikey"); got != "secret-key" {
		t.Errorf("apikey header %q", got)
	}
	// Without the key: 401 is an error naming the URL, not a retry.
	r = newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("private", 0, reg.URL)}}, iglu.Options{})
	before := reg.count(k)
	_, err := r.Lookup(testCtx(t), k)
	if err == nil || !strings.Contains(err.Error(), reg.URL+"/schemas/com.acme/event/jsonschema/1-0-0") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("got %v", err)
	}
	if reg.count(k)-before != 1 {
		t.Errorf("401 was requested %d times, want 1", reg.count(k)-before)
	}
}

func TestHTTPRetriesTransientErrors(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	reg.setHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("a", 0, reg.URL)}}, iglu.Options{RetryBackoff: time.Millisecond})
	k := key(t, "iglu:com.acme/event/jsonschema/1-0-0")
	if _, err := r.Lookup(testCtx(t), k); err != nil {
		t.Fatalf("after two 503s: %v", err)
	}
	if reg.count(k) != 3 {
		t.Errorf("%d requests, want 3", reg.count(k))
	}
}

// TestHTTPPersistentFailure: a registry that keeps failing is retried by
// later lookups (3 lookups in all, Snowplow's rule), then the failure stays
// cached.
func TestHTTPPersistentFailure(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	reg.setHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		http.Error(w, "broken", http.StatusInternalServerError)
		return true
	})
	other := serveRegistry(t, "testdata/reg-b")
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{
		httpRepo("broken", 0, reg.URL), httpRepo("healthy", 1, other.URL)}},
		iglu.Options{RetryBackoff: time.Millisecond, HTTPRetries: 1})
	k := key(t, "iglu:com.acme/event/jsonschema/1-0-1") // not in the healthy registry
	for i := 0; i < 5; i++ {
		_, err := r.Lookup(testCtx(t), k)
		var re *iglu.ResolutionError
		if !errors.As(err, &re) || !errors.Is(err, iglu.ErrRepositoryFailure) {
			t.Fatalf("lookup %d: %v", i, err)
		}
		if len(re.Failures) != 1 || !re.Failures[0].Transient || re.Failures[0].Repository != "broken [HTTP]" {
			t.Fatalf("lookup %d: failures %+v", i, re.Failures)
		}
		if !strings.Contains(err.Error(), reg.URL+"/schemas/"+k.Path()) || !strings.Contains(err.Error(), "500") {
			t.Errorf("error does not name the URL and status: %v", err)
		}
	}
	if got := reg.count(k); got != 3*2 {
		t.Errorf("broken registry: %d requests, want 6 (3 lookups × 2 tries)", got)
	}
	if got := other.count(k); got != 1 {
		t.Errorf("healthy registry: %d requests, want 1 (its not-found is kept)", got)
	}
}

func TestHTTPTimeoutAndUnreachable(t *testing.T) {
	reg := serveRegistry(t, "testdata/reg-a")
	reg.setHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		<-r.Context().Done() // never answers
		return true
	})
	r := newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("slow", 0, reg.URL)}},
		iglu.Options{HTTPTimeout: 50 * time.Millisecond, HTTPRetries: -1})
	k := key(t, "iglu:com.acme/event/jsonschema/1-0-0")
	start := time.Now()
	_, err := r.Lookup(testCtx(t), k)
	if err == nil || !strings.Contains(err.Error(), reg.URL) || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}

	// A closed port: the error names the URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r = newResolver(t, iglu.Config{CacheSize: 10, Repositories: []iglu.Repository{httpRepo("down", 0, "http://"+addr)}},
		iglu.Options{RetryBackoff: time.Millisecond})
	_, err = r.Lookup(testCtx(t), k)
	if err == nil || !strings.Contains(err.Error(), "http://"+addr+"/schemas/com.acme/event/jsonschema/1-0-0") {
		t.Errorf("got %v", err)
	}
}

func TestIglutestHelpers(t *testing.T) {
	// Serve accepts a registry folder and a schemas folder alike.
	for _, dir := range []string{"testdata/reg-a", "testdata/reg-a/schemas"} {
		uri := iglutest.Serve(t, dir)
		cfg, err := iglu.ParseConfig(iglutest.ResolverConfigJSON(uri, "testdata/flat"))
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Repositories) != 2 || cfg.Repositories[0].HTTPURI != uri || cfg.Repositories[1].Folder != "testdata/flat" {
			t.Fatalf("config %+v", cfg)
		}
		r := newResolver(t, cfg, iglu.Options{})
		if _, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/event/jsonschema/1-0-0")); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
		if _, err := r.Lookup(testCtx(t), key(t, "iglu:com.acme/flat/jsonschema/1-0-0")); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
		resp, err := http.Get(uri + "/schemas/com.acme/event/jsonschema")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("a folder answered %d, want 404", resp.StatusCode)
		}
	}
}
