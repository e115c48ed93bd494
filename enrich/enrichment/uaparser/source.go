package uaparser

import (
	"context"
	"fmt"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/tablesrc"
	uapgo "github.com/ua-parser/uap-go/uaparser"
)

// EnvVar names the environment variable that locates the rules file when
// the configuration names none.
const EnvVar = "FURROW_UA_PARSER_REGEXES"

// HostedURI is the rules file Snowplow hosts for ua_parser_config 1-0-1
// (uri "s3://snowplow-hosted-assets/third-party/ua-parser/" + database
// "regexes-latest.yaml"): modern uap-core rules. For R108-exact contexts
// use the 2013 regexes.yaml of ua-parser Java 1.3.0 instead.
const HostedURI = "s3://snowplow-hosted-assets/third-party/ua-parser/regexes-latest.yaml"

// Source says where the rules come from and why; URI "" stands for the
// regexes embedded in uap-go.
type Source = tablesrc.Source

// ResolveSource applies the precedence configured location (the
// enrichment's uri + "/" + database, "" when the config names none) >
// EnvVar > the regexes embedded in github.com/ua-parser/uap-go (URI "").
// getenv is os.Getenv in production.
func ResolveSource(configured string, getenv func(string) string) Source {
	return tablesrc.Resolve(configured, EnvVar, "", getenv)
}

// Fetch returns the bytes of the object at uri. The enrichment framework
// supplies one that serves http(s)://, s3:// and the like.
type Fetch = tablesrc.Fetch

// Default compiles the regexes embedded in github.com/ua-parser/uap-go
// with UapCore semantics (they are modern uap-core rules). Each rule's
// pattern is compiled when an agent first needs it (every one compiles:
// TestDifferentialEmbedded); reading the rules and building the prefilter
// still takes a noticeable fraction of a second: do it once per job.
func Default() (*Parser, error) {
	p, err := parse(uapgo.DefinitionYaml, UapCore, false)
	if err != nil {
		return nil, fmt.Errorf("embedded uap-go regexes: %w", err)
	}
	return p, nil
}

// LoadSource loads the rules a Source names: the embedded rules (UapCore)
// or a file/URI read with Load and Java130 semantics, R108's.
func LoadSource(ctx context.Context, src Source, fetch Fetch) (*Parser, error) {
	if src.URI == "" {
		return Default()
	}
	return Load(ctx, src.URI, fetch, Java130)
}

// Load reads and compiles the rules file at uri: plain paths and file://
// URIs are read from the local file system, anything else through fetch
// (nil fetch: an error naming the scheme).
func Load(ctx context.Context, uri string, fetch Fetch, sem Semantics) (*Parser, error) {
	data, err := tablesrc.Read(ctx, uri, fetch)
	if err != nil {
		return nil, err
	}
	p, err := Parse(data, sem)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", uri, err)
	}
	return p, nil
}

// LoadFile reads and compiles a local rules file with Java130 semantics.
func LoadFile(path string) (*Parser, error) {
	return Load(context.Background(), path, nil, Java130)
}
