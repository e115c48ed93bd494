package enrichment

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/furrowdata/furrow/enrich/enrichment/uaparser"
)

// ua_parser_config, as R108's UaParserEnrichment: the ua_parser_context of
// the agent, built by package uaparser. The rules come from the config's
// uri + database (1-0-1; read with uap-core semantics, as the later
// Snowplow releases that added the option did), else
// FURROW_UA_PARSER_REGEXES (ua-parser Java 1.3.0 semantics: the 2013
// regexes.yaml R108 bundled), else the regexes embedded in uap-go
// (uap-core semantics). Contexts of recent agents are cached.

const uaParserCacheSize = 20000

type uaParser struct {
	parser *uaparser.Parser
	cache  *keyedLRU[string, json.RawMessage]
}

func newUAParser(_ *UAParserConfig, env *Env) (UAParser, error) {
	configured, _ := env.Asset("database")
	src := uaparser.ResolveSource(configured, os.Getenv)
	var p *uaparser.Parser
	var err error
	switch {
	case src.URI == "":
		p, err = uaparser.Default()
	case src.Origin == "config":
		p, err = uaparser.Load(context.Background(), src.URI, envFetch(env), uaparser.UapCore)
	default:
		p, err = uaparser.LoadSource(context.Background(), src, envFetch(env))
	}
	if err != nil {
		return nil, fmt.Errorf("database (%s): %w", src.Origin, err)
	}
	if env.Logger != nil {
		env.Logger.Info("ua-parser rules loaded", "uri", src.URI, "from", src.Origin, "semantics", p.Semantics().String())
	}
	return &uaParser{parser: p, cache: newKeyedLRU[string, json.RawMessage](uaParserCacheSize)}, nil
}

// UAParserContext returns the context; the bytes are shared with the cache
// and must not be modified.
func (u *uaParser) UAParserContext(ua string) (json.RawMessage, error) {
	if c, ok := u.cache.get(ua); ok {
		return c, nil
	}
	c := json.RawMessage(u.parser.Context(ua))
	u.cache.put(ua, c)
	return c, nil
}
