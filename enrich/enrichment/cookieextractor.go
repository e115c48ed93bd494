package enrichment

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// cookie_extractor_config, as R108's CookieExtractorEnrichment.
//
// For each collector header line, in order, that split at its first ':'
// has exactly the name "Cookie" (case-sensitive, no space before the
// colon), the rest of the line is parsed as HttpCore 4.4's
// BasicHeaderValueParser.parseParameters did: name=value pairs separated by
// ';', names and unquoted values with surrounding blanks removed and inner
// runs of blanks reduced to one space, double-quoted values unquoted
// (backslash escapes), a pair without '=' having a null value, and parsing
// stopping after the first ','. Every pair whose name is one of the
// configured cookies (exact match) gives one context
// iglu:org.ietf/http_cookie/jsonschema/1-0-0 {"name": …, "value": …}, in
// header and then cookie order; repeated cookies repeat.

const cookieContextSchema = "iglu:org.ietf/http_cookie/jsonschema/1-0-0"

type cookieExtractor struct {
	names map[string]bool
}

func newCookieExtractor(cfg *CookieExtractorConfig, _ *Env) (CookieExtractor, error) {
	if cfg.Cookies == nil {
		return nil, errors.New("cookies: missing (a list of cookie names is required)")
	}
	c := &cookieExtractor{names: make(map[string]bool, len(cfg.Cookies))}
	for _, n := range cfg.Cookies {
		c.names[n] = true
	}
	return c, nil
}

// ExtractCookies returns one context per configured cookie in headers.
func (c *cookieExtractor) ExtractCookies(headers []string) []json.RawMessage {
	var out []json.RawMessage
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || name != "Cookie" {
			continue
		}
		for _, p := range parseHeaderParameters(value) {
			if !c.names[p.Name] {
				continue
			}
			b := make([]byte, 0, 80+len(p.Name)+len(p.Value))
			b = append(b, `{"schema":"`+cookieContextSchema+`","data":{"name":`...)
			b = appendContextString(b, p.Name)
			b = append(b, `,"value":`...)
			if p.Null {
				b = append(b, "null"...)
			} else {
				b = appendContextString(b, p.Value)
			}
			b = append(b, "}}"...)
			out = append(out, b)
		}
	}
	return out
}

// parseHeaderParameters is HttpCore 4.4's
// BasicHeaderValueParser.parseParameters(value, INSTANCE).
func parseHeaderParameters(s string) []QueryParam {
	pos := skipHeaderBlanks(s, 0)
	var out []QueryParam
	for pos < len(s) {
		var p QueryParam
		p, pos = parseHeaderNameValue(s, pos)
		out = append(out, p)
		if s[pos-1] == ',' {
			break
		}
	}
	return out
}

func isHeaderBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipHeaderBlanks(s string, pos int) int {
	for pos < len(s) && isHeaderBlank(s[pos]) {
		pos++
	}
	return pos
}

// parseHeaderNameValue is BasicHeaderValueParser.parseNameValuePair.
func parseHeaderNameValue(s string, pos int) (QueryParam, int) {
	name, pos := parseHeaderToken(s, pos)
	if pos >= len(s) {
		return QueryParam{Name: name, Null: true}, pos
	}
	delim := s[pos]
	pos++
	if delim != '=' {
		return QueryParam{Name: name, Null: true}, pos
	}
	value, pos := parseHeaderValue(s, pos)
	if pos < len(s) {
		pos++ // the delimiter
	}
	return QueryParam{Name: name, Value: value}, pos
}

// parseHeaderToken is TokenParser.parseToken with the delimiters '=', ';'
// and ','.
func parseHeaderToken(s string, pos int) (string, int) {
	var dst []byte
	blank := false
	for pos < len(s) {
		c := s[pos]
		switch {
		case c == '=' || c == ';' || c == ',':
			return string(dst), pos
		case isHeaderBlank(c):
			pos = skipHeaderBlanks(s, pos)
			blank = true
		default:
			if blank && len(dst) > 0 {
				dst = append(dst, ' ')
			}
			for pos < len(s) {
				c := s[pos]
				if c == '=' || c == ';' || c == ',' || isHeaderBlank(c) {
					break
				}
				dst = append(dst, c)
				pos++
			}
			blank = false
		}
	}
	return string(dst), pos
}

// parseHeaderValue is TokenParser.parseValue with the delimiters ';' and
// ','.
func parseHeaderValue(s string, pos int) (string, int) {
	var dst []byte
	blank := false
	for pos < len(s) {
		c := s[pos]
		switch {
		case c == ';' || c == ',':
			return string(dst), pos
		case isHeaderBlank(c):
			pos = skipHeaderBlanks(s, pos)
			blank = true
		case c == '"':
			if blank && len(dst) > 0 {
				dst = append(dst, ' ')
			}
			// copyQuotedContent
			pos++
			escaped := false
			for pos < len(s) {
				c := s[pos]
				pos++
				if escaped {
					if c != '"' && c != '\\' {
						dst = append(dst, '\\')
					}
					dst = append(dst, c)
					escaped = false
					continue
				}
				if c == '"' {
					break
				}
				if c == '\\' {
					escaped = true
				} else if c != '\r' && c != '\n' {
					dst = append(dst, c)
				}
			}
			blank = false
		default:
			if blank && len(dst) > 0 {
				dst = append(dst, ' ')
			}
			for pos < len(s) {
				c := s[pos]
				if c == ';' || c == ',' || c == '"' || isHeaderBlank(c) {
					break
				}
				dst = append(dst, c)
				pos++
			}
			blank = false
		}
	}
	return string(dst), pos
}

// appendContextString appends s as a JSON string (invalid UTF-8 becomes
// U+FFFD). The enricher prints derived contexts again the way json4s did.
func appendContextString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
