package iglu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"

	"github.com/furrowdata/furrow/event"
)

// DefaultCacheSize is the cache size of DefaultConfig (iglu-scala-client's
// default).
const DefaultCacheSize = 500

// Config is a parsed Snowplow resolver config
// (iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-x).
type Config struct {
	// CacheSize bounds the LRU cache of lookup results (schemas and
	// not-found answers) in entries. 0 disables the cache, as in Snowplow:
	// every lookup then goes to the registries.
	CacheSize int
	// CacheTTL is how long, in seconds, a cached lookup result stays valid
	// (1-0-2+). 0 = forever. An explicit "cacheTtl": 0 (allowed from 1-0-3,
	// Snowplow's "never reuse a lookup", added for registries whose schemas
	// change under a running pipeline) is parsed as CacheSize 0 instead.
	CacheTTL int
	// Repositories are the configured registries, in config order. The
	// built-in "Iglu Client Embedded" registry is always searched too and is
	// not listed here.
	Repositories []Repository
}

// Repository is one registry entry of a resolver config.
type Repository struct {
	Name           string
	Priority       int
	VendorPrefixes []string
	// Exactly one of the connections is set.
	HTTPURI    string // connection.http.uri: a static registry over HTTP(S)
	HTTPAPIKey string // connection.http.apikey (optional)
	Path       string // connection.embedded.path: a path inside the embedded registry
	Folder     string // furrow extension: connection.filesystem.path, a local folder registry
}

// DefaultConfig returns a config with the default cache size, no expiry and
// no repositories besides the built-in embedded one.
func DefaultConfig() Config {
	return Config{CacheSize: DefaultCacheSize}
}

// Validate reports every problem of c, each naming the config key.
func (c Config) Validate() error {
	var errs []error
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("cacheSize: %d is negative", c.CacheSize))
	}
	if c.CacheTTL < 0 {
		errs = append(errs, fmt.Errorf("cacheTtl: %d is negative", c.CacheTTL))
	}
	for i, r := range c.Repositories {
		if err := r.validate(); err != nil {
			errs = append(errs, fmt.Errorf("repositories[%d] (%s): %w", i, r.Name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("iglu resolver config: %w", errors.Join(errs...))
	}
	return nil
}

func (r Repository) validate() error {
	n := 0
	for _, s := range []string{r.HTTPURI, r.Path, r.Folder} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return errors.New("connection: exactly one of http.uri, embedded.path and filesystem.path must be set")
	}
	switch {
	case r.HTTPURI != "":
		if err := checkHTTPURI(r.HTTPURI); err != nil {
			return fmt.Errorf("connection.http.uri: %w", err)
		}
	case r.HTTPAPIKey != "":
		return errors.New("connection.http.apikey: set without connection.http.uri")
	}
	return nil
}

func checkHTTPURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("[%s] is not a URI: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("[%s] is not an http or https URI", s)
	}
	if u.Host == "" {
		return fmt.Errorf("[%s] has no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("[%s] has a query or fragment", s)
	}
	return nil
}

// resolverConfigVendor and resolverConfigName name the config's schema.
const (
	resolverConfigVendor = "com.snowplowanalytics.iglu"
	resolverConfigName   = "resolver-config"
)

// ParseConfig decodes and validates a resolver-config JSON document: a
// self-describing JSON whose schema is
// iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-0 .. 1-0-3.
// The data is checked against the rules of the named version (unknown keys,
// types, required keys, cacheTtl only from 1-0-2, apikey only from 1-0-1).
// Besides Snowplow's "http" and "embedded" connections it accepts furrow's
// {"filesystem": {"path": "/dir"}}. Errors name the offending key, e.g.
// "data.repositories[1].connection: unknown connection kind [s3]".
func ParseConfig(b []byte) (Config, error) {
	root, err := decodeStrict(b)
	if err != nil {
		return Config{}, fmt.Errorf("iglu resolver config: %w", err)
	}
	top, ok := root.(map[string]any)
	if !ok {
		return Config{}, fmt.Errorf("iglu resolver config: want a self-describing JSON object {\"schema\": \"iglu:%s/%s/jsonschema/1-0-x\", \"data\": {…}}, got %s", resolverConfigVendor, resolverConfigName, jsonKind(root))
	}
	p := &configParser{}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k != "schema" && k != "data" {
			p.fail(k, "unknown key (a resolver config has only schema and data)")
		}
	}
	schemaURI, ok := top["schema"].(string)
	if !ok {
		p.fail("schema", "missing or not a string")
		return Config{}, p.err()
	}
	key, err := event.ParseSchemaKey(schemaURI)
	if err != nil {
		p.fail("schema", err.Error())
		return Config{}, p.err()
	}
	if key.Vendor != resolverConfigVendor || key.Name != resolverConfigName || key.Format != "jsonschema" ||
		key.Version.Model != 1 || key.Version.Revision != 0 || key.Version.Addition > 3 {
		p.fail("schema", fmt.Sprintf("[%s] is not iglu:%s/%s/jsonschema/1-0-0 .. 1-0-3", schemaURI, resolverConfigVendor, resolverConfigName))
		return Config{}, p.err()
	}
	p.addition = key.Version.Addition
	data, ok := top["data"]
	if !ok {
		p.fail("data", "missing")
		return Config{}, p.err()
	}
	cfg := p.config(data)
	if err := p.err(); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// configParser walks the decoded config, collecting every problem.
type configParser struct {
	addition int // resolver-config 1-0-<addition>
	errs     []error
}

func (p *configParser) fail(path, msg string) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", path, msg))
}

func (p *configParser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("iglu resolver config: %w", errors.Join(p.errs...))
}

// object checks that v is an object with only the allowed keys and all the
// required ones.
func (p *configParser) object(path string, v any, allowed []string, required ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "want an object, got "+jsonKind(v))
		return nil, false
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(allowed, k) {
			p.fail(path+"."+k, "unknown key")
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			p.fail(path+"."+k, "missing")
		}
	}
	return m, true
}

func (p *configParser) integer(path string, v any, min int) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		p.fail(path, "want an integer, got "+jsonKind(v))
		return 0, false
	}
	i, err := n.Int64()
	if err != nil || i > 1<<31-1 || i < -1<<31 {
		p.fail(path, fmt.Sprintf("[%s] is not a 32-bit integer", n))
		return 0, false
	}
	if int(i) < min {
		p.fail(path, fmt.Sprintf("%d is less than %d", i, min))
		return 0, false
	}
	return int(i), true
}

func (p *configParser) str(path string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		p.fail(path, "want a string, got "+jsonKind(v))
	}
	return s, ok
}

func (p *configParser) config(v any) Config {
	keys := []string{"cacheSize", "repositories"}
	if p.addition >= 2 {
		keys = append(keys, "cacheTtl")
	}
	m, ok := p.object("data", v, keys, "cacheSize", "repositories")
	if !ok {
		return Config{}
	}
	if _, ok := m["cacheTtl"]; ok && p.addition < 2 {
		// Already reported as unknown; say why.
		p.fail("data.cacheTtl", "needs resolver-config 1-0-2 or later")
	}
	var cfg Config
	if v, ok := m["cacheSize"]; ok {
		cfg.CacheSize, _ = p.integer("data.cacheSize", v, 0)
	}
	if v, ok := m["cacheTtl"]; ok && v != nil && p.addition >= 2 {
		min := 1
		if p.addition >= 3 {
			min = 0
		}
		if ttl, ok := p.integer("data.cacheTtl", v, min); ok {
			cfg.CacheTTL = ttl
			if ttl == 0 {
				cfg.CacheSize = 0 // expire at once = no cache
			}
		}
	}
	if v, ok := m["repositories"]; ok {
		arr, ok := v.([]any)
		if !ok {
			p.fail("data.repositories", "want an array, got "+jsonKind(v))
			return cfg
		}
		for i, rv := range arr {
			cfg.Repositories = append(cfg.Repositories, p.repository(fmt.Sprintf("data.repositories[%d]", i), rv))
		}
	}
	return cfg
}

func (p *configParser) repository(path string, v any) Repository {
	var r Repository
	m, ok := p.object(path, v, []string{"name", "priority", "vendorPrefixes", "connection"},
		"name", "priority", "vendorPrefixes", "connection")
	if !ok {
		return r
	}
	if v, ok := m["name"]; ok {
		r.Name, _ = p.str(path+".name", v)
	}
	if v, ok := m["priority"]; ok {
		r.Priority, _ = p.integer(path+".priority", v, -1<<31)
	}
	if v, ok := m["vendorPrefixes"]; ok {
		arr, ok := v.([]any)
		if !ok {
			p.fail(path+".vendorPrefixes", "want an array of strings, got "+jsonKind(v))
		}
		for i, e := range arr {
			if s, ok := p.str(fmt.Sprintf("%s.vendorPrefixes[%d]", path, i), e); ok {
				r.VendorPrefixes = append(r.VendorPrefixes, s)
			}
		}
	}
	if v, ok := m["connection"]; ok {
		p.connection(path+".connection", v, &r)
	}
	return r
}

func (p *configParser) connection(path string, v any, r *Repository) {
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "want an object, got "+jsonKind(v))
		return
	}
	if len(m) != 1 {
		p.fail(path, fmt.Sprintf("want exactly one of http, embedded or filesystem, got %d keys %v", len(m), slices.Sorted(maps.Keys(m))))
		return
	}
	for kind, cv := range m {
		cpath := path + "." + kind
		switch kind {
		case "http":
			allowed := []string{"uri"}
			if p.addition >= 1 {
				allowed = append(allowed, "apikey")
			}
			c, ok := p.object(cpath, cv, allowed, "uri")
			if !ok {
				return
			}
			if uv, ok := c["uri"]; ok {
				if s, ok := p.str(cpath+".uri", uv); ok {
					if err := checkHTTPURI(s); err != nil {
						p.fail(cpath+".uri", err.Error())
					}
					r.HTTPURI = s
				}
			}
			if kv, ok := c["apikey"]; ok && kv != nil && p.addition >= 1 {
				r.HTTPAPIKey, _ = p.str(cpath+".apikey", kv)
			}
		case "embedded", "filesystem":
			c, ok := p.object(cpath, cv, []string{"path"}, "path")
			if !ok {
				return
			}
			if pv, ok := c["path"]; ok {
				if s, ok := p.str(cpath+".path", pv); ok {
					if s == "" {
						p.fail(cpath+".path", "is empty")
					} else if kind == "embedded" {
						r.Path = s
					} else {
						r.Folder = s
					}
				}
			}
		default:
			p.fail(path, fmt.Sprintf("unknown connection kind [%s] (want http, embedded or filesystem)", kind))
		}
	}
}

// decodeStrict decodes one JSON value with json.Number numbers and rejects
// trailing data.
func decodeStrict(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the top-level value")
	}
	return v, nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
