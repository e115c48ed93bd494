package enrichment

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// http_header_extractor_config, as R108's HttpHeaderExtractorEnrichment.
//
// Each collector header line, in order, is split at its first ':'; when
// the name (untrimmed) matches headersPattern as a whole (Java's
// String.matches), the line gives one context
// iglu:org.ietf/http_header/jsonschema/1-0-0 {"name": …, "value": …} with
// name and value trimmed as String.trim did. A line without ':' is skipped.
//
// headersPattern is a Java regular expression; furrow compiles it with Go's
// RE2 syntax, which covers what such patterns use (".*", alternations,
// classes, (?i)). A pattern RE2 cannot run (look-around, back-references,
// possessive quantifiers) is a configuration error naming the key. Match
// results are cached per header name (bounded).

const headerContextSchema = "iglu:org.ietf/http_header/jsonschema/1-0-0"

// headerMatchCacheSize bounds the cache of header-name match results.
const headerMatchCacheSize = 4096

type httpHeaderExtractor struct {
	re    *regexp.Regexp
	cache *keyedLRU[string, bool]
}

func newHTTPHeaderExtractor(cfg *HTTPHeaderExtractorConfig, _ *Env) (HTTPHeaderExtractor, error) {
	re, err := regexp.Compile(`\A(?:` + cfg.HeadersPattern + `)\z`)
	if err != nil {
		return nil, fmt.Errorf("headersPattern: [%s] is not a regular expression furrow can run: %v", cfg.HeadersPattern, err)
	}
	return &httpHeaderExtractor{re: re, cache: newKeyedLRU[string, bool](headerMatchCacheSize)}, nil
}

// ExtractHeaders returns one context per header whose name matches.
func (h *httpHeaderExtractor) ExtractHeaders(headers []string) []json.RawMessage {
	var out []json.RawMessage
	for _, line := range headers {
		name, value, ok := strings.Cut(line, ":")
		if !ok || !h.matches(name) {
			continue
		}
		name, value = javaTrim(name), javaTrim(value)
		b := make([]byte, 0, 80+len(name)+len(value))
		b = append(b, `{"schema":"`+headerContextSchema+`","data":{"name":`...)
		b = appendContextString(b, name)
		b = append(b, `,"value":`...)
		b = appendContextString(b, value)
		b = append(b, "}}"...)
		out = append(out, b)
	}
	return out
}

func (h *httpHeaderExtractor) matches(name string) bool {
	if m, ok := h.cache.get(name); ok {
		return m
	}
	m := h.re.MatchString(name)
	h.cache.put(name, m)
	return m
}
