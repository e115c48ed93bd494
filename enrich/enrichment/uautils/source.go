package uautils

import (
	"context"
	"fmt"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/tablesrc"
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

// Load reads and parses the table at uri: plain paths and file:// URIs are
// read from the local file system, anything else through fetch (nil fetch:
// an error naming the scheme).
func Load(ctx context.Context, uri string, fetch Fetch) (*Table, error) {
	data, err := tablesrc.Read(ctx, uri, fetch)
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
