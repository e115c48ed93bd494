package collector

import (
	"io"
	"strings"
	"unicode/utf8"
)

// cljTomcat is the "clj-tomcat" format: the Tomcat access log of the
// Clojure collector as Snowplow R108's CljTomcatLoader read it:
//
//	date time - bytes ip method host path status referer ua query
//	(\s+ - \s+ - \s+ -)?                         collector >= 0.7.0
//	(\s+ content-type? \s+ body?)?               POST support
//
// anchored at both ends, "-" meaning the literal dash field. A line with no
// content type and body (or both "-") is a GET-style request; otherwise
// the method must be POST, the content type is URL-decoded and the body
// (URL-safe base64 in the log) decoded.
type cljTomcat struct{}

func (cljTomcat) Name() string                       { return NameCljTomcat }
func (cljTomcat) NewReader(r io.Reader) RecordReader { return NewLineReader(r) }
func (cljTomcat) Splittable() bool                   { return true }
func (cljTomcat) BadLine(data []byte) string         { return javaString(data) }

const msgCljNoMatch = "Line does not match raw event format for Clojure Collector"

func isDash(b []byte) bool { return len(b) == 1 && b[0] == '-' }

// matchCljTomcat reports whether line matches CljTomcatRegex, filling the
// twelve fields and the optional content type and body (noSpan = the
// regex group did not participate, Java's null).
func matchCljTomcat(line []byte, tok *[12]span) (ct, body span, ok bool) {
	pos, ok := scanTokens(line, tok[:])
	if !ok || !isDash(tok[cfEdge].of(line)) {
		return noSpan, noSpan, false
	}
	t := scanTail(line, pos)
	// With the three dashes (the greedy first choice), then without.
	if t.k >= 3 && isDash(t.tok[0].of(line)) && isDash(t.tok[1].of(line)) && isDash(t.tok[2].of(line)) {
		rest := tailTokens{k: t.k - 3, trailing: t.trailing}
		copy(rest.tok[:], t.tok[3:])
		if rest.k > 0 {
			rest.w1 = int(t.tok[3].start - t.tok[2].end)
		} else {
			rest.w1 = len(line) - int(t.tok[2].end)
		}
		if ct, body, ok := matchCljBody(rest); ok {
			return ct, body, true
		}
	}
	return matchCljBody(t)
}

// matchCljBody matches "(\s+([\S]+)?\s+([\S]+)?)?$" against a tail.
func matchCljBody(t tailTokens) (ct, body span, ok bool) {
	switch {
	case t.k == 0 && !t.trailing:
		return noSpan, noSpan, true
	case t.k == 0:
		return noSpan, noSpan, t.w1 >= 2
	case t.k == 1 && t.trailing:
		return t.tok[0], noSpan, true
	case t.k == 1:
		return noSpan, t.tok[0], t.w1 >= 2
	case t.k == 2 && !t.trailing:
		return t.tok[0], t.tok[1], true
	}
	return noSpan, noSpan, false
}

func (cljTomcat) Parse(data []byte) ([]Payload, error) { return parseCljTomcat(data, nil) }

// ParseScratch implements ScratchParser.
func (cljTomcat) ParseScratch(data []byte, s *Scratch) ([]Payload, error) {
	return parseCljTomcat(data, s)
}

func parseCljTomcat(data []byte, s *Scratch) ([]Payload, error) {
	line := data
	if !utf8.Valid(line) {
		line = appendJavaUTF8(make([]byte, 0, len(data)+16), data)
	}
	var tok [12]span
	ct, body, ok := matchCljTomcat(line, &tok)
	if !ok {
		return nil, parseErr(msgCljNoMatch)
	}
	withBody := true
	switch {
	case ct.start < 0 && body.start < 0:
		withBody = false
	case ct.start >= 0 && body.start >= 0 && isDash(ct.of(line)) && isDash(body.of(line)):
		withBody = false
	default:
		if up := javaUpper(string(tok[cfMethod].of(line))); up != "POST" {
			return nil, parseErr("Operation must be POST, not " + up + ", if request content type and/or body are provided")
		}
	}

	// buf collects the payload's text, which becomes one string: the line
	// up to the querystring (the fields the payload keeps point into it,
	// and so do the querystring's values that need no decoding), then
	// what is decoded. The raw body is not kept: it is decoded.
	ap := getArena()
	defer putArena(ap)
	buf := append((*ap)[:0], line[:tok[cfQuery].end]...)

	ts, tsMsg := jodaParseCollectorTime(tok[cfDate].of(line), tok[cfTime].of(line))

	var pairsBuf [64]qsPair
	pairs := pairsBuf[:0]
	qsMsg := ""
	if qs := tok[cfQuery]; !isMissing(qs.of(buf)) {
		var m string
		pairs, m = parseQuery(&buf, qs.of(buf), csUTF8, pairs)
		if m != "" {
			qsMsg = queryMessage(string(qs.of(buf)), "UTF-8", m)
		}
	}

	ctSpan, bodySpan := noSpan, noSpan
	ctMsg, bodyMsg := "", ""
	if withBody {
		ctSpan, ctMsg = urlDecodeField(&buf, line, ct, "Content type")
		if body.start < 0 {
			bodyMsg = "Field [Body]: exception Base64-decoding [null] (URL-safe encoding): [null]"
		} else {
			b0 := len(buf)
			buf = appendBase64Lenient(buf, body.of(line))
			if !utf8.Valid(buf[b0:]) {
				raw := append([]byte(nil), buf[b0:]...)
				buf = appendJavaUTF8(buf[:b0], raw)
			}
			bodySpan = span{int32(b0), int32(len(buf))}
		}
	}

	text := string(buf)
	api, apiMsg := parseAPI(tok[cfPath].str(text))
	if tsMsg != "" || qsMsg != "" || apiMsg != "" || ctMsg != "" || bodyMsg != "" {
		msgs := make([]string, 0, 5)
		for _, m := range [...]string{tsMsg, qsMsg, apiMsg, ctMsg, bodyMsg} {
			if m != "" {
				msgs = append(msgs, m)
			}
		}
		return nil, &ParseError{Messages: msgs}
	}
	p := Payload{
		API:         api,
		Querystring: s.nameValues(text, pairs),
		ContentType: ctSpan.strOrEmpty(text),
		Body:        bodySpan.strOrEmpty(text),
		Source:      Source{Name: NameCljTomcat, Encoding: "UTF-8"},
		Context:     Context{Timestamp: ts},
	}
	if f := tok[cfIP]; !isMissing(f.of(buf)) {
		p.Context.IPAddress = f.str(text)
	}
	if f := tok[cfUserAgent]; !isMissing(f.of(buf)) {
		p.Context.UserAgent = f.str(text)
	}
	if f := tok[cfReferer]; !isMissing(f.of(buf)) {
		p.Context.RefererURI = f.str(text)
	}
	return s.payloads(p), nil
}

// urlDecodeField is Snowplow's ConversionUtils.decodeString("UTF-8", field,
// s): java.net.URLDecoder.decode, then CR and LF removed and each tab
// replaced by four spaces. A missing s (noSpan) decodes to "". The result
// is appended to *buf; s locates the field in from (which may be *buf).
func urlDecodeField(buf *[]byte, from []byte, s span, field string) (span, string) {
	b := *buf
	start := len(b)
	if s.start < 0 {
		return span{int32(start), int32(start)}, ""
	}
	src := s.of(from)
	var outBuf, runBuf [128]byte
	out := outBuf[:0]
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case '+':
			out = append(out, ' ')
			i++
		case '%':
			bytesRun := runBuf[:0]
			for i < len(src) && src[i] == '%' && hasTwoChars(src[i+1:]) {
				v, msg := javaParseHex2(src[i+1:])
				if msg != "" {
					return span{}, urlDecodeMessage(field, src, msg)
				}
				bytesRun = append(bytesRun, byte(v))
				i += 3 // a successful parse means two ASCII characters
			}
			if i < len(src) && src[i] == '%' {
				return span{}, urlDecodeMessage(field, src, "URLDecoder: Incomplete trailing escape (%) pattern")
			}
			out = appendJavaUTF8(out, bytesRun)
		default:
			out = append(out, c)
			i++
		}
	}
	for _, c := range out {
		switch c {
		case '\r', '\n':
		case '\t':
			b = append(b, "    "...)
		default:
			b = append(b, c)
		}
	}
	*buf = b
	return span{int32(start), int32(len(b))}, ""
}

func urlDecodeMessage(field string, src []byte, cause string) string {
	return "Field [" + field + "]: Exception URL-decoding [" + string(src) + "] (encoding [UTF-8]): [" + cause + "]"
}

// hasTwoChars reports whether b (valid UTF-8) holds at least two UTF-16
// code units.
func hasTwoChars(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	r, size := utf8.DecodeRune(b)
	return r >= 0x10000 || len(b) > size
}

// javaParseHex2 is Integer.parseInt(s.substring(i+1, i+3), 16) as
// URLDecoder applied it to the two characters after a '%' (rest starts
// after the '%' and holds at least two UTF-16 units).
func javaParseHex2(rest []byte) (int, string) {
	r, size := utf8.DecodeRune(rest)
	sub := string(rest[:size])
	if r < 0x10000 {
		r2, size2 := utf8.DecodeRune(rest[size:])
		sub = string(rest[:size+size2])
		if r2 >= 0x10000 {
			// Only the high surrogate is taken; a lone surrogate is
			// written out as '?'.
			sub = string(rest[:size]) + "?"
		}
	}
	bad := "URLDecoder: Illegal hex characters in escape (%) pattern - For input string: \"" + sub + "\""
	sign := 1
	digits := sub
	switch sub[0] {
	case '+':
		digits = sub[1:]
	case '-':
		sign = -1
		digits = sub[1:]
	}
	if digits == "" || strings.ContainsAny(digits, "+-") {
		return 0, bad
	}
	v := 0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if !isHex(c) {
			return 0, bad
		}
		v = v*16 + int(unhex(c))
	}
	v *= sign
	if v < 0 {
		return 0, "URLDecoder: Illegal hex characters in escape (%) pattern - negative value"
	}
	return v, ""
}
