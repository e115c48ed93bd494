package collector

import (
	"bytes"
	"encoding/binary"
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

var javaSpace = [256]bool{' ': true, '\t': true, '\n': true, 0x0b: true, '\f': true, '\r': true}

// isJavaSpace is Java's regex \s (ASCII whitespace).
func isJavaSpace(c byte) bool { return javaSpace[c] }

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// skipToken returns the index of the first byte at or after i that is Java
// whitespace, or len(b). Whitespace is below 0x21, so eight bytes at a time
// are first tested for any byte below 0x21.
func skipToken(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if (x-lo8*0x21)&^x&hi8 != 0 {
			break // a byte below 0x21 in this word
		}
		i += 8
	}
	for i < len(b) && !javaSpace[b[i]] {
		i++
	}
	return i
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
		pos = skipToken(line, pos)
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
		pos = skipToken(line, pos)
		if t.k < len(t.tok) {
			t.tok[t.k] = span{int32(s), int32(pos)}
		}
		t.k++
	}
	return t
}

// hasLineTerminator reports whether b holds a character Java's "." does
// not match (\n, \r, U+0085, U+2028, U+2029).
func hasLineTerminator(b []byte) bool {
	if bytes.IndexByte(b, '\n') >= 0 || bytes.IndexByte(b, '\r') >= 0 {
		return true
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], 0x85)
		if j < 0 {
			break
		}
		if i+j > 0 && b[i+j-1] == 0xc2 {
			return true
		}
		i += j + 1
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], 0xe2)
		if j < 0 {
			return false
		}
		k := i + j
		if k+2 < len(b) && b[k+1] == 0x80 && (b[k+2] == 0xa8 || b[k+2] == 0xa9) {
			return true
		}
		i = k + 1
	}
}

// matchCloudFront reports whether line matches Snowplow's CfRegex, filling
// the twelve captured fields.
func matchCloudFront(line []byte, tok *[12]span) bool {
	pos, ok := scanTokens(line, tok[:])
	if !ok {
		return false
	}
	t := scanTail(line, pos)
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
		if t.k > c+1 && !hasLineTerminator(line[t.tok[c+1].start:]) {
			return true
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

func (cloudfront) Parse(data []byte) ([]Payload, error) { return parseCloudFront(data, nil) }

// ParseScratch implements ScratchParser.
func (cloudfront) ParseScratch(data []byte, s *Scratch) ([]Payload, error) {
	return parseCloudFront(data, s)
}

func parseCloudFront(data []byte, s *Scratch) ([]Payload, error) {
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

	// buf collects the payload's text, which becomes one string.
	ap := getArena()
	defer putArena(ap)
	buf := (*ap)[:0]

	ts, tsMsg := jodaParseCollectorTime(tok[cfDate].of(line), tok[cfTime].of(line))

	// Querystring: double-encoded percents undone, then parsed as UTF-8; in
	// one pass when it is valid, step by step (for the message) otherwise.
	var pairsBuf [64]qsPair
	pairs := pairsBuf[:0]
	qsMsg := ""
	if raw := tok[cfQuery].of(line); !isMissing(raw) {
		var ok bool
		if buf, pairs, ok = parseCloudFrontQuery(buf, raw, pairs); !ok {
			q, _ := appendSingleEncodePcts(nil, raw)
			var m string
			if pairs, m = parseQuery(&buf, q, csUTF8, pairs); m != "" {
				qsMsg = queryMessage(string(q), "UTF-8", m)
			}
		}
	}

	// IP, user agent and referer (the last two with double-encoded percents
	// undone but still encoded), and the path.
	ip := appendField(&buf, tok[cfIP].of(line))
	ua := appendSingleEncoded(&buf, tok[cfUserAgent].of(line))
	refr := appendSingleEncoded(&buf, tok[cfReferer].of(line))
	path := appendField(&buf, tok[cfPath].of(line))
	if isMissing(refr.of(buf)) {
		refr = noSpan
	} else if refr.end > refr.start && buf[refr.end-1] == '%' {
		refr.end-- // toCleanUri: a trailing '%' is removed
	}
	if isMissing(ua.of(buf)) {
		ua = noSpan
	}
	if isMissing(ip.of(buf)) {
		ip = noSpan
	}

	text := string(buf)
	api, apiMsg := parseAPI(path.str(text))
	if tsMsg != "" || qsMsg != "" || apiMsg != "" {
		msgs := make([]string, 0, 3)
		for _, m := range [...]string{tsMsg, qsMsg, apiMsg} {
			if m != "" {
				msgs = append(msgs, m)
			}
		}
		return nil, &ParseError{Messages: msgs}
	}
	return s.payloads(Payload{
		API:         api,
		Querystring: s.nameValues(text, pairs),
		Source:      Source{Name: NameCloudFront, Encoding: "UTF-8"},
		Context: Context{
			Timestamp:  ts,
			IPAddress:  ip.strOrEmpty(text),
			UserAgent:  ua.strOrEmpty(text),
			RefererURI: refr.strOrEmpty(text),
		},
	}), nil
}

// appendField appends b to *buf and returns its span.
func appendField(buf *[]byte, b []byte) span {
	n := len(*buf)
	*buf = append(*buf, b...)
	return span{int32(n), int32(len(*buf))}
}

// appendSingleEncoded appends the single-encoded form of b to *buf.
func appendSingleEncoded(buf *[]byte, b []byte) span {
	n := len(*buf)
	*buf, _ = appendSingleEncodePcts(*buf, b)
	return span{int32(n), int32(len(*buf))}
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

// Scratch is memory lent to a ScratchParser: the payloads a call returns,
// and their querystrings, live in it until the next call with the same
// Scratch (the strings they hold are the caller's for good). The zero
// value is ready; a nil *Scratch allocates as Parse does.
type Scratch struct {
	payload [1]Payload
	nv      []NameValue
}

// ScratchParser is implemented by the formats that can parse into a
// Scratch: ParseScratch(data, s) returns what Parse(data) does, with the
// returned slices in s's memory.
type ScratchParser interface {
	ParseScratch(data []byte, s *Scratch) ([]Payload, error)
}

// nameValues is the package function, with the slice from s.
func (s *Scratch) nameValues(text string, pairs []qsPair) []NameValue {
	if s == nil {
		return nameValues(text, pairs)
	}
	if len(pairs) == 0 {
		return nil
	}
	clear(s.nv)
	nv := s.nv[:0]
	for _, p := range pairs {
		nv = append(nv, NameValue{Name: p.name.str(text), Value: p.value.strOrEmpty(text)})
	}
	s.nv = nv
	return nv[:len(nv):len(nv)]
}

// payloads returns the one payload p as a slice, in s when s is set.
func (s *Scratch) payloads(p Payload) []Payload {
	if s == nil {
		return []Payload{p}
	}
	s.payload[0] = p
	return s.payload[:]
}
