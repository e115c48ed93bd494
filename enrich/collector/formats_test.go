package collector_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/furrowdata/furrow/enrich/collector"
)

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		name       string
		splittable bool
	}{
		{"cloudfront", true}, {"clj-tomcat", true}, {"thrift", false},
		{"tsv/com.amazon.aws.cloudfront/wd_access_log", true}, {"ndjson/com.urbanairship.connect/v1", true},
	} {
		f, err := collector.Lookup(tc.name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if f.Name() != tc.name || f.Splittable() != tc.splittable {
			t.Fatalf("%s: name %q splittable %v", tc.name, f.Name(), f.Splittable())
		}
	}
	for _, bad := range []string{"", "CloudFront", "tsv/", "tsv/nope", "ndjson/a/b/c", "json"} {
		_, err := collector.Lookup(bad)
		if !errors.Is(err, collector.ErrUnknownFormat) {
			t.Fatalf("Lookup(%q) = %v, want ErrUnknownFormat", bad, err)
		}
		if bad == "json" && !strings.Contains(err.Error(), "cloudfront, clj-tomcat, thrift") {
			t.Fatalf("error does not list the valid names: %v", err)
		}
	}
}

func TestTSV(t *testing.T) {
	f := mustLookup(t, "tsv/com.amazon.aws.cloudfront/wd_access_log")
	for _, h := range []string{"#Version: 1.0", "#Fields: date time"} {
		if ps, err := f.Parse([]byte(h)); ps != nil || err != nil {
			t.Fatalf("%q not discarded: %v %v", h, ps, err)
		}
	}
	line := "2024-01-02\t03:04:05\tLHR62-C2\t512\t192.0.2.1\tGET\td1.cloudfront.net\t/index.html\t200\t-\tcurl/8.5.0\t-"
	ps, err := f.Parse([]byte(line))
	if err != nil || len(ps) != 1 {
		t.Fatalf("%v %v", ps, err)
	}
	wantEqual(t, ps[0], collector.Payload{
		API:    collector.API{Vendor: "com.amazon.aws.cloudfront", Version: "wd_access_log"},
		Body:   line,
		Source: collector.Source{Name: "tsv", Encoding: "UTF-8"},
	})
}

func TestNDJSON(t *testing.T) {
	f := mustLookup(t, "ndjson/com.urbanairship.connect/v1")
	event := `{"id":"0c43fd6a-7e92-4a47-8d3a-1b4ea5fa8e31","offset":"42","occurred":"2024-02-01T10:00:00.000Z","device":{"ios_channel":"5b1f"},"body":{},"type":"OPEN"}`
	for _, tc := range []struct {
		line    string
		discard bool
		err     string
	}{
		{line: event},
		{line: "[1, 2] trailing content is ignored"},
		{line: `"just a string"`},
		{line: "", discard: true},
		{line: "\r\n", discard: true},
		{line: "   ", err: "Unparsable JSON"},
		{line: "{", err: "Unparsable JSON"},
		{line: "{'single': 'quotes'}", err: "Unparsable JSON"},
		{line: "007", err: "Unparsable JSON"},
		{line: "{}\n{}", err: "Too many lines! Expected single line"},
	} {
		ps, err := f.Parse([]byte(tc.line))
		switch {
		case tc.discard:
			if ps != nil || err != nil {
				t.Fatalf("%q not discarded: %v %v", tc.line, ps, err)
			}
		case tc.err != "":
			wantEqual(t, collector.ErrorMessages(err), []string{tc.err})
		default:
			if err != nil || len(ps) != 1 || ps[0].Body != tc.line || ps[0].API.Vendor != "com.urbanairship.connect" || ps[0].Source.Name != "ndjson" {
				t.Fatalf("%q: %+v %v", tc.line, ps, err)
			}
		}
	}
}

func TestDecompress(t *testing.T) {
	plain := []byte(strings.Repeat("2024-01-02\t03:04:05\tGET /i?e=pv\n", 2000))
	var gz bytes.Buffer
	for _, half := range [][]byte{plain[:len(plain)/2], plain[len(plain)/2:]} { // two gzip members
		w := gzip.NewWriter(&gz)
		w.Write(half)
		w.Close()
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zs := enc.EncodeAll(plain, nil)
	enc.Close()
	lzoFixture, err := os.ReadFile("lzop/testdata/cloudfront-lzo9.lzo")
	if err != nil {
		t.Fatal(err)
	}
	lzoPlain, err := io.ReadAll(mustDecompress(t, lzoFixture, "lzop"))
	if err != nil || len(lzoPlain) != 329630 {
		t.Fatalf("lzop fixture: %d bytes, %v", len(lzoPlain), err)
	}
	for _, tc := range []struct {
		codec string
		in    []byte
		want  []byte
	}{
		{"gzip", gz.Bytes(), plain},
		{"zstd", zs, plain},
		{"none", plain, plain},
		{"none", []byte("x"), []byte("x")},
		{"none", nil, nil},
	} {
		got, err := io.ReadAll(mustDecompress(t, tc.in, tc.codec))
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Fatalf("%s: %d bytes, %v", tc.codec, len(got), err)
		}
	}
	if _, _, err := collector.Decompress(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0})); err == nil {
		t.Fatal("corrupt gzip header accepted")
	}
	bad := append([]byte(nil), zs...)
	bad[len(bad)-2] ^= 0xff
	r, _, err := collector.Decompress(bytes.NewReader(bad))
	if err == nil {
		if _, err = io.ReadAll(r); err == nil {
			t.Fatal("corrupt zstd data read without error")
		}
	}
}

func mustDecompress(t *testing.T, in []byte, wantCodec string) io.Reader {
	t.Helper()
	r, codec, err := collector.Decompress(bytes.NewReader(in))
	if err != nil || codec != wantCodec {
		t.Fatalf("codec %q, %v; want %s", codec, err, wantCodec)
	}
	return r
}
