package enrichment

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
)

// Options are the dependencies of a load.
type Options struct {
	// Resolver validates every config against its Iglu schema. Required.
	Resolver *iglu.Resolver
	// Logger receives warnings (unknown or pending enrichments). nil =
	// slog.Default().
	Logger *slog.Logger
	// HTTPClient is handed to implementations and downloads http(s)
	// assets. nil = a client with a 60 s timeout.
	HTTPClient *http.Client
	// Assets configures the asset cache.
	Assets AssetOptions
	// Implementations overrides Builtins() (tests). nil = Builtins().
	Implementations *Implementations
}

// ErrConfig is wrapped by every configuration error of a load.
var ErrConfig = errors.New("enrichment: invalid configuration")

// BundleSchema is the schema of the enrichments document Spark Enrich took
// on its command line.
var BundleSchema = event.SchemaKey{Vendor: vendorSnowplow, Name: "enrichments", Format: "jsonschema", Version: event.SchemaVer{Model: 1}}

// maxConfigBytes bounds one configuration document.
const maxConfigBytes = 64 << 20

// LoadBundle loads the enrichments document
// (iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-x: an
// array of enrichment configs), validates it and every config against their
// Iglu schemas, fetches the assets and builds the implementations.
func LoadBundle(ctx context.Context, doc []byte, opts Options) (*Registry, error) {
	var sd event.SelfDescribing
	if err := json.Unmarshal(doc, &sd); err != nil {
		return nil, fmt.Errorf("%w: enrichments document: %v", ErrConfig, err)
	}
	if sd.Schema.Vendor != BundleSchema.Vendor || sd.Schema.Name != BundleSchema.Name ||
		sd.Schema.Format != BundleSchema.Format || sd.Schema.Version.Model != 1 {
		return nil, fmt.Errorf("%w: enrichments document: schema %s is not iglu:%s/%s/%s/1-*-*",
			ErrConfig, sd.Schema, BundleSchema.Vendor, BundleSchema.Name, BundleSchema.Format)
	}
	if opts.Resolver == nil {
		return nil, fmt.Errorf("%w: no Iglu resolver to validate the enrichments", ErrConfig)
	}
	if err := opts.Resolver.Validate(ctx, sd.Schema, sd.Data); err != nil {
		return nil, fmt.Errorf("%w: enrichments document: %v", ErrConfig, err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(sd.Data, &items); err != nil {
		return nil, fmt.Errorf("%w: enrichments document: data is not an array: %v", ErrConfig, err)
	}
	srcs := make([]source, len(items))
	for i, it := range items {
		srcs[i] = source{where: fmt.Sprintf("enrichments[%d]", i), doc: it}
	}
	return load(ctx, srcs, opts)
}

// LoadBundleBase64 loads the enrichments document given base64-encoded, as
// Spark Enrich's --enrichments argument (standard or URL-safe alphabet,
// padding optional).
func LoadBundleBase64(ctx context.Context, s string, opts Options) (*Registry, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	doc, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: enrichments argument is not base64: %v", ErrConfig, err)
	}
	return LoadBundle(ctx, doc, opts)
}

// LoadDir loads every *.json file of dir (in name order) as one enrichment
// config, as Stream Enrich's --enrichments folder.
func LoadDir(ctx context.Context, dir string, opts Options) (*Registry, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: enrichments folder: %v", ErrConfig, err)
	}
	var srcs []source
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := readLimited(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		srcs = append(srcs, source{where: p, doc: b})
	}
	return load(ctx, srcs, opts)
}

// Load loads enrichment configs given one by one (each a self-describing
// enrichment JSON).
func Load(ctx context.Context, configs []json.RawMessage, opts Options) (*Registry, error) {
	srcs := make([]source, len(configs))
	for i, c := range configs {
		srcs[i] = source{where: fmt.Sprintf("config %d", i), doc: c}
	}
	return load(ctx, srcs, opts)
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("reading %s: larger than %d bytes", p, maxConfigBytes)
	}
	return b, nil
}

// source is one enrichment config and where it came from (for errors).
type source struct {
	where string
	doc   []byte
}

// common are the keys every enrichment config has besides parameters.
type common struct {
	Vendor        string          `json:"vendor"`
	Name          string          `json:"name"`
	Enabled       *bool           `json:"enabled"`
	Parameters    json.RawMessage `json:"parameters"`
	EmitEvent     *bool           `json:"emitEvent"`
	AnonymousOnly *bool           `json:"anonymousOnly"`
}

func load(ctx context.Context, srcs []source, opts Options) (*Registry, error) {
	if opts.Resolver == nil {
		return nil, fmt.Errorf("%w: no Iglu resolver to validate the enrichments", ErrConfig)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	impls := Builtins()
	if opts.Implementations != nil {
		impls = *opts.Implementations
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	r := &Registry{}
	seen := map[string]string{}
	var errs []error
	for _, src := range srcs {
		name, err := r.add(ctx, src, opts.Resolver, log, seen)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %v", ErrConfig, describe(src.where, name), err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, k := range kinds {
		if r.slotEnabled(k.name) {
			r.enabled = append(r.enabled, k.name)
		}
	}
	cache := newAssetCache(opts.Assets, client)
	for _, name := range r.enabled {
		if err := r.fetchAssets(ctx, name, cache); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := r.build(impls, log, opts.Resolver, client); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

func describe(where, name string) string {
	if name == "" {
		return where
	}
	return "enrichment " + name + " (" + where + ")"
}

// add validates one config and stores it in its slot. It returns the
// enrichment's name when known.
func (r *Registry) add(ctx context.Context, src source, res *iglu.Resolver, log *slog.Logger, seen map[string]string) (string, error) {
	var sd event.SelfDescribing
	if err := json.Unmarshal(src.doc, &sd); err != nil {
		return "", err
	}
	var c common
	if err := json.Unmarshal(sd.Data, &c); err != nil {
		return "", fmt.Errorf("%s: data is not an enrichment config object: %v", sd.Schema, err)
	}
	if err := res.Validate(ctx, sd.Schema, sd.Data); err != nil {
		return c.Name, err
	}
	if c.Enabled == nil || c.Name == "" {
		return c.Name, fmt.Errorf("%s: the config has no name or no enabled flag", sd.Schema)
	}
	if !*c.Enabled {
		log.Debug("enrichment disabled", "enrichment", c.Name)
		return c.Name, nil
	}
	k, ok := kindByName(c.Name)
	if !ok {
		log.Warn("unknown enrichment ignored (R108 knew no such name)", "enrichment", c.Name, "schema", sd.Schema.String())
		return c.Name, nil
	}
	if sd.Schema.Vendor != k.vendor || sd.Schema.Name != k.name || sd.Schema.Format != "jsonschema" || !slices.Contains(k.models, sd.Schema.Version.Model) {
		return c.Name, fmt.Errorf("schema key %s is not supported: a %s enrichment must have schema iglu:%s/%s/jsonschema/%s",
			sd.Schema, k.name, k.vendor, k.name, modelsPattern(k.models))
	}
	if prev, dup := seen[k.name]; dup {
		log.Warn("enrichment configured twice; the later config replaces the earlier (as R108)", "enrichment", k.name, "earlier", prev, "later", src.where)
	}
	seen[k.name] = src.where
	params := c.Parameters
	if len(params) == 0 || string(params) == "null" {
		params = json.RawMessage("{}")
	}
	if err := r.setConfig(k.name, sd.Schema, params, c); err != nil {
		return c.Name, fmt.Errorf("%s: parameters: %v", sd.Schema, err)
	}
	return c.Name, nil
}

func modelsPattern(models []int) string {
	parts := make([]string, len(models))
	for i, m := range models {
		parts[i] = fmt.Sprintf("%d-*-*", m)
	}
	return strings.Join(parts, " or ")
}

func decodeSlot[C any, I any](s *Slot[C, I], key event.SchemaKey, params json.RawMessage) error {
	c := new(C)
	if err := strictDecode(params, c); err != nil {
		return err
	}
	var zero I
	*s = Slot[C, I]{Config: c, Schema: key, Impl: zero}
	return nil
}

func (r *Registry) setConfig(name string, key event.SchemaKey, params json.RawMessage, c common) error {
	switch name {
	case NameIPLookups:
		return decodeSlot(&r.IPLookups, key, params)
	case NameIAB:
		return decodeSlot(&r.IAB, key, params)
	case NameAnonIP:
		return decodeSlot(&r.AnonIP, key, params)
	case NameUserAgentUtils:
		return decodeSlot(&r.UserAgentUtils, key, params)
	case NameUAParser:
		return decodeSlot(&r.UAParser, key, params)
	case NameCurrencyConversion:
		return decodeSlot(&r.CurrencyConversion, key, params)
	case NameRefererParser:
		return decodeSlot(&r.RefererParser, key, params)
	case NameCampaignAttribution:
		return decodeSlot(&r.CampaignAttribution, key, params)
	case NameEventFingerprint:
		return decodeSlot(&r.EventFingerprint, key, params)
	case NameJavaScript:
		return decodeSlot(&r.JavaScript, key, params)
	case NameCookieExtractor:
		return decodeSlot(&r.CookieExtractor, key, params)
	case NameHTTPHeaderExtractor:
		return decodeSlot(&r.HTTPHeaderExtractor, key, params)
	case NameWeather:
		return decodeSlot(&r.Weather, key, params)
	case NameSQLQuery:
		if err := decodeSlot(&r.SQLQuery, key, params); err != nil {
			return err
		}
		db := r.SQLQuery.Config.Database
		if (db.PostgreSQL == nil) == (db.MySQL == nil) {
			r.SQLQuery = Slot[SQLQueryConfig, SQLQuery]{}
			return errors.New("database: exactly one of postgresql and mysql must be given")
		}
		return nil
	case NameAPIRequest:
		if err := decodeSlot(&r.APIRequest, key, params); err != nil {
			return err
		}
		if r.APIRequest.Config.API.HTTP == nil {
			r.APIRequest = Slot[APIRequestConfig, APIRequest]{}
			return errors.New("api: no http API given")
		}
		return nil
	case NamePII:
		if err := decodeSlot(&r.PII, key, params); err != nil {
			return err
		}
		r.PII.Config.EmitEvent = c.EmitEvent != nil && *c.EmitEvent
		r.PII.Config.AnonymousOnly = c.AnonymousOnly != nil && *c.AnonymousOnly
		for i, f := range r.PII.Config.PII {
			if (f.Pojo == nil) == (f.JSON == nil) {
				r.PII = Slot[PIIConfig, PII]{}
				return fmt.Errorf("pii[%d]: exactly one of pojo and json must be given", i)
			}
		}
		return nil
	}
	return fmt.Errorf("no slot for enrichment %s", name) // kinds and this switch disagree: a bug
}

func (r *Registry) slotEnabled(name string) bool {
	switch name {
	case NameIPLookups:
		return r.IPLookups.Enabled()
	case NameIAB:
		return r.IAB.Enabled()
	case NameAnonIP:
		return r.AnonIP.Enabled()
	case NameUserAgentUtils:
		return r.UserAgentUtils.Enabled()
	case NameUAParser:
		return r.UAParser.Enabled()
	case NameCurrencyConversion:
		return r.CurrencyConversion.Enabled()
	case NameRefererParser:
		return r.RefererParser.Enabled()
	case NameCampaignAttribution:
		return r.CampaignAttribution.Enabled()
	case NameEventFingerprint:
		return r.EventFingerprint.Enabled()
	case NameJavaScript:
		return r.JavaScript.Enabled()
	case NameCookieExtractor:
		return r.CookieExtractor.Enabled()
	case NameHTTPHeaderExtractor:
		return r.HTTPHeaderExtractor.Enabled()
	case NameWeather:
		return r.Weather.Enabled()
	case NameSQLQuery:
		return r.SQLQuery.Enabled()
	case NameAPIRequest:
		return r.APIRequest.Enabled()
	case NamePII:
		return r.PII.Enabled()
	}
	return false
}

// assetsOf lists the files an enabled enrichment needs, by config key.
func (r *Registry) assetsOf(name string) (keys []string, dbs []Database, set func(map[string]string)) {
	add := func(k string, d *Database) {
		if d != nil {
			keys = append(keys, k)
			dbs = append(dbs, *d)
		}
	}
	switch name {
	case NameIPLookups:
		c := r.IPLookups.Config
		add("geo", c.Geo)
		add("isp", c.ISP)
		add("domain", c.Domain)
		add("connectionType", c.ConnectionType)
		add("asn", c.ASN)
		set = func(m map[string]string) { r.IPLookups.Assets = m }
	case NameIAB:
		c := r.IAB.Config
		add("ipFile", &c.IPFile)
		add("excludeUseragentFile", &c.ExcludeUseragentFile)
		add("includeUseragentFile", &c.IncludeUseragentFile)
		set = func(m map[string]string) { r.IAB.Assets = m }
	case NameRefererParser:
		if c := r.RefererParser.Config; c.Database != "" && c.URI != "" {
			add("database", &Database{Database: c.Database, URI: c.URI})
		}
		set = func(m map[string]string) { r.RefererParser.Assets = m }
	case NameUAParser:
		if c := r.UAParser.Config; c.Database != "" && c.URI != "" {
			add("database", &Database{Database: c.Database, URI: c.URI})
		}
		set = func(m map[string]string) { r.UAParser.Assets = m }
	}
	return keys, dbs, set
}

func (r *Registry) fetchAssets(ctx context.Context, name string, cache *assetCache) error {
	keys, dbs, set := r.assetsOf(name)
	if len(keys) == 0 {
		return nil
	}
	m := make(map[string]string, len(keys))
	var errs []error
	for i, k := range keys {
		p, err := cache.get(ctx, name, k, dbs[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m[k] = p
	}
	set(m)
	return errors.Join(errs...)
}

// construct runs one kind's constructor, or marks the kind pending.
func construct[C any, I any](r *Registry, name string, s *Slot[C, I], ctor func(*C, *Env) (I, error), base Env, log *slog.Logger) error {
	if s.Config == nil {
		return nil
	}
	if ctor == nil {
		r.pending = append(r.pending, name)
		log.Warn(name + ": not implemented")
		return nil
	}
	env := base
	env.Name, env.Schema, env.assets = name, s.Schema, s.Assets
	env.Logger = log.With("enrichment", name)
	impl, err := ctor(s.Config, &env)
	if err != nil {
		return fmt.Errorf("enrichment %s (%s): %w", name, s.Schema, err)
	}
	if any(impl) == nil {
		return fmt.Errorf("enrichment %s: its constructor returned no implementation", name)
	}
	s.Impl = impl
	if c, ok := any(impl).(io.Closer); ok {
		r.closers = append(r.closers, c)
	}
	return nil
}

func (r *Registry) build(impls Implementations, log *slog.Logger, res *iglu.Resolver, client *http.Client) error {
	base := Env{Resolver: res, HTTPClient: client}
	return errors.Join(
		construct(r, NameIPLookups, &r.IPLookups, impls.IPLookups, base, log),
		construct(r, NameIAB, &r.IAB, impls.IAB, base, log),
		construct(r, NameAnonIP, &r.AnonIP, impls.AnonIP, base, log),
		construct(r, NameUserAgentUtils, &r.UserAgentUtils, impls.UserAgentUtils, base, log),
		construct(r, NameUAParser, &r.UAParser, impls.UAParser, base, log),
		construct(r, NameCurrencyConversion, &r.CurrencyConversion, impls.CurrencyConversion, base, log),
		construct(r, NameRefererParser, &r.RefererParser, impls.RefererParser, base, log),
		construct(r, NameCampaignAttribution, &r.CampaignAttribution, impls.CampaignAttribution, base, log),
		construct(r, NameEventFingerprint, &r.EventFingerprint, impls.EventFingerprint, base, log),
		construct(r, NameJavaScript, &r.JavaScript, impls.JavaScript, base, log),
		construct(r, NameCookieExtractor, &r.CookieExtractor, impls.CookieExtractor, base, log),
		construct(r, NameHTTPHeaderExtractor, &r.HTTPHeaderExtractor, impls.HTTPHeaderExtractor, base, log),
		construct(r, NameWeather, &r.Weather, impls.Weather, base, log),
		construct(r, NameSQLQuery, &r.SQLQuery, impls.SQLQuery, base, log),
		construct(r, NameAPIRequest, &r.APIRequest, impls.APIRequest, base, log),
		construct(r, NamePII, &r.PII, impls.PII, base, log),
	)
}
