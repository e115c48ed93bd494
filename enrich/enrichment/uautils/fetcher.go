package uautils

import (
	"fmt"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/uamatch"
)

// A fetcher extracts the browser version from the original-case agent, as
// UserAgentUtils' VersionFetcher implementations did.
type fetcher struct {
	kind   string // "pattern", "sequential" or "lookup_map"
	re     *uamatch.Matcher
	group  int               // capture group holding the version (pattern) or the key (lookup_map)
	seq    []*fetcher        // sequential
	lookup map[string]string // lookup_map: key → version
}

func (b *builder) compile(expr string, ci bool) (*uamatch.Matcher, error) {
	key := fmt.Sprint(ci, "\x00", expr)
	if re, ok := b.regexes[key]; ok {
		return re, nil
	}
	re, err := uamatch.CompileMatcher(expr, uamatch.JavaFlags{CaseInsensitive: ci})
	if err != nil {
		return nil, err
	}
	b.regexes[key] = re
	return re, nil
}

func (b *builder) fetcher(jf *jsonFetcher) (*fetcher, error) {
	switch jf.Kind {
	case "pattern", "lookup_map":
		re, err := b.compile(jf.Regex, jf.CaseInsensitive)
		if err != nil {
			return nil, err
		}
		f := &fetcher{kind: jf.Kind, re: re, group: jf.FullVersionGroup}
		if jf.Kind == "lookup_map" {
			f.group = jf.KeyGroup
			if jf.Map != "" && jf.Map != "webkit_to_safari_version" {
				return nil, fmt.Errorf("lookup_map names unknown map %q", jf.Map)
			}
			if b.webkit == nil {
				return nil, fmt.Errorf("lookup_map needs webkit_to_safari_version, which the table lacks")
			}
			f.lookup = b.webkit
		}
		if f.group == 0 {
			f.group = 1
		}
		if f.group > re.NumSubexp() {
			return nil, fmt.Errorf("regex %q has no group %d", jf.Regex, f.group)
		}
		return f, nil
	case "sequential":
		f := &fetcher{kind: jf.Kind}
		for _, sub := range jf.Fetchers {
			if sub == nil {
				return nil, fmt.Errorf("sequential fetcher with a null entry")
			}
			sf, err := b.fetcher(sub)
			if err != nil {
				return nil, err
			}
			f.seq = append(f.seq, sf)
		}
		return f, nil
	}
	return nil, fmt.Errorf("unknown fetcher kind %q", jf.Kind)
}

// version returns the version found in ua, "" when none.
func (f *fetcher) version(ua string) string {
	switch f.kind {
	case "sequential":
		for _, s := range f.seq {
			if v := s.version(ua); v != "" {
				return v
			}
		}
		return ""
	case "lookup_map":
		m := f.re.FindStringSubmatchIndex(ua)
		if m == nil || m[2*f.group] < 0 {
			return ""
		}
		return f.lookup[ua[m[2*f.group]:m[2*f.group+1]]]
	default:
		m := f.re.FindStringSubmatchIndex(ua)
		if m == nil || m[2*f.group] < 0 {
			return ""
		}
		return ua[m[2*f.group]:m[2*f.group+1]]
	}
}
