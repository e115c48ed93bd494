package jsonx

import (
	"strings"
	"testing"
)

var benchDoc = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[` + strings.Join([]string{
	`{"schema":"iglu:com.furrow.test/page_ctx/jsonschema/1-0-1","data":{"url":"http://example.com/p/7?q=\"x\"&é","active":false,"title":"Title 7 \t tab","depth":7,"views":7000021,"score":3,"price":7.07,"published":"2024-03-01T19:00:00.123456789Z","tags":[],"flags":[true,null,false],"meta":{"author":"au7","stats":{"wordCount":49}},"anything":{"k":[1,2.50,{"z":null}]},"union":7,"camelCaseName":"c7","extra":"x"}}`,
	`{"schema":"iglu:com.furrow.test/flat/jsonschema/1-0-0","data":{"name":"n7","count":7,"ratio":0.5,"ok":true}}`,
	`{"schema":"iglu:com.furrow.test/flat/jsonschema/1-0-0","data":{"name":"second","count":2}}`,
}, ",") + `]}`

// BenchmarkParse parses a contexts field with three entities.
//
//	go test ./shred/internal/jsonx -run '^$' -bench BenchmarkParse -count 5
func BenchmarkParse(b *testing.B) {
	var p Parser
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Parse(benchDoc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend renders the parsed document as Jackson did.
//
//	go test ./shred/internal/jsonx -run '^$' -bench BenchmarkAppend -count 5
func BenchmarkAppend(b *testing.B) {
	v, err := Parse(benchDoc)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = Append(buf[:0], &v)
	}
}
