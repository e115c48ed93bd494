package referer

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDatabase is returned (wrapped) for a referer database that cannot be
// used.
var ErrDatabase = errors.New("referer: invalid database")

// The media names Lookup returns.
const (
	MediumUnknown  = "unknown"
	MediumInternal = "internal"
	MediumSearch   = "search"
	MediumSocial   = "social"
	MediumEmail    = "email"
	MediumPaid     = "paid"    // later JSON databases only
	MediumChatbot  = "chatbot" // later JSON databases only
)

// Referer is one database record: what a lookup key resolves to.
type Referer struct {
	Medium     string   // lowercase medium name
	Source     string   // source name as written in the database
	Parameters []string // query parameters that may carry the search term
}

// Database maps lookup keys (a host, or a host followed by a path such as
// "orange.fr/webmail") to referers. It is immutable and safe for
// concurrent use.
type Database struct {
	refs map[string]*Referer
	// pathHosts holds the host part of every key that has a path, so that
	// host+path candidates are only looked up for hosts that have some.
	pathHosts map[string]struct{}
}

// Len is the number of lookup keys.
func (db *Database) Len() int { return len(db.refs) }

// Get returns the record of one lookup key (exact, case-sensitive).
func (db *Database) Get(key string) (Referer, bool) {
	r, ok := db.refs[key]
	if !ok {
		return Referer{}, false
	}
	return *r, true
}

// format selects the loader rules.
type format uint8

const (
	formatYAML030 format = iota // referer-parser 0.3.0 rules
	formatJSON                  // later Snowplow JSON rules
)

// Parse loads a database in either format: JSON when the first non-blank
// byte is '{', YAML otherwise.
func Parse(data []byte) (*Database, error) {
	if s := strings.TrimLeft(string(data), " \t\r\n\ufeff"); strings.HasPrefix(s, "{") {
		return ParseJSON(data)
	}
	return ParseYAML(data)
}

// ParseYAML loads referers.yml with referer-parser 0.3.0's rules (see the
// package doc). Errors wrap ErrDatabase and name the medium, source and
// line.
func ParseYAML(data []byte) (*Database, error) {
	t, err := fromYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDatabase, err)
	}
	return build(t, formatYAML030)
}

// ParseJSON loads the later JSON format (medium → source → {domains,
// parameters}) with the later parser's rules (see the package doc).
func ParseJSON(data []byte) (*Database, error) {
	t, err := fromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDatabase, err)
	}
	return build(t, formatJSON)
}

func build(doc *tree, f format) (*Database, error) {
	fail := func(t *tree, format string, args ...any) error {
		return fmt.Errorf("%w: %s%s", ErrDatabase, fmt.Sprintf(format, args...), t.where())
	}
	if doc.kind != kindMapping {
		return nil, fail(doc, "top level is not a mapping of media")
	}
	db := &Database{refs: map[string]*Referer{}, pathHosts: map[string]struct{}{}}
	for i, mediumName := range doc.keys {
		sources := doc.vals[i]
		medium, ok := mediumOf(mediumName, f)
		if !ok {
			if f == formatYAML030 {
				return nil, fail(sources, "medium %q is not one of unknown, internal, search, social, email (referer-parser 0.3.0)", mediumName)
			}
			return nil, fail(sources, "medium %q is not one of unknown, internal, search, social, email, paid, chatbot", mediumName)
		}
		if sources.kind == kindNull {
			continue // a medium without sources adds nothing
		}
		if sources.kind != kindMapping {
			return nil, fail(sources, "medium %q: not a mapping of sources", mediumName)
		}
		for j, sourceName := range sources.keys {
			src := sources.vals[j]
			where := fmt.Sprintf("medium %q source %q", mediumName, sourceName)
			if src.kind != kindMapping {
				return nil, fail(src, "%s: not a mapping with domains", where)
			}
			domains, err := stringList(src.get("domains"))
			if err != nil || domains == nil {
				return nil, fail(src, "%s: no domains list", where)
			}
			params, err := stringList(src.get("parameters"))
			if err != nil {
				return nil, fail(src, "%s: parameters: %v", where, err)
			}
			if f == formatYAML030 {
				if medium == MediumSearch && params == nil {
					return nil, fail(src, "%s: a search source needs parameters", where)
				}
				if medium != MediumSearch && params != nil {
					return nil, fail(src, "%s: only search sources may have parameters", where)
				}
			}
			ref := &Referer{Medium: medium, Source: sourceName, Parameters: params}
			for _, d := range domains {
				// A repeated domain overwrites the earlier one (0.3.0 meant
				// to reject it, but its check never fired).
				db.refs[d] = ref
				if host, _, ok := strings.Cut(d, "/"); ok {
					db.pathHosts[host] = struct{}{}
				}
			}
		}
	}
	return db, nil
}

// mediumOf is 0.3.0's Medium.fromString: the name upper-cased (as Java
// does) must name a medium.
func mediumOf(name string, f format) (string, bool) {
	switch strings.ToUpper(name) {
	case "UNKNOWN":
		return MediumUnknown, true
	case "INTERNAL":
		return MediumInternal, true
	case "SEARCH":
		return MediumSearch, true
	case "SOCIAL":
		return MediumSocial, true
	case "EMAIL":
		return MediumEmail, true
	case "PAID":
		return MediumPaid, f == formatJSON
	case "CHATBOT":
		return MediumChatbot, f == formatJSON
	}
	return "", false
}

// stringList reads a sequence of scalars; nil (no error) for an absent or
// null value.
func stringList(t *tree) ([]string, error) {
	if t == nil || t.kind == kindNull {
		return nil, nil
	}
	if t.kind != kindSequence {
		return nil, errors.New("not a list")
	}
	out := make([]string, 0, len(t.items))
	for _, it := range t.items {
		if it.kind != kindScalar {
			return nil, errors.New("list entry is not a string")
		}
		out = append(out, it.str)
	}
	return out, nil
}

// Extend returns a copy of the database with one more source: each of its
// domains maps to it, replacing what the database had (referer_parser
// 2-0-1's inline "referrers"). Media are those of the later JSON format;
// parameters are optional. The receiver is not changed.
func (db *Database) Extend(medium, source string, domains, parameters []string) (*Database, error) {
	m, ok := mediumOf(medium, formatJSON)
	if !ok {
		return nil, fmt.Errorf("%w: medium %q is not one of unknown, internal, search, social, email, paid, chatbot", ErrDatabase, medium)
	}
	if len(domains) == 0 {
		return nil, fmt.Errorf("%w: medium %q source %q: no domains", ErrDatabase, medium, source)
	}
	out := &Database{refs: make(map[string]*Referer, len(db.refs)+len(domains)), pathHosts: make(map[string]struct{}, len(db.pathHosts))}
	for k, v := range db.refs {
		out.refs[k] = v
	}
	for k := range db.pathHosts {
		out.pathHosts[k] = struct{}{}
	}
	ref := &Referer{Medium: m, Source: source, Parameters: append([]string(nil), parameters...)}
	for _, d := range domains {
		out.refs[d] = ref
		if host, _, ok := strings.Cut(d, "/"); ok {
			out.pathHosts[host] = struct{}{}
		}
	}
	return out, nil
}
