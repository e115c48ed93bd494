package tablesrc

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Fetch returns the bytes of the object at uri. The enrichment framework
// supplies one that serves http(s)://, s3:// and the like.
type Fetch func(ctx context.Context, uri string) ([]byte, error)

// Source says where a table is loaded from and why.
type Source struct {
	URI    string // a plain path or a URI; "" when a built-in default applies
	Origin string // "config", "env <NAME>" or "default"
}

// Resolve applies the precedence configured (the enrichment's uri + "/" +
// database, or the local path of that asset; "" when the config names
// none) > the environment variable envVar > defaultPath. A relative
// defaultPath is looked up in the working directory and then in its
// parents, so that the repository's sample tables are found from any
// package directory; "" means a built-in default. getenv is os.Getenv in
// production.
func Resolve(configured, envVar, defaultPath string, getenv func(string) string) Source {
	if configured != "" {
		return Source{URI: configured, Origin: "config"}
	}
	if getenv != nil {
		if v := getenv(envVar); v != "" {
			return Source{URI: v, Origin: "env " + envVar}
		}
	}
	return Source{URI: findUp(defaultPath), Origin: "default"}
}

// findUp returns rel if it exists, else the first parent-relative path
// that does, else rel.
func findUp(rel string) string {
	if rel == "" || filepath.IsAbs(rel) {
		return rel
	}
	if _, err := os.Stat(rel); err == nil {
		return rel
	}
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for {
		parent := filepath.Dir(dir)
		if parent == dir {
			return rel
		}
		dir = parent
		if p := filepath.Join(dir, rel); fileExists(p) {
			return p
		}
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// Read returns the bytes at uri: plain paths and file:// URIs from the
// local file system, anything else through fetch (nil fetch: an error
// naming the scheme). Errors name the URI.
func Read(ctx context.Context, uri string, fetch Fetch) ([]byte, error) {
	u, err := url.Parse(uri)
	if err == nil && len(u.Scheme) > 1 && u.Scheme != "file" {
		if fetch == nil {
			return nil, fmt.Errorf("reading %s: no fetcher for URI scheme %q", uri, u.Scheme)
		}
		data, err := fetch(ctx, uri)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", uri, err)
		}
		return data, nil
	}
	path := uri
	if err == nil && u.Scheme == "file" {
		path = u.Path
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", uri, err)
	}
	return data, nil
}
