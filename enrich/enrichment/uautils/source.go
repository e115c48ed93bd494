package uautils

import (
	"context"
	"fmt"
	"net/url"
	"os"
)

// EnvVar names the environment variable that locates the table when the
// configuration names none.
const EnvVar = "FURROW_UA_UTILS_TABLE"

// DefaultPath is the small sample table written for this repository (a
// handful of browsers and operating systems, same format as the full
// table), relative to the repository root: what `make run` uses when
// neither a configuration nor EnvVar names a table. It is NOT the full
// UserAgentUtils 1.21 table.
//
// For production there is no public hosted copy of the UserAgentUtils
// table (the library compiled it into its jar, and Snowplow never
// published it): host the full table (user-agent-utils-1.21.json, see the
// reference notes) next to your other enrichment assets, e.g.
// s3://<your-bucket>/third-party/user-agent-utils/user-agent-utils-1.21.json,
// and point EnvVar (or the enrichment's uri + database) at it.
const DefaultPath = "testdata/reference/user-agent-utils-sample.json"

// Source says where a table is loaded from and why.
type Source struct {
	URI    string // a plain path or a URI (file://, http(s)://, s3://, …)
	Origin string // "config", "env FURROW_UA_UTILS_TABLE" or "default"
}

// ResolveSource applies the precedence configured location (the
// enrichment's uri + "/" + database, "" when the config names none) >
// EnvVar > DefaultPath. getenv is os.Getenv in production.
func ResolveSource(configured string, getenv func(string) string) Source {
	if configured != "" {
		return Source{URI: configured, Origin: "config"}
	}
	if getenv != nil {
		if v := getenv(EnvVar); v != "" {
			return Source{URI: v, Origin: "env " + EnvVar}
		}
	}
	return Source{URI: DefaultPath, Origin: "default"}
}

// Fetch returns the bytes of the object at uri. The enrichment framework
// supplies one that serves http(s)://, s3:// and the like.
type Fetch func(ctx context.Context, uri string) ([]byte, error)

// Load reads and parses the table at uri: plain paths and file:// URIs are
// read from the local file system, anything else through fetch (nil fetch:
// an error naming the scheme).
func Load(ctx context.Context, uri string, fetch Fetch) (*Table, error) {
	data, err := readURI(ctx, uri, fetch)
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", uri, err)
	}
	return t, nil
}

// LoadFile reads and parses the table in a local file.
func LoadFile(path string) (*Table, error) {
	return Load(context.Background(), path, nil)
}

func readURI(ctx context.Context, uri string, fetch Fetch) ([]byte, error) {
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
