package enrichment

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
)

// Slot holds one enrichment kind of a Registry: its validated config (nil
// when the kind is not configured or disabled), the schema of that config,
// and its implementation (the zero value, nil, while the kind is pending).
type Slot[C any, I any] struct {
	Config *C
	Schema event.SchemaKey
	Impl   I
	// Assets maps the kind's asset keys (e.g. "geo", "ipFile", "database")
	// to the local files the asset cache provided.
	Assets map[string]string
}

// Enabled reports whether the kind is configured and enabled.
func (s *Slot[C, I]) Enabled() bool { return s.Config != nil }

// Registry holds the enabled enrichments of a run, one typed slot per R108
// enrichment kind. It is built once by LoadBundle, LoadDir or Load and is
// then read-only: safe for concurrent use by any number of enrichers.
type Registry struct {
	IPLookups           Slot[IPLookupsConfig, IPLookups]
	IAB                 Slot[IABConfig, IAB]
	AnonIP              Slot[AnonIPConfig, AnonIP]
	UserAgentUtils      Slot[UserAgentUtilsConfig, UserAgentUtils]
	UAParser            Slot[UAParserConfig, UAParser]
	CurrencyConversion  Slot[CurrencyConversionConfig, CurrencyConversion]
	RefererParser       Slot[RefererParserConfig, RefererParser]
	CampaignAttribution Slot[CampaignAttributionConfig, CampaignAttribution]
	EventFingerprint    Slot[EventFingerprintConfig, EventFingerprint]
	JavaScript          Slot[JavaScriptConfig, JavaScript]
	CookieExtractor     Slot[CookieExtractorConfig, CookieExtractor]
	HTTPHeaderExtractor Slot[HTTPHeaderExtractorConfig, HTTPHeaderExtractor]
	Weather             Slot[WeatherConfig, Weather]
	SQLQuery            Slot[SQLQueryConfig, SQLQuery]
	APIRequest          Slot[APIRequestConfig, APIRequest]
	PII                 Slot[PIIConfig, PII]

	enabled []string
	pending []string
	closers []io.Closer
}

// Empty returns a registry with no enrichment enabled (the core enricher
// alone).
func Empty() *Registry { return &Registry{} }

// Enabled returns the names of the enabled enrichments, in the order the
// enricher runs them.
func (r *Registry) Enabled() []string { return slices.Clone(r.enabled) }

// Pending returns the names of the enabled enrichments that have no
// implementation yet, in the order the enricher runs them. Their fields
// (FieldsOf) stay empty.
func (r *Registry) Pending() []string { return slices.Clone(r.pending) }

// FieldsOf returns the enriched fields the named enrichment writes in this
// registry: FieldsOf(name), narrowed for pii_enrichment_config to the
// fields its config names.
func (r *Registry) FieldsOf(name string) []event.Field {
	if name != NamePII || r.PII.Config == nil {
		return FieldsOf(name)
	}
	var out []event.Field
	for _, p := range r.PII.Config.PII {
		var col string
		switch {
		case p.Pojo != nil:
			col = p.Pojo.Field
		case p.JSON != nil:
			col = p.JSON.Field
		}
		if f, ok := event.FieldByName(col); ok && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// Close releases what the implementations hold (those implementing
// io.Closer), in reverse order of construction.
func (r *Registry) Close() error {
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	r.closers = nil
	return errors.Join(errs...)
}

// Env is what an implementation's constructor gets besides its config.
type Env struct {
	// Name is the enrichment's name, Schema its config's schema.
	Name   string
	Schema event.SchemaKey
	Logger *slog.Logger
	// Resolver resolves Iglu schemas (e.g. to validate produced contexts).
	Resolver   *iglu.Resolver
	HTTPClient *http.Client
	assets     map[string]string
}

// Asset returns the local path of one of the enrichment's files by its key
// in the config ("geo", "isp", "ipFile", "database", …).
func (e *Env) Asset(key string) (path string, ok bool) {
	path, ok = e.assets[key]
	return path, ok
}
