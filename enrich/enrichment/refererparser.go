package enrichment

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/furrowdata/furrow/enrich/enrichment/referer"
)

// referer_parser, as R108's RefererParserEnrichment with referer-parser
// 0.3.0 (package referer). The database comes from the config's uri +
// database (2-0-x), else FURROW_REFERER_DATABASE, else the repository's
// sample database; 2-0-1's inline "referrers" are added on top (medium and
// source names in sorted order, each replacing what the database had for
// its domains).

type refererParser struct {
	db       *referer.Database
	internal []string
}

func newRefererParser(cfg *RefererParserConfig, env *Env) (RefererParser, error) {
	configured, _ := env.Asset("database")
	src := referer.ResolveSource(configured, os.Getenv)
	db, err := referer.Load(context.Background(), src.URI, envFetch(env))
	if err != nil {
		return nil, fmt.Errorf("database (%s): %w", src.Origin, err)
	}
	media := make([]string, 0, len(cfg.Referrers))
	for m := range cfg.Referrers {
		media = append(media, m)
	}
	slices.Sort(media)
	for _, m := range media {
		sources := make([]string, 0, len(cfg.Referrers[m]))
		for s := range cfg.Referrers[m] {
			sources = append(sources, s)
		}
		slices.Sort(sources)
		for _, s := range sources {
			d := cfg.Referrers[m][s]
			if db, err = db.Extend(m, s, d.Domains, d.Parameters); err != nil {
				return nil, fmt.Errorf("referrers.%s.%s: %w", m, s, err)
			}
		}
	}
	if env.Logger != nil {
		env.Logger.Info("referer database loaded", "uri", src.URI, "from", src.Origin, "keys", db.Len())
	}
	return &refererParser{db: db, internal: cfg.InternalDomains}, nil
}

func (r *refererParser) ParseReferer(u *URI, pageHost string) (medium, source, term string, ok bool) {
	return r.db.LookupURI(referer.URI{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawQuery: u.Query}, pageHost, r.internal)
}
