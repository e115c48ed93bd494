package collector_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/collector/collectortest"
)

var samplePayload = collectortest.CollectorPayload{
	Schema:        collectortest.CollectorPayloadSchema,
	IPAddress:     "10.0.3.17",
	Timestamp:     1700000000123,
	Encoding:      "UTF-8",
	Collector:     "ssc-0.15.0-kinesis",
	UserAgent:     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
	RefererURI:    "https://news.example.org/today",
	Path:          "/com.snowplowanalytics.snowplow/tp2",
	Querystring:   "aid=news&e=se&se_ca=video&se_ac=play",
	Body:          `{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv"}]}`,
	Headers:       []string{"Host: c.example.org", "X-Forwarded-For: 198.51.100.40, 10.0.0.1", "Cookie: sp=abc"},
	ContentType:   "application/json; charset=UTF-8",
	Hostname:      "c.example.org",
	NetworkUserID: "ecdff4d0-9175-40ac-a8bb-325c49733607",
}

func serialize(t testing.TB, p collectortest.CollectorPayload) []byte {
	t.Helper()
	b, err := collectortest.SerializeCollectorPayload(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestThriftCollectorPayload(t *testing.T) {
	f := mustLookup(t, "thrift")
	ps, err := f.Parse(serialize(t, samplePayload))
	if err != nil || len(ps) != 1 {
		t.Fatalf("%v %v", ps, err)
	}
	wantEqual(t, ps[0], collector.Payload{
		API: collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp2"},
		Querystring: []collector.NameValue{{Name: "aid", Value: "news"}, {Name: "e", Value: "se"},
			{Name: "se_ca", Value: "video"}, {Name: "se_ac", Value: "play"}},
		ContentType: samplePayload.ContentType,
		Body:        samplePayload.Body,
		Source:      collector.Source{Name: "ssc-0.15.0-kinesis", Encoding: "UTF-8", Hostname: "c.example.org"},
		Context: collector.Context{
			Timestamp:  time.UnixMilli(1700000000123).UTC(),
			IPAddress:  "198.51.100.40", // from X-Forwarded-For
			UserAgent:  samplePayload.UserAgent,
			RefererURI: samplePayload.RefererURI,
			Headers:    samplePayload.Headers,
			UserID:     samplePayload.NetworkUserID,
		},
	})
}

func TestThriftRecords(t *testing.T) {
	f := mustLookup(t, "thrift")
	with := func(mod func(p *collectortest.CollectorPayload)) []byte {
		p := samplePayload
		p.Headers = append([]string(nil), p.Headers...)
		mod(&p)
		return serialize(t, p)
	}
	raw, err := collectortest.SerializeSnowplowRawEvent(collectortest.SnowplowRawEvent{
		Timestamp: 1381175274000, Collector: "clj-0.6.0-tom-0.0.4", Encoding: "UTF-8", IPAddress: "203.0.113.9",
		HasPayload: true, Protocol: 1, Format: 1, Data: "e=pv&page=Home&url=http%3A%2F%2Fexample.com%2F",
		UserAgent: "curl/8.4.0", NetworkUserID: "abc",
	})
	if err != nil {
		t.Fatal(err)
	}
	rawNoPayload, err := collectortest.SerializeSnowplowRawEvent(collectortest.SnowplowRawEvent{Timestamp: 1, Collector: "c"})
	if err != nil {
		t.Fatal(err)
	}
	deser := "Error deserializing raw event: "
	for _, tc := range []struct {
		name    string
		record  []byte
		errs    []string
		discard bool
		check   func(t *testing.T, p collector.Payload)
	}{
		{name: "legacy SnowplowRawEvent", record: raw, check: func(t *testing.T, p collector.Payload) {
			wantEqual(t, p.API, collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp1"})
			wantEqual(t, p.Querystring[2], collector.NameValue{Name: "url", Value: "http://example.com/"})
			wantEqual(t, p.Context.Timestamp, time.Date(2013, 10, 7, 19, 47, 54, 0, time.UTC))
			wantEqual(t, p.Context.IPAddress, "203.0.113.9")
			wantEqual(t, p.Source.Name, "clj-0.6.0-tom-0.0.4")
		}},
		{name: "SnowplowRawEvent without payload", record: rawNoPayload, errs: []string{deser + "null"}},
		{name: "later 1-0-x schema accepted", record: with(func(p *collectortest.CollectorPayload) {
			p.Schema = "iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-9"
		}), check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.API.Version, "tp2") }},
		{name: "other model rejected", record: with(func(p *collectortest.CollectorPayload) {
			p.Schema = "iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/2-0-0"
		}), errs: []string{"Verifying record as iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-* failed: found iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/2-0-0"}},
		{name: "invalid schema URI", record: with(func(p *collectortest.CollectorPayload) { p.Schema = "CollectorPayload" }),
			errs: []string{"error: CollectorPayload is not a valid Iglu-format schema URI\n    level: \"error\"\n"}},
		{name: "no path", record: with(func(p *collectortest.CollectorPayload) { p.Path = "" }),
			errs: []string{"Request does not contain a path"}},
		{name: "bad querystring and bad path", record: with(func(p *collectortest.CollectorPayload) {
			p.Querystring = "a=b c"
			p.Path = "/nope"
		}), errs: []string{
			"Exception extracting name-value pairs from querystring [a=b c] with encoding [UTF-8]: [Illegal character in query at index 21: http://localhost/?a=b c]",
			"Request path /nope does not match (/)vendor/version(/) pattern nor is a legacy /i(ce.png) request",
		}},
		{name: "latin-1 querystring", record: with(func(p *collectortest.CollectorPayload) {
			p.Encoding = "ISO-8859-1"
			p.Querystring = "name=Jos%E9"
		}), check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.Querystring[0].Value, "José") }},
		{name: "unsupported encoding", record: with(func(p *collectortest.CollectorPayload) { p.Encoding = "EBCDIC-XYZ" }),
			errs: []string{"Exception extracting name-value pairs from querystring [aid=news&e=se&se_ca=video&se_ac=play] with encoding [EBCDIC-XYZ]: [EBCDIC-XYZ]"}},
		{name: "Forwarded header", record: with(func(p *collectortest.CollectorPayload) {
			p.Headers = []string{`Forwarded: for="[2001:DB8::1]"`}
		}), check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.Context.IPAddress, "2001:db8::1") }},
		{name: "no forwarding header", record: with(func(p *collectortest.CollectorPayload) { p.Headers = nil }),
			check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.Context.IPAddress, "10.0.3.17") }},
		{name: "empty record discarded", record: []byte{}, discard: true},
		{name: "truncated", record: serialize(t, samplePayload)[:40],
			errs: []string{deser + "Cannot read. Remote side has closed. Tried to read 2 bytes, but only got 0 bytes. (This is often indicative of an internal error on the server side. Please check your server logs.)"}},
		{name: "negative string length", record: []byte{11, 0, 100, 0xff, 0xff, 0xff, 0xfe},
			errs: []string{deser + "Negative length: -2"}},
		// Field type 'b' (98) is unknown: libthrift 0.9 skipped it as zero
		// bytes and read on.
		{name: "not thrift at all", record: []byte("bad"),
			errs: []string{deser + "Cannot read. Remote side has closed. Tried to read 1 bytes, but only got 0 bytes. (This is often indicative of an internal error on the server side. Please check your server logs.)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := f.Parse(tc.record)
			switch {
			case tc.discard:
				if ps != nil || err != nil {
					t.Fatalf("want discarded, got %v %v", ps, err)
				}
			case tc.errs != nil:
				if err == nil {
					t.Fatalf("no error: %+v", ps)
				}
				wantEqual(t, collector.ErrorMessages(err), tc.errs)
			default:
				if err != nil || len(ps) != 1 {
					t.Fatalf("got %v %v", ps, err)
				}
				tc.check(t, ps[0])
			}
		})
	}
}

// readThrift decompresses and frames a thrift input, parsing every record.
func readThrift(t *testing.T, input []byte) (payloads []collector.Payload, bad []string, codec string) {
	t.Helper()
	f := mustLookup(t, "thrift")
	r, codec, err := collector.Decompress(bytes.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	rr := f.NewReader(r)
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			return payloads, bad, codec
		}
		if err != nil {
			t.Fatal(err)
		}
		ps, err := f.Parse(rec.Data)
		if err != nil {
			bad = append(bad, f.BadLine(rec.Data)+" | "+strings.Join(collector.ErrorMessages(err), " | "))
		}
		payloads = append(payloads, ps...)
	}
}

func TestThriftBlockFiles(t *testing.T) {
	var recs [][]byte
	for i := range 250 {
		p := samplePayload
		p.Querystring = "e=pv&n=" + string(rune('a'+i%26))
		recs = append(recs, serialize(t, p))
	}
	for _, lzo := range []bool{false, true} {
		var file bytes.Buffer
		if err := collectortest.WriteThriftBlockFile(&file, recs, lzo); err != nil {
			t.Fatal(err)
		}
		ps, bad, codec := readThrift(t, file.Bytes())
		if len(ps) != 250 || len(bad) != 0 {
			t.Fatalf("lzo=%v: %d payloads, bad %v", lzo, len(ps), bad)
		}
		if want := map[bool]string{false: "none", true: "lzop"}[lzo]; codec != want {
			t.Fatalf("codec %s, want %s", codec, want)
		}
		if ps[249].Querystring[1].Value != "p" {
			t.Fatalf("record order: last is %v", ps[249].Querystring)
		}
	}
}

func TestThriftBase64Lines(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(serialize(t, samplePayload))
	urlSafe := base64.RawURLEncoding.EncodeToString(serialize(t, samplePayload))
	input := good + "\n\n" + "bad\n" + urlSafe + "\r\n"
	ps, bad, codec := readThrift(t, []byte(input))
	if codec != "none" || len(ps) != 2 {
		t.Fatalf("codec %s, %d payloads", codec, len(ps))
	}
	// commons-codec decodes "bad" to 6d a7, whose base64 is "bac=".
	want := "bac= | Error deserializing raw event: Cannot read. Remote side has closed. Tried to read 2 bytes, but only got 1 bytes. (This is often indicative of an internal error on the server side. Please check your server logs.)"
	if len(bad) != 1 || bad[0] != want {
		t.Fatalf("bad rows %q", bad)
	}
}

func TestThriftBlockFileErrors(t *testing.T) {
	var file bytes.Buffer
	if err := collectortest.WriteThriftBlockFile(&file, [][]byte{serialize(t, samplePayload)}, false); err != nil {
		t.Fatal(err)
	}
	b := file.Bytes()
	binary.LittleEndian.PutUint32(b[16:], 1<<30) // block size beyond the limit
	rr := mustLookup(t, "thrift").NewReader(bytes.NewReader(b))
	if _, err := rr.Next(); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("error %v", err)
	}
}
