package collector

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Record is one unit of input. Data is valid only until the next call to
// Next.
type Record struct {
	Data []byte
	Line int64 // 1-based line number, or 1-based record index for binary files
}

// RecordReader frames an input stream into records. Next returns io.EOF at
// the end; any other error names the position (line or record number, and
// the byte offset where known). After an error wrapping ErrRecordTooLong,
// Next may be called again: the over-long record is skipped and reading
// continues with the following one. After any other error the reader is
// done. A RecordReader is not safe for concurrent use.
type RecordReader interface {
	Next() (Record, error)
}

// Format is one collector input format. Its methods are safe for concurrent
// use; Parse does not retain data.
type Format interface {
	// Name is the --input-format name the format was looked up by.
	Name() string
	// NewReader frames the (already decompressed) stream r: text lines for
	// the line formats, elephant-bird block files or base64 lines for
	// thrift.
	NewReader(r io.Reader) RecordReader
	// Parse turns one record into collector payloads. nil, nil means the
	// record is discarded on purpose (a header or non-tracker line); an
	// error means a bad row, and ErrorMessages gives its messages.
	Parse(data []byte) ([]Payload, error)
	// BadLine is the "line" of the bad row for a record: the text as
	// Snowplow saw it (invalid UTF-8 replaced by U+FFFD as Hadoop's Text
	// did) for the line formats, base64 of the record for thrift.
	BadLine(data []byte) string
	// Splittable reports whether an uncompressed input may be cut into
	// byte ranges read with NewLineSplitReader.
	Splittable() bool
}

// ErrUnknownFormat is wrapped by Lookup's error for a name it does not know.
var ErrUnknownFormat = errors.New("collector: unknown input format")

// ErrRecordTooLong is wrapped by a RecordReader error for a line or record
// larger than MaxRecordSize.
var ErrRecordTooLong = errors.New("collector: record too long")

// MaxRecordSize bounds the memory one record may take: a line (or Thrift
// record) longer than 64 MiB is an ErrRecordTooLong error naming its line,
// not an allocation. Hadoop had no such limit; real collector lines are
// kilobytes.
const MaxRecordSize = 64 << 20

// ParseError is the error Parse returns for a bad row: the messages
// Snowplow R108 would have put in the row's errors, in its order.
type ParseError struct {
	Messages []string
}

func (e *ParseError) Error() string { return strings.Join(e.Messages, "; ") }

func parseErr(msgs ...string) error { return &ParseError{Messages: msgs} }

// ErrorMessages returns the bad-row messages of an error from Parse: the
// ParseError messages, or the error text for any other error.
func ErrorMessages(err error) []string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Messages
	}
	if err == nil {
		return nil
	}
	return []string{err.Error()}
}

// Names of the formats, as Spark Enrich's --input-format took them.
const (
	NameCloudFront = "cloudfront"
	NameCljTomcat  = "clj-tomcat"
	NameThrift     = "thrift"
	// NameTSVPrefix and NameNDJSONPrefix are followed by the adapter's
	// vendor/version, e.g. "tsv/com.amazon.aws.cloudfront/wd_access_log",
	// "ndjson/com.urbanairship.connect/v1".
	NameTSVPrefix    = "tsv/"
	NameNDJSONPrefix = "ndjson/"
)

// Lookup returns the format of a Spark Enrich --input-format name:
// cloudfront, clj-tomcat, thrift, tsv/<vendor>/<version> or
// ndjson/<vendor>/<version>. The vendor/version of tsv and ndjson must be
// a valid collector path (Snowplow checked it on every line; furrow checks
// it once). Any other name is an error wrapping ErrUnknownFormat that lists
// the valid names.
func Lookup(name string) (Format, error) {
	switch {
	case name == NameCloudFront:
		return cloudfront{}, nil
	case name == NameCljTomcat:
		return cljTomcat{}, nil
	case name == NameThrift:
		return thrift{}, nil
	case strings.HasPrefix(name, NameTSVPrefix):
		api, msg := parseAPI(name[len(NameTSVPrefix):])
		if msg != "" {
			return nil, fmt.Errorf("%w [%s]: %s", ErrUnknownFormat, name, msg)
		}
		return tsv{name: name, api: api}, nil
	case strings.HasPrefix(name, NameNDJSONPrefix):
		api, msg := parseAPI(name[len(NameNDJSONPrefix):])
		if msg != "" {
			return nil, fmt.Errorf("%w [%s]: %s", ErrUnknownFormat, name, msg)
		}
		return ndjson{name: name, api: api}, nil
	}
	return nil, fmt.Errorf("%w: [%s] is not a recognised Snowplow event collector; valid names are "+
		"cloudfront, clj-tomcat, thrift, tsv/<vendor>/<version> (e.g. tsv/com.amazon.aws.cloudfront/wd_access_log) "+
		"and ndjson/<vendor>/<version> (e.g. ndjson/com.urbanairship.connect/v1)", ErrUnknownFormat, name)
}

// Snowplow's default API for the legacy pixel requests.
var apiTP1 = API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp1"}

// parseAPI is Snowplow's CollectorApi.parse: "(/)vendor/version(/)" gives
// that API, the legacy /i and /ice.png pixel gives tp1. On failure it
// returns Snowplow's message.
func parseAPI(path string) (API, string) {
	p := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(p, '/'); i > 0 {
		vnd, rest := p[:i], p[i+1:]
		rest = strings.TrimSuffix(rest, "/")
		if rest != "" && !strings.Contains(rest, "/") {
			return API{Vendor: vnd, Version: rest}, ""
		}
	}
	if isIceRequest(path) {
		return apiTP1, ""
	}
	return API{}, "Request path " + path + " does not match (/)vendor/version(/) pattern nor is a legacy /i(ce.png) request"
}

func isIceRequest(path string) bool {
	return strings.HasPrefix(path, "/ice.png") || path == "/i" || strings.HasPrefix(path, "/i?")
}
