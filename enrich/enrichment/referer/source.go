package referer

import (
	"context"
	"fmt"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/tablesrc"
)

// EnvVar names the environment variable that locates the database when the
// configuration names none.
const EnvVar = "FURROW_REFERER_DATABASE"

// DefaultPath is the small sample database written for this repository
// (the major search engines, social sites and webmail providers, in the
// 0.3.0 YAML format), relative to the repository root: what `make run`
// uses when neither a configuration nor EnvVar names a database.
const DefaultPath = "testdata/reference/referers-sample.yml"

// HostedURI is the database Snowplow hosts for production (the later JSON
// format, kept up to date; referer_parser 2-0-x configs name it as uri
// ".../third-party/referer-parser/" + database "referers-latest.json").
// For R108-exact results use referer-parser 0.3.0's referers.yml instead.
const HostedURI = "https://s3-eu-west-1.amazonaws.com/snowplow-hosted-assets/third-party/referer-parser/referers-latest.json"

// Source says where a database is loaded from and why.
type Source = tablesrc.Source

// ResolveSource applies the precedence configured location (the
// enrichment's uri + "/" + database, "" when the config names none) >
// EnvVar > DefaultPath (looked up in the working directory and its
// parents). getenv is os.Getenv in production.
func ResolveSource(configured string, getenv func(string) string) Source {
	return tablesrc.Resolve(configured, EnvVar, DefaultPath, getenv)
}

// Fetch returns the bytes of the object at uri. The enrichment framework
// supplies one that serves http(s)://, s3:// and the like.
type Fetch = tablesrc.Fetch

// Load reads and parses the database at uri (format sniffed, see Parse):
// plain paths and file:// URIs are read from the local file system,
// anything else through fetch (nil fetch: an error naming the scheme).
func Load(ctx context.Context, uri string, fetch Fetch) (*Database, error) {
	data, err := tablesrc.Read(ctx, uri, fetch)
	if err != nil {
		return nil, err
	}
	db, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", uri, err)
	}
	return db, nil
}

// LoadFile reads and parses the database in a local file.
func LoadFile(path string) (*Database, error) {
	return Load(context.Background(), path, nil)
}
