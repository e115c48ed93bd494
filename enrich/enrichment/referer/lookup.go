package referer

import (
	"strings"

	"github.com/furrowdata/furrow/event"
)

// URI is a referrer URI as java.net.URI exposed it to referer-parser.
type URI struct {
	Scheme   string // as written (case kept)
	Host     string // as written; "" when java.net.URI had no host
	Path     string // raw (percent-encoded) path
	RawQuery string // raw query without '?'; "" when absent or empty
}

// Lookup classifies the referrer URL referer (a string, split the way
// java.net.URI does; see ParseURI) for a page served from pageHost
// (page_urlhost, "" when unknown). It is LookupURI on ParseURI(referer);
// ok is false when the string is not a URI.
func (db *Database) Lookup(referer, pageHost string, internalDomains []string) (medium, source, term string, ok bool) {
	u, ok := ParseURI(referer)
	if !ok {
		return "", "", "", false
	}
	return db.LookupURI(u, pageHost, internalDomains)
}

// LookupURI classifies a referrer with referer-parser 0.3.0's rules. ok is
// false when the referrer gives no result at all (scheme other than
// exactly "http"/"https", or no host): R108 then left refr_medium,
// refr_source and refr_term null. Otherwise medium is "internal" (host
// equal to pageHost, or to an entry of internalDomains after trimming the
// entry), "unknown" (not in the database; source ""), or the record's
// medium and source; term is the search term (search media only). Empty
// strings stand for null. The values are cleaned as R108 stored them (tabs
// become four spaces, control characters are removed).
func (db *Database) LookupURI(u URI, pageHost string, internalDomains []string) (medium, source, term string, ok bool) {
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", "", "", false
	}
	if u.Host == pageHost {
		return MediumInternal, "", "", true
	}
	for _, d := range internalDomains {
		if javaTrim(d) == u.Host {
			return MediumInternal, "", "", true
		}
	}
	ref := db.find(u.Host, decodePath(u.Path))
	if ref == nil {
		return MediumUnknown, "", "", true
	}
	if ref.Medium == MediumSearch {
		term = event.Sanitize(searchTerm(u.RawQuery, ref.Parameters))
	}
	return ref.Medium, event.Sanitize(ref.Source), term, true
}

// find walks the lookup keys in 0.3.0's order: for each host suffix
// (www.google.co.uk, google.co.uk, co.uk, uk) the host plus the whole path,
// then the host plus the first path segment; only then each host suffix
// alone.
func (db *Database) find(host, path string) *Referer {
	var buf [256]byte
	seg, hasSeg := firstSegment(path)
	if path != "" {
		for h := host; ; {
			if _, ok := db.pathHosts[h]; ok {
				b := append(append(buf[:0], h...), path...)
				if r := db.refs[string(b)]; r != nil {
					return r
				}
				if hasSeg {
					b = append(append(append(buf[:0], h...), '/'), seg...)
					if r := db.refs[string(b)]; r != nil {
						return r
					}
				}
			}
			i := strings.IndexByte(h, '.')
			if i < 0 {
				break
			}
			h = h[i+1:]
		}
	}
	for h := host; ; {
		if r := db.refs[h]; r != nil {
			return r
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return nil
		}
		h = h[i+1:]
	}
}

// firstSegment is the second piece of Java's path.split("/") (trailing
// empty pieces dropped), when there are at least two pieces.
func firstSegment(path string) (string, bool) {
	p := strings.TrimRight(path, "/")
	if p == "" {
		return "", false
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return "", false // one piece only
	}
	rest := p[i+1:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return rest[:j], true
	}
	return rest, true
}

// javaTrim is Java's String.trim: it strips characters <= ' ' from both
// ends.
func javaTrim(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}
