package iglu

// API SKELETON — the iglu helper replaces the bodies; signatures are the
// contract other packages compile against. Keep them (add, don't break).

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/furrowdata/furrow/event"
)

// ErrSchemaNotFound is wrapped by lookups that no repository could answer.
var ErrSchemaNotFound = errors.New("iglu: schema not found")

// Config is a parsed Snowplow resolver config
// (iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-x).
type Config struct {
	CacheSize    int
	CacheTTL     int // seconds, 0 = forever (1-0-2+)
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

// ParseConfig decodes and validates a resolver-config JSON document.
func ParseConfig(b []byte) (Config, error) {
	return Config{}, errors.New("iglu.ParseConfig: not implemented")
}

// Options are the dependencies of a Resolver.
type Options struct {
	HTTPClient *http.Client // nil = a client with a sane timeout
	Logger     *slog.Logger // nil = slog.Default()
}

// Resolver resolves Iglu schema keys to compiled JSON Schemas and validates
// self-describing data. Safe for concurrent use.
type Resolver struct{}

// NewResolver builds a Resolver for cfg.
func NewResolver(cfg Config, opts Options) (*Resolver, error) {
	return nil, errors.New("iglu.NewResolver: not implemented")
}

// Schema is a resolved, compiled schema.
type Schema struct {
	Key event.SchemaKey
	// Raw is the schema document as the registry served it.
	Raw json.RawMessage
}

// Lookup returns the schema for key. A schema that no repository has gives an
// error wrapping ErrSchemaNotFound.
func (r *Resolver) Lookup(ctx context.Context, key event.SchemaKey) (*Schema, error) {
	return nil, errors.New("iglu.Lookup: not implemented")
}

// Validate validates data against the schema, returning an error that says
// what is wrong, in words fit for a bad row.
func (s *Schema) Validate(data json.RawMessage) error {
	return errors.New("iglu.Schema.Validate: not implemented")
}

// ValidateSelfDescribing looks up sd's schema and validates sd.Data against it.
func (r *Resolver) ValidateSelfDescribing(ctx context.Context, sd event.SelfDescribing) error {
	return errors.New("iglu.ValidateSelfDescribing: not implemented")
}
