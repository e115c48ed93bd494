package iglu

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/furrowdata/furrow/event"
)

// builtin holds the schemas of the "Iglu Client Embedded" registry, written
// for furrow: the self-describing meta-schemas, resolver-config 1-0-0..1-0-3,
// contexts 1-0-0/1-0-1, unstruct_event 1-0-0, duplicate 1-0-0 and
// payload_data 1-0-0..1-0-4.
//
//go:embed embedded
var builtin embed.FS

// BuiltinFS returns the built-in embedded registry as a read-only file
// system: iglu-client-embedded/schemas/vendor/name/format/M-R-A.
func BuiltinFS() fs.FS {
	sub, err := fs.Sub(builtin, "embedded")
	if err != nil {
		panic("iglu: embedded registry missing: " + err.Error()) // broken build
	}
	return sub
}

// bootstrapPath is the embedded path of the built-in registry (as in
// iglu-scala-client).
const bootstrapPath = "/iglu-client-embedded"

// BootstrapName is the name of the built-in registry that every resolver
// searches (class priority of an embedded registry, priority 0, no vendor
// prefixes), as iglu-scala-client's bootstrap repository.
const BootstrapName = "Iglu Client Embedded"

// maxSchemaBytes bounds a schema document read from any registry.
const maxSchemaBytes = 16 << 20

// errNotFound is what a source returns when it does not hold a schema.
var errNotFound = errors.New("not found")

// transientError marks a failure worth retrying (network, 5xx, 429).
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func isTransient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

// source reads raw schema documents from one registry.
type source interface {
	// fetch returns the schema document of key, errNotFound when the
	// registry does not have it, or another error (maybe transient).
	fetch(ctx context.Context, key event.SchemaKey) ([]byte, error)
	// where describes the location of key in the registry, for errors.
	where(key event.SchemaKey) string
}

// Class priorities as iglu-scala-client: cheap local registries before
// HTTP ones.
const (
	classLocal = 1
	classHTTP  = 100
)

// repo is one registry of a resolver, with its lookup-order attributes.
type repo struct {
	cfg        Repository
	class      int
	descriptor string // "embedded", "HTTP", "filesystem": as in Snowplow's "tried" lists
	src        source
}

// label is the "Name [descriptor]" form Snowplow's errors list.
func (r *repo) label() string { return r.cfg.Name + " [" + r.descriptor + "]" }

// vendorMatched reports whether one of the repository's vendor prefixes is a
// prefix of vendor.
func (r *repo) vendorMatched(vendor string) bool {
	for _, p := range r.cfg.VendorPrefixes {
		if strings.HasPrefix(vendor, p) {
			return true
		}
	}
	return false
}

// fsSource reads a registry laid out as schemas/vendor/name/format/version
// below root in an fs.FS (the embedded registry and local folders).
type fsSource struct {
	fsys fs.FS
	root string // slash path inside fsys; "" or "." = top
	desc string // for errors: the folder or embedded path
}

func (s *fsSource) name(key event.SchemaKey) string {
	return path.Join(s.root, key.Vendor, key.Name, key.Format, key.Version.String())
}

func (s *fsSource) where(key event.SchemaKey) string {
	return s.desc + "/" + key.Path()
}

func (s *fsSource) fetch(_ context.Context, key event.SchemaKey) ([]byte, error) {
	f, err := s.fsys.Open(s.name(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errNotFound
		}
		return nil, fmt.Errorf("reading %s: %w", s.where(key), err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("reading %s: is a directory", s.where(key))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSchemaBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", s.where(key), err)
	}
	if len(b) > maxSchemaBytes {
		return nil, fmt.Errorf("reading %s: larger than %d bytes", s.where(key), maxSchemaBytes)
	}
	return b, nil
}

// newFolderSource opens a local folder registry: dir/schemas/vendor/… or,
// when dir is itself named "schemas" or has no schemas subfolder but
// vendor folders, dir/vendor/….
func newFolderSource(dir string) (*fsSource, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("filesystem registry: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("filesystem registry: %s is not a directory", dir)
	}
	root := dir
	if st, err := os.Stat(filepath.Join(dir, "schemas")); err == nil && st.IsDir() {
		root = filepath.Join(dir, "schemas")
	}
	return &fsSource{fsys: os.DirFS(root), root: ".", desc: filepath.ToSlash(root)}, nil
}

// newEmbeddedSource maps an embedded path ("/iglu-client-embedded") into
// fsys, whose layout is path/schemas/vendor/…. A path that does not exist
// gives an empty registry (every lookup not found), as a missing resource
// folder did in Snowplow; the caller logs it.
func newEmbeddedSource(fsys fs.FS, embeddedPath string) (*fsSource, bool) {
	p := strings.Trim(path.Clean("/"+embeddedPath), "/")
	root := path.Join(p, "schemas")
	if p == "" {
		root = "schemas"
	}
	st, err := fs.Stat(fsys, root)
	exists := err == nil && st.IsDir()
	return &fsSource{fsys: fsys, root: root, desc: "embedded:" + path.Join("/", p, "schemas")}, exists
}

// httpSource reads a static Iglu registry over HTTP(S):
// GET {uri}/schemas/vendor/name/format/M-R-A with the API key, when set, in
// an "apikey" header (as iglu-scala-client sent it).
type httpSource struct {
	base    string // without trailing slash
	apikey  string
	client  *http.Client
	timeout time.Duration // per attempt
	retries int           // extra attempts on transient errors
	backoff time.Duration // before the first retry; doubles
	log     *slog.Logger
}

func (s *httpSource) where(key event.SchemaKey) string {
	return s.base + "/schemas/" + key.Path()
}

// fetch GETs the schema, retrying transient failures (network errors, 5xx,
// 429) s.retries times with exponential backoff. 404, 403 (S3 and
// CloudFront answer 403 for missing keys) and 410 mean not found; any other
// status is an error naming the URL.
func (s *httpSource) fetch(ctx context.Context, key event.SchemaKey) ([]byte, error) {
	u := s.where(key)
	wait := s.backoff
	for attempt := 0; ; attempt++ {
		b, err := s.get(ctx, u)
		if err == nil || !isTransient(err) || attempt >= s.retries || ctx.Err() != nil {
			return b, err
		}
		s.log.Debug("iglu: retrying registry request", "url", u, "attempt", attempt+1, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("fetching %s: %w (after %v)", u, ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
	}
}

func (s *httpSource) get(ctx context.Context, u string) ([]byte, error) {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	if s.apikey != "" {
		req.Header.Set("apikey", s.apikey)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, &transientError{fmt.Errorf("fetching %s: %w", u, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusForbidden, resp.StatusCode == http.StatusGone:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, errNotFound
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &transientError{fmt.Errorf("fetching %s: HTTP %s", u, resp.Status)}
	default:
		return nil, fmt.Errorf("fetching %s: HTTP %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSchemaBytes+1))
	if err != nil {
		return nil, &transientError{fmt.Errorf("fetching %s: reading body: %w", u, err)}
	}
	if len(b) > maxSchemaBytes {
		return nil, fmt.Errorf("fetching %s: body larger than %d bytes", u, maxSchemaBytes)
	}
	return b, nil
}
