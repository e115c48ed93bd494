package collector

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// cloudfront is the "cloudfront" format: CloudFront web-distribution access
// logs as Snowplow R108's CloudfrontLoader read them.
//
// The loader matched every line against one regular expression (adapted
// from Amazon's cloudfront-loganalyzer):
//
//	date time edge bytes ip method host path status referer ua query
//	(\s+ cookie? \s+ result-type \s+ request-id)?      added 12 Sep 2012
//	(\s+ host-header \s+ protocol \s+ cs-bytes)?       added 21 Oct 2013
//	(\s+ time-taken \s+ .*)?                           29 Apr 2014 and later
//
// with \s = [ \t\n\x0B\f\r] and "." any character but a line terminator,
// matched against the whole line. It therefore accepts every historical
// layout (12, 15, 18, 19 fields, and 21, 23, 24, 26, 33 … since time-taken
// is followed by anything), space- or tab-separated with any run of
// whitespace, an empty cookie field included; it rejects for example 13
// fields, or 12 fields with trailing whitespace. Matching is done here by
// hand, with the same result, because a regexp engine is far too slow for
// the hot path.
type cloudfront struct{}

func (cloudfront) Name() string                       { return NameCloudFront }
func (cloudfront) NewReader(r io.Reader) RecordReader { return NewLineReader(r) }
func (cloudfront) Splittable() bool                   { return true }
func (cloudfront) BadLine(data []byte) string         { return javaString(data) }

const msgCloudFrontNoMatch = "Line does not match CloudFront header or data row formats"

// Field indexes of the twelve original CloudFront fields.
const (
	cfDate = iota
	cfTime
	cfEdge
	cfBytes
	cfIP
	cfMethod
	cfHost
	cfPath
	cfStatus
	cfReferer
	cfUserAgent
	cfQuery
)

// isJavaSpace is Java's regex \s (ASCII whitespace).
func isJavaSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r'
}

// scanTokens splits the start of line into n whitespace-separated tokens
// as "([\S]+)(\s+([\S]+)){n-1}" anchored at the start would: the line must
// not start with whitespace. It returns the position after the last token.
func scanTokens(line []byte, tok []span) (int, bool) {
	pos := 0
	for k := range tok {
		if k > 0 {
			if pos >= len(line) || !isJavaSpace(line[pos]) {
				return 0, false
			}
			for pos < len(line) && isJavaSpace(line[pos]) {
				pos++
			}
		}
		s := pos
		for pos < len(line) && !isJavaSpace(line[pos]) {
			pos++
		}
		if pos == s {
			return 0, false
		}
		tok[k] = span{int32(s), int32(pos)}
	}
	return pos, true
}

// tailTokens describes the part of a line after the fixed fields: up to 8
// tokens, their count, the length of the first whitespace run and whether
// the line ends in whitespace.
type tailTokens struct {
	k        int // number of tokens (counted fully)
	tok      [8]span
	w1       int
	trailing bool
}

func scanTail(line []byte, pos int) (t tailTokens) {
	for pos < len(line) {
		ws := pos
		for pos < len(line) && isJavaSpace(line[pos]) {
			pos++
		}
		if t.k == 0 {
			t.w1 = pos - ws
		}
		if pos == len(line) {
			t.trailing = pos > ws
			break
		}
		s := pos
		for pos < len(line) && !isJavaSpace(line[pos]) {
			pos++
		}
		if t.k < len(t.tok) {
			t.tok[t.k] = span{int32(s), int32(pos)}
		}
		t.k++
	}
	return t
}

// lastLineTerminator is the index of the last character Java's "." does not
// match (\n, \r, U+0085, U+2028, U+2029), or -1.
func lastLineTerminator(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		switch c := b[i]; c {
		case '\n', '\r':
			return i
		case 0x85:
			if i >= 1 && b[i-1] == 0xc2 {
				return i - 1
			}
		case 0xa8, 0xa9:
			if i >= 2 && b[i-1] == 0x80 && b[i-2] == 0xe2 {
				return i - 2
			}
		}
	}
	return -1
}

// matchCloudFront reports whether line matches Snowplow's CfRegex, filling
// the twelve captured fields.
func matchCloudFront(line []byte, tok *[12]span) bool {
	pos, ok := scanTokens(line, tok[:])
	if !ok {
		return false
	}
	t := scanTail(line, pos)
	lastLT := -2 // not computed yet
	// c is the number of tail tokens taken by the two optional groups of
	// three fields (the first may take two when the cookie field is empty,
	// which needs two whitespace characters before the next field).
	for _, c := range [...]int{0, 2, 3, 5, 6} {
		if (c == 2 || c == 5) && t.w1 < 2 {
			continue
		}
		if t.k == c && !t.trailing {
			return true
		}
		// The last group: whitespace, a field, whitespace, then anything
		// without a line terminator.
		if t.k == c+1 && t.trailing {
			return true
		}
		if t.k > c+1 {
			if lastLT == -2 {
				lastLT = lastLineTerminator(line)
			}
			if lastLT < int(t.tok[c+1].start) {
				return true
			}
		}
	}
	return false
}

// toOption is CloudfrontLoader.toOption: "-" and "" are missing values.
func isMissing(b []byte) bool { return len(b) == 0 || (len(b) == 1 && b[0] == '-') }

var arenaPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getArena() *[]byte { return arenaPool.Get().(*[]byte) }

func putArena(a *[]byte) {
	if cap(*a) <= 1<<20 {
		*a = (*a)[:0]
		arenaPool.Put(a)
	}
}

func (s span) of(b []byte) []byte  { return b[s.start:s.end] }
func (s span) str(t string) string { return t[s.start:s.end] }

var noSpan = span{-1, -1}

func (s span) strOrEmpty(t string) string {
	if s.start < 0 {
		return ""
	}
	return t[s.start:s.end]
}

func isGET(op []byte) bool {
	return len(op) == 3 && toUpperASCII(op[0]) == 'G' && toUpperASCII(op[1]) == 'E' && toUpperASCII(op[2]) == 'T'
}

func (cloudfront) Parse(data []byte) ([]Payload, error) {
	line := data
	if !utf8.Valid(line) {
		line = appendJavaUTF8(make([]byte, 0, len(data)+16), data)
	}
	if bytes.HasPrefix(line, []byte("#Version:")) || bytes.HasPrefix(line, []byte("#Fields:")) {
		return nil, nil
	}
	var tok [12]span
	if !matchCloudFront(line, &tok) {
		return nil, parseErr(msgCloudFrontNoMatch)
	}
	if op := tok[cfMethod].of(line); !isGET(op) {
		if up := javaUpper(string(op)); up != "GET" {
			return nil, parseErr("Only GET operations supported for CloudFront Collector, not " + up)
		}
	}

	ap := getArena()
	defer putArena(ap)
	buf := append((*ap)[:0], line...) // spans of line stay valid in buf

	ts, tsMsg := jodaParseCollectorTime(tok[cfDate].of(line), tok[cfTime].of(line))

	// Querystring: double-encoded percents undone, then parsed as UTF-8.
	var pairsBuf [64]qsPair
	pairs := pairsBuf[:0]
	q0 := len(buf)
	buf, _ = appendSingleEncodePcts(buf, tok[cfQuery].of(line))
	qs := span{int32(q0), int32(len(buf))}
	qsMsg := ""
	if !isMissing(qs.of(buf)) {
		var m string
		pairs, m = parseQuery(&buf, qs.of(buf), csUTF8, pairs)
		if m != "" {
			qsMsg = queryMessage(string(qs.of(buf)), "UTF-8", m)
		}
	}

	// User agent and referer: double-encoded percents undone, kept encoded.
	ua := singleEncoded(&buf, tok[cfUserAgent])
	refr := singleEncoded(&buf, tok[cfReferer])
	if isMissing(refr.of(buf)) {
		refr = noSpan
	} else if refr.end > refr.start && buf[refr.end-1] == '%' {
		refr.end-- // toCleanUri: a trailing '%' is removed
	}
	if isMissing(ua.of(buf)) {
		ua = noSpan
	}
	ip := tok[cfIP]
	if isMissing(ip.of(buf)) {
		ip = noSpan
	}

	text := string(buf)
	api, apiMsg := parseAPI(tok[cfPath].str(text))
	if tsMsg != "" || qsMsg != "" || apiMsg != "" {
		msgs := make([]string, 0, 3)
		for _, m := range [...]string{tsMsg, qsMsg, apiMsg} {
			if m != "" {
				msgs = append(msgs, m)
			}
		}
		return nil, &ParseError{Messages: msgs}
	}
	return []Payload{{
		API:         api,
		Querystring: nameValues(text, pairs),
		Source:      Source{Name: NameCloudFront, Encoding: "UTF-8"},
		Context: Context{
			Timestamp:  ts,
			IPAddress:  ip.strOrEmpty(text),
			UserAgent:  ua.strOrEmpty(text),
			RefererURI: refr.strOrEmpty(text),
		},
	}}, nil
}

// singleEncoded returns the span of the single-encoded form of the span s
// of *buf: s itself when there is nothing to change, else a copy appended
// to *buf.
func singleEncoded(buf *[]byte, s span) span {
	b := *buf
	n := len(b)
	b, changed := appendSingleEncodePcts(b, s.of(b))
	if !changed {
		*buf = b[:n]
		return s
	}
	*buf = b
	return span{int32(n), int32(len(b))}
}

// nameValues materialises parsed pairs as substrings of text.
func nameValues(text string, pairs []qsPair) []NameValue {
	if len(pairs) == 0 {
		return nil
	}
	nv := make([]NameValue, len(pairs))
	for i, p := range pairs {
		nv[i] = NameValue{Name: p.name.str(text), Value: p.value.strOrEmpty(text)}
	}
	return nv
}
