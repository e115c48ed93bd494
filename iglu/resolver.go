package iglu

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/text/message"

	"github.com/furrowdata/furrow/event"
)

// Defaults of Options.
const (
	DefaultHTTPTimeout  = 10 * time.Second
	DefaultHTTPRetries  = 2
	DefaultRetryBackoff = 200 * time.Millisecond
	// lookupAttempts is how many lookups of one key may go to a repository
	// that failed transiently before the failure stays cached (Snowplow: 3).
	lookupAttempts = 3
)

// Options are the dependencies of a Resolver.
type Options struct {
	HTTPClient *http.Client // nil = a client with a 20 s overall timeout
	Logger     *slog.Logger // nil = slog.Default()
	// HTTPTimeout bounds one HTTP request attempt. 0 = DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	// HTTPRetries is how many times one lookup retries a transient HTTP
	// failure (network error, 5xx, 429). 0 = DefaultHTTPRetries, < 0 = none.
	HTTPRetries int
	// RetryBackoff is the wait before the first retry; it doubles.
	// 0 = DefaultRetryBackoff.
	RetryBackoff time.Duration
	// EmbeddedFS is what connection.embedded.path resolves against
	// (path/schemas/vendor/…). nil = BuiltinFS(). The built-in "Iglu Client
	// Embedded" registry always uses BuiltinFS().
	EmbeddedFS fs.FS
	// Now is the clock of cacheTtl. nil = time.Now.
	Now func() time.Time
}

// Resolver resolves Iglu schema keys to compiled JSON Schemas and validates
// self-describing data. Safe for concurrent use.
//
// Lookup order (iglu-scala-client 0.5, Snowplow R108): the built-in
// embedded registry and the configured ones are sorted by (vendor prefix
// does not match the key's vendor, class priority, priority), stably, the
// built-in registry first among equals. Class priority is 1 for embedded
// and filesystem registries and 100 for HTTP ones; lower priorities are
// searched first. The first registry that serves a valid schema whose self
// block names the key wins; a registry that serves an invalid schema is
// skipped with its error recorded.
//
// Cache: an LRU of Config.CacheSize results (compiled schemas and failures)
// expiring after Config.CacheTTL seconds. Concurrent lookups of one key
// share one resolution. A failure caused by a transient registry error is
// retried, on that registry only, by up to two later lookups of the key;
// after that (or for a clean not-found) it stays cached until it expires.
type Resolver struct {
	cfg         Config
	repos       []*repo // bootstrap first, then config order
	bootstrap   *repo
	cache       *lruCache
	group       singleflight.Group
	log         *slog.Logger
	printer     *message.Printer
	maxAttempts int
}

// NewResolver builds a Resolver for cfg. It fails when cfg is invalid or a
// filesystem registry's folder does not exist.
func NewResolver(cfg Config, opts Options) (*Resolver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 2 * DefaultHTTPTimeout}
	}
	timeout := opts.HTTPTimeout
	if timeout == 0 {
		timeout = DefaultHTTPTimeout
	}
	retries := opts.HTTPRetries
	if retries == 0 {
		retries = DefaultHTTPRetries
	} else if retries < 0 {
		retries = 0
	}
	backoff := opts.RetryBackoff
	if backoff == 0 {
		backoff = DefaultRetryBackoff
	}
	embedded := opts.EmbeddedFS
	if embedded == nil {
		embedded = BuiltinFS()
	}

	r := &Resolver{
		cfg:         cfg,
		cache:       newLRUCache(cfg.CacheSize, time.Duration(cfg.CacheTTL)*time.Second, now),
		log:         log,
		printer:     newPrinter(),
		maxAttempts: lookupAttempts,
	}
	bootSrc, _ := newEmbeddedSource(BuiltinFS(), bootstrapPath)
	r.bootstrap = &repo{
		cfg:        Repository{Name: BootstrapName, Priority: 0, Path: bootstrapPath},
		class:      classLocal,
		descriptor: "embedded",
		src:        bootSrc,
	}
	r.repos = append(r.repos, r.bootstrap)
	for i, rc := range cfg.Repositories {
		rp := &repo{cfg: rc}
		switch {
		case rc.HTTPURI != "":
			rp.class, rp.descriptor = classHTTP, "HTTP"
			rp.src = &httpSource{
				base:    strings.TrimRight(rc.HTTPURI, "/"),
				apikey:  rc.HTTPAPIKey,
				client:  client,
				timeout: timeout,
				retries: retries,
				backoff: backoff,
				log:     log,
			}
		case rc.Path != "":
			src, ok := newEmbeddedSource(embedded, rc.Path)
			if !ok {
				log.Warn("iglu: embedded registry path holds no schemas folder; every lookup in it will miss",
					"repository", rc.Name, "path", rc.Path)
			}
			rp.class, rp.descriptor, rp.src = classLocal, "embedded", src
		case rc.Folder != "":
			src, err := newFolderSource(rc.Folder)
			if err != nil {
				return nil, fmt.Errorf("iglu resolver config: repositories[%d] (%s): connection.filesystem.path: %w", i, rc.Name, err)
			}
			rp.class, rp.descriptor, rp.src = classLocal, "filesystem", src
		}
		r.repos = append(r.repos, rp)
	}
	if cfg.CacheSize == 0 {
		log.Warn("iglu: cacheSize is 0: every lookup goes to the registries and recompiles its schema")
	}
	return r, nil
}

// order returns the repositories in lookup order for key.
func (r *Resolver) order(key event.SchemaKey, repos []*repo) []*repo {
	out := slices.Clone(repos)
	slices.SortStableFunc(out, func(a, b *repo) int {
		am, bm := a.vendorMatched(key.Vendor), b.vendorMatched(key.Vendor)
		if am != bm {
			if am {
				return -1
			}
			return 1
		}
		if a.class != b.class {
			return a.class - b.class
		}
		return cmp.Compare(a.cfg.Priority, b.cfg.Priority)
	})
	return out
}

// Lookup returns the schema for key. A schema that no repository has gives an
// error wrapping ErrSchemaNotFound (a *ResolutionError). A cached hit takes a
// read lock and no allocation. ctx bounds the wait of this caller; the
// resolution itself, shared with concurrent callers, is bounded by the HTTP
// timeouts.
func (r *Resolver) Lookup(ctx context.Context, key event.SchemaKey) (*Schema, error) {
	if res := r.cache.get(key); res != nil {
		if res.schema != nil {
			return res.schema, nil
		}
		if !res.retryable(r.maxAttempts) {
			return nil, res.err
		}
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	ch := r.group.DoChan(key.String(), func() (any, error) {
		return r.resolve(context.WithoutCancel(ctx), key), nil
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("looking up %s: %w", key, ctx.Err())
	case v := <-ch:
		res := v.Val.(*result)
		if res.schema != nil {
			return res.schema, nil
		}
		return nil, res.err
	}
}

// checkKey rejects keys that are not valid Iglu keys (they could name paths
// outside a registry).
func checkKey(key event.SchemaKey) error {
	if _, err := event.ParseSchemaKey(key.String()); err != nil {
		return err
	}
	if key.Vendor == "." || key.Vendor == ".." {
		return fmt.Errorf("%w: [%s] has a vendor that is a path element", event.ErrInvalidSchemaKey, key)
	}
	return nil
}

// resolve searches the registries for key (all of them, or on a retry only
// those that failed transiently) and caches the result.
func (r *Resolver) resolve(ctx context.Context, key event.SchemaKey) *result {
	prev := r.cache.get(key)
	if prev != nil && (prev.schema != nil || !prev.retryable(r.maxAttempts)) {
		return prev // another flight finished in between
	}
	res := &result{attempts: 1}
	var todo []*repo
	rerr := &ResolutionError{Key: key}
	if prev != nil {
		res.attempts = prev.attempts + 1
		todo = r.order(key, prev.err.transientRepos())
		rerr.Tried = prev.err.Tried
		for _, f := range prev.err.Failures {
			if !f.Transient {
				rerr.Failures = append(rerr.Failures, f)
			}
		}
	} else {
		todo = r.order(key, r.repos)
		for i := len(todo) - 1; i >= 0; i-- {
			rerr.Tried = append(rerr.Tried, todo[i].label())
		}
	}
	for _, rp := range todo {
		raw, err := rp.src.fetch(ctx, key)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			rerr.Failures = append(rerr.Failures, RepositoryError{Repository: rp.label(), Err: err, Transient: isTransient(err), repo: rp})
			continue
		}
		s, err := r.build(ctx, rp, key, raw)
		if err != nil {
			r.log.Warn("iglu: repository served an unusable schema", "repository", rp.label(), "key", key.String(), "err", err)
			rerr.Failures = append(rerr.Failures, RepositoryError{Repository: rp.label(), Err: fmt.Errorf("%s: %w", rp.src.where(key), err), repo: rp})
			continue
		}
		res.schema = s
		break
	}
	if res.schema == nil {
		res.err = rerr
	}
	r.cache.put(key, res)
	return res
}

// build parses, checks and compiles a schema document served by rp.
func (r *Resolver) build(ctx context.Context, rp *repo, key event.SchemaKey, raw []byte) (*Schema, error) {
	doc, err := parseSchemaDoc(key, raw)
	if err != nil {
		return nil, err
	}
	compiled, err := r.compile(ctx, key, doc)
	if err != nil {
		return nil, err
	}
	fast, ok := compileFast(compiled)
	if !ok {
		fast = nil
	}
	return &Schema{Key: key, Raw: json.RawMessage(raw), Repository: rp.cfg.Name, compiled: compiled, printer: r.printer, fast: fast}, nil
}

// fetchRaw returns the first document any registry serves for key, in
// lookup order, without compiling or caching it (for $ref resolution).
func (r *Resolver) fetchRaw(ctx context.Context, key event.SchemaKey) ([]byte, string, error) {
	if err := checkKey(key); err != nil {
		return nil, "", err
	}
	rerr := &ResolutionError{Key: key}
	order := r.order(key, r.repos)
	for i := len(order) - 1; i >= 0; i-- {
		rerr.Tried = append(rerr.Tried, order[i].label())
	}
	for _, rp := range order {
		raw, err := rp.src.fetch(ctx, key)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			rerr.Failures = append(rerr.Failures, RepositoryError{Repository: rp.label(), Err: err, Transient: isTransient(err), repo: rp})
			continue
		}
		return raw, rp.cfg.Name, nil
	}
	return nil, "", rerr
}

// Validate looks up key and validates data against it.
func (r *Resolver) Validate(ctx context.Context, key event.SchemaKey, data json.RawMessage) error {
	s, err := r.Lookup(ctx, key)
	if err != nil {
		return err
	}
	return s.Validate(data)
}

// ValidateString is Validate for data held in a string (see
// Schema.ValidateString): the per-entity call of the enrich path.
func (r *Resolver) ValidateString(ctx context.Context, key event.SchemaKey, data string) error {
	s, err := r.Lookup(ctx, key)
	if err != nil {
		return err
	}
	return s.ValidateString(data)
}

// ValidateSelfDescribing looks up sd's schema and validates sd.Data against it.
func (r *Resolver) ValidateSelfDescribing(ctx context.Context, sd event.SelfDescribing) error {
	return r.Validate(ctx, sd.Schema, sd.Data)
}

// ListModel returns every version of one schema model that the registries
// serve, in SchemaVer order: vendor/name/format/model-0-0 and its successors.
// Static registries cannot list, so versions are probed: within revision R
// the additions M-R-0, M-R-1, … are looked up until one is missing, then the
// next revision starts at M-(R+1)-0; the walk ends at the first revision
// whose M-R-0 is missing. This finds every version of a model published
// without gaps, which SchemaVer requires. Probes go through Lookup, so they
// use (and fill) the cache, including not-found results. A model with no
// M-0-0 gives a *ResolutionError wrapping ErrSchemaNotFound; a probe that
// fails for another reason (ErrRepositoryFailure) fails the whole listing,
// since a partial list would be wrong.
func (r *Resolver) ListModel(ctx context.Context, vendor, name, format string, model int) ([]event.SchemaKey, error) {
	var out []event.SchemaKey
	for rev := 0; ; rev++ {
		found := false
		for add := 0; ; add++ {
			k := event.SchemaKey{Vendor: vendor, Name: name, Format: format, Version: event.SchemaVer{Model: model, Revision: rev, Addition: add}}
			_, err := r.Lookup(ctx, k)
			if err != nil {
				if errors.Is(err, ErrSchemaNotFound) && !errors.Is(err, ErrRepositoryFailure) {
					if rev == 0 && add == 0 {
						return nil, err
					}
					break
				}
				return nil, fmt.Errorf("listing %s/%s/%s/%d: %w", vendor, name, format, model, err)
			}
			out = append(out, k)
			found = true
		}
		if !found {
			return out, nil
		}
	}
}
