package collector_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
)

// Own sample Tomcat lines of the Clojure collector.
const (
	cljGetOld = "2014-01-21\t14:55:22\t-\t37\t198.51.100.23\tGET\t198.51.100.23\t/i\t200\thttp://blog.example.net/post/1\t" +
		"Mozilla%2F5.0+%28X11%3B+Linux%29\te=pv&page=Post%201&aid=blog&cv=clj-0.6.0-tom-0.0.4&nuid=c0ffee00-1234-4abc-8def-0123456789ab"
	cljPostPath = "/com.snowplowanalytics.snowplow/tp2"
)

var cljBody = `{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-2","data":[{"e":"pv","tv":"py-0.9.0","p":"srv","url":"http://x.example/ü"}]}`

func cljPost(method, tail string) string {
	return "2015-06-02  08:12:45  - - 192.0.2.99  " + method + "  - " + cljPostPath + " 200 - python-requests%2F2.9.1  &cv=clj-1.1.0-tom-0.2.0&nuid=7e57ab1e-0000-4000-8000-000000000001" + tail
}

func TestCljTomcatLines(t *testing.T) {
	f := mustLookup(t, "clj-tomcat")
	b64 := base64.RawURLEncoding.EncodeToString([]byte(cljBody))
	noMatch := "Line does not match raw event format for Clojure Collector"
	for _, tc := range []struct {
		name  string
		line  string
		errs  []string
		check func(t *testing.T, p collector.Payload)
	}{
		{name: "GET, collector <= 0.6.0", line: cljGetOld, check: func(t *testing.T, p collector.Payload) {
			wantEqual(t, p.API, collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp1"})
			wantEqual(t, p.Context.Timestamp, time.Date(2014, 1, 21, 14, 55, 22, 0, time.UTC))
			wantEqual(t, p.Context.IPAddress, "198.51.100.23")
			wantEqual(t, p.Context.UserAgent, "Mozilla%2F5.0+%28X11%3B+Linux%29") // decoded later, by the enrichment
			wantEqual(t, p.Context.RefererURI, "http://blog.example.net/post/1")
			wantEqual(t, p.Querystring[1], collector.NameValue{Name: "page", Value: "Post 1"})
			wantEqual(t, p.Source, collector.Source{Name: "clj-tomcat", Encoding: "UTF-8"})
			wantEqual(t, p.ContentType+p.Body, "")
		}},
		{name: "GET, collector >= 0.7.0", line: cljGetOld + "\t-\t-\t-", check: func(t *testing.T, p collector.Payload) {
			wantEqual(t, len(p.Querystring), 5)
		}},
		{name: "GET with dash content type and body", line: cljGetOld + "\t-\t-\t-\t-\t-", check: func(t *testing.T, p collector.Payload) {
			wantEqual(t, p.Body, "")
		}},
		{name: "POST with body", line: cljPost("POST", " - - - application%2Fjson%3B+charset%3Dutf-8 "+b64), check: func(t *testing.T, p collector.Payload) {
			wantEqual(t, p.API, collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp2"})
			wantEqual(t, p.ContentType, "application/json; charset=utf-8")
			wantEqual(t, p.Body, cljBody)
			wantEqual(t, p.Querystring, []collector.NameValue{{Name: "cv", Value: "clj-1.1.0-tom-0.2.0"}, {Name: "nuid", Value: "7e57ab1e-0000-4000-8000-000000000001"}})
			wantEqual(t, p.Context.IPAddress, "192.0.2.99")
			wantEqual(t, p.Context.RefererURI, "")
		}},
		{name: "POST without the three dashes", line: cljPost("POST", "\tapplication%2Fjson\t"+b64), check: func(t *testing.T, p collector.Payload) {
			wantEqual(t, p.ContentType, "application/json")
		}},
		{name: "body with padding and a tab in the content type", line: cljPost("POST", " - - - text%09plain "+base64.URLEncoding.EncodeToString([]byte("a=1"))), check: func(t *testing.T, p collector.Payload) {
			wantEqual(t, p.ContentType, "text    plain")
			wantEqual(t, p.Body, "a=1")
		}},
		{name: "GET with a body", line: cljPost("GET", " - - - application%2Fjson "+b64),
			errs: []string{"Operation must be POST, not GET, if request content type and/or body are provided"}},
		{name: "content type without body", line: cljPost("POST", " - - - application%2Fjson "),
			errs: []string{"Field [Body]: exception Base64-decoding [null] (URL-safe encoding): [null]"}},
		{name: "bad content type escape", line: cljPost("POST", " - - - application%2 "+b64),
			errs: []string{"Field [Content type]: Exception URL-decoding [application%2] (encoding [UTF-8]): [URLDecoder: Incomplete trailing escape (%) pattern]"}},
		{name: "bad hex in content type", line: cljPost("POST", " - - - a%zzb "+b64),
			errs: []string{`Field [Content type]: Exception URL-decoding [a%zzb] (encoding [UTF-8]): [URLDecoder: Illegal hex characters in escape (%) pattern - For input string: "zz"]`}},
		{name: "third field must be a dash", line: strings.Replace(cljGetOld, "\t-\t", "\tX\t", 1), errs: []string{noMatch}},
		{name: "four trailing dashes", line: cljGetOld + " - - - -", errs: []string{noMatch}},
		{name: "unknown path", line: strings.Replace(cljGetOld, "/i\t", "/x\t", 1),
			errs: []string{"Request path /x does not match (/)vendor/version(/) pattern nor is a legacy /i(ce.png) request"}},
		{name: "bad time", line: strings.Replace(cljGetOld, "14:55:22", "14:55:61", 1),
			errs: []string{`Unexpected exception converting date [2014-01-21] and time [14:55:61] to timestamp: [Cannot parse "2014-01-21T14:55:61+00:00": Value 61 for secondOfMinute must be in the range [0,59]]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := f.Parse([]byte(tc.line))
			if tc.errs != nil {
				if err == nil {
					t.Fatalf("no error: %+v", ps)
				}
				wantEqual(t, collector.ErrorMessages(err), tc.errs)
				return
			}
			if err != nil || len(ps) != 1 {
				t.Fatalf("got %v %v", ps, err)
			}
			tc.check(t, ps[0])
		})
	}
}
