package collector

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// tsv is a "tsv/<vendor>/<version>" format: Snowplow's TsvLoader, which
// hands every line but the CloudFront "#Version:"/"#Fields:" headers to the
// adapter as the request body (e.g. tsv/com.amazon.aws.cloudfront/
// wd_access_log for CloudFront access logs read as webhook events).
type tsv struct {
	name string
	api  API
}

func (f tsv) Name() string                     { return f.name }
func (tsv) NewReader(r io.Reader) RecordReader { return NewLineReader(r) }
func (tsv) Splittable() bool                   { return true }
func (tsv) BadLine(data []byte) string         { return javaString(data) }

func (f tsv) Parse(data []byte) ([]Payload, error) {
	if bytes.HasPrefix(data, []byte("#Version:")) || bytes.HasPrefix(data, []byte("#Fields:")) {
		return nil, nil
	}
	return []Payload{{
		API:    f.api,
		Body:   javaString(data),
		Source: Source{Name: "tsv", Encoding: "UTF-8"},
	}}, nil
}

// ndjson is an "ndjson/<vendor>/<version>" format: Snowplow's NdjsonLoader,
// one JSON value per line handed to the adapter as the request body (e.g.
// ndjson/com.urbanairship.connect/v1). Empty lines are discarded; a line
// that does not start with a JSON value is a bad row "Unparsable JSON".
type ndjson struct {
	name string
	api  API
}

func (f ndjson) Name() string                     { return f.name }
func (ndjson) NewReader(r io.Reader) RecordReader { return NewLineReader(r) }
func (ndjson) Splittable() bool                   { return true }
func (ndjson) BadLine(data []byte) string         { return javaString(data) }

func (f ndjson) Parse(data []byte) ([]Payload, error) {
	line := data
	if !utf8.Valid(line) {
		line = appendJavaUTF8(make([]byte, 0, len(data)+16), data)
	}
	// line.replaceAll("\r?\n", "").isEmpty: nothing but line breaks.
	if onlyLineBreaks(line) {
		return nil, nil
	}
	// line.split("\r?\n").size > 1 (trailing empty pieces dropped).
	if bytes.IndexByte(trimTrailingBreaks(line), '\n') >= 0 {
		return nil, parseErr("Too many lines! Expected single line")
	}
	// Snowplow parsed the line with json4s/Jackson and kept it as is; only
	// a JsonParseException was a bad row (other Jackson failures, such as a
	// line of blanks, stopped the job: here they are bad rows too).
	if !jacksonFirstValueValid(line) {
		return nil, parseErr("Unparsable JSON")
	}
	return []Payload{{
		API:    f.api,
		Body:   string(line),
		Source: Source{Name: "ndjson", Encoding: "UTF-8"},
	}}, nil
}

// onlyLineBreaks reports whether b consists of "\n" and "\r\n" only.
func onlyLineBreaks(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '\n':
		case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
			i++
		default:
			return false
		}
	}
	return true
}

// trimTrailingBreaks removes trailing "\n" / "\r\n" separators and the
// empty pieces between them, as String.split drops trailing empty strings.
func trimTrailingBreaks(b []byte) []byte {
	for len(b) > 0 {
		switch {
		case bytes.HasSuffix(b, []byte("\r\n")):
			b = b[:len(b)-2]
		case b[len(b)-1] == '\n':
			b = b[:len(b)-1]
		default:
			return b
		}
	}
	return b
}
