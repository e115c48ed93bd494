// Package iglutest provides test helpers for packages that resolve Iglu
// schemas: static registries served over real HTTP on 127.0.0.1, Iglu
// Central from the shared checkout, and resolver configs pointing at them.
package iglutest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Serve serves dir as a static Iglu registry over HTTP on 127.0.0.1 until
// the test ends and returns its base URI (pass it as connection.http.uri).
// dir holds schemas/vendor/name/format/M-R-A; a dir that is itself the
// schemas folder (no schemas subfolder) is served as if it were below one.
func Serve(t testing.TB, dir string) (uri string) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		t.Fatalf("iglutest: registry folder %s: not a directory (%v)", dir, err)
	}
	root := dir
	if st, err := os.Stat(filepath.Join(dir, "schemas")); err != nil || !st.IsDir() {
		root = "" // dir is the schemas folder
	}
	files := http.Dir(dir)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p, ok := strings.CutPrefix(r.URL.Path, "/schemas/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		if root != "" {
			p = "schemas/" + p
		}
		f, err := files.Open("/" + p)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		http.ServeContent(w, r, "", fi.ModTime(), f)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// CentralDir returns the path of the shared Iglu Central checkout
// (../shared/iglu-central from the repository root), skipping the test when
// it is absent.
func CentralDir(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Skipf("iglutest: Iglu Central not available: %v", err)
	}
	dir := filepath.Join(root, "..", "shared", "iglu-central")
	if st, err := os.Stat(filepath.Join(dir, "schemas")); err != nil || !st.IsDir() {
		t.Skipf("iglutest: Iglu Central not available: %s/schemas is missing (expected the shared checkout next to the repository)", dir)
	}
	return dir
}

// Central serves the shared Iglu Central checkout over HTTP on 127.0.0.1
// and returns its base URI; the test is skipped when the checkout is absent.
func Central(t testing.TB) (uri string) {
	t.Helper()
	return Serve(t, CentralDir(t))
}

// ResolverConfigJSON builds a resolver config (resolver-config 1-0-1,
// cacheSize 500) with one repository per argument, in order, named
// "iglutest 0", "iglutest 1", … with priorities 0, 1, … and no vendor
// prefixes. An http:// or https:// argument becomes an HTTP registry; any
// other argument is taken as a local folder (furrow's filesystem
// connection).
func ResolverConfigJSON(uris ...string) []byte {
	type conn map[string]map[string]string
	type repo struct {
		Name           string   `json:"name"`
		Priority       int      `json:"priority"`
		VendorPrefixes []string `json:"vendorPrefixes"`
		Connection     conn     `json:"connection"`
	}
	repos := make([]repo, 0, len(uris))
	for i, u := range uris {
		c := conn{"filesystem": {"path": u}}
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			c = conn{"http": {"uri": u}}
		}
		repos = append(repos, repo{Name: fmt.Sprintf("iglutest %d", i), Priority: i, VendorPrefixes: []string{}, Connection: c})
	}
	doc := map[string]any{
		"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1",
		"data":   map[string]any{"cacheSize": 500, "repositories": repos},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("iglutest: marshalling resolver config: " + err.Error()) // plain data always marshals
	}
	return b
}

// repoRoot finds the module root (the folder with go.mod) from the working
// directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
