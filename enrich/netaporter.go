package enrich

import (
	"strconv"
	"strings"

	"github.com/furrowdata/furrow/internal/javautil"
)

// netaporterReencode reproduces what R108's fallback did with a URL that
// java.net.URI rejected: com.netaporter.uri.Uri.parse (scala-uri 0.4, its
// default config) followed by toString. Path segments, query keys and
// values, user info and the fragment are percent-decoded, then re-encoded
// with that library's character sets (non-ASCII as UTF-8 %XX); the host and
// port are kept. ok is false when the library failed (a '%' not followed by
// two hex digits, a port beyond Int).
func netaporterReencode(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s) + 16)
	rest := s
	if i := netaporterSchemeEnd(rest); i > 0 && strings.HasPrefix(rest[i:], "://") {
		b.WriteString(rest[:i])
		b.WriteString("://")
		n, ok := netaporterAuthority(&b, rest[i+3:])
		if !ok {
			return "", false
		}
		rest = rest[i+3+n:]
	} else if strings.HasPrefix(rest, "//") {
		b.WriteString("//")
		n, ok := netaporterAuthority(&b, rest[2:])
		if !ok {
			return "", false
		}
		rest = rest[2+n:]
	}
	// path
	end := strings.IndexAny(rest, "?#")
	if end < 0 {
		end = len(rest)
	}
	for j, seg := range strings.Split(rest[:end], "/") {
		if j > 0 {
			b.WriteByte('/')
		}
		d, ok := netaporterDecode(seg)
		if !ok {
			return "", false
		}
		netaporterEncode(&b, d, pathChars)
	}
	rest = rest[end:]
	if strings.HasPrefix(rest, "?") {
		rest = rest[1:]
		end = strings.IndexByte(rest, '#')
		if end < 0 {
			end = len(rest)
		}
		b.WriteByte('?')
		for j, p := range strings.Split(rest[:end], "&") {
			if j > 0 {
				b.WriteByte('&')
			}
			k, v, hasV := strings.Cut(p, "=")
			dk, ok := netaporterDecode(k)
			if !ok {
				return "", false
			}
			netaporterEncode(&b, dk, queryChars)
			if hasV {
				dv, ok := netaporterDecode(v)
				if !ok {
					return "", false
				}
				b.WriteByte('=')
				netaporterEncode(&b, dv, queryChars)
			}
		}
		rest = rest[end:]
	}
	if strings.HasPrefix(rest, "#") {
		d, ok := netaporterDecode(rest[1:])
		if !ok {
			return "", false
		}
		b.WriteByte('#')
		netaporterEncode(&b, d, fragmentChars)
	}
	return b.String(), true
}

// netaporterSchemeEnd returns the length of a leading scheme
// (ALPHA *(ALNUM / "+" / "-" / ".")), 0 if none.
func netaporterSchemeEnd(s string) int {
	if s == "" || !mAlpha.match(rune(s[0])) {
		return 0
	}
	i := 1
	for i < len(s) && mScheme.match(rune(s[i])) {
		i++
	}
	return i
}

// netaporterAuthority renders [user[:password]@]host[:port] from the start
// of s and returns how many bytes it consumed (0 when s has no host).
func netaporterAuthority(b *strings.Builder, s string) (int, bool) {
	p := 0
	var user, pass string
	hasUser, hasPass := false, false
	if u := spanNot(s, ":/?@"); u > 0 {
		q := u
		pw := ""
		okPass := false
		if q < len(s) && s[q] == ':' {
			if w := spanNot(s[q+1:], "@"); w > 0 {
				pw, okPass = s[q+1:q+1+w], true
				q += 1 + w
			}
		}
		if q < len(s) && s[q] == '@' {
			user, hasUser = s[:u], true
			pass, hasPass = pw, okPass
			p = q + 1
		}
	}
	h := spanNot(s[p:], ":/?")
	if h == 0 {
		return 0, true // no authority
	}
	if hasUser {
		d, ok := netaporterDecode(user)
		if !ok {
			return 0, false
		}
		netaporterEncode(b, d, userInfoChars)
		if hasPass {
			d, ok := netaporterDecode(pass)
			if !ok {
				return 0, false
			}
			b.WriteByte(':')
			netaporterEncode(b, d, userInfoChars)
		}
		b.WriteByte('@')
	}
	b.WriteString(s[p : p+h])
	p += h
	if p < len(s) && s[p] == ':' {
		d := 0
		for p+1+d < len(s) && s[p+1+d] >= '0' && s[p+1+d] <= '9' {
			d++
		}
		if d > 0 {
			port, ok := javaParseInt(s[p+1:p+1+d], 32)
			if !ok {
				return 0, false
			}
			b.WriteByte(':')
			b.WriteString(strconv.FormatInt(port, 10))
			p += 1 + d
		}
	}
	return p, true
}

func spanNot(s, stop string) int {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(stop, s[i]) >= 0 {
			return i
		}
	}
	return len(s)
}

// netaporterDecode is scala-uri 0.4's PercentDecoder: split on '%'
// (trailing empty parts dropped, as String.split did), each later part's
// first two characters parsed as a hex byte (Integer.parseInt, sign
// allowed), the bytes read as UTF-8.
func netaporterDecode(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	parts := strings.Split(s, "%")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 {
		return "", false // Java's split left nothing: segments.head threw
	}
	var bytes []byte
	for _, seg := range parts[1:] {
		if len(seg) < 2 {
			return "", false
		}
		v, ok := parseHexSigned(seg[:2])
		if !ok {
			return "", false
		}
		bytes = append(bytes, byte(v))
		bytes = append(bytes, seg[2:]...)
	}
	return parts[0] + javautil.UTF8(bytes), true
}

// Characters scala-uri 0.4 percent-encoded, besides every non-ASCII one.
var (
	userInfoChars = maskOf(" %<>[]#{}^`|?@:/")
	pathChars     = maskOf(" %<>[]#{}^`|?/")
	queryChars    = maskOf(" %<>[]#{}^`|&\\+=")
	fragmentChars = maskOf("#")
)

const upperHex = "0123456789ABCDEF"

func netaporterEncode(b *strings.Builder, s string, m charMask) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 || c >= 0x80 || m.match(rune(c)) {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
			continue
		}
		b.WriteByte(c)
	}
}
