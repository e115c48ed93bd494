package adapter

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/enrich/collector"
)

// Benchmarks of ToRawEvents on the hot tracker-protocol paths:
//
//	go test -run '^$' -bench 'ToRawEvents' -benchmem -count=10 ./enrich/adapter/ | tee new.txt
//	benchstat old.txt new.txt

// tp1Query is a realistic JavaScript-tracker page view (already URL-decoded
// once, as the collector formats hand it over).
func tp1Query() []collector.NameValue {
	return qs(
		"e", "pv", "url", "https://shop.example.com/blog/2018/03/02/spring-sale/?utm_source=newsletter&utm_medium=email",
		"page", "Spring sale - Example Shop", "refr", "https://www.google.co.uk/url?sa=t&rct=j&q=&esrc=s&source=web",
		"tv", "js-2.9.0", "tna", "cf", "aid", "shop", "p", "web", "tz", "Europe/London", "lang", "en-GB", "cs", "UTF-8",
		"f_pdf", "1", "f_qt", "0", "f_realp", "0", "f_wma", "0", "f_dir", "0", "f_fla", "0", "f_java", "0", "f_gears", "0",
		"f_ag", "0", "res", "1920x1080", "cd", "24", "cookie", "1", "eid", "a91a31bc-593b-481f-869a-9d822000ee86",
		"dtm", "1519985472345", "stm", "1519985472400", "vp", "1903x949", "ds", "1888x5120", "vid", "3",
		"sid", "d0f1d8c7-3cc1-4a2a-9b6f-7e4b0b4d7a61", "duid", "d159c05f2aa8e1b9", "fp", "2071613637",
		"cx", "eyJzY2hlbWEiOiJpZ2x1OmNvbS5zbm93cGxvd2FuYWx5dGljcy5zbm93cGxvdy9jb250ZXh0cy9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6W119",
		"cv", "clj-1.1.0-tom-0.2.0", "nuid", "8712a379-4bcb-46ee-815d-85f26540577f",
	)
}

func querySize(q []collector.NameValue) int {
	n := 0
	for _, p := range q {
		n += len(p.Name) + len(p.Value) + 2
	}
	return n
}

func BenchmarkToRawEventsTp1GET(b *testing.B) {
	r := NewRegistry(nil)
	p := payload(vendorSnowplow, "tp1", tp1Query(), "", "")
	b.SetBytes(int64(querySize(p.Querystring)))
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		evs, errs := r.ToRawEvents(ctx, p)
		if len(errs) > 0 || len(evs) != 1 {
			b.Fatal(errs)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// tp2Body is a POST of n JavaScript-tracker events.
func tp2Body(n int) string {
	var sb strings.Builder
	sb.WriteString(`{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"e":"pp","url":"https://shop.example.com/blog/2018/03/02/spring-sale/","page":"Spring sale - Example Shop",` +
			`"pp_mix":"0","pp_max":"0","pp_miy":"` + strconv.Itoa(i*100) + `","pp_may":"` + strconv.Itoa(i*100+950) + `",` +
			`"tv":"js-2.9.0","tna":"cf","aid":"shop","p":"web","tz":"Europe/London","lang":"en-GB","cs":"UTF-8","res":"1920x1080",` +
			`"cd":"24","cookie":"1","eid":"a91a31bc-593b-481f-869a-9d82200` + strconv.Itoa(10000+i) + `","dtm":"15199854` + strconv.Itoa(72345+i) + `",` +
			`"stm":"1519985480000","vp":"1903x949","ds":"1888x5120","vid":"3","sid":"d0f1d8c7-3cc1-4a2a-9b6f-7e4b0b4d7a61",` +
			`"duid":"d159c05f2aa8e1b9","fp":"2071613637","cx":"eyJzY2hlbWEiOiJpZ2x1OmNvbS5zbm93cGxvd2FuYWx5dGljcy5zbm93cGxvdy9jb250ZXh0cy9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6W119"}`)
	}
	sb.WriteString(`]}`)
	return sb.String()
}

func BenchmarkToRawEventsTp2POST(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run("events="+strconv.Itoa(n), func(b *testing.B) {
			r := testRegistry(b)
			p := payload(vendorSnowplow, "tp2", qs("cv", "clj-1.1.0-tom-0.2.0", "nuid", "8712a379-4bcb-46ee-815d-85f26540577f"),
				"application/json; charset=utf-8", tp2Body(n))
			ctx := context.Background()
			if _, errs := r.ToRawEvents(ctx, p); len(errs) > 0 { // warm the schema cache
				b.Fatal(errs)
			}
			b.SetBytes(int64(len(p.Body)))
			b.ReportAllocs()
			for b.Loop() {
				evs, errs := r.ToRawEvents(ctx, p)
				if len(errs) > 0 || len(evs) != n {
					b.Fatal(errs)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkToRawEventsCallrail(b *testing.B) {
	r := NewRegistry(nil)
	p := payload(vendorCallrail, "v1", qs(
		"aid", "crm", "answered", "false", "callercity", "LEEDS", "callercountry", "GB", "callername", "JANE DOE",
		"callernum", "+441130000000", "datetime", "2018-03-02 10:11:12", "duration", "61", "first_call", "false",
		"id", "99887766", "ip", "10.1.2.3", "keywords", "", "trackingnum", "+441130000001", "cv", testCV, "nuid", testNUID,
	), "", "")
	b.SetBytes(int64(querySize(p.Querystring)))
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		if _, errs := r.ToRawEvents(ctx, p); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
