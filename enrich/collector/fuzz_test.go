package collector_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/collector/collectortest"
)

// Every fuzz target checks the record contract: a record yields payloads,
// is discarded for a documented reason, or is an error with messages;
// nothing panics, and all text handed on is valid UTF-8.

func checkOutcome(t *testing.T, f collector.Format, data []byte, mayDiscard func([]byte) bool) {
	t.Helper()
	ps, err := f.Parse(data)
	if sp, ok := f.(collector.ScratchParser); ok {
		// Twice through one Scratch (the second call reuses its memory):
		// what Parse returns, every time.
		var s collector.Scratch
		for range 2 {
			sps, serr := sp.ParseScratch(data, &s)
			if !reflect.DeepEqual(sps, ps) || fmt.Sprint(serr) != fmt.Sprint(err) {
				t.Fatalf("ParseScratch:\n got %+v, %v\nwant %+v, %v", sps, serr, ps, err)
			}
		}
	}
	bad := f.BadLine(data)
	if !utf8.ValidString(bad) {
		t.Fatalf("BadLine not UTF-8: %q", bad)
	}
	switch {
	case err != nil:
		if ps != nil {
			t.Fatalf("payloads and an error: %v", err)
		}
		msgs := collector.ErrorMessages(err)
		if len(msgs) == 0 {
			t.Fatal("error without messages")
		}
		for _, m := range msgs {
			if m == "" || !utf8.ValidString(m) {
				t.Fatalf("bad message %q", m)
			}
		}
	case ps == nil:
		if !mayDiscard(data) {
			t.Fatalf("record %q silently discarded", data)
		}
	default:
		if len(ps) == 0 {
			t.Fatal("empty payload list")
		}
		for _, p := range ps {
			checkPayloadUTF8(t, p)
		}
	}
}

func checkPayloadUTF8(t *testing.T, p collector.Payload) {
	t.Helper()
	strs := []string{p.API.Vendor, p.API.Version, p.ContentType, p.Body, p.Source.Name, p.Source.Encoding,
		p.Source.Hostname, p.Context.IPAddress, p.Context.UserAgent, p.Context.RefererURI, p.Context.UserID}
	strs = append(strs, p.Context.Headers...)
	for _, nv := range p.Querystring {
		strs = append(strs, nv.Name, nv.Value)
		if nv.Name == "" {
			t.Fatal("parameter with an empty name")
		}
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Fatalf("payload text not UTF-8: %q", s)
		}
	}
}

func isHeader(b []byte) bool {
	return bytes.HasPrefix(b, []byte("#Version:")) || bytes.HasPrefix(b, []byte("#Fields:"))
}

func FuzzCloudFrontParse(f *testing.F) {
	for _, n := range []int{12, 15, 19, 24} {
		f.Add([]byte(cfLine("\t", n, nil)))
	}
	f.Add([]byte(cfLine(" ", 12, map[int]string{11: "e=pv&x=%25zz%2#a#b", 0: "2012-W21"})))
	f.Add([]byte("#Version: 1.0"))
	f.Add([]byte(cfLine("  ", 14, map[int]string{12: "\u2028"})))
	format := mustLookup(f, "cloudfront")
	f.Fuzz(func(t *testing.T, line []byte) {
		checkOutcome(t, format, line, isHeader)
	})
}

func FuzzCljTomcatParse(f *testing.F) {
	f.Add([]byte(cljGetOld))
	f.Add([]byte(cljGetOld + "\t-\t-\t-"))
	f.Add([]byte(cljPost("POST", " - - - application%2Fjson%3B+charset%3Dutf-8 eyJhIjoxfQ")))
	f.Add([]byte(cljPost("POST", " - - - a%2 ")))
	format := mustLookup(f, "clj-tomcat")
	f.Fuzz(func(t *testing.T, line []byte) {
		checkOutcome(t, format, line, func([]byte) bool { return false })
	})
}

func FuzzThriftParse(f *testing.F) {
	rec, err := collectortest.SerializeCollectorPayload(samplePayload)
	if err != nil {
		f.Fatal(err)
	}
	raw, err := collectortest.SerializeSnowplowRawEvent(collectortest.SnowplowRawEvent{Timestamp: 1, HasPayload: true, Data: "e=pv"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rec)
	f.Add(raw)
	f.Add([]byte{0x6d, 0xa7})
	f.Add([]byte{15, 0, 1, 12, 0x7f, 0xff, 0xff, 0xff})
	format := mustLookup(f, "thrift")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkOutcome(t, format, data, func(b []byte) bool { return len(b) == 0 })
		if got, err := base64.StdEncoding.DecodeString(format.BadLine(data)); err != nil || !bytes.Equal(got, data) {
			t.Fatal("BadLine is not the record in base64")
		}
	})
}

func FuzzNDJSONParse(f *testing.F) {
	f.Add([]byte(`{"id":"x","type":"OPEN","body":{"a":[1,2.5e3,true,null]}}`))
	f.Add([]byte("\r\n"))
	f.Add([]byte("123abc"))
	format := mustLookup(f, "ndjson/com.urbanairship.connect/v1")
	f.Fuzz(func(t *testing.T, line []byte) {
		checkOutcome(t, format, line, func(b []byte) bool {
			return len(strings.NewReplacer("\r\n", "", "\n", "").Replace(string(b))) == 0
		})
	})
}

func FuzzTSVParse(f *testing.F) {
	f.Add([]byte("#Fields: date"))
	f.Add([]byte("2024-01-02\t03:04:05\t-"))
	format := mustLookup(f, "tsv/com.amazon.aws.cloudfront/wd_access_log")
	f.Fuzz(func(t *testing.T, line []byte) {
		checkOutcome(t, format, line, isHeader)
	})
}

// FuzzThriftReader: any input file frames into records (block file or
// base64 lines) or a framing error; every record then has an outcome.
func FuzzThriftReader(f *testing.F) {
	rec, err := collectortest.SerializeCollectorPayload(samplePayload)
	if err != nil {
		f.Fatal(err)
	}
	var file bytes.Buffer
	if err := collectortest.WriteThriftBlockFile(&file, [][]byte{rec, rec[:10]}, false); err != nil {
		f.Fatal(err)
	}
	f.Add(file.Bytes())
	f.Add([]byte(base64.StdEncoding.EncodeToString(rec) + "\nbad\n\n"))
	format := mustLookup(f, "thrift")
	f.Fuzz(func(t *testing.T, in []byte) {
		r, _, err := collector.Decompress(bytes.NewReader(in))
		if err != nil {
			return
		}
		rr := format.NewReader(r)
		for n := 0; n < 10000; n++ {
			rec, err := rr.Next()
			if err != nil {
				if err != io.EOF && err.Error() == "" {
					t.Fatal("framing error without text")
				}
				return
			}
			checkOutcome(t, format, rec.Data, func(b []byte) bool { return len(b) == 0 })
		}
	})
}
