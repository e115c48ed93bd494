package enrichment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// defaultHTTPTimeout bounds an asset download or an implementation's HTTP
// call when Options.HTTPClient is nil.
const defaultHTTPTimeout = 60 * time.Second

// FetchFunc copies the object at uri to w. It serves URI schemes the asset
// cache does not know itself (e.g. s3://).
type FetchFunc func(ctx context.Context, uri *url.URL, w io.Writer) error

// AssetOptions configure the asset cache.
type AssetOptions struct {
	// CacheDir is where downloaded files are kept, as
	// CacheDir/<enrichment>/<key>/<database>. Required when an asset must
	// be downloaded; created if missing.
	CacheDir string
	// LocalDir, when set, is searched first for a file named like the
	// asset's database (Spark Enrich's local mode): a hit is used in place
	// and nothing is fetched.
	LocalDir string
	// Fetchers serve further URI schemes, keyed by scheme ("s3").
	Fetchers map[string]FetchFunc
}

// assetCache fetches each distinct location once per load.
type assetCache struct {
	opts   AssetOptions
	client *http.Client
	mu     sync.Mutex
	done   map[string]string // location → local path
}

func newAssetCache(opts AssetOptions, client *http.Client) *assetCache {
	return &assetCache{opts: opts, client: client, done: map[string]string{}}
}

// get returns the local path of one asset, fetching it if needed. Errors
// name the enrichment, the key and the location.
func (c *assetCache) get(ctx context.Context, name, key string, db Database) (string, error) {
	loc := db.Location()
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("%w: enrichment %s: %s file %s: %v", ErrConfig, name, key, loc, err)
	}
	if db.Database == "" || strings.ContainsAny(db.Database, `/\`) || db.Database == "." || db.Database == ".." {
		return fail(fmt.Errorf("database [%s] is not a file name", db.Database))
	}
	if c.opts.LocalDir != "" {
		p := filepath.Join(c.opts.LocalDir, db.Database)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.done[loc]; ok {
		return p, nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return fail(err)
	}
	var p string
	switch {
	case u.Scheme == "" || len(u.Scheme) == 1: // a plain path (or a Windows drive letter)
		p = loc
		if err := checkFile(p); err != nil {
			return fail(err)
		}
	case u.Scheme == "file":
		p = u.Path
		if err := checkFile(p); err != nil {
			return fail(err)
		}
	case u.Scheme == "http" || u.Scheme == "https":
		p, err = c.download(ctx, name, key, db.Database, func(w io.Writer) error { return c.httpGet(ctx, u, w) })
		if err != nil {
			return fail(err)
		}
	default:
		f, ok := c.opts.Fetchers[u.Scheme]
		if !ok {
			return fail(fmt.Errorf("no fetcher for URI scheme %q", u.Scheme))
		}
		p, err = c.download(ctx, name, key, db.Database, func(w io.Writer) error { return f(ctx, u, w) })
		if err != nil {
			return fail(err)
		}
	}
	c.done[loc] = p
	return p, nil
}

func checkFile(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	return nil
}

// download writes the asset to the cache through a temporary file renamed
// into place, so a reader never sees a partial file.
func (c *assetCache) download(_ context.Context, name, key, database string, fetch func(io.Writer) error) (string, error) {
	if c.opts.CacheDir == "" {
		return "", errors.New("no asset cache folder configured (AssetOptions.CacheDir)")
	}
	dir := filepath.Join(c.opts.CacheDir, name, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+database+".*.part")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := fetch(tmp); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	final := filepath.Join(dir, database)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	return final, nil
}

func (c *assetCache) httpGet(ctx context.Context, u *url.URL, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP status %s", resp.Status)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
