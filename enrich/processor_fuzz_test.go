package enrich

import (
	"context"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
)

var fuzzFormats = []string{collector.NameCloudFront, "clj-tomcat", "thrift", "ndjson/com.urbanairship.connect/v1", "tsv/com.amazon.aws.cloudfront/wd_access_log"}

// FuzzProcessRecord feeds arbitrary records of every collector format through
// the whole per-record path (format, adapters, enricher): a record must
// never panic and never be lost — it is discarded, or it yields at least one
// good event or bad row, and every bad row carries a message.
//
//	go test ./enrich -run '^$' -fuzz FuzzProcessRecord -fuzztime 5m -parallel 1
func FuzzProcessRecord(f *testing.F) {
	f.Add(uint8(0), []byte("2012-05-24  00:06:42  LHR5  3402  216.160.83.56  GET d3gs014xn8p70.cloudfront.net  /ice.png  200 http://www.psychicbazaar.com/ Mozilla/5.0  &e=pv&eid=550e8400-e29b-41d4-a716-446655440000&p=web&tv=js-0.11.1&cv=clj-0.5.0-tom-0.0.4"))
	f.Add(uint8(0), []byte("#Version: 1.0"))
	f.Add(uint8(1), []byte("2014-09-08\t13:58:56\t-\t-\t37.157.33.178\tPOST\t-\t/com.snowplowanalytics.snowplow/tp2\t200\t-\tUA\t&cv=clj-0.7.0-tom-0.1.0&nuid=x\t-\t-\t-\tapplication%2Fjson\teyJzY2hlbWEiOiJ4In0="))
	f.Add(uint8(2), []byte("bad"))
	f.Add(uint8(3), []byte(`{"event":{}}`))
	f.Add(uint8(4), []byte("2014-04-29\t09:00:54\tCDG51\t830\t255.255.255.255\tGET\th\t/i\t200\t-\tUA\te=pp\t-\tHit\tx\th\thttp\t1163\t0.001"))
	resolver := testResolver(f)
	en := newTestEnricher(f, nil)
	procs := make([]*Processor, len(fuzzFormats))
	for i, name := range fuzzFormats {
		format, err := collector.Lookup(name)
		if err != nil {
			f.Fatal(err)
		}
		procs[i], err = NewProcessor(ProcessorConfig{Format: format, Adapters: adapter.NewRegistry(resolver), Enricher: en,
			ETLTimestamp: time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC), Logger: quietLogger()})
		if err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, format uint8, data []byte) {
		p := procs[int(format)%len(procs)]
		var res Result
		p.ProcessRecord(context.Background(), data, "fuzz@0:1", &res)
		switch {
		case res.Discarded > 0 && (len(res.Events) > 0 || len(res.Bad) > 0):
			t.Fatalf("a record was both discarded and produced output")
		case res.Discarded == 0 && len(res.Events)+len(res.Bad) == 0:
			t.Fatalf("record lost: no event, no bad row, not discarded")
		}
		for _, b := range res.Bad {
			if len(b.Errors) == 0 || b.Errors[0].Message == "" {
				t.Fatalf("bad row without a message: %+v", b)
			}
		}
	})
}
