package enrichment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils"
	"github.com/furrowdata/furrow/event"
)

// user_agent_utils_config, as R108's UserAgentUtilsEnrichment: the
// UserAgentUtils 1.21 browser/OS table is loaded once from
// uautils.ResolveSource (1-0-0 configs name no file: FURROW_UA_UTILS_TABLE,
// else the repository's sample table) and agents are parsed by package
// uautils, with a bounded cache of recent agents.

const userAgentCacheSize = 20000

type userAgentUtils struct {
	table *uautils.Table
	cache *keyedLRU[string, uautils.Result]
}

func newUserAgentUtils(_ *UserAgentUtilsConfig, env *Env) (UserAgentUtils, error) {
	src := uautils.ResolveSource("", os.Getenv)
	table, err := uautils.Load(context.Background(), src.URI, envFetch(env))
	if err != nil {
		return nil, fmt.Errorf("table (%s): %w", src.Origin, err)
	}
	if env.Logger != nil {
		env.Logger.Info("UserAgentUtils table loaded", "uri", src.URI, "from", src.Origin)
	}
	return &userAgentUtils{table: table, cache: newKeyedLRU[string, uautils.Result](userAgentCacheSize)}, nil
}

func (u *userAgentUtils) ParseUserAgent(ua string, e *event.Event) error {
	r, ok := u.cache.get(ua)
	if !ok {
		r = u.table.Parse(ua)
		u.cache.put(ua, r)
	}
	f := &e.Fields
	f[event.BrName], f[event.BrFamily], f[event.BrVersion] = r.BrName, r.BrFamily, r.BrVersion
	f[event.BrType], f[event.BrRenderengine] = r.BrType, r.BrRenderEngine
	f[event.OSName], f[event.OSFamily], f[event.OSManufacturer] = r.OSName, r.OSFamily, r.OSManufacturer
	f[event.DvceType] = r.DvceType
	f[event.DvceIsMobile] = "0"
	if r.DvceIsMobile {
		f[event.DvceIsMobile] = "1"
	}
	return nil
}

// envFetch reads the http(s) tables that an environment variable names
// (the asset cache serves the locations a config names); other schemes are
// not implemented here.
func envFetch(env *Env) func(ctx context.Context, uri string) ([]byte, error) {
	return func(ctx context.Context, uri string) ([]byte, error) {
		u, err := url.Parse(uri)
		if err != nil {
			return nil, err
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("not implemented: %s:// for a table named by an environment variable (use a local path, http(s):// or the config's uri + database)", u.Scheme)
		}
		client := env.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: defaultHTTPTimeout}
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, errors.New("HTTP status " + resp.Status)
		}
		return io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	}
}
