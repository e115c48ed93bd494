package enrich

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
)

// This file reproduces java.net.URI's RFC 2396 parser (JDK 8), which R108
// used for page and referer URLs: what it accepts, what it exposes (a host
// only for server-based authorities, raw components) and its
// URISyntaxException messages.

// Character classes of java.net.URI, as 128-bit masks.
type charMask struct{ lo, hi uint64 }

func maskOf(chars string) charMask {
	var m charMask
	for i := 0; i < len(chars); i++ {
		c := chars[i]
		if c < 64 {
			m.lo |= 1 << c
		} else {
			m.hi |= 1 << (c - 64)
		}
	}
	return m
}

func maskRange(first, last byte) charMask {
	var m charMask
	for c := int(first); c <= int(last); c++ {
		if c < 64 {
			m.lo |= 1 << uint(c)
		} else {
			m.hi |= 1 << uint(c-64)
		}
	}
	return m
}

func (m charMask) or(o ...charMask) charMask {
	for _, x := range o {
		m.lo |= x.lo
		m.hi |= x.hi
	}
	return m
}

// escapedFlag is java.net.URI's L_ESCAPED: bit 0, meaning "escape pairs and
// visible non-ASCII characters are allowed too".
var escapedFlag = charMask{lo: 1}

var (
	mDigit      = maskRange('0', '9')
	mAlpha      = maskRange('A', 'Z').or(maskRange('a', 'z'))
	mAlphanum   = mDigit.or(mAlpha)
	mHex        = mDigit.or(maskRange('A', 'F'), maskRange('a', 'f'))
	mMark       = maskOf("-_.!~*'()")
	mUnreserved = mAlphanum.or(mMark)
	mReserved   = maskOf(";/?:@&=+$,[]")
	mURIC       = mReserved.or(mUnreserved, escapedFlag)
	mPchar      = mUnreserved.or(escapedFlag, maskOf(":@&=+$,"))
	mPath       = mPchar.or(maskOf(";/"))
	mDash       = maskOf("-")
	mDot        = maskOf(".")
	mUserinfo   = mUnreserved.or(escapedFlag, maskOf(";:&=+$,"))
	mRegName    = mUnreserved.or(escapedFlag, maskOf("$,;:@&=+"))
	mServer     = mUserinfo.or(mAlphanum, mDash, maskOf(".:@[]"))
	mServerPct  = mServer.or(maskOf("%"))
	mScheme     = mAlpha.or(mDigit, maskOf("+-."))
)

func (m charMask) match(r rune) bool {
	switch {
	case r == 0:
		return false
	case r < 64:
		return m.lo&(1<<uint(r)) != 0
	case r < 128:
		return m.hi&(1<<uint(r-64)) != 0
	}
	return false
}

// uriError is a java.net.URISyntaxException.
type uriError struct {
	input  string
	reason string
	index  int // byte offset in input, -1 = none
}

// Message renders getMessage(): "reason at index i: input" (i in UTF-16
// chars).
func (e *uriError) Message() string {
	if e.index < 0 {
		return e.reason + ": " + e.input
	}
	return e.reason + " at index " + strconv.Itoa(utf16Len(e.input[:e.index])) + ": " + e.input
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// uriParser parses one string; fields follow java.net.URI.
type uriParser struct {
	s            string
	requireSrv   bool
	scheme       string
	hasScheme    bool
	path         string
	hasPath      bool
	query        string
	hasQuery     bool
	fragment     string
	hasFragment  bool
	host         string
	port         int
	authorityReg bool
	err          *uriError
	slowOnly     bool // tests: no fast paths
}

// at reports whether s[p] is c.
func (u *uriParser) at(p, n int, c byte) bool { return p < n && u.s[p] == c }

func (u *uriParser) charAt(p int) (rune, int) {
	c := u.s[p]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	r, size := utf8.DecodeRuneInString(u.s[p:])
	if r == utf8.RuneError && size == 1 {
		return 0xFFFD, 1
	}
	return r, size
}

// scanStop returns the index of the first byte of stop in [p, n), n if
// none, or -1 if a byte of errs comes first (Parser.scan(int,int,String,String)).
func (u *uriParser) scanStop(p, n int, errs, stop charMask) int {
	for p < n {
		c := u.s[p]
		if c < 128 {
			if errs.match(rune(c)) {
				return -1
			}
			if stop.match(rune(c)) {
				break
			}
		}
		p++
	}
	return p
}

// Stop sets of the parser's scans.
var (
	setNone     = charMask{}
	setSlashQH  = maskOf("/?#")
	setColon    = maskOf(":")
	setHash     = maskOf("#")
	setQH       = maskOf("?#")
	setRBracket = maskOf("]")
	setAt       = maskOf("@")
	setPercent  = maskOf("%")
	setSlash    = maskOf("/")
)

func (u *uriParser) scanChar(p, n int, c byte) int {
	if p < n && u.s[p] == c {
		return p + 1
	}
	return p
}

func (u *uriParser) fail(reason string, p int) {
	if u.err == nil {
		u.err = &uriError{input: u.s, reason: reason, index: p}
	}
}

func (u *uriParser) failExpecting(what string, p int) { u.fail("Expected "+what, p) }

// scanEscape returns the end of an escape pair or allowed non-ASCII
// character at p, or p.
func (u *uriParser) scanEscape(p, n int, r rune, size int) int {
	if r == '%' {
		if p+3 <= n && mHex.match(rune(u.s[p+1])) && mHex.match(rune(u.s[p+2])) {
			return p + 3
		}
		u.fail("Malformed escape pair", p)
		return p
	}
	if r > 128 && !isJavaSpaceChar(r) && !isISOControl(r) {
		return p + size
	}
	return p
}

func isJavaSpaceChar(r rune) bool {
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

func isISOControl(r rune) bool { return r <= 0x1F || (r >= 0x7F && r <= 0x9F) }

// scanMask scans characters matching m (and escapes when m allows them).
func (u *uriParser) scanMask(p, n int, m charMask) int {
	for p < n && u.err == nil {
		if c := u.s[p]; c < utf8.RuneSelf && c != '%' && m.match(rune(c)) {
			p++
			continue
		}
		r, size := u.charAt(p)
		if m.match(r) {
			p += size
			continue
		}
		if m.lo&escapedFlag.lo != 0 {
			q := u.scanEscape(p, n, r, size)
			if q > p {
				p = q
				continue
			}
		}
		break
	}
	return p
}

func (u *uriParser) checkChars(p, n int, m charMask, what string) {
	q := u.scanMask(p, n, m)
	if q < n {
		u.fail("Illegal character in "+what, q)
	}
}

func (u *uriParser) parse() {
	s := u.s
	n := len(s)
	u.port = -1
	p := u.scanStop(0, n, setSlashQH, setColon)
	if p >= 0 && u.at(p, n, ':') {
		if p == 0 {
			u.failExpecting("scheme name", 0)
			return
		}
		u.checkChars(0, 1, mAlpha, "scheme name")
		u.checkChars(1, p, mScheme, "scheme name")
		if u.err != nil {
			return
		}
		u.scheme, u.hasScheme = s[:p], true
		p++
		if u.at(p, n, '/') {
			p = u.parseHierarchical(p, n)
		} else {
			q := u.scanStop(p, n, setNone, setHash)
			if q <= p {
				u.failExpecting("scheme-specific part", p)
				return
			}
			u.checkChars(p, q, mURIC, "opaque part")
			p = q
		}
	} else {
		p = u.parseHierarchical(0, n)
	}
	if u.err != nil {
		return
	}
	if u.at(p, n, '#') {
		u.checkChars(p+1, n, mURIC, "fragment")
		u.fragment, u.hasFragment = s[p+1:], true
		p = n
	}
	if u.err == nil && p < n {
		u.fail("end of URI", p)
	}
}

func (u *uriParser) parseHierarchical(start, n int) int {
	p := start
	if u.at(p, n, '/') && u.at(p+1, n, '/') {
		p += 2
		q := u.scanStop(p, n, setNone, setSlashQH)
		if q > p {
			p = u.parseAuthority(p, q)
		} else if q < n {
			// empty authority before a path, query or fragment is allowed
		} else {
			u.failExpecting("authority", p)
			return p
		}
		if u.err != nil {
			return p
		}
	}
	q := u.scanStop(p, n, setNone, setQH)
	u.checkChars(p, q, mPath, "path")
	if u.err != nil {
		return p
	}
	u.path, u.hasPath = u.s[p:q], true
	p = q
	if u.at(p, n, '?') {
		p++
		q = u.scanStop(p, n, setNone, setHash)
		u.checkChars(p, q, mURIC, "query")
		if u.err != nil {
			return p
		}
		u.query, u.hasQuery = u.s[p:q], true
		p = q
	}
	return p
}

func (u *uriParser) parseAuthority(start, n int) int {
	if !u.slowOnly && u.simpleAuthority(start, n) {
		return n
	}
	p := start
	var serverChars bool
	if u.scanStop(p, n, setNone, setRBracket) > p {
		serverChars = u.scanQuiet(p, n, mServerPct) == n
	} else {
		serverChars = u.scanQuiet(p, n, mServer) == n
	}
	regChars := u.scanQuiet(p, n, mRegName) == n
	if u.err != nil {
		return n
	}
	if regChars && !serverChars {
		u.authorityReg = true
		return n
	}
	q := p
	var saved *uriError
	if serverChars {
		sub := &uriParser{s: u.s, port: -1}
		q = sub.parseServer(p, n)
		if sub.err == nil && q < n {
			sub.failExpecting("end of authority", q)
		}
		if sub.err != nil {
			if u.requireSrv {
				u.err = sub.err
				return n
			}
			saved = sub.err
			q = p
		} else {
			u.host, u.port = sub.host, sub.port
		}
	}
	if q < n {
		switch {
		case regChars:
			u.authorityReg = true
			u.host, u.port = "", -1
		case saved != nil:
			u.err = saved
		default:
			u.fail("Illegal character in authority", q)
		}
	}
	return n
}

// scanQuiet is scanMask without recording a malformed-escape failure
// (java.net.URI's scan threw, which the authority probe let escape; the
// failure then surfaces from the component parse). It returns the index
// where scanning stopped.
func (u *uriParser) scanQuiet(p, n int, m charMask) int {
	sub := &uriParser{s: u.s}
	q := sub.scanMask(p, n, m)
	if sub.err != nil {
		u.err = sub.err
		return -1
	}
	return q
}

// simpleAuthority handles the usual authority, "host.name[.][:digits]"
// where every label is letters, digits and inner dashes and the first
// and last labels start with a letter, as the full parse would (the
// server-based parse succeeds: no IPv4 candidate, a valid hostname, a
// port of at most nine digits). It reports false, changing nothing, for
// anything else.
func (u *uriParser) simpleAuthority(start, n int) bool {
	s := u.s[start:n]
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort && (len(port) > 9 || !allASCIIDigits(port) && port != "") {
		return false
	}
	if host == "" || !isASCIILetter(host[0]) {
		return false
	}
	last := 0 // start of the last label
	labelStart := true
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c == '.':
			if labelStart || host[i-1] == '-' {
				return false // empty label, or one ending in '-'
			}
			labelStart = true
		case c == '-':
			if labelStart {
				return false
			}
		case isASCIILetter(c) || c >= '0' && c <= '9':
			if labelStart {
				last, labelStart = i, false
			}
		default:
			return false
		}
	}
	if !labelStart && host[len(host)-1] == '-' {
		return false
	}
	if !isASCIILetter(host[last]) {
		return false
	}
	u.host = host
	if port != "" {
		v, _ := javaParseInt(port, 32)
		u.port = int(v)
	}
	return true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func (u *uriParser) parseServer(start, n int) int {
	p := start
	q := u.scanStop(p, n, setSlashQH, setAt)
	if q >= p && u.at(q, n, '@') {
		u.checkChars(p, q, mUserinfo, "user info")
		if u.err != nil {
			return p
		}
		p = q + 1
	}
	if u.at(p, n, '[') {
		p++
		q = u.scanStop(p, n, setSlashQH, setRBracket)
		if q > p && u.at(q, n, ']') {
			r := u.scanStop(p, q, setNone, setPercent)
			if r > p && r < q {
				u.parseIPv6(p, r)
				if r+1 == q {
					u.fail("scope id expected", -1)
				}
				u.checkChars(r+1, q, mAlphanum, "scope id")
			} else {
				u.parseIPv6(p, q)
			}
			if u.err != nil {
				return p
			}
			u.host = u.s[p-1 : q+1]
			p = q + 1
		} else {
			u.failExpecting("closing bracket for IPv6 address", q)
			return p
		}
	} else {
		q = u.parseIPv4(p, n)
		if q <= p {
			q = u.parseHostname(p, n)
		}
		if u.err != nil {
			return p
		}
		p = q
	}
	if u.at(p, n, ':') {
		p++
		q = u.scanStop(p, n, setNone, setSlash)
		if q > p {
			u.checkChars(p, q, mDigit, "port number")
			if u.err != nil {
				return p
			}
			v, ok := javaParseInt(u.s[p:q], 32)
			if !ok {
				u.fail("Malformed port number", p)
				return p
			}
			u.port = int(v)
			p = q
		}
	}
	if p < n {
		u.failExpecting("port number", p)
	}
	return p
}

func (u *uriParser) parseIPv6(p, q int) {
	addr := u.s[p:q]
	if _, err := netip.ParseAddr(addr); err != nil || !strings.Contains(addr, ":") {
		u.fail("Malformed IPv6 address", p)
	}
}

// scanByte scans one decimal octet.
func (u *uriParser) scanByte(p, n int) (int, bool) {
	q := u.scanMask(p, n, mDigit)
	if q <= p {
		return q, true
	}
	v, ok := javaParseInt(u.s[p:q], 32)
	if !ok {
		return 0, false // NumberFormatException
	}
	if v > 255 {
		return p, true
	}
	return q, true
}

// parseIPv4 returns the end of an IPv4 address at p, or -1.
func (u *uriParser) parseIPv4(start, n int) int {
	p := start
	m := u.scanMask(p, n, mDigit.or(mDot))
	if m <= p {
		return -1
	}
	q := p
	ok := true
	parts := 0
	for {
		if q, ok = u.scanByte(p, m); !ok || q <= p {
			break
		}
		p = q
		parts++
		if parts == 4 {
			break
		}
		if q = u.scanChar(p, m, '.'); q <= p {
			break
		}
		p = q
	}
	if !ok || parts != 4 || q < m {
		// Malformed IPv4 address: parseIPv4Address returned -1
		return -1
	}
	if q > start && q < n && u.s[q] != ':' {
		return -1
	}
	if q > start {
		u.host = u.s[start:q]
	}
	return q
}

func (u *uriParser) parseHostname(start, n int) int {
	p := start
	l := -1
	for {
		q := u.scanMask(p, n, mAlphanum)
		if q <= p {
			break
		}
		l = p
		p = q
		q = u.scanMask(p, n, mAlphanum.or(mDash))
		if q > p {
			if u.s[q-1] == '-' {
				u.fail("Illegal character in hostname", q-1)
				return p
			}
			p = q
		}
		q = u.scanChar(p, n, '.')
		if q <= p {
			break
		}
		p = q
		if p >= n {
			break
		}
	}
	if p < n && !u.at(p, n, ':') {
		u.fail("Illegal character in hostname", p)
		return p
	}
	if l < 0 {
		u.failExpecting("hostname", start)
		return p
	}
	if l > start && !mAlpha.match(rune(u.s[l])) {
		u.fail("Illegal character in hostname", l)
		return p
	}
	u.host = u.s[start:p]
	return p
}

// parseJavaURIInto parses s as new java.net.URI(s) did, filling dst (nil:
// a new uriParser).
func parseJavaURIInto(dst *uriParser, s string) (*uriParser, *uriError) {
	return parseJavaURIMode(dst, s, false)
}

// parseJavaURIMode is parseJavaURIInto; slowOnly turns the fast paths off
// (tests compare both).
func parseJavaURIMode(dst *uriParser, s string, slowOnly bool) (*uriParser, *uriError) {
	u := dst
	if u == nil {
		u = new(uriParser)
	}
	*u = uriParser{s: s, port: -1, slowOnly: slowOnly}
	u.parse()
	if u.err != nil {
		return nil, u.err
	}
	return u, nil
}

// components returns the URI as R108's explodeUri saw it.
func (u *uriParser) components() enrichment.URI {
	return enrichment.URI{
		String:   u.s,
		Scheme:   u.scheme,
		Host:     u.host,
		Port:     u.port,
		Path:     u.path,
		Query:    u.query,
		Fragment: u.fragment,
	}
}

// stringToURI is ConversionUtils.stringToUri: spaces become %20, the
// string is parsed by java.net.URI and, when that fails, repaired through
// the net-a-porter scala-uri parser and parsed again. ok is false for a
// null (empty) input.
func stringToURI(s string) (u *uriParser, ok bool, msg string) { return stringToURIInto(nil, s) }

// stringToURIInto is stringToURI with the result in dst (nil: a new
// uriParser).
func stringToURIInto(dst *uriParser, s string) (u *uriParser, ok bool, msg string) {
	if s == "" {
		return nil, false, ""
	}
	return stringToURIOnce(dst, s, false)
}

func stringToURIOnce(dst *uriParser, s string, netaporterDone bool) (*uriParser, bool, string) {
	r := s
	if strings.IndexByte(s, ' ') >= 0 {
		r = strings.ReplaceAll(s, " ", "%20")
	}
	u, err := parseJavaURIInto(dst, r)
	if err == nil {
		return u, true, ""
	}
	if netaporterDone {
		return nil, false, "Provided URI string [" + s + "] violates RFC 2396: [" + err.Message() + "]"
	}
	fixed, ok := netaporterReencode(s)
	if !ok {
		return nil, false, "Provided URI string [" + s + "] could not be parsed by Netaporter: [" + err.Message() + "]"
	}
	return stringToURIOnce(dst, fixed, true)
}

// explode is ConversionUtils.explodeUri: scheme, host, port (80, or 443 for
// https, when absent), and the raw path, query and fragment made TSV-safe.
func explode(u *uriParser) (scheme, host, port, path, query, fragment string) {
	p := u.port
	if p == -1 {
		if u.scheme == "https" {
			p = 443
		} else {
			p = 80
		}
	}
	sanitize := func(s string, has bool) string {
		if !has {
			return ""
		}
		return event.Sanitize(s)
	}
	switch p {
	case 80:
		port = "80"
	case 443:
		port = "443"
	default:
		port = strconv.Itoa(p)
	}
	return u.scheme, u.host, port, sanitize(u.path, u.hasPath), sanitize(u.query, u.hasQuery), sanitize(u.fragment, u.hasFragment)
}
