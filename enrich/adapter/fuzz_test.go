package adapter

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/furrowdata/furrow/enrich/collector"
)

// Fuzz targets (go test -fuzz=FuzzX ./enrich/adapter/):
//   FuzzPayloadData: the tracker-protocol POST body decoder
//   FuzzQuerystring: form/querystring parsing and every adapter fed with it
//   FuzzJSON:        the Jackson-compatible JSON parser and renderer

func FuzzPayloadData(f *testing.F) {
	f.Add(`{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","tv":"js-2.9.0","p":"web"}]}`)
	f.Add(`{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-0","data":[{"e":"se","se_ca":"\u00e9\ud83d\ude00"},{"e":"pv","e":"pp"}]}`)
	f.Add(`{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-0","data":{"a":{"b":"c"}}}`)
	f.Add(`{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":1}`)
	f.Add(`{"data":[],"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-2","x":1}`)
	f.Add("[\"\xff\"]")
	f.Fuzz(func(t *testing.T, body string) {
		sd, data, msg := decodePayloadData(body)
		if msg != "" {
			if data != nil {
				t.Fatal("data returned with an error")
			}
			return
		}
		if !json.Valid(sd.Data) {
			t.Fatalf("data span is not valid JSON: %q", sd.Data)
		}
		events, errs := payloadDataEvents(data)
		if len(errs) == 0 && len(events) == 0 {
			t.Fatal("neither events nor errors")
		}
		for _, ev := range events {
			for _, nv := range ev {
				if !utf8.ValidString(nv.Name) || !utf8.ValidString(nv.Value) {
					t.Fatalf("invalid UTF-8 in parameter %q=%q", nv.Name, nv.Value)
				}
			}
		}
	})
}

// fuzzAPIs are the endpoints FuzzQuerystring drives.
var fuzzAPIs = []collector.API{
	{Vendor: vendorSnowplow, Version: "tp1"}, {Vendor: vendorSnowplow, Version: "tp2"}, {Vendor: vendorRedirect, Version: "tp2"},
	{Vendor: vendorIglu, Version: "v1"}, {Vendor: vendorCallrail, Version: "v1"}, {Vendor: vendorCloudfront, Version: "wd_access_log"},
	{Vendor: vendorMailchimp, Version: "v1"}, {Vendor: vendorMailgun, Version: "v1"}, {Vendor: vendorMandrill, Version: "v1"},
	{Vendor: vendorOlark, Version: "v1"}, {Vendor: vendorPagerduty, Version: "v1"}, {Vendor: vendorPingdom, Version: "v1"},
	{Vendor: vendorSendgrid, Version: "v3"}, {Vendor: vendorStatusGator, Version: "v1"}, {Vendor: vendorUnbounce, Version: "v1"},
	{Vendor: vendorUrbanAirship, Version: "v1"}, {Vendor: vendorMarketo, Version: "v1"}, {Vendor: vendorVero, Version: "v1"},
}

func FuzzQuerystring(f *testing.F) {
	f.Add("e=pv&url=https%3A%2F%2Fexample.com%2F&aid=shop&tv=js-2.9.0&p=web", "", "")
	f.Add("u=https%3A%2F%2Fgithub.com&e=se&co=%7B%22data%22%3A%5B%5D%7D", "", "")
	f.Add("schema=iglu%3Acom.acme%2Fx%2Fjsonschema%2F1-0-0&a=1", formContentType, "a=b&c[d][e]=f&type=subscribe")
	f.Add("message=%7B%22action%22%3A%22assign%22%7D", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nopened\r\n--b--")
	f.Add("aid=x", "application/json", `{"messages":[{"type":"incident.trigger","created_on":"x 00:00"}]}`)
	f.Add("", formContentType, "mandrill_events=%5B%7B%22event%22%3A%22send%22%2C%22ts%22%3A1%7D%5D")
	f.Add("", "", "2014-04-29\t09:00:54\tCDG51\t830\t1.2.3.4\tGET\th\t/i\t200\t-\t-\te=pv\t-\tHit\tid\th\thttp\t1163\t0.001")
	r := NewRegistry(nil)
	f.Fuzz(func(t *testing.T, query, ct, body string) {
		var params []formParam
		if ps, err := parseForm(query); err == nil {
			params = ps
		} else if err.Error() == "" {
			t.Fatal("empty error message")
		}
		for _, p := range splitForm(query) {
			if !utf8.ValidString(p.Name) || !utf8.ValidString(p.Value) {
				t.Fatalf("invalid UTF-8 from splitForm: %+v", p)
			}
		}
		if d, err := urlDecode(query); err == nil && !utf8.ValidString(d) && utf8.ValidString(query) {
			t.Fatalf("urlDecode made invalid UTF-8 from %q", query)
		}
		var q []collector.NameValue
		for _, p := range params {
			q = append(q, collector.NameValue{Name: p.Name, Value: p.Value})
		}
		for _, api := range fuzzAPIs {
			p := &collector.Payload{API: api, Querystring: q, ContentType: ct, Body: body}
			evs, errs := r.ToRawEvents(context.Background(), p)
			if (len(evs) == 0) == (len(errs) == 0) {
				t.Fatalf("%v: events=%d errors=%q", api, len(evs), errs)
			}
			for _, e := range errs {
				if e == "" {
					t.Fatalf("%v: empty error message", api)
				}
			}
			for _, ev := range evs {
				if ue, ok := ev.Parameters["ue_pr"]; ok && !json.Valid([]byte(ue)) {
					t.Fatalf("%v: ue_pr is not JSON: %s", api, ue)
				}
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,-0,1e400,"x\u0000"],"a":null}`, `"\ud800"`, `[[[]]]`, `12 34`, `{"k":true}x`, "\"\xed\xa0\x80\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, mode := range []dupMode{dupKeep, dupLast} {
			v, err := parseJSON(s, mode)
			if err != nil {
				if json.Valid([]byte(s)) && !strings.Contains(err.Error(), "nested too deeply") {
					t.Fatalf("rejected valid JSON %q: %v", s, err)
				}
				continue
			}
			out := v.render()
			if !json.Valid([]byte(out)) {
				t.Fatalf("rendered invalid JSON %q from %q", out, s)
			}
			again, err := parseJSON(out, mode)
			if err != nil {
				t.Fatalf("re-parse of %q: %v", out, err)
			}
			if again.render() != out {
				t.Fatalf("render not stable: %q → %q", out, again.render())
			}
		}
	})
}
