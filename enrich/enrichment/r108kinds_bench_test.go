package enrichment

import (
	"context"
	"fmt"
	"testing"

	"github.com/furrowdata/furrow/event"
)

// Benchmarks of ip_lookups, campaign_attribution, event_fingerprint_config,
// anon_ip and IAB. Run with
//
//	go test ./enrich/enrichment -run '^$' -bench 'IPLookups|Campaign|Fingerprint|AnonIP|IABContext' -benchmem
//
// One op is one event.

// benchIPs are bench/gen's addresses (all in furrow's test databases).
var benchIPs = []string{
	"81.2.69.142", "81.2.69.160", "216.160.83.56", "89.160.20.112", "89.160.20.128",
	"175.16.199.10", "2.125.160.216", "67.43.156.12", "202.196.224.5",
}

func reportEventsPerSecond(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "events/s")
	}
}

// BenchmarkIPLookups looks addresses up in all four databases: "cached"
// repeats bench/gen's nine addresses (LRU hits, the common case),
// "uncached" reads the databases every time.
func BenchmarkIPLookups(b *testing.B) {
	l := newTestIPLookups(b)
	b.Run("cached", func(b *testing.B) {
		var e event.Event
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := l.LookupIP(benchIPs[i%len(benchIPs)], &e); err != nil {
				b.Fatal(err)
			}
		}
		reportEventsPerSecond(b)
	})
	b.Run("uncached", func(b *testing.B) {
		var e event.Event
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r, err := l.lookup(benchIPs[i%len(benchIPs)])
			if err != nil {
				b.Fatal(err)
			}
			r.apply(&e)
		}
		reportEventsPerSecond(b)
	})
	b.Run("parallel-cached", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var e event.Event
			for i := 0; pb.Next(); i++ {
				if err := l.LookupIP(benchIPs[i%len(benchIPs)], &e); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportEventsPerSecond(b)
	})
}

func BenchmarkCampaignAttribution(b *testing.B) {
	c, err := newCampaignAttribution(campaignTestConfig(KeyValue{"fbclid", "Facebook"}), nil)
	if err != nil {
		b.Fatal(err)
	}
	q := campaignQuery("utm_source=google&utm_medium=cpc&utm_campaign=spring-sale&utm_term=ultralight+tent&gclid=EAIaIQobChMI&view=print")
	var e event.Event
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Attribute(q, &e); err != nil {
			b.Fatal(err)
		}
	}
	reportEventsPerSecond(b)
}

func BenchmarkEventFingerprint(b *testing.B) {
	params := map[string]string{}
	for _, kv := range [][2]string{
		{"e", "pv"}, {"url", "https://www.acme-outdoor.example/tents/2-person?utm_source=google"}, {"page", "Two-person tents | Acme Outdoor"},
		{"refr", "https://www.google.com/search?q=ultralight+tent"}, {"tv", "js-2.10.2"}, {"tna", "cf"}, {"aid", "acme"},
		{"p", "web"}, {"tz", "Europe/London"}, {"lang", "en-GB"}, {"cs", "UTF-8"}, {"f_pdf", "1"}, {"f_qt", "0"},
		{"f_realp", "0"}, {"f_wma", "0"}, {"f_dir", "0"}, {"f_fla", "0"}, {"f_java", "0"}, {"f_gears", "0"}, {"f_ag", "0"},
		{"res", "1920x1080"}, {"cd", "24"}, {"cookie", "1"}, {"eid", "a1b2c3d4-0000-4000-8000-000000000001"},
		{"dtm", "1762074000123"}, {"vp", "1903x955"}, {"ds", "1888x4200"}, {"vid", "3"},
		{"sid", "0c2b2f7a-6d3e-4a2b-9a8e-1f2e3d4c5b6a"}, {"duid", "5f1d2c3b4a596877"}, {"stm", "1762074000150"},
	} {
		params[kv[0]] = kv[1]
	}
	for _, algo := range []string{"MD5", "SHA256"} {
		b.Run(algo, func(b *testing.B) {
			f, err := newEventFingerprint(&EventFingerprintConfig{HashAlgorithm: algo, ExcludeParameters: []string{"eid", "stm", "dtm"}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if f.Fingerprint(params) == "" {
					b.Fatal("empty fingerprint")
				}
			}
			reportEventsPerSecond(b)
		})
	}
}

func BenchmarkAnonIP(b *testing.B) {
	a, err := newAnonIP(&AnonIPConfig{AnonOctets: 2}, &Env{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if a.AnonymizeIP(benchIPs[i%len(benchIPs)]) == "" {
			b.Fatal("empty")
		}
	}
	reportEventsPerSecond(b)
}

func BenchmarkIABContext(b *testing.B) {
	iab := newTestIAB(b, nil)
	events := make([]*event.Event, 0, len(benchIPs))
	for i, ip := range benchIPs {
		events = append(events, iabEvent(fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/119.0", 100+i), ip, "2026-11-02 09:00:00.000"))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := iab.IABContext(ctx, events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
	}
	reportEventsPerSecond(b)
}
