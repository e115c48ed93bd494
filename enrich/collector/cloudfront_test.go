package collector_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
)

func mustLookup(t testing.TB, name string) collector.Format {
	t.Helper()
	f, err := collector.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Fields of a realistic CloudFront line (own sample data).
var cfBase = []string{
	"2023-11-14", "09:26:53", "AMS1-C1", "480", "203.0.113.7", "GET", "d111111abcdef8.cloudfront.net", "/i", "200",
	"https://www.example.com/products/shoes?color=red",
	"Mozilla/5.0%2520(Macintosh;%2520Intel%2520Mac%2520OS%2520X%252010_15_7)%2520AppleWebKit/605.1.15",
	"e=pv&page=Shoes%2520%2526%2520Boots&url=https%253A%252F%252Fwww.example.com%252Fproducts&aid=shop&p=web&tv=js-3.1.0&res=1440x900&dtm=1699953993000",
}

// Fields CloudFront added over the years, in order.
var cfLater = []string{
	"-", "Hit", "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==", // 12 Sep 2012 (15)
	"shop.example.com", "https", "1054", // 21 Oct 2013 (18)
	"0.002",                                              // 29 Apr 2014 (19)
	"-", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "Hit", // 01 Jul 2014 (23)
	"HTTP/2.0", // 2016 (24)
	"-", "-",   // field-level encryption (26)
	"51234", "0.001", "Hit", "image/gif", "43", "-", "-", // Dec 2019 (33)
}

func cfLine(sep string, n int, override map[int]string) string {
	f := append(append([]string(nil), cfBase...), cfLater...)[:n]
	for i, v := range override {
		f[i] = v
	}
	return strings.Join(f, sep)
}

var cfWantBase = collector.Payload{
	API: collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp1"},
	Querystring: []collector.NameValue{
		{Name: "e", Value: "pv"}, {Name: "page", Value: "Shoes & Boots"}, {Name: "url", Value: "https://www.example.com/products"},
		{Name: "aid", Value: "shop"}, {Name: "p", Value: "web"}, {Name: "tv", Value: "js-3.1.0"}, {Name: "res", Value: "1440x900"},
		{Name: "dtm", Value: "1699953993000"},
	},
	Source: collector.Source{Name: "cloudfront", Encoding: "UTF-8"},
	Context: collector.Context{
		Timestamp:  time.Date(2023, 11, 14, 9, 26, 53, 0, time.UTC),
		IPAddress:  "203.0.113.7",
		UserAgent:  "Mozilla/5.0%20(Macintosh;%20Intel%20Mac%20OS%20X%2010_15_7)%20AppleWebKit/605.1.15",
		RefererURI: "https://www.example.com/products/shoes?color=red",
	},
}

func TestCloudFrontLayouts(t *testing.T) {
	f := mustLookup(t, "cloudfront")
	for _, n := range []int{12, 15, 18, 19, 21, 23, 24, 26, 33} {
		for sepName, sep := range map[string]string{"tab": "\t", "space": " ", "runs": " \t  "} {
			line := cfLine(sep, n, nil)
			ps, err := f.Parse([]byte(line))
			if err != nil {
				t.Fatalf("%d fields, %s: %v", n, sepName, err)
			}
			if len(ps) != 1 || !reflect.DeepEqual(ps[0], cfWantBase) {
				t.Fatalf("%d fields, %s:\n got %+v\nwant %+v", n, sepName, ps, cfWantBase)
			}
		}
	}
	// The empty cookie field of the 2012 layouts: two separators in a row.
	line := strings.Join(cfBase, "\t") + "\t\tHit\tabc=="
	if ps, err := f.Parse([]byte(line)); err != nil || len(ps) != 1 {
		t.Fatalf("empty cookie field: %v", err)
	}
}

func TestCloudFrontLines(t *testing.T) {
	f := mustLookup(t, "cloudfront")
	noMatch := "Line does not match CloudFront header or data row formats"
	for _, tc := range []struct {
		name    string
		line    string
		discard bool
		errs    []string
		check   func(t *testing.T, p collector.Payload)
	}{
		{name: "version header", line: "#Version: 1.0", discard: true},
		{name: "fields header", line: "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query", discard: true},
		{name: "other comment", line: "#Comment", errs: []string{noMatch}},
		{name: "empty", line: "", errs: []string{noMatch}},
		{name: "too few fields", line: "2023-11-14 09:26:53 AMS1-C1 480 203.0.113.7 GET d111.cloudfront.net", errs: []string{noMatch}},
		{name: "13 fields", line: cfLine("\t", 13, nil), errs: []string{noMatch}},
		{name: "12 fields and a trailing space", line: cfLine("\t", 12, nil) + " ", errs: []string{noMatch}},
		{name: "leading space", line: " " + cfLine("\t", 12, nil), errs: []string{noMatch}},
		{name: "POST", line: cfLine("\t", 19, map[int]string{5: "post"}),
			errs: []string{"Only GET operations supported for CloudFront Collector, not POST"}},
		{name: "lower-case get", line: cfLine("\t", 19, map[int]string{5: "get"}),
			check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.Context.IPAddress, "203.0.113.7") }},
		{name: "legacy ice.png", line: cfLine("\t", 12, map[int]string{7: "/ice.png"}),
			check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.API.Version, "tp1") }},
		{name: "vendor/version path", line: cfLine("\t", 12, map[int]string{7: "/com.snowplowanalytics.snowplow/tp2/"}),
			check: func(t *testing.T, p collector.Payload) {
				wantEqual(t, p.API, collector.API{Vendor: "com.snowplowanalytics.snowplow", Version: "tp2"})
			}},
		{name: "favicon", line: cfLine("\t", 12, map[int]string{7: "/favicon.ico"}),
			errs: []string{"Request path /favicon.ico does not match (/)vendor/version(/) pattern nor is a legacy /i(ce.png) request"}},
		{name: "bad date and bad path together", line: cfLine("\t", 12, map[int]string{0: "2023-02-30", 7: "/a/b/c"}),
			errs: []string{
				`Unexpected exception converting date [2023-02-30] and time [09:26:53] to timestamp: [Cannot parse "2023-02-30T09:26:53+00:00": Value 30 for dayOfMonth must be in the range [1,28]]`,
				"Request path /a/b/c does not match (/)vendor/version(/) pattern nor is a legacy /i(ce.png) request",
			}},
		{name: "malformed time", line: cfLine("\t", 12, map[int]string{1: "9h26"}),
			errs: []string{`Unexpected exception converting date [2023-11-14] and time [9h26] to timestamp: [Invalid format: "2023-11-14T9h26+00:00" is malformed at "h26+00:00"]`}},
		{name: "fractional seconds", line: cfLine("\t", 12, map[int]string{1: "09:26:53.125"}),
			check: func(t *testing.T, p collector.Payload) {
				wantEqual(t, p.Context.Timestamp, time.Date(2023, 11, 14, 9, 26, 53, 125e6, time.UTC))
			}},
		{name: "no querystring", line: cfLine("\t", 12, map[int]string{11: "-"}),
			check: func(t *testing.T, p collector.Payload) { wantEqual(t, len(p.Querystring), 0) }},
		{name: "fragment dropped, semicolons and empty names", line: cfLine("\t", 12, map[int]string{11: "=x&e=pv;tv=1&&flag#frag=1"}),
			check: func(t *testing.T, p collector.Payload) {
				wantEqual(t, p.Querystring, []collector.NameValue{{Name: "e", Value: "pv"}, {Name: "tv", Value: "1"}, {Name: "flag"}})
			}},
		{name: "quote in querystring", line: cfLine("\t", 12, map[int]string{11: `e=pv&x="y"`}),
			errs: []string{`Exception extracting name-value pairs from querystring [e=pv&x="y"] with encoding [UTF-8]: [Illegal character in query at index 25: http://localhost/?e=pv&x="y"]`}},
		{name: "malformed escape after single-encoding", line: cfLine("\t", 12, map[int]string{11: "e=pv&x=%25zz%2"}),
			errs: []string{`Exception extracting name-value pairs from querystring [e=pv&x=%25zz%2] with encoding [UTF-8]: [Malformed escape pair at index 30: http://localhost/?e=pv&x=%25zz%2]`}},
		{name: "triple-encoded percent", line: cfLine("\t", 12, map[int]string{11: "e=pv&x=30%252525"}),
			check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.Querystring[1].Value, "30%25") }},
		{name: "raw non-ASCII character in the querystring", line: cfLine("\t", 12, map[int]string{11: "e=pv&city=Zürich"}),
			check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.Querystring[1].Value, "Z\ufffdrich") }},
		{name: "referer and user agent missing", line: cfLine("\t", 12, map[int]string{9: "-", 10: "-", 4: "-"}),
			check: func(t *testing.T, p collector.Payload) {
				wantEqual(t, p.Context.RefererURI+p.Context.UserAgent+p.Context.IPAddress, "")
			}},
		{name: "referer trailing percent removed", line: cfLine("\t", 12, map[int]string{9: "http://www.example.com/a%2525%"}),
			check: func(t *testing.T, p collector.Payload) {
				wantEqual(t, p.Context.RefererURI, "http://www.example.com/a%25")
			}},
		{name: "invalid UTF-8 replaced", line: cfLine("\t", 12, map[int]string{10: "Bot\xff1.0"}),
			check: func(t *testing.T, p collector.Payload) { wantEqual(t, p.Context.UserAgent, "Bot\ufffd1.0") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := f.Parse([]byte(tc.line))
			switch {
			case tc.discard:
				if ps != nil || err != nil {
					t.Fatalf("want discarded, got %v %v", ps, err)
				}
			case tc.errs != nil:
				if err == nil {
					t.Fatalf("no error, payloads %+v", ps)
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

func TestCloudFrontBadLine(t *testing.T) {
	f := mustLookup(t, "cloudfront")
	if got := f.BadLine([]byte("bad\xffline")); got != "bad\ufffdline" {
		t.Fatalf("BadLine = %q", got)
	}
	if !f.Splittable() || f.Name() != "cloudfront" {
		t.Fatal("cloudfront is a splittable line format")
	}
}

func wantEqual(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}
