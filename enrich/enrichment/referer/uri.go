package referer

import (
	"strings"

	"github.com/furrowdata/furrow/internal/javautil"
)

// ParseURI splits s into the parts referer-parser read from a
// java.net.URI: scheme, host, raw path and raw query. ok is false when
// java.net.URI would reject s outright (spaces, control characters,
// characters such as '<' or '"', a '%' not followed by two hex digits):
// R108's enricher repaired or rejected such referrers before the
// enrichment ran, so a caller holding its own parsed URI should use
// LookupURI. Host follows java.net.URI's server-authority rules and is ""
// when they fail (an '_' or '%' in the host, a last label starting with a
// digit as in "a.1b", a bad port, …) or when there is no authority.
func ParseURI(s string) (URI, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if notURIChar[c] {
			return URI{}, false
		}
		if c == '%' && (i+2 >= len(s) || javautil.HexVal(s[i+1]) < 0 || javautil.HexVal(s[i+2]) < 0) {
			return URI{}, false
		}
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	var u URI
	if i := strings.IndexAny(s, ":/?"); i > 0 && s[i] == ':' && validScheme(s[:i]) {
		u.Scheme, s = s[:i], s[i+1:]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s, u.RawQuery = s[:i], s[i+1:]
	}
	if strings.HasPrefix(s, "//") {
		auth := s[2:]
		if i := strings.IndexByte(auth, '/'); i >= 0 {
			auth, s = auth[:i], auth[i:]
		} else {
			s = ""
		}
		u.Host = serverHost(auth)
	} else if u.Scheme != "" && !strings.HasPrefix(s, "/") {
		// Opaque URI (mailto:…): no host, no path, no query.
		return URI{Scheme: u.Scheme}, true
	}
	u.Path = s
	return u, true
}

// notURIChar marks the ASCII characters java.net.URI accepts nowhere.
var notURIChar = func() (t [256]bool) {
	for c := 0; c <= ' '; c++ {
		t[c] = true
	}
	t[0x7f] = true
	for _, c := range "\"<>\\^`{|}" {
		t[c] = true
	}
	return t
}()

func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c):
		case i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// serverHost is the host java.net.URI found in a server-based authority
// ([userinfo@]host[:port]); "" when the authority does not parse as one.
func serverHost(auth string) string {
	if i := strings.IndexByte(auth, '@'); i >= 0 {
		for j := 0; j < i; j++ {
			if !userinfoChar(auth[j]) {
				return ""
			}
		}
		auth = auth[i+1:]
	}
	var host, rest string
	switch {
	case strings.HasPrefix(auth, "["):
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return ""
		}
		for j := 1; j < end; j++ {
			if c := auth[j]; javautil.HexVal(c) < 0 && c != ':' && c != '.' {
				return ""
			}
		}
		host, rest = auth[:end+1], auth[end+1:]
	default:
		n := hostnameLen(auth)
		if ipv4Len(auth) > 0 {
			n = ipv4Len(auth)
		}
		if n <= 0 {
			return ""
		}
		host, rest = auth[:n], auth[n:]
	}
	if rest != "" {
		if rest[0] != ':' {
			return ""
		}
		for j := 1; j < len(rest); j++ {
			if !isDigit(rest[j]) {
				return ""
			}
		}
	}
	return host
}

// ipv4Len is the length of a dotted-quad IPv4 address (each part 1-3
// digits, at most 255) at the start of s followed by the end or ':', else 0.
func ipv4Len(s string) int {
	p := 0
	for part := 0; part < 4; part++ {
		if part > 0 {
			if p >= len(s) || s[p] != '.' {
				return 0
			}
			p++
		}
		start, v := p, 0
		for p < len(s) && isDigit(s[p]) && p-start < 3 {
			v = v*10 + int(s[p]-'0')
			p++
		}
		if p == start || v > 255 {
			return 0
		}
	}
	if p < len(s) && s[p] != ':' {
		return 0
	}
	return p
}

// hostnameLen is java.net.URI's parseHostname: labels of letters, digits
// and inner '-', separated by '.', an optional final '.', the last label
// starting with a letter when there are several; followed by the end or
// ':'. It returns the length, or 0 when the rules fail.
func hostnameLen(s string) int {
	p, last := 0, -1
	for p < len(s) {
		if !isAlpha(s[p]) && !isDigit(s[p]) {
			break
		}
		last = p
		q := p + 1
		for q < len(s) && (isAlpha(s[q]) || isDigit(s[q]) || s[q] == '-') {
			q++
		}
		if s[q-1] == '-' {
			return 0
		}
		p = q
		if p >= len(s) || s[p] != '.' {
			break
		}
		p++
	}
	if p < len(s) && s[p] != ':' {
		return 0
	}
	if last < 0 {
		return 0
	}
	if last > 0 && !isAlpha(s[last]) {
		return 0
	}
	return p
}

func userinfoChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c >= 0x80 || strings.IndexByte("-_.!~*'();:&=+$,%", c) >= 0
}
